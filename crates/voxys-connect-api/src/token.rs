//! [`ApiToken`]: the API access token, kept secret.

use std::fmt;

use reqwest::header::HeaderValue;

/// A Voxys Connect API access token (from the user's profile settings).
///
/// It is a secret: `Debug` prints it masked, it has no `Display`, and the
/// header it becomes is marked sensitive, so that neither this crate nor
/// reqwest or hyper ever print it.
///
/// ```
/// use voxys_connect_api::ApiToken;
///
/// let token = ApiToken::new("s3cr3t-token\n").unwrap();
/// assert_eq!(format!("{token:?}"), "ApiToken(****)");
/// assert_eq!(token.expose(), "s3cr3t-token"); // surrounding whitespace is dropped
/// assert!(ApiToken::new("  ").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(HeaderValue);

/// Why a string cannot be an [`ApiToken`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidToken {
    /// The token is empty (or only whitespace).
    Empty,
    /// The token holds characters an HTTP header cannot carry (such as a line
    /// break inside it).
    NotAHeaderValue,
}

impl fmt::Display for InvalidToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidToken::Empty => f.write_str("the API token is empty"),
            InvalidToken::NotAHeaderValue => f.write_str(
                "the API token holds characters an HTTP header cannot carry (control characters or line breaks)",
            ),
        }
    }
}

impl std::error::Error for InvalidToken {}

impl ApiToken {
    /// Makes a token from its text. Leading and trailing whitespace (such as
    /// the newline at the end of a token file) is dropped.
    pub fn new(token: impl AsRef<str>) -> Result<ApiToken, InvalidToken> {
        let token = token.as_ref().trim();
        if token.is_empty() {
            return Err(InvalidToken::Empty);
        }
        let mut value = HeaderValue::from_str(token).map_err(|_| InvalidToken::NotAHeaderValue)?;
        value.set_sensitive(true);
        Ok(ApiToken(value))
    }

    /// The token's text. Use it only to send the token; never log it.
    pub fn expose(&self) -> &str {
        // Built from a `&str` in `new`, so always visible ASCII or UTF-8 text.
        self.0.to_str().unwrap_or_default()
    }

    /// The token as a header value, marked sensitive.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(****)")
    }
}
