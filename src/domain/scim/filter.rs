//! SCIM filters (RFC 7644 §3.4.2.2): `userName eq "bjensen"`,
//! `emails[type eq "work" and value co "@example.com"]`, `not (active eq
//! false)`, with `not` binding tighter than `and`, and `and` than `or`.
//! Also the form Entra ID sends for a matched email,
//! `emails[type eq "work"].value eq "…"`.

use std::fmt;

/// An attribute: an optional schema URN, a name, an optional sub-attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    pub uri: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses `name`, `name.sub`, or `urn:…:Schema:name[.sub]`.
    pub fn parse(raw: &str) -> Option<AttrPath> {
        let raw = raw.trim();
        let (uri, rest) = if raw.to_ascii_lowercase().starts_with("urn:") {
            let at = raw.rfind(':')?;
            (Some(raw[..at].to_string()), &raw[at + 1..])
        } else {
            (None, raw)
        };
        let (name, sub) = match rest.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'))
        };
        if !valid(name) || sub.is_some_and(|s| !valid(s)) {
            return None;
        }
        Some(AttrPath {
            uri,
            name: name.to_string(),
            sub: sub.map(str::to_string),
        })
    }

    /// The attribute in lower case as `name` or `name.sub`, without the URN.
    pub fn key(&self) -> String {
        match &self.sub {
            Some(s) => format!("{}.{}", self.name, s).to_ascii_lowercase(),
            None => self.name.to_ascii_lowercase(),
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(u) = &self.uri {
            write!(f, "{u}:")?;
        }
        write!(f, "{}", self.name)?;
        if let Some(s) = &self.sub {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(word: &str) -> Option<Op> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(AttrPath),
    Compare(AttrPath, Op, Value),
    /// `attr[filter]`: some value of a multi-valued attribute matches the
    /// inner filter, whose attributes are the value's sub-attributes.
    Has(AttrPath, Box<Filter>),
}

/// Why a filter could not be read (an `invalidFilter` error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError(pub String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn tokens(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '[' => {
                chars.next();
                out.push(Token::OpenBracket);
            }
            ']' => {
                chars.next();
                out.push(Token::CloseBracket);
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err(FilterError("A quoted value is not closed.".into())),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => s.push('\n'),
                            Some('t') => s.push('\t'),
                            Some(e) => s.push(e),
                            None => {
                                return Err(FilterError("A quoted value is not closed.".into()));
                            }
                        },
                        Some(c) => s.push(c),
                    }
                }
                out.push(Token::Str(s));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Token::Word(w));
            }
        }
    }
    Ok(out)
}

/// Nesting deeper than this is refused, so no filter can exhaust the stack.
const MAX_DEPTH: usize = 32;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
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

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.next();
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.next();
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError("The filter is nested too deeply.".into()));
        }
        let f = if self.keyword("not") {
            self.next();
            if self.peek() != Some(&Token::Open) {
                return Err(FilterError(
                    "`not` must be followed by a filter in parentheses.".into(),
                ));
            }
            Filter::Not(Box::new(self.unary()?))
        } else if self.peek() == Some(&Token::Open) {
            self.next();
            let f = self.or()?;
            if self.next() != Some(Token::Close) {
                return Err(FilterError("A parenthesis is not closed.".into()));
            }
            f
        } else {
            self.comparison()?
        };
        self.depth -= 1;
        Ok(f)
    }

    fn comparison(&mut self) -> Result<Filter, FilterError> {
        let Some(Token::Word(word)) = self.next() else {
            return Err(FilterError("An attribute name was expected.".into()));
        };
        if self.peek() == Some(&Token::OpenBracket) {
            self.next();
            let path = AttrPath::parse(&word)
                .ok_or_else(|| FilterError(format!("`{word}` is not an attribute name.")))?;
            let inner = self.or()?;
            if self.next() != Some(Token::CloseBracket) {
                return Err(FilterError("A bracket is not closed.".into()));
            }
            // Entra ID: `emails[type eq "work"].value eq "…"`.
            if let Some(Token::Word(w)) = self.peek().cloned() {
                if let Some(sub) = w.strip_prefix('.') {
                    self.next();
                    let mut on = path.clone();
                    on.sub = Some(sub.to_string());
                    let compared = self.rest_of_comparison(on)?;
                    return Ok(Filter::And(
                        Box::new(Filter::Has(path, Box::new(inner))),
                        Box::new(compared),
                    ));
                }
            }
            return Ok(Filter::Has(path, Box::new(inner)));
        }
        let path = AttrPath::parse(&word)
            .ok_or_else(|| FilterError(format!("`{word}` is not an attribute name.")))?;
        self.rest_of_comparison(path)
    }

    fn rest_of_comparison(&mut self, path: AttrPath) -> Result<Filter, FilterError> {
        let Some(Token::Word(op)) = self.next() else {
            return Err(FilterError(format!(
                "An operator was expected after `{path}`."
            )));
        };
        if op.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let op = Op::parse(&op)
            .ok_or_else(|| FilterError(format!("`{op}` is not a filter operator.")))?;
        let value =
            match self.next() {
                Some(Token::Str(s)) => Value::Str(s),
                Some(Token::Word(w)) => match w.to_ascii_lowercase().as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => Value::Num(w.parse().map_err(|_| {
                        FilterError(format!("`{w}` is not a value; quote strings."))
                    })?),
                },
                _ => return Err(FilterError(format!("A value was expected after `{path}`."))),
            };
        Ok(Filter::Compare(path, op, value))
    }
}

/// Parses a filter; the error says what is wrong with it.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    if input.len() > 4096 {
        return Err(FilterError(
            "The filter is longer than 4,096 characters.".into(),
        ));
    }
    if input.chars().any(char::is_control) {
        return Err(FilterError(
            "The filter contains a control character.".into(),
        ));
    }
    let mut p = Parser {
        tokens: tokens(input)?,
        at: 0,
        depth: 0,
    };
    if p.tokens.is_empty() {
        return Err(FilterError("The filter is empty.".into()));
    }
    let f = p.or()?;
    if p.at < p.tokens.len() {
        return Err(FilterError("The filter has more after its end.".into()));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(name: &str) -> AttrPath {
        AttrPath::parse(name).unwrap()
    }

    fn eq(name: &str, v: &str) -> Filter {
        Filter::Compare(attr(name), Op::Eq, Value::Str(v.into()))
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let f = parse(r#"userName eq "a" or userName eq "b" and not (active eq false)"#).unwrap();
        assert_eq!(
            f,
            Filter::Or(
                Box::new(eq("userName", "a")),
                Box::new(Filter::And(
                    Box::new(eq("userName", "b")),
                    Box::new(Filter::Not(Box::new(Filter::Compare(
                        attr("active"),
                        Op::Eq,
                        Value::Bool(false)
                    ))))
                ))
            )
        );
    }

    #[test]
    fn value_paths_urns_and_the_entra_form() {
        let f = parse(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
        assert!(matches!(f, Filter::Has(ref p, _) if p.name == "emails"));
        let f = parse(r#"emails[type eq "work"].value eq "a@b.c""#).unwrap();
        let Filter::And(has, cmp) = f else {
            panic!("{f:?}")
        };
        assert!(matches!(*has, Filter::Has(..)));
        assert_eq!(*cmp, eq("emails.value", "a@b.c"));
        let f = parse(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7""#,
        )
        .unwrap();
        let Filter::Compare(p, _, _) = f else {
            panic!()
        };
        assert_eq!(p.key(), "employeenumber");
        assert!(p.uri.unwrap().ends_with("enterprise:2.0:User"));
        assert_eq!(
            parse(r#"meta.lastModified gt "2026-01-01T00:00:00Z""#).unwrap(),
            Filter::Compare(
                attr("meta.lastModified"),
                Op::Gt,
                Value::Str("2026-01-01T00:00:00Z".into())
            )
        );
        assert_eq!(parse("title pr").unwrap(), Filter::Present(attr("title")));
    }

    #[test]
    fn malformed_filters_say_why() {
        for bad in [
            "",
            "userName",
            "userName eq",
            r#"userName xx "a""#,
            r#"userName eq "a"#,
            r#"(userName eq "a""#,
            r#"userName eq "a" extra"#,
            "userName eq bare",
            r#"not userName eq "a""#,
            r#"emails[type eq "work""#,
            r#"a)b eq "c""#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}userName eq \"a\"{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).is_err());
    }
}
