//! Reasons kept with a request that name a moment ("the period it asked for
//! ended 1 Dec 2026, 10:00"). The moment is kept marked, in UTC, so that
//! each page shows it in its reader's zone and mail names it in UTC, as all
//! mail does; written out once, it would stay in one zone for everyone.

use chrono::{DateTime, SecondsFormat, Utc};

const OPEN: &str = "[[at ";
const CLOSE: &str = "]]";

/// A moment inside a reason to keep with the request.
pub fn marked(t: DateTime<Utc>) -> String {
    format!(
        "{OPEN}{}{CLOSE}",
        t.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

/// Words from elsewhere (a remote system's detail) to keep in a reason:
/// anything in them that reads as a mark is broken, so they never show a
/// moment of their own.
pub fn words(text: &str) -> String {
    text.replace(OPEN, "[[ at ")
}

/// A part of a kept reason: its words, or a moment it names.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Moment(DateTime<Utc>),
}

/// A kept reason in its parts, in order. A mark that does not hold a moment
/// stays part of the words.
pub fn pieces(reason: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = reason;
    // Where to look for the next mark: past any that held no moment.
    let mut from = 0;
    while let Some(at) = rest[from..].find(OPEN).map(|at| from + at) {
        let after = &rest[at + OPEN.len()..];
        let moment = after.find(CLOSE).and_then(|end| {
            let t = DateTime::parse_from_rfc3339(&after[..end]).ok()?;
            Some((t.with_timezone(&Utc), end))
        });
        let Some((t, end)) = moment else {
            from = at + OPEN.len();
            continue;
        };
        if at > 0 {
            out.push(Piece::Text(&rest[..at]));
        }
        out.push(Piece::Moment(t));
        rest = &after[end + CLOSE.len()..];
        from = 0;
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// A kept reason as text, its moments as people in `tz` read them.
pub fn written_in(reason: &str, tz: chrono_tz::Tz) -> String {
    pieces(reason)
        .into_iter()
        .map(|p| match p {
            Piece::Text(s) => s.to_string(),
            Piece::Moment(t) => super::period::moment_in(t, tz),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_reason_names_its_moments_in_each_readers_zone() {
        let t = "2026-12-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let kept = format!("It ended {} so nothing was given.", marked(t));
        assert_eq!(
            written_in(&kept, chrono_tz::Europe::Paris),
            "It ended 1 Dec 2026, 11:00 CET so nothing was given."
        );
        assert_eq!(
            written_in(&kept, chrono_tz::UTC),
            "It ended 1 Dec 2026, 10:00 UTC so nothing was given."
        );
        // Reasons kept before, and marks that hold no moment, stay as they are.
        for plain in ["Denied [[at soon]] by Maria [[at ", "No approver", ""] {
            assert_eq!(written_in(plain, chrono_tz::UTC), plain);
        }
        let spoof = words(&format!("Denied: {}", marked(t)));
        assert_eq!(pieces(&spoof), vec![Piece::Text(&spoof)]);
        assert_eq!(
            pieces(&format!("[[at x]]{}", marked(t))),
            vec![Piece::Text("[[at x]]"), Piece::Moment(t)]
        );
    }
}
