//! Short, one-line renderings of a response body for error messages: the
//! token redacted, HTML reduced to its text, at most [`SNIPPET_CHARS`]
//! characters.
//!
//! The byte search is `memchr::memmem` (already built for `serde_json`).
//! The HTML-to-text stays hand-written: the pages it meets are a proxy's or
//! a maintenance page's, a few lines, and what it must give is one line
//! with the title and the words; `html2text` would bring a whole HTML5
//! parser for that, and renders for a terminal (headings marked, lines
//! wrapped), and keeping only the title would lose a page's words when it
//! has no title (`<html><body>Maintenance</body></html>`).

use memchr::memmem;
use voxys_connect_api::ApiToken;

/// At most this many characters of a body go into an error message.
pub(crate) const SNIPPET_CHARS: usize = 200;

/// A short, one-line rendering of a body for an error message: the token
/// replaced should the server have echoed it, HTML reduced to its text, white
/// space folded, then cut at [`SNIPPET_CHARS`] (after redaction, so that the
/// cut cannot leave part of the token).
pub(crate) fn snippet(body: &[u8], token: &ApiToken) -> String {
    let text = token.redact(&String::from_utf8_lossy(body));
    let text = if looks_like_html(&text) {
        html_text(&text)
    } else {
        text
    };
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.is_empty() {
        return "(empty body)".to_owned();
    }
    truncate(&folded, SNIPPET_CHARS)
}

/// The part of `body` around byte `offset` (where decoding failed). A copy of
/// the token that the window's edges would cut is taken in whole, so that it
/// is redacted rather than shown in part.
pub(crate) fn snippet_around(body: &[u8], offset: usize, token: &ApiToken) -> String {
    const BEFORE: usize = 60;
    const AFTER: usize = 60;
    let mut start = offset.saturating_sub(BEFORE).min(body.len());
    let mut end = offset.saturating_add(AFTER).min(body.len());
    let secret = token.expose().as_bytes();
    // The token is never empty (`ApiToken::new` refuses it), and the copies
    // are found one after the other without overlapping.
    for from in memmem::find_iter(body, secret) {
        let to = from + secret.len();
        if from < end && to > start {
            start = start.min(from);
            end = end.max(to);
        }
    }
    let mut out = snippet(&body[start..end], token);
    if start > 0 {
        out.insert(0, '…');
    }
    if end < body.len() && !out.ends_with('…') {
        out.push('…');
    }
    out
}

/// `text` cut after `max_chars` characters, with `…` where it was cut.
fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Whether `text` is an HTML page: it starts with a tag, and an `<html`,
/// `<!doctype`, `<head` or `<body` comes within its first 256 bytes.
fn looks_like_html(text: &str) -> bool {
    let start = text.trim_start();
    start.starts_with('<') && {
        let head = start
            .get(..start.len().min(256))
            .unwrap_or(start)
            .to_ascii_lowercase();
        head.contains("<html")
            || head.contains("<!doctype")
            || head.contains("<head")
            || head.contains("<body")
    }
}

/// The text of an HTML page: its title, then the text outside tags, scripts
/// and styles.
fn html_text(html: &str) -> String {
    // ASCII lower case keeps every byte in its place, so a position found in
    // `lower` is the same position in `html`.
    let lower = html.to_ascii_lowercase();
    let title = lower
        .find("<title>")
        .and_then(|s| lower[s..].find("</title>").map(|e| (s + 7, s + e)))
        .and_then(|(s, e)| html.get(s..e))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let mut text = String::new();
    let mut at = 0;
    while let Some(open) = lower[at..].find('<').map(|o| at + o) {
        text.push_str(&html[at..open]);
        text.push(' ');
        let tag = lower[open..].get(..7).unwrap_or_default();
        let skip_to = if tag.starts_with("<script") {
            "</script>"
        } else if tag.starts_with("<style") {
            "</style>"
        } else if tag.starts_with("<title") {
            "</title>"
        } else {
            ">"
        };
        match lower[open..].find(skip_to) {
            Some(end) => at = open + end + skip_to.len(),
            None => {
                at = html.len();
                break;
            }
        }
    }
    text.push_str(&html[at..]);
    match title {
        Some(t) => format!("{t}: {text}"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> ApiToken {
        ApiToken::new("abc123").unwrap()
    }

    #[test]
    fn snippet_reduces_html_to_its_text() {
        let page = b"<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>\n<body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>";
        assert_eq!(
            snippet(page, &token()),
            "502 Bad Gateway: 502 Bad Gateway nginx"
        );
    }

    #[test]
    fn snippet_folds_cuts_and_redacts() {
        let long = "x".repeat(500);
        let cut = snippet(long.as_bytes(), &token());
        assert_eq!(cut.chars().count(), SNIPPET_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(snippet(b"  Retry\n later ", &token()), "Retry later");
        assert_eq!(
            snippet(b"bad token abc123 here", &token()),
            "bad token [redacted] here"
        );
        assert_eq!(snippet(b"", &token()), "(empty body)");
        assert_eq!(
            snippet("é".repeat(300).as_bytes(), &token())
                .chars()
                .count(),
            SNIPPET_CHARS + 1
        );
        // A token straddling the cut is redacted before the cut.
        let edge = format!("{}abc123", "y".repeat(SNIPPET_CHARS - 3));
        let cut = snippet(edge.as_bytes(), &token());
        assert!(!cut.contains("abc"), "{cut}");
    }

    #[test]
    fn snippet_around_shows_the_place_of_the_error() {
        let body = format!("{}ERROR{}", "a".repeat(100), "b".repeat(100));
        let s = snippet_around(body.as_bytes(), 100, &token());
        assert!(
            s.starts_with('…') && s.ends_with('…') && s.contains("ERROR"),
            "{s}"
        );
        // An offset inside a multi-byte character does not panic.
        let _ = snippet_around("ééé".as_bytes(), 1, &token());
        let _ = snippet_around(b"short", 999, &token());
    }

    #[test]
    fn a_token_across_the_window_edge_never_shows_in_part() {
        let shows_part = |s: &str| ["ab", "bc", "c1", "12", "23"].iter().any(|p| s.contains(p));
        for shift in 0..8 {
            // The window is 60 bytes either side of the offset: put the token
            // across each edge, at each alignment.
            let across_start = format!("{}abc123{}", "x".repeat(37 + shift), "y".repeat(200));
            let s = snippet_around(across_start.as_bytes(), 100, &token());
            assert!(!shows_part(&s), "{shift}: {s}");
            let across_end = format!("{}abc123{}", "x".repeat(155 + shift), "y".repeat(50));
            let s = snippet_around(across_end.as_bytes(), 100, &token());
            assert!(!shows_part(&s), "{shift}: {s}");
        }
    }
}
