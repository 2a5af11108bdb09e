//! Telling TLS failures from other network errors.

use std::error::Error as StdError;

/// What went wrong, in words, when `error` is a TLS failure (an untrusted or
/// wrong certificate, a failed handshake); `None` for other errors.
pub(crate) fn failure(error: &reqwest::Error) -> Option<String> {
    if !error.is_connect() {
        return None;
    }
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    let mut texts = Vec::new();
    while let Some(current) = next {
        #[cfg(feature = "rustls")]
        if let Some(reason) = rustls_reason(current) {
            return Some(reason);
        }
        texts.push(current.to_string());
        // `io::Error::source` skips the error it wraps: look inside it too.
        next = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
            None => current.source(),
        };
    }
    // Other backends (native-tls) say so in their messages.
    let text = texts.join(": ");
    let lower = text.to_ascii_lowercase();
    ["certificate", "handshake", "ssl routines", "tls"]
        .iter()
        .any(|word| lower.contains(word))
        .then(|| texts.last().cloned().unwrap_or(text))
}

#[cfg(feature = "rustls")]
fn rustls_reason(error: &(dyn StdError + 'static)) -> Option<String> {
    use rustls::{CertificateError, Error};
    let error = error.downcast_ref::<Error>()?;
    Some(match error {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the server's certificate is signed by a certificate authority this machine does not trust".to_owned()
        }
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "the server's certificate is not valid for the host name of the base URL".to_owned(),
        Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the server's certificate has expired".to_owned(),
        Error::InvalidCertificate(other) => format!("the server's certificate is not valid ({other:?})"),
        other => format!("the TLS handshake failed: {other}"),
    })
}
