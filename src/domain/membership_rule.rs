//! Attribute rules for automatic assignment policies, in the syntax of
//! Entra's dynamic membership rules (`attributeRuleMembers.membershipRule`):
//! `user.department -eq "Sales" -and user.jobTitle -startsWith "Account"`.
//!
//! The subset Gatehouse evaluates: the people's attributes it keeps
//! (department, jobTitle, displayName, givenName, surname, mail, userType,
//! accountEnabled, and custom attributes as `user.extension_<name>`); the
//! comparisons `-eq`, `-ne`, `-startsWith`, `-notStartsWith`, `-contains`,
//! `-notContains`, `-in`, `-notIn`, `-match` and `-notMatch` (a regular
//! expression found anywhere in the value); `-and`, `-or`, `-not` and
//! parentheses. As in Entra, values compare without regard to case, and
//! `null` stands for an attribute with no value.

use crate::domain::named::named_values;

use std::fmt;

use super::user::User;

/// Longest rule accepted: Entra's limit on a dynamic membership rule.
pub const MAX_RULE: usize = 3072;
/// How deep parentheses and `-not` may nest (a bound on recursion).
const MAX_DEPTH: usize = 32;
/// How many `-match` and `-notMatch` one rule may hold.
const MAX_PATTERNS: usize = 16;

/// A parsed rule, with the text it was read from.
#[derive(Clone, PartialEq)]
pub struct MembershipRule {
    text: String,
    expr: Expr,
}

impl fmt::Debug for MembershipRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MembershipRule").field(&self.text).finish()
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        property: Property,
        op: Op,
        /// Lower-cased values; `None` is `null`.
        values: Vec<Option<String>>,
    },
    /// `-match` (or, `negated`, `-notMatch`): the pattern is found in the
    /// value; no value matches nothing.
    Match {
        property: Property,
        pattern: Pattern,
        negated: bool,
    },
}

/// A regular expression as a rule gives it, compiled to ignore case.
#[derive(Clone, Debug)]
struct Pattern(regex::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Pattern {
    /// How large a compiled pattern may grow: ample for any rule, and with
    /// `MAX_PATTERNS` a bound on what a rule's patterns may hold in memory.
    const SIZE_LIMIT: usize = 1 << 18;

    fn parse(text: &str, name: &str) -> Result<Pattern, String> {
        regex::RegexBuilder::new(text)
            .case_insensitive(true)
            .size_limit(Self::SIZE_LIMIT)
            .build()
            .map(Pattern)
            .map_err(|e| {
                let why = match e {
                    regex::Error::CompiledTooBig(_) => "it is too large".to_string(),
                    // The last line names the fault ("error: unclosed group").
                    other => {
                        let text = other.to_string();
                        let last = text.lines().last().unwrap_or_default();
                        last.trim_start_matches("error: ").to_string()
                    }
                };
                format!("The pattern for {name} is not a regular expression we can use: {why}.")
            })
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Property {
    Department,
    JobTitle,
    DisplayName,
    GivenName,
    Surname,
    Mail,
    UserType,
    AccountEnabled,
    /// A custom attribute, by its name.
    Extension(String),
}

/// The properties a rule can name, as Entra spells them.
pub const PROPERTIES: [&str; 8] = [
    "department",
    "jobTitle",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userType",
    "accountEnabled",
];

impl Property {
    fn parse(name: &str) -> Option<Property> {
        let lower = name.to_ascii_lowercase();
        Some(match lower.as_str() {
            "department" => Property::Department,
            "jobtitle" => Property::JobTitle,
            "displayname" => Property::DisplayName,
            "givenname" => Property::GivenName,
            "surname" => Property::Surname,
            "mail" | "userprincipalname" => Property::Mail,
            "usertype" => Property::UserType,
            "accountenabled" => Property::AccountEnabled,
            _ => {
                let custom = name.get("extension_".len()..)?;
                if !lower.starts_with("extension_") || custom.is_empty() {
                    return None;
                }
                Property::Extension(custom.to_string())
            }
        })
    }

    /// The person's value, lower-cased; `None` when they have none.
    fn value_of(&self, user: &User) -> Option<String> {
        self.raw_value_of(user).map(|s| s.to_lowercase())
    }

    /// The person's value as kept (a pattern ignores case itself).
    fn raw_value_of(&self, user: &User) -> Option<String> {
        let v = match self {
            Property::Department => user.department.clone(),
            Property::JobTitle => user.job_title.clone(),
            Property::DisplayName => Some(user.display_name.clone()),
            Property::GivenName => user.given_name.clone(),
            Property::Surname => user.surname.clone(),
            Property::Mail => Some(user.email.clone()),
            Property::UserType => Some(if user.is_guest() { "Guest" } else { "Member" }.into()),
            Property::AccountEnabled => Some((!user.is_blocked()).to_string()),
            // Property names ignore case, custom ones too.
            Property::Extension(name) => user
                .custom_attributes
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone()),
        };
        v.filter(|s| !s.is_empty())
    }
}

named_values! {
    /// A comparison, as rules write it and as people read it; each has its
    /// negation (`Op`). Each compares without regard to case; `null` is an
    /// attribute with no value.
    pub enum Test {
        /// The value given, or `null` (no value).
        Eq = ("-eq", "equals"),
        /// A quoted text that is not empty: an attribute with no value
        /// starts with nothing and contains nothing (so the negations
        /// hold for it).
        StartsWith = ("-startsWith", "starts with"),
        Contains = ("-contains", "contains"),
        /// One of a list in brackets, `["Sales", "Marketing"]`, which may
        /// hold `null`.
        In = ("-in", "is one of"),
        /// A regular expression found anywhere in the value, read as given
        /// and compiled to ignore case (`Expr::Match`); no value matches
        /// no pattern.
        Match = ("-match", "matches the pattern"),
    }
}

impl Test {
    /// Its negation, as rules write it and as people read it.
    fn negation(self) -> (&'static str, &'static str) {
        match self {
            Test::Eq => ("-ne", "does not equal"),
            Test::StartsWith => ("-notStartsWith", "does not start with"),
            Test::Contains => ("-notContains", "does not contain"),
            Test::In => ("-notIn", "is none of"),
            Test::Match => ("-notMatch", "does not match the pattern"),
        }
    }
}

/// An operator: a test, or (`negated`) its negation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    test: Test,
    negated: bool,
}

impl Op {
    /// Every operator, each test before its negation.
    fn all() -> impl Iterator<Item = Op> {
        Test::ALL
            .into_iter()
            .flat_map(|test| [false, true].map(|negated| Op { test, negated }))
    }

    /// The operator as rules write it, and as people read it.
    fn name_and_label(self) -> (&'static str, &'static str) {
        if self.negated {
            self.test.negation()
        } else {
            (self.test.as_str(), self.test.label())
        }
    }

    /// Operators are read without regard to case and with or without their
    /// hyphen, as Entra reads them.
    fn read(word: &str) -> Option<Op> {
        let bare = word.strip_prefix('-').unwrap_or(word);
        Op::all().find(|o| o.name_and_label().0[1..].eq_ignore_ascii_case(bare))
    }

    fn holds(self, value: Option<&str>, against: &[Option<String>]) -> bool {
        let first = against.first().cloned().flatten();
        let text = |f: fn(&str, &str) -> bool| match (value, &first) {
            (Some(v), Some(x)) => f(v, x),
            _ => false,
        };
        let held = match self.test {
            Test::Eq => value == first.as_deref(),
            Test::StartsWith => text(|v, x| v.starts_with(x)),
            Test::Contains => text(|v, x| v.contains(x)),
            Test::In => against.iter().any(|x| x.as_deref() == value),
            // Read as `Expr::Match`, never compared here.
            Test::Match => return false,
        };
        held != self.negated
    }
}

impl Expr {
    fn matches(&self, user: &User) -> bool {
        match self {
            Expr::And(a, b) => a.matches(user) && b.matches(user),
            Expr::Or(a, b) => a.matches(user) || b.matches(user),
            Expr::Not(e) => !e.matches(user),
            Expr::Compare {
                property,
                op,
                values,
            } => op.holds(property.value_of(user).as_deref(), values),
            Expr::Match {
                property,
                pattern,
                negated,
            } => {
                let found = property
                    .raw_value_of(user)
                    .is_some_and(|v| pattern.0.is_match(&v));
                found != *negated
            }
        }
    }
}

impl MembershipRule {
    /// Reads a rule; the error says what is wrong and where, in words.
    pub fn parse(text: &str) -> Result<MembershipRule, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("Enter a rule, like user.department -eq \"Sales\".".into());
        }
        if text.chars().count() > MAX_RULE {
            return Err(format!("A rule has at most {MAX_RULE} characters."));
        }
        let tokens = tokenize(text)?;
        let mut p = Parser {
            tokens,
            at: 0,
            patterns: 0,
        };
        let expr = p.or(0)?;
        if let Some(t) = p.peek() {
            return Err(format!(
                "Expected -and, -or or the end of the rule, found {}.",
                t.shown()
            ));
        }
        Ok(MembershipRule {
            text: text.to_string(),
            expr,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `user` is in the rule's scope.
    pub fn matches(&self, user: &User) -> bool {
        self.expr.matches(user)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
    OpenList,
    CloseList,
    Comma,
}

impl Token {
    fn shown(&self) -> String {
        match self {
            Token::Word(w) => format!("“{w}”"),
            Token::Quoted(q) => format!("\"{q}\""),
            Token::Open => "“(”".into(),
            Token::Close => "“)”".into(),
            Token::OpenList => "“[”".into(),
            Token::CloseList => "“]”".into(),
            Token::Comma => "“,”".into(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' | ',' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenList,
                    ']' => Token::CloseList,
                    _ => Token::Comma,
                });
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        // Entra escapes a quote inside a value with a backquote.
                        Some('`') => match chars.next() {
                            Some(e) => s.push(e),
                            None => break,
                        },
                        Some('"') => {
                            tokens.push(Token::Quoted(s));
                            break;
                        }
                        Some(ch) => s.push(ch),
                        None => {
                            return Err(format!("The value \"{s} has no closing quote."));
                        }
                    }
                }
            }
            _ => {
                let mut w = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || "()[],\"".contains(ch) {
                        break;
                    }
                    w.push(ch);
                    chars.next();
                }
                tokens.push(Token::Word(w));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// How many patterns the rule has given so far.
    patterns: usize,
}

fn is_keyword(t: Option<&Token>, words: &[&str]) -> bool {
    matches!(t, Some(Token::Word(w)) if words.iter().any(|k| w.eq_ignore_ascii_case(k)))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.and(depth)?;
        while is_keyword(self.peek(), &["-or", "or"]) {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and(depth)?));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.unary(depth)?;
        while is_keyword(self.peek(), &["-and", "and"]) {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary(depth)?));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return Err("The rule nests too deeply.".into());
        }
        if is_keyword(self.peek(), &["-not", "not"]) {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or(depth + 1)?;
            return match self.next() {
                Some(Token::Close) => Ok(inner),
                Some(t) => Err(format!("Expected “)”, found {}.", t.shown())),
                None => Err("A “(” is not closed.".into()),
            };
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        let name = match self.next() {
            Some(Token::Word(w)) => w,
            Some(t) => {
                return Err(format!(
                    "Expected a property such as user.department, found {}.",
                    t.shown()
                ));
            }
            None => {
                return Err(
                    "The rule ends where a property such as user.department was expected.".into(),
                );
            }
        };
        let property = name
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("user."))
            .and_then(|_| Property::parse(&name[5..]))
            .ok_or_else(|| {
                format!(
                    "Unknown property “{name}”: use user. followed by one of {} or extension_<attribute>.",
                    PROPERTIES.join(", ")
                )
            })?;
        let op = match self.next() {
            Some(Token::Word(w)) => Op::read(&w).ok_or_else(|| {
                let known: Vec<String> = Op::all()
                    .map(|o| o.name_and_label())
                    .map(|(name, label)| format!("{name} ({label})"))
                    .collect();
                format!("Unknown operator “{w}”: use {}.", known.join(", "))
            })?,
            _ => return Err(format!("Expected an operator such as -eq after {name}.")),
        };
        if op.test == Test::Match {
            // As given: lower-casing a pattern would change what it means
            // (`\D` is not `\d`); it is compiled to ignore case instead.
            self.patterns += 1;
            if self.patterns > MAX_PATTERNS {
                return Err(format!("A rule has at most {MAX_PATTERNS} patterns."));
            }
            let pattern = match self.next() {
                Some(Token::Quoted(q)) if !q.is_empty() => Pattern::parse(&q, &name)?,
                _ => {
                    return Err(format!(
                        "Compare {name} with a pattern in double quotes, like {name} -match \"^Sales\"."
                    ));
                }
            };
            return Ok(Expr::Match {
                property,
                pattern,
                negated: op.negated,
            });
        }
        let values = if op.test == Test::In {
            self.list(&name)?
        } else {
            vec![self.value(&name)?]
        };
        if matches!(op.test, Test::StartsWith | Test::Contains)
            && values.iter().any(Option::is_none)
        {
            return Err(format!(
                "Compare {name} with a quoted value that is not empty, not null."
            ));
        }
        if property == Property::AccountEnabled
            && values.iter().flatten().any(|v| v != "true" && v != "false")
        {
            return Err("user.accountEnabled is true or false.".into());
        }
        Ok(Expr::Compare {
            property,
            op,
            values,
        })
    }

    fn value(&mut self, name: &str) -> Result<Option<String>, String> {
        match self.next() {
            // An empty value is no value, as an empty attribute is.
            Some(Token::Quoted(q)) if q.is_empty() => Ok(None),
            Some(Token::Quoted(q)) => Ok(Some(q.to_lowercase())),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(None),
            Some(Token::Word(w))
                if w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false") =>
            {
                Ok(Some(w.to_ascii_lowercase()))
            }
            Some(t) => Err(format!(
                "Expected a value in double quotes after the operator on {name}, found {}.",
                t.shown()
            )),
            None => Err(format!(
                "The rule ends where a value for {name} was expected."
            )),
        }
    }

    fn list(&mut self, name: &str) -> Result<Vec<Option<String>>, String> {
        if self.next() != Some(Token::OpenList) {
            return Err(format!(
                "-in and -notIn take a list in brackets, like {name} -in [\"Sales\", \"Marketing\"]."
            ));
        }
        let mut values = vec![self.value(name)?];
        loop {
            match self.next() {
                Some(Token::Comma) => values.push(self.value(name)?),
                Some(Token::CloseList) => return Ok(values),
                _ => {
                    return Err(format!(
                        "The list of values for {name} is not closed with “]”."
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::ids::UserId;
    use crate::domain::user::{UserState, UserType};

    fn person(department: Option<&str>, title: &str, user_type: UserType) -> User {
        User {
            id: UserId::from_stored("u1".into()),
            user_type,
            display_name: "Eric Employee".into(),
            given_name: Some("Eric".into()),
            surname: None,
            email: "eric@example.com".into(),
            job_title: Some(title.into()),
            department: department.map(str::to_string),
            manager_id: None,
            custom_attributes: BTreeMap::from([("costCenter".into(), "CC-42".into())]),
            state: UserState::Active,
            governed: false,
            connected_organization_id: None,
        }
    }

    fn rule(text: &str) -> MembershipRule {
        MembershipRule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn comparisons_ignore_case_and_null_is_no_value() {
        let eric = person(Some("Marketing"), "Marketing specialist", UserType::Member);
        let nobody = person(None, "Intern", UserType::Member);
        assert!(rule(r#"user.department -eq "marketing""#).matches(&eric));
        assert!(rule(r#"User.Department -EQ "MARKETING""#).matches(&eric));
        assert!(!rule(r#"user.department -ne "Marketing""#).matches(&eric));
        assert!(rule(r#"user.department -eq null"#).matches(&nobody));
        assert!(!rule(r#"user.department -eq null"#).matches(&eric));
        assert!(rule(r#"user.department -ne null"#).matches(&eric));
        assert!(rule(r#"user.jobTitle -startsWith "marketing""#).matches(&eric));
        assert!(rule(r#"user.jobTitle -contains "SPEC""#).matches(&eric));
        assert!(!rule(r#"user.jobTitle -notContains "spec""#).matches(&eric));
        assert!(rule(r#"user.department -notStartsWith "Sales""#).matches(&nobody));
        assert!(rule(r#"user.department -in ["Sales", "Marketing"]"#).matches(&eric));
        assert!(!rule(r#"user.department -notIn ["Sales","Marketing"]"#).matches(&eric));
        assert!(rule(r#"user.extension_costCenter -eq "cc-42""#).matches(&eric));
        assert!(rule(r#"user.Extension_COSTCENTER eq "cc-42""#).matches(&eric));
        assert!(rule(r#"user.department -eq """#).matches(&nobody));
        assert!(!rule(r#"user.department -ne """#).matches(&nobody));
        assert!(rule(r#"user.department NotIn ["Sales"]"#).matches(&eric));
        assert!(rule(r#"user.mail -eq "ERIC@example.com""#).matches(&eric));
    }

    #[test]
    fn patterns_are_found_anywhere_in_the_value_without_regard_to_case() {
        let eric = person(Some("Marketing"), "Marketing specialist", UserType::Member);
        let nobody = person(None, "Intern", UserType::Member);
        assert!(rule(r#"user.jobTitle -match "SPECIALIST$""#).matches(&eric));
        assert!(rule(r#"user.department -match "^mark(et)+ing$""#).matches(&eric));
        assert!(!rule(r#"user.department -match "^Sales""#).matches(&eric));
        assert!(rule(r#"user.department -notMatch "^Sales""#).matches(&eric));
        // `\D` keeps its meaning (not a digit): the pattern is not lower-cased.
        assert!(rule(r#"user.extension_costCenter -match "^\D+-\d+$""#).matches(&eric));
        assert!(!rule(r#"user.department -match ".""#).matches(&nobody));
        assert!(rule(r#"user.department -notMatch ".""#).matches(&nobody));
        assert_eq!(
            rule(r#"user.department -match "a+""#),
            rule(r#"user.department -match "a+""#)
        );
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_and_parentheses_work() {
        let eric = person(Some("Marketing"), "Marketing specialist", UserType::Member);
        let gary = person(None, "Consultant", UserType::Guest);
        let r = rule(
            r#"user.userType -eq "Guest" -or user.department -eq "Sales" -and user.accountEnabled -eq true"#,
        );
        assert!(r.matches(&gary) && !r.matches(&eric));
        let r = rule(
            r#"(user.userType -eq "Guest" -or user.department -eq "Marketing") -and -not (user.jobTitle -eq "Consultant")"#,
        );
        assert!(r.matches(&eric) && !r.matches(&gary));
        assert!(
            rule(r#"not user.userType -eq "Guest" and user.accountEnabled -eq true"#)
                .matches(&eric)
        );
        let mut blocked = eric.clone();
        blocked.state = UserState::Blocked;
        assert!(!rule("user.accountEnabled -eq true").matches(&blocked));
    }

    #[test]
    fn a_quote_is_escaped_with_a_backquote() {
        let mut odd = person(Some(r#"R"D"#), "x", UserType::Member);
        assert!(rule(r#"user.department -eq "r`"d""#).matches(&odd));
        odd.department = Some("RD".into());
        assert!(!rule(r#"user.department -eq "r`"d""#).matches(&odd));
    }

    #[test]
    fn mistakes_are_explained() {
        let cases = [
            ("", "Enter a rule"),
            ("department -eq \"x\"", "Unknown property “department”"),
            ("user.office -eq \"x\"", "Unknown property “user.office”"),
            ("user.department -like \"x\"", "Unknown operator “-like”"),
            ("user.department", "Expected an operator"),
            (
                "user.department -eq Sales",
                "Expected a value in double quotes",
            ),
            ("user.department -eq \"Sales", "has no closing quote"),
            ("(user.department -eq \"x\"", "is not closed"),
            (
                "user.department -eq \"x\" user.jobTitle",
                "Expected -and, -or",
            ),
            ("user.department -in \"x\"", "take a list in brackets"),
            ("user.department -in [\"x\"", "not closed with “]”"),
            ("user.department -contains null", "not null"),
            ("user.accountEnabled -eq \"yes\"", "true or false"),
            ("user.department -eq \"x\" -and", "The rule ends where"),
            ("user.extension_ -eq \"x\"", "Unknown property"),
            (
                "user.department -match \"(sales\"",
                "not a regular expression we can use: unclosed group.",
            ),
            ("user.department -match null", "a pattern in double quotes"),
            ("user.department -match \"\"", "a pattern in double quotes"),
            ("user.department -match \"x{1000}{1000}\"", "too large"),
            (
                "user.department -match \"(?<=a)b\"",
                "not a regular expression we can use: look-around",
            ),
        ];
        for (text, expected) in cases {
            let e = MembershipRule::parse(text).unwrap_err();
            assert!(e.contains(expected), "{text}: {e}");
            assert!(!e.contains("error:"), "{text}: {e}");
        }
        let deep = format!(
            "{}user.department -eq \"x\"{}",
            "(".repeat(100),
            ")".repeat(100)
        );
        assert!(
            MembershipRule::parse(&deep)
                .unwrap_err()
                .contains("nests too deeply")
        );
        let many = vec![r#"user.department -match "a""#; MAX_PATTERNS + 1].join(" -or ");
        assert!(
            MembershipRule::parse(&many)
                .unwrap_err()
                .contains("at most 16 patterns")
        );
        let long = format!("user.department -eq \"{}\"", "x".repeat(MAX_RULE));
        assert!(
            MembershipRule::parse(&long)
                .unwrap_err()
                .contains("at most")
        );
    }
}
