//! Rows a form numbers within a row of its own (a question's or an
//! attribute's translations): which numbers were posted, as the form
//! writes them.

use std::collections::HashMap;

/// The numbers `j` of the posted fields named `{prefix}{j}{suffix}` for any
/// of `prefixes`, in order. Only as the form writes them (`3`, not `03` or
/// `+3`), so that one row is never read twice. (How many a form may post is
/// bounded by the size of its body.)
pub fn numbers(form: &HashMap<String, String>, prefixes: &[&str], suffix: &str) -> Vec<usize> {
    let mut rows: Vec<usize> = form
        .keys()
        .filter_map(|k| prefixes.iter().find_map(|p| k.strip_prefix(p)))
        .filter_map(|rest| rest.strip_suffix(suffix))
        .filter(|j| {
            !j.is_empty()
                && j.bytes().all(|b| b.is_ascii_digit())
                && (*j == "0" || !j.starts_with('0'))
        })
        .filter_map(|j| j.parse().ok())
        .collect();
    rows.sort_unstable();
    rows.dedup();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numbers_the_form_writes_are_read_once_each() {
        let form: HashMap<String, String> = [
            "q1_lang0",
            "q1_loc0",
            "q1_loc2",
            "q1_lang02",
            "q1_lang+3",
            "q1_lang",
            "q10_lang1",
            "lang1_4",
            "loc1_4",
            "lang2_40",
        ]
        .into_iter()
        .map(|k| (k.to_string(), String::new()))
        .collect();
        assert_eq!(numbers(&form, &["q1_lang", "q1_loc"], ""), [0, 2]);
        assert_eq!(numbers(&form, &["lang", "loc"], "_4"), [1]);
    }
}
