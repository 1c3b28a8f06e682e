//! Ids posted in forms, read as their types (`#[serde(deserialize_with)]`).
//! The pages post only ids they showed, so a value that is no id of its
//! type comes from a forged form: the form is refused as unreadable (400)
//! and nothing is changed.

use serde::de::Error;
use serde::{Deserialize, Deserializer};

use crate::domain::ids::Id;

fn parsed<T: Id, E: Error>(raw: &str) -> Result<T, E> {
    T::parse(raw).ok_or_else(|| E::custom("a value that should be an id is not one"))
}

/// A field holding an id, or nothing (`None`, for the service to ask for).
pub fn optional<'de, D: Deserializer<'de>, T: Id>(d: D) -> Result<Option<T>, D::Error> {
    let raw = String::deserialize(d)?;
    match raw.trim() {
        "" => Ok(None),
        id => parsed(id).map(Some),
    }
}

/// A field repeated once per id (ticked boxes).
pub fn many<'de, D: Deserializer<'de>, T: Id>(d: D) -> Result<Vec<T>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|raw| parsed(raw))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use crate::domain::ids::{AssignmentId, ConnectedSystemId};

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Posted {
        #[serde(deserialize_with = "super::optional")]
        system: Option<ConnectedSystemId>,
        #[serde(rename = "a", deserialize_with = "super::many")]
        assignments: Vec<AssignmentId>,
    }

    const A: &str = "0b8e5a0e-52a4-4f3c-9d4e-0d1f2a3b4c5d";
    const B: &str = "1c9f6b1f-63b5-4a4d-8e5f-1e2a3b4c5d6e";

    #[test]
    fn ids_are_read_as_their_types() {
        let p: Posted =
            serde_html_form::from_str(&format!("system={A}&a={A}&a={}", B.to_uppercase())).unwrap();
        assert_eq!(p.system.unwrap().as_str(), A);
        let ids: Vec<&str> = p.assignments.iter().map(|a| a.as_str()).collect();
        assert_eq!(ids, [A, B]);
        let one: Posted = serde_html_form::from_str(&format!("a={A}")).unwrap();
        assert_eq!(one.assignments.len(), 1);
    }

    #[test]
    fn nothing_is_none_and_a_forged_value_refuses_the_form() {
        let p: Posted = serde_html_form::from_str("system=").unwrap();
        assert!(p.system.is_none() && p.assignments.is_empty());
        let p: Posted = serde_html_form::from_str("").unwrap();
        assert!(p.system.is_none());
        assert!(serde_html_form::from_str::<Posted>("system=ldap").is_err());
        assert!(serde_html_form::from_str::<Posted>(&format!("a={A}&a=x")).is_err());
    }
}
