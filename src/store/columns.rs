//! How values are kept in columns and searched: times as fixed-width UTC
//! text, booleans from either backend, JSON text, and `LIKE` patterns.

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::Any;

use super::error::{Result, StoreError};

/// Times are stored as fixed-width UTC text so that text order is time order.
/// A moment after 9999 ends in UTC (the last day of 9999 ending west of
/// UTC) is stored as that end: a five-digit year would neither sort nor read
/// back as a time, and nothing can tell the two apart anyway.
pub fn ts(t: DateTime<Utc>) -> String {
    /// 9999-12-31T23:59:59Z.
    const LAST_SECOND: i64 = 253_402_300_799;
    let last = DateTime::from_timestamp(LAST_SECOND, 999_999_000).unwrap_or(t);
    t.min(last).to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time `{s}`: {e}")))
}

/// A `LIKE` pattern matching `q` anywhere, with `\` as the escape character.
pub fn contains_pattern(q: &str) -> String {
    format!("%{}%", like_escaped(q.trim()))
}

/// A `LIKE` pattern matching the words of `q` in their order, anything
/// between and around them ("approve request" finds "Approve access package
/// assignment request"), with `\` as the escape character.
pub fn words_pattern(q: &str) -> String {
    let words: Vec<String> = q.split_whitespace().map(like_escaped).collect();
    format!("%{}%", words.join("%"))
}

/// `q` in lower case, its `LIKE` wildcards and escape character escaped.
fn like_escaped(q: &str) -> String {
    let mut p = String::with_capacity(q.len());
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p
}

/// A boolean column as read back: PostgreSQL sends a BOOLEAN, SQLite an integer.
/// Row structs read it with `#[sqlx(try_from = "Flag")]`.
pub struct Flag(pub bool);

impl sqlx::Type<Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<Any>>::type_info()
    }
    fn compatible(_: &sqlx::any::AnyTypeInfo) -> bool {
        true
    }
}

impl<'r> sqlx::Decode<'r, Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        use sqlx::ValueRef;
        if value.type_info().kind() == sqlx::any::AnyTypeInfoKind::Bool {
            Ok(Flag(<bool as sqlx::Decode<Any>>::decode(value)?))
        } else {
            Ok(Flag(<i64 as sqlx::Decode<Any>>::decode(value)? != 0))
        }
    }
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

/// A value as the JSON text a column keeps; `what` names it in the error.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(what: &str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_escape_wildcards_and_keep_the_words_in_order() {
        assert_eq!(super::contains_pattern(" 50%_Off "), "%50\\%\\_off%");
        assert_eq!(
            super::words_pattern("Approve  request"),
            "%approve%request%"
        );
        assert_eq!(super::words_pattern("100%"), "%100\\%%");
    }

    /// The last day of 9999 ends in 10000 west of UTC: it is stored as the
    /// last moment there is, which reads back and sorts as a time.
    #[test]
    fn a_moment_after_9999_is_stored_as_its_last() {
        // 10000-01-01T07:59:59Z: 31 December 9999 ending in Los Angeles.
        let after = chrono::DateTime::from_timestamp(253_402_300_799 + 8 * 3600, 0).unwrap();
        let stored = super::ts(after);
        assert_eq!(stored, "9999-12-31T23:59:59.999999Z");
        assert!(super::parse_ts(&stored).is_ok());
        let ordinary = chrono::DateTime::from_timestamp(1_796_274_000, 0).unwrap();
        assert_eq!(super::ts(ordinary), "2026-12-03T05:00:00.000000Z");
    }
}
