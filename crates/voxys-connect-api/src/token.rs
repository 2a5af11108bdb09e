//! [`ApiToken`]: the API access token, kept secret.

use std::fmt;

use reqwest::header::HeaderValue;

/// A Voxys Connect API access token (from the user's profile settings).
///
/// It is a secret: `Debug` prints it masked, it has no `Display`, and the
/// header it becomes is marked sensitive, so that neither this crate nor
/// reqwest or hyper ever print it.
///
/// Tokens are visible ASCII (`!` to `~`). Surrounding white space, such as
/// the newline at the end of a token file, is dropped; anything else outside
/// visible ASCII (a space inside, a zero-width space or a non-breaking space
/// pasted along with the token) is refused with its position, so that a
/// token that cannot be what the server issued never leaves the machine:
///
/// ```
/// use voxys_connect_api::{ApiToken, InvalidToken};
///
/// let token = ApiToken::new("s3cr3t-token\n").unwrap();
/// assert_eq!(format!("{token:?}"), "ApiToken(****)");
/// assert_eq!(token.expose(), "s3cr3t-token");
/// assert_eq!(ApiToken::new("  "), Err(InvalidToken::Empty));
/// let pasted = ApiToken::new("s3cr3t\u{200B}-token").unwrap_err();
/// assert_eq!(pasted.to_string(), "the API token holds U+200B at character 7; tokens are visible ASCII only (was something pasted along with it?)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(HeaderValue);

/// Why a string cannot be an [`ApiToken`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidToken {
    /// The token is empty (or only white space).
    Empty,
    /// The token holds a character outside visible ASCII (`!` to `~`): a
    /// space, a control character, or any non-ASCII character such as a
    /// zero-width space.
    NotVisibleAscii {
        /// The character (never part of a valid token, so not a secret).
        character: char,
        /// Its position in the trimmed token, from 1.
        position: usize,
    },
}

impl fmt::Display for InvalidToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidToken::Empty => f.write_str("the API token is empty"),
            InvalidToken::NotVisibleAscii {
                character,
                position,
            } => write!(
                f,
                "the API token holds U+{:04X} at character {position}; tokens are visible ASCII only (was something pasted along with it?)",
                u32::from(*character)
            ),
        }
    }
}

impl std::error::Error for InvalidToken {}

impl ApiToken {
    /// Makes a token from its text. Leading and trailing white space (such as
    /// the newline at the end of a token file) is dropped; any other
    /// character outside visible ASCII is refused.
    pub fn new(token: impl AsRef<str>) -> Result<ApiToken, InvalidToken> {
        let token = token.as_ref().trim();
        if token.is_empty() {
            return Err(InvalidToken::Empty);
        }
        if let Some((index, character)) = token
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_graphic())
        {
            return Err(InvalidToken::NotVisibleAscii {
                character,
                position: index + 1,
            });
        }
        // Visible ASCII is always a valid header value.
        let mut value = HeaderValue::from_str(token).map_err(|_| InvalidToken::Empty)?;
        value.set_sensitive(true);
        Ok(ApiToken(value))
    }

    /// The token's text. Use it only to send the token; never log it. Never
    /// empty.
    pub fn expose(&self) -> &str {
        // Built from visible ASCII in `new`, so `to_str` cannot fail.
        self.0.to_str().unwrap_or_default()
    }

    /// The token as a header value, marked sensitive.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }

    /// `text` with every occurrence of the token replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        // The token is never empty, so this never inserts the marker between
        // every character.
        text.replace(self.expose(), "[redacted]")
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_ascii_is_a_token() {
        assert_eq!(
            ApiToken::new(" abc-DEF_123~!\r\n").unwrap().expose(),
            "abc-DEF_123~!"
        );
        for (text, character, position) in [
            ("ab cd", ' ', 3),
            ("ab\tcd", '\t', 3),
            ("abc\u{200B}", '\u{200B}', 4),
            ("\u{FEFF}abc", '\u{FEFF}', 1),
            ("a\u{00A0}b", '\u{00A0}', 2),
            ("tökén", 'ö', 2),
            ("ab\ncd", '\n', 3),
        ] {
            assert_eq!(
                ApiToken::new(text),
                Err(InvalidToken::NotVisibleAscii {
                    character,
                    position
                }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn redaction_replaces_the_token_and_nothing_else() {
        let token = ApiToken::new("tok-123").unwrap();
        assert_eq!(
            token.redact("a tok-123 b tok-123"),
            "a [redacted] b [redacted]"
        );
        assert_eq!(token.redact("nothing here"), "nothing here");
    }
}
