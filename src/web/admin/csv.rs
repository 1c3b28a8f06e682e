//! CSV downloads: a package's assignments, an access review's decisions,
//! and every console list.

use actix_web::HttpResponse;

/// A CSV field: quoted when needed, and never read as a formula by a spreadsheet.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A CSV download named after `name` (made safe for a file name): the
/// header line, then each row's fields through `csv_field`.
pub fn csv_download<'a>(
    name: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<&'a str>>,
) -> HttpResponse {
    let header: Vec<String> = header.iter().map(|h| csv_field(h)).collect();
    let mut out = format!("{}\r\n", header.join(","));
    for row in rows {
        let line: Vec<String> = row.into_iter().map(csv_field).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    let file: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}.csv\""),
        ))
        .body(out)
}
