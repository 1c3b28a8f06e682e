//! Catalogs, the resources they hold, and the attributes those resources require.

use crate::domain::named::named_values;

use super::user::{BUILT_IN_ATTRIBUTES, validate_attribute_name};
use super::validation::{FieldErrors, optional_long_text, required_text};

pub const NAME_MAX: usize = 256;

named_values! {
    /// Graph `accessPackageCatalog.state`: "Enabled" in the portal is `published`.
    pub enum CatalogState {
        Published = ("published", "Enabled"),
        Unpublished = ("unpublished", "Disabled"),
    }
}

impl CatalogState {
    pub fn from_enabled(enabled: bool) -> CatalogState {
        if enabled {
            CatalogState::Published
        } else {
            CatalogState::Unpublished
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CatalogProfile {
    pub display_name: String,
    pub description: Option<String>,
    pub state: CatalogState,
    pub is_externally_visible: bool,
}

impl CatalogProfile {
    pub fn parse(
        name: &str,
        description: &str,
        enabled: bool,
        external: bool,
    ) -> Result<CatalogProfile, FieldErrors> {
        let mut e = FieldErrors::new();
        let display_name = e.check("display_name", required_text(name, "Name", NAME_MAX));
        let description = e.check(
            "description",
            optional_long_text(description, "Description", 2000),
        );
        match (display_name, description) {
            (Some(display_name), Some(description)) => Ok(CatalogProfile {
                display_name,
                description,
                state: CatalogState::from_enabled(enabled),
                is_externally_visible: external,
            }),
            _ => Err(e),
        }
    }
}

named_values! {
    /// Graph `originSystem` of a catalog resource.
    pub enum OriginSystem {
        AadGroup = ("AadGroup", "Group and Team"),
        AadApplication = ("AadApplication", "Application"),
        SharePointOnline = ("SharePointOnline", "SharePoint site"),
    }
}

named_values! {
    /// Graph answer formats of a required attribute.
    pub enum AnswerFormat {
        ShortText = ("shortText", "Short text"),
        LongText = ("longText", "Long text"),
        MultipleChoice = ("multipleChoice", "Multiple choice"),
    }
}

/// Built-in user attributes a resource can require, as Graph names them.
pub const BUILT_IN_REQUIRABLE: &[&str] = &[
    "givenName",
    "surname",
    "jobTitle",
    "department",
    "displayName",
];

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Localization {
    #[serde(rename = "languageCode")]
    pub language_code: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RequiredAttribute {
    pub attribute_name: String,
    pub answer_format: AnswerFormat,
    pub question_text: String,
    pub localizations: Vec<Localization>,
    pub choices: Vec<String>,
    /// "Attribute value is editable".
    pub is_editable: bool,
    /// "Keep value when assignment is removed".
    pub keep_value: bool,
}

impl RequiredAttribute {
    /// The value to write for a person whose value is now `current` (empty
    /// when unset): what was given, where the attribute is editable or the
    /// person has no value yet; else the current value, which a "not
    /// editable" attribute keeps. Nothing given keeps the current value.
    pub fn value_for(&self, current: &str, given: Option<&str>) -> Result<String, String> {
        let current = current.trim();
        if !self.is_editable && !current.is_empty() {
            return Ok(current.to_string());
        }
        let v = given
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .unwrap_or(current);
        if v.is_empty() {
            return Err("This attribute is required.".into());
        }
        // Long text keeps its lines (a browser sends them as CR LF).
        let long = self.is_long();
        let v = if long {
            v.replace("\r\n", "\n")
        } else {
            v.to_string()
        };
        let max = if long {
            MAX_LONG_ATTRIBUTE_VALUE
        } else {
            MAX_ATTRIBUTE_VALUE
        };
        if v.chars().count() > max {
            return Err(format!("At most {max} characters."));
        }
        if long && v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err("Control characters are not allowed here.".into());
        }
        if !long && v.chars().any(char::is_control) {
            return Err("Line breaks and control characters are not allowed here.".into());
        }
        if !self.choices.is_empty() && !self.choices.contains(&v) {
            return Err("Choose one of the values offered.".into());
        }
        Ok(v)
    }

    /// Whether the value is answered as long text: several lines, in a
    /// larger box. Built-in attributes (names, job title, department) stay
    /// one line whatever the format: the directory and mail headers read
    /// them so.
    pub fn is_long(&self) -> bool {
        self.answer_format == AnswerFormat::LongText
            && !BUILT_IN_REQUIRABLE
                .iter()
                .any(|b| b.eq_ignore_ascii_case(&self.attribute_name))
    }

    /// The most characters its value may have.
    pub fn max_len(&self) -> usize {
        if self.is_long() {
            MAX_LONG_ATTRIBUTE_VALUE
        } else {
            MAX_ATTRIBUTE_VALUE
        }
    }
}

/// The longest attribute value accepted (short text and choices).
pub const MAX_ATTRIBUTE_VALUE: usize = 256;
/// The longest long-text attribute value accepted.
pub const MAX_LONG_ATTRIBUTE_VALUE: usize = 1_000;

/// One row of the "Require attributes" form, as typed.
#[derive(Clone, Debug, Default)]
pub struct AttributeRowInput {
    pub attribute_name: String,
    pub answer_format: String,
    pub question_text: String,
    /// The question in other languages: (language code, text) rows as
    /// given, those left blank out.
    pub translations: Vec<(String, String)>,
    /// One choice per line.
    pub choices: String,
    pub is_editable: bool,
    pub keep_value: bool,
}

impl AttributeRowInput {
    pub fn is_blank(&self) -> bool {
        self.attribute_name.trim().is_empty()
            && self.question_text.trim().is_empty()
            && self.translations.is_empty()
            && self.choices.trim().is_empty()
    }
}

/// Validates the rows; errors are keyed `row{i}.{field}`. Blank rows are skipped.
pub fn parse_required_attributes(
    rows: &[AttributeRowInput],
) -> Result<Vec<RequiredAttribute>, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut out: Vec<RequiredAttribute> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if row.is_blank() {
            continue;
        }
        let key = |f: &str| format!("row{i}.{f}");
        let name = row.attribute_name.trim();
        if name.is_empty() {
            e.add(&key("attribute_name"), "Choose the attribute.");
        } else if let Err(m) = validate_attribute_name(name) {
            e.add(&key("attribute_name"), m);
        } else if BUILT_IN_ATTRIBUTES
            .iter()
            .any(|b| b.eq_ignore_ascii_case(name))
            && !BUILT_IN_REQUIRABLE
                .iter()
                .any(|b| b.eq_ignore_ascii_case(name))
        {
            // Answers are written to the account: an email or manager chosen by the
            // requestor would be a way to become someone else.
            e.add(
                &key("attribute_name"),
                format!("{name} cannot be collected from requestors."),
            );
        } else if names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            e.add(&key("attribute_name"), format!("{name} is required twice."));
        }
        names.push(name.to_string());
        let format = AnswerFormat::parse(&row.answer_format);
        if format.is_none() {
            e.add(&key("answer_format"), "Choose an answer format.");
        }
        let text = e.check(
            &key("question_text"),
            required_text(&row.question_text, "The question text", 500),
        );
        let given: Vec<(&str, &str)> = row
            .translations
            .iter()
            .map(|(code, text)| (code.as_str(), text.as_str()))
            .collect();
        let localizations = e.check(&key("localizations"), translations(&given));
        let choices: Vec<String> = row
            .choices
            .lines()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect();
        if format == Some(AnswerFormat::MultipleChoice) && choices.is_empty() {
            e.add(
                &key("choices"),
                "A multiple-choice attribute needs at least one choice, one per line.",
            );
        }
        let mut seen: Vec<String> = Vec::new();
        for c in &choices {
            if seen.iter().any(|s| s.eq_ignore_ascii_case(c)) {
                e.add(
                    &key("choices"),
                    format!("The choice `{c}` is listed twice."),
                );
            }
            seen.push(c.clone());
        }
        if let (Some(answer_format), Some(question_text), Some(localizations)) =
            (format, text, localizations)
        {
            out.push(RequiredAttribute {
                attribute_name: canonical_attribute_name(name),
                answer_format,
                question_text,
                localizations,
                choices: if answer_format == AnswerFormat::MultipleChoice {
                    choices
                } else {
                    vec![]
                },
                is_editable: row.is_editable,
                keep_value: row.keep_value,
            });
        }
    }
    e.into_result().map(|_| out)
}

/// Built-in names keep Graph's spelling whatever case was typed.
fn canonical_attribute_name(name: &str) -> String {
    BUILT_IN_REQUIRABLE
        .iter()
        .find(|b| b.eq_ignore_ascii_case(name))
        .map(|b| b.to_string())
        .unwrap_or_else(|| name.to_string())
}

/// `languageCode: text` per line, e.g. `fr-FR: Prénom`.
pub fn parse_localizations(text: &str) -> Result<Vec<Localization>, String> {
    let mut out: Vec<Localization> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((code, value)) = line.split_once(':') else {
            return Err(format!(
                "Line {}: write each translation as languageCode: text, e.g. fr-FR: Prénom.",
                n + 1
            ));
        };
        let code = code.trim();
        if !is_language_code(code) {
            return Err(format!(
                "Line {}: `{code}` is not a language code such as fr or fr-FR.",
                n + 1
            ));
        }
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("Line {}: the text for {code} is empty.", n + 1));
        }
        if out
            .iter()
            .any(|l| l.language_code.eq_ignore_ascii_case(code))
        {
            return Err(format!("Line {}: {code} is given twice.", n + 1));
        }
        out.push(Localization {
            language_code: code.to_string(),
            text: value.to_string(),
        });
    }
    Ok(out)
}

pub fn format_localizations(l: &[Localization]) -> String {
    l.iter()
        .map(|l| format!("{}: {}", l.language_code, l.text))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The most translations a question or attribute keeps.
pub const MAX_TRANSLATIONS: usize = 60;

/// The languages a translation is picked from, by code, with their names:
/// common ones, each with its usual region. A code not listed (`fr-BE`, or
/// `fr` alone) is still read when it is a language code.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("ar-SA", "Arabic (Saudi Arabia)"),
    ("bg-BG", "Bulgarian"),
    ("ca-ES", "Catalan"),
    ("cs-CZ", "Czech"),
    ("da-DK", "Danish"),
    ("de-DE", "German"),
    ("el-GR", "Greek"),
    ("en-GB", "English (United Kingdom)"),
    ("en-US", "English (United States)"),
    ("es-ES", "Spanish (Spain)"),
    ("es-MX", "Spanish (Mexico)"),
    ("et-EE", "Estonian"),
    ("eu-ES", "Basque"),
    ("fi-FI", "Finnish"),
    ("fr-CA", "French (Canada)"),
    ("fr-FR", "French (France)"),
    ("gl-ES", "Galician"),
    ("he-IL", "Hebrew"),
    ("hi-IN", "Hindi"),
    ("hr-HR", "Croatian"),
    ("hu-HU", "Hungarian"),
    ("id-ID", "Indonesian"),
    ("it-IT", "Italian"),
    ("ja-JP", "Japanese"),
    ("kk-KZ", "Kazakh"),
    ("ko-KR", "Korean"),
    ("lt-LT", "Lithuanian"),
    ("lv-LV", "Latvian"),
    ("ms-MY", "Malay"),
    ("nb-NO", "Norwegian (Bokmål)"),
    ("nl-NL", "Dutch"),
    ("pl-PL", "Polish"),
    ("pt-BR", "Portuguese (Brazil)"),
    ("pt-PT", "Portuguese (Portugal)"),
    ("ro-RO", "Romanian"),
    ("ru-RU", "Russian"),
    ("sk-SK", "Slovak"),
    ("sl-SI", "Slovenian"),
    ("sr-Latn-RS", "Serbian (Latin)"),
    ("sv-SE", "Swedish"),
    ("th-TH", "Thai"),
    ("tr-TR", "Turkish"),
    ("uk-UA", "Ukrainian"),
    ("vi-VN", "Vietnamese"),
    ("zh-CN", "Chinese (Simplified)"),
    ("zh-TW", "Chinese (Traditional)"),
];

/// The translations a question or attribute gives, as (language code, text)
/// rows in order, checked: each has a language code and a text, no language
/// is given twice, and there are at most `MAX_TRANSLATIONS`. Rows left blank
/// are skipped; an error names the row.
pub fn translations(rows: &[(&str, &str)]) -> Result<Vec<Localization>, String> {
    let given = rows
        .iter()
        .filter(|(c, t)| !c.trim().is_empty() || !t.trim().is_empty());
    if given.count() > MAX_TRANSLATIONS {
        return Err(format!(
            "At most {MAX_TRANSLATIONS} translations; remove some."
        ));
    }
    let mut out: Vec<Localization> = Vec::new();
    for (n, (code, text)) in rows.iter().enumerate() {
        let (code, text, n) = (code.trim(), text.trim(), n + 1);
        if code.is_empty() && text.is_empty() {
            continue;
        }
        if code.is_empty() {
            return Err(format!("Translation {n}: choose its language."));
        }
        if !is_language_code(code) {
            return Err(format!(
                "Translation {n}: `{code}` is not a language code such as fr or fr-FR."
            ));
        }
        if text.is_empty() {
            return Err(format!("Translation {n} ({code}): give the text."));
        }
        if out
            .iter()
            .any(|l| l.language_code.eq_ignore_ascii_case(code))
        {
            return Err(format!("Translation {n}: {code} is given twice."));
        }
        out.push(Localization {
            language_code: code.to_string(),
            text: text.to_string(),
        });
    }
    Ok(out)
}

fn is_language_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let first = parts.next().unwrap_or_default();
    (2..=3).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translations_are_checked_row_by_row() {
        let ok = translations(&[("fr-FR", " Pourquoi ? "), ("", ""), ("de", "Warum?")]).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(
            (ok[0].language_code.as_str(), ok[0].text.as_str()),
            ("fr-FR", "Pourquoi ?")
        );
        let err = |rows: &[(&str, &str)]| translations(rows).unwrap_err();
        assert_eq!(
            err(&[("", "Pourquoi ?")]),
            "Translation 1: choose its language."
        );
        assert_eq!(
            err(&[("fr", "x"), ("de-DE", " ")]),
            "Translation 2 (de-DE): give the text."
        );
        assert!(err(&[("french", "x")]).contains("not a language code"));
        assert!(err(&[("fr", "x"), ("FR", "y")]).contains("given twice"));
        assert!(LANGUAGES.iter().all(|(code, _)| is_language_code(code)));
    }

    fn row(name: &str, format: &str, text: &str) -> AttributeRowInput {
        AttributeRowInput {
            attribute_name: name.into(),
            answer_format: format.into(),
            question_text: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn rows_are_validated_with_reasons() {
        let ok = parse_required_attributes(&[
            row("GivenName", "shortText", "First name"),
            AttributeRowInput::default(),
        ])
        .unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].attribute_name, "givenName");
        let e = parse_required_attributes(&[row("jobTitle", "shortText", " ")]).unwrap_err();
        assert_eq!(
            e.get("row0.question_text"),
            Some("The question text is required.")
        );
        let e = parse_required_attributes(&[row("costCenter", "multipleChoice", "Cost center?")])
            .unwrap_err();
        assert!(
            e.get("row0.choices")
                .unwrap()
                .contains("at least one choice")
        );
        let e = parse_required_attributes(&[
            row("surname", "shortText", "a"),
            row("Surname", "longText", "b"),
        ])
        .unwrap_err();
        assert_eq!(
            e.get("row1.attribute_name"),
            Some("Surname is required twice.")
        );
        let e = parse_required_attributes(&[row("mail", "shortText", "Your email")]).unwrap_err();
        assert_eq!(
            e.get("row0.attribute_name"),
            Some("mail cannot be collected from requestors.")
        );
    }

    #[test]
    fn an_attributes_translations_are_checked_beside_its_row() {
        let translated = |rows: &[(&str, &str)]| AttributeRowInput {
            translations: rows
                .iter()
                .map(|(c, t)| (c.to_string(), t.to_string()))
                .collect(),
            ..row("givenName", "shortText", "First name")
        };
        let ok =
            parse_required_attributes(&[translated(&[("fr-FR", " Prénom "), ("de", "Vorname")])])
                .unwrap();
        let kept: Vec<(&str, &str)> = ok[0]
            .localizations
            .iter()
            .map(|l| (l.language_code.as_str(), l.text.as_str()))
            .collect();
        assert_eq!(kept, [("fr-FR", "Prénom"), ("de", "Vorname")]);
        let many: Vec<(String, String)> = (0..=MAX_TRANSLATIONS)
            .map(|n| (format!("x{n:02}"), "Text".to_string()))
            .collect();
        let too_many = AttributeRowInput {
            translations: many,
            ..translated(&[])
        };
        assert_eq!(
            parse_required_attributes(&[too_many])
                .unwrap_err()
                .get("row0.localizations"),
            Some("At most 60 translations; remove some.")
        );
        let twice =
            parse_required_attributes(&[translated(&[("fr-FR", "Prénom"), ("fr-fr", "Nom")])])
                .unwrap_err();
        assert_eq!(
            twice.get("row0.localizations"),
            Some("Translation 2: fr-fr is given twice.")
        );
        let unnamed = parse_required_attributes(&[translated(&[("", "Prénom")])]).unwrap_err();
        assert_eq!(
            unnamed.get("row0.localizations"),
            Some("Translation 1: choose its language.")
        );
        // Translations alone still make a row, refused for its missing name.
        let alone = AttributeRowInput {
            translations: vec![("fr-FR".into(), "Prénom".into())],
            ..AttributeRowInput::default()
        };
        assert!(!alone.is_blank());
        assert!(parse_required_attributes(&[alone]).is_err());
    }

    #[test]
    fn long_text_keeps_its_lines_and_short_text_does_not() {
        let attribute = |format| RequiredAttribute {
            attribute_name: "costCenter".into(),
            answer_format: format,
            question_text: "Cost center".into(),
            localizations: vec![],
            choices: vec![],
            is_editable: true,
            keep_value: false,
        };
        let long = attribute(AnswerFormat::LongText);
        assert_eq!(
            long.value_for("", Some("Two\r\nlines")).as_deref(),
            Ok("Two\nlines")
        );
        assert!(long.value_for("", Some(&"x".repeat(1_000))).is_ok());
        assert_eq!(
            long.value_for("", Some(&"x".repeat(1_001))),
            Err("At most 1000 characters.".into())
        );
        assert!(long.value_for("", Some("bell\u{7}")).is_err());
        // A built-in attribute stays one line, whatever its format.
        let title = RequiredAttribute {
            attribute_name: "jobTitle".into(),
            ..long.clone()
        };
        assert!(title.value_for("", Some("Two\r\nlines")).is_err());
        let short = attribute(AnswerFormat::ShortText);
        assert!(short.value_for("", Some("Two\r\nlines")).is_err());
        assert_eq!(
            short.value_for("", Some(&"x".repeat(257))),
            Err("At most 256 characters.".into())
        );
    }

    #[test]
    fn localizations_need_language_codes() {
        let l = parse_localizations("fr-FR: Prénom\nde: Vorname").unwrap();
        assert_eq!(l[1].language_code, "de");
        assert!(parse_localizations("French: Prénom").is_err());
        assert!(parse_localizations("fr:").is_err());
    }
}
