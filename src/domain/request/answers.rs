//! Answers to a policy's questions: checked against the questions, and kept
//! as the requestor saw them.

/// An answer to a policy question, as stored and shown to approvers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    pub sequence: u32,
    pub question: String,
    /// The value(s) given: text, or the chosen choices' values.
    pub values: Vec<String>,
    /// What the requestor saw: the text, or the chosen choices' texts.
    pub display: String,
}

/// The field that answers question `sequence`; its errors are keyed so.
pub fn answer_field(sequence: u32) -> String {
    format!("q{sequence}")
}

/// Checks the answers (`answer_field` → values) against the questions; errors are
/// keyed `q{sequence}` so they can be shown beside the question.
pub fn check_answers(
    questions: &[crate::domain::policy::Question],
    given: &std::collections::HashMap<String, Vec<String>>,
) -> Result<Vec<Answer>, crate::domain::validation::FieldErrors> {
    use crate::domain::policy::QuestionKind;
    let mut e = crate::domain::validation::FieldErrors::new();
    let mut out = Vec::new();
    for q in questions {
        let key = answer_field(q.sequence);
        let values: Vec<String> = given
            .get(&key)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if values.is_empty() {
            if q.is_required {
                e.add(&key, "An answer is required.");
            }
            continue;
        }
        match &q.kind {
            QuestionKind::Text {
                is_single_line,
                regex_pattern,
            } => {
                let text = values.join(" ").replace("\r\n", "\n");
                if *is_single_line && text.chars().any(char::is_control) {
                    e.add(&key, "Answer on one line, without control characters.");
                } else if crate::domain::validation::has_refused_control(&text) {
                    e.add(&key, "The answer cannot contain control characters.");
                } else if text.chars().count() > 4000 {
                    e.add(&key, "The answer is too long (at most 4000 characters).");
                } else if let Some(p) = regex_pattern {
                    match regex::Regex::new(&format!("^(?:{p})$")) {
                        Ok(re) if re.is_match(&text) => {}
                        Ok(_) => e.add(&key, "The answer is not in the expected format."),
                        Err(_) => e.add(
                            &key,
                            "This question cannot be answered now; tell an administrator.",
                        ),
                    }
                }
                out.push(Answer {
                    sequence: q.sequence,
                    question: q.text.clone(),
                    values: vec![text.clone()],
                    display: text,
                });
            }
            QuestionKind::MultipleChoice {
                choices,
                is_multiple_selection_allowed,
            } => {
                if !is_multiple_selection_allowed && values.len() > 1 {
                    e.add(&key, "Choose one answer.");
                }
                let mut texts = Vec::new();
                for v in &values {
                    match choices.iter().find(|c| c.actual_value == *v) {
                        Some(c) => texts.push(c.text.clone()),
                        None => e.add(&key, "Choose one of the answers offered."),
                    }
                }
                out.push(Answer {
                    sequence: q.sequence,
                    question: q.text.clone(),
                    values,
                    display: texts.join(", "),
                });
            }
        }
    }
    e.into_result().map(|_| out)
}
