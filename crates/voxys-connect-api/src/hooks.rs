//! [`RequestDefaults`]: what every request of a [`Client`] carries.

use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{HeaderValue, USER_AGENT};

use crate::{API_KEY_HEADER, ApiToken, Client};

/// Settings applied to every request a [`Client`] sends.
///
/// progenitor ignores the document's security scheme, so the client's hooks
/// apply it: the token goes into the `api_access_token` header of each request
/// (marked sensitive). Because they are applied per request, these settings
/// work with any `reqwest::Client`, including one the caller built.
#[derive(Clone, Debug, Default)]
pub struct RequestDefaults {
    /// The API access token; requests go without one when `None`.
    pub token: Option<ApiToken>,
    /// The `User-Agent` header; reqwest's (none) when `None`.
    pub user_agent: Option<HeaderValue>,
    /// The time a whole request may take, from connecting until the body is
    /// read; the `reqwest::Client`'s own setting when `None`.
    pub timeout: Option<Duration>,
}

impl RequestDefaults {
    /// Defaults that send `token` with every request.
    pub fn with_token(token: ApiToken) -> RequestDefaults {
        RequestDefaults {
            token: Some(token),
            ..RequestDefaults::default()
        }
    }
}

impl ClientHooks<RequestDefaults> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let defaults = self.inner();
        let headers = request.headers_mut();
        if let Some(token) = &defaults.token {
            headers.insert(API_KEY_HEADER, token.header_value().clone());
        }
        if let Some(agent) = &defaults.user_agent {
            headers.insert(USER_AGENT, agent.clone());
        }
        if let Some(timeout) = defaults.timeout {
            *request.timeout_mut() = Some(timeout);
        }
        Ok(())
    }
}
