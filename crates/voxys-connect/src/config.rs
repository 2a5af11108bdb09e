//! [`ClientBuilder`]: how a [`Client`] is configured, and the environment it
//! reads.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;
use voxys_connect_api::RequestDefaults;

pub use voxys_connect_api::{ApiToken, InvalidToken};

use crate::client::Client;
use crate::error::{ConfigError, Error, Problem, Result, Setting};
use crate::pipeline::Pipeline;
use crate::rate_limit::RateLimiter;
use crate::retry::RetryPolicy;

/// The environment variable holding the API access token.
pub const ENV_API_TOKEN: &str = "VOXYS_API_TOKEN";
/// The environment variable holding the base URL (default [`DEFAULT_BASE_URL`]).
pub const ENV_BASE_URL: &str = "VOXYS_BASE_URL";
/// The environment variable holding the numeric account id.
pub const ENV_ACCOUNT_ID: &str = "VOXYS_ACCOUNT_ID";
/// The environment variable naming a PEM file of certificate authorities to
/// trust besides the platform's (a self-hosted instance's private CA).
pub const ENV_CA_CERT: &str = "VOXYS_CA_CERT";
/// The base URL of the hosted service.
pub const DEFAULT_BASE_URL: &str = "https://connect.voxys.ai";
/// The default `User-Agent`: `voxys-connect/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("voxys-connect/", env!("CARGO_PKG_VERSION"));

/// The default [`ClientBuilder::max_response_bytes`]: 16 MiB. A page of 100
/// leads is tens of kilobytes, a megabyte with very large custom attributes.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Reads the account id from `VOXYS_ACCOUNT_ID`.
pub fn account_id_from_env() -> Result<i64> {
    let raw = std::env::var(ENV_ACCOUNT_ID).map_err(|_| {
        ConfigError::new(
            Setting::AccountId,
            Problem::Missing,
            format!("{ENV_ACCOUNT_ID} is not set: set it to the numeric id of your account"),
        )
    })?;
    match raw.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ConfigError::new(
            Setting::AccountId,
            Problem::Invalid,
            format!("{ENV_ACCOUNT_ID} must be a positive whole number, not {raw:?}"),
        )
        .into()),
    }
}

/// Configures a [`Client`].
///
/// ```no_run
/// # fn example() -> voxys_connect::Result<()> {
/// use std::time::Duration;
/// use voxys_connect::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .token("my-api-token")
///     .base_url("https://crm.example.com")
///     .timeout(Duration::from_secs(20))
///     .retry_policy(RetryPolicy::default().max_attempts(3))
///     .build()?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct ClientBuilder {
    token: Option<std::result::Result<ApiToken, voxys_connect_api::InvalidToken>>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    configure_http: Option<HttpSettings>,
    allow_plain_http: bool,
    max_response_bytes: usize,
    /// PEM texts of extra root certificates, or why one could not be read.
    root_certificates: Vec<std::result::Result<RootPem, ConfigErrorSource>>,
    adaptive_rate_limit: bool,
    max_requests_per_second: Option<f64>,
}

/// A caller's adjustments to the `reqwest::ClientBuilder`.
#[derive(Clone)]
struct HttpSettings(
    std::sync::Arc<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>,
);

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpSettings(..)")
    }
}

/// Why a root certificate file could not be read: where, and the I/O error
/// (kept apart from [`ConfigError`], which is not `Clone`).
#[derive(Clone, Debug)]
struct ConfigErrorSource {
    origin: String,
    error: std::sync::Arc<std::io::Error>,
}

/// PEM text of root certificates, and where it came from (for errors).
#[derive(Clone)]
struct RootPem {
    origin: String,
    pem: Vec<u8>,
}

impl std::fmt::Debug for RootPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RootPem({}, {} bytes)", self.origin, self.pem.len())
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            token: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            retry: RetryPolicy::default(),
            configure_http: None,
            allow_plain_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            root_certificates: Vec::new(),
            adaptive_rate_limit: true,
            max_requests_per_second: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with the defaults: the hosted service, 30 s timeout, 10 s
    /// connect timeout, [`RetryPolicy::default`], and no token yet.
    pub fn new() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A builder with the token from `VOXYS_API_TOKEN`, the base URL from
    /// `VOXYS_BASE_URL` and extra certificate authorities from the PEM file
    /// `VOXYS_CA_CERT`, for those that are set. A missing token, or a CA file
    /// that cannot be read, is reported by [`build`](ClientBuilder::build).
    pub fn from_env() -> ClientBuilder {
        let mut builder = ClientBuilder::new();
        if let Ok(token) = std::env::var(ENV_API_TOKEN) {
            builder = builder.token(token);
        }
        if let Ok(url) = std::env::var(ENV_BASE_URL)
            && !url.trim().is_empty()
        {
            builder = builder.base_url(url.trim());
        }
        if let Some(path) = std::env::var_os(ENV_CA_CERT).filter(|p| !p.is_empty()) {
            builder = builder.add_root_certificates_from_file(path);
        }
        builder
    }

    /// The API access token, from the user's profile settings. Surrounding
    /// white space is dropped.
    pub fn token(mut self, token: impl AsRef<str>) -> ClientBuilder {
        self.token = Some(ApiToken::new(token));
        self
    }

    /// The base URL of the instance (default `https://connect.voxys.ai`), with
    /// a path prefix if the instance is served under one.
    pub fn base_url(mut self, url: impl Into<String>) -> ClientBuilder {
        self.base_url = url.into();
        self
    }

    /// The time one attempt of a request may take, from connecting until the
    /// body is read (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout = timeout;
        self
    }

    /// The time connecting may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `voxys-connect/<version>`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> ClientBuilder {
        self.user_agent = agent.into();
        self
    }

    /// How failed requests are retried (default [`RetryPolicy::default`];
    /// [`RetryPolicy::disabled`] turns retries off).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.retry = policy;
        self
    }

    /// Trusts the certificate authorities in this PEM text (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks) besides the platform's own: for a
    /// self-hosted instance whose certificate is signed by a private CA.
    /// Certificates and host names are still verified. Checked by
    /// [`build`](ClientBuilder::build).
    ///
    /// ```no_run
    /// # fn example() -> voxys_connect::Result<()> {
    /// let ca = std::fs::read("/etc/ssl/internal-ca.pem").expect("the CA file");
    /// let client = voxys_connect::Client::builder()
    ///     .token("my-api-token")
    ///     .base_url("https://crm.internal.example")
    ///     .add_root_certificates_pem(ca)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn add_root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> ClientBuilder {
        self.root_certificates.push(Ok(RootPem {
            origin: "the PEM text given".to_owned(),
            pem: pem.into(),
        }));
        self
    }

    /// Trusts the certificate authorities in this PEM file, as
    /// [`add_root_certificates_pem`](ClientBuilder::add_root_certificates_pem)
    /// does. A file that cannot be read is reported by
    /// [`build`](ClientBuilder::build).
    pub fn add_root_certificates_from_file(
        mut self,
        path: impl AsRef<std::path::Path>,
    ) -> ClientBuilder {
        let path = path.as_ref();
        let origin = path.display().to_string();
        self.root_certificates.push(match std::fs::read(path) {
            Ok(pem) => Ok(RootPem { origin, pem }),
            Err(e) => Err(ConfigErrorSource {
                origin,
                error: std::sync::Arc::new(e),
            }),
        });
        self
    }

    /// Adjusts the `reqwest::ClientBuilder` the client's HTTP client is built
    /// from, for settings this builder does not offer (an explicit proxy,
    /// connection pool sizes, TCP keepalive, a local address...). `f` gets
    /// the builder with this builder's connect timeout and root certificates
    /// already set.
    ///
    /// The redirect rule is set after `f`, so that it always holds: redirects
    /// are followed within the same scheme, host and port only, and the token
    /// never goes to another origin (reqwest itself strips only
    /// `Authorization`-like headers on a cross-origin redirect, not
    /// `api_access_token`). The token, user agent and timeout apply to each
    /// request.
    ///
    /// ```no_run
    /// # fn example() -> voxys_connect::Result<()> {
    /// use std::time::Duration;
    ///
    /// let client = voxys_connect::Client::builder()
    ///     .token("my-api-token")
    ///     .configure_http(|http| {
    ///         http.pool_max_idle_per_host(4)
    ///             .tcp_keepalive(Duration::from_secs(30))
    ///     })
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn configure_http<F>(mut self, f: F) -> ClientBuilder
    where
        F: Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync + 'static,
    {
        self.configure_http = Some(HttpSettings(std::sync::Arc::new(f)));
        self
    }

    /// Allows sending the token over plain `http://` to a host other than this
    /// machine. Off by default: anyone on the network path could read the
    /// token. Loopback addresses (`localhost`, `127.0.0.1`, `[::1]`) are
    /// always allowed.
    pub fn allow_plain_http(mut self, allow: bool) -> ClientBuilder {
        self.allow_plain_http = allow;
        self
    }

    /// The largest response body the client reads (default 16 MiB). A larger
    /// one fails the request with [`Error::BodyTooLarge`] instead of filling
    /// memory: a misconfigured base URL or a broken proxy cannot make the
    /// client hold more than this.
    pub fn max_response_bytes(mut self, limit: usize) -> ClientBuilder {
        self.max_response_bytes = limit;
        self
    }

    /// Whether the client slows down on its own when the server rate-limits
    /// it (default on). After a run of `429`s (a lone one between answers
    /// that got through is only retried, until the client has met the
    /// limit), every request of the client (every
    /// clone, every stream, every bulk batch) waits its turn at a rate that
    /// finds the server's limit and holds there, and grows again when 429s
    /// stop (a CUBIC curve, as the AWS SDKs' adaptive retry mode). The
    /// requests refused in such a run go again when the limiter lets them,
    /// without the policy's backoff and without using up their attempts
    /// (the policy's time budget still bounds them), so that waiting out a
    /// window of a minute does not fail them. A client that never meets a
    /// 429 never waits. Off, each request only retries its own 429s, as its
    /// [`RetryPolicy`] says.
    pub fn adaptive_rate_limit(mut self, adaptive: bool) -> ClientBuilder {
        self.adaptive_rate_limit = adaptive;
        self
    }

    /// Never sends more than `rate` requests a second, for those who know
    /// their limit. Works with or without
    /// [`adaptive_rate_limit`](ClientBuilder::adaptive_rate_limit): with it
    /// (the default), the client still slows down under `rate` when 429s
    /// keep coming. A rate that is not a positive number is refused by
    /// [`build`](ClientBuilder::build).
    ///
    /// Workers that share one limit (one token, or one IP address where
    /// the limit counts per address) find their shares on their own, but a
    /// short job spends much of its time doing so; when the limit is a rate
    /// (a token bucket, a gateway's limit per second), capping each at its
    /// share spares them most of the 429s (the crate's README has the
    /// figures). Against a long window (a deployment's is often 3000 a
    /// minute) a cap spreads over the window what it would let through at
    /// once: a job that fits in a window or two is faster without one.
    ///
    /// ```no_run
    /// # fn example() -> voxys_connect::Result<()> {
    /// let client = voxys_connect::Client::builder()
    ///     .token("my-api-token")
    ///     .max_requests_per_second(25.0) // one of two workers sharing 50 a second
    ///     .build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_requests_per_second(mut self, rate: f64) -> ClientBuilder {
        self.max_requests_per_second = Some(rate);
        self
    }

    /// Checks the configuration and makes the client. Sends nothing.
    ///
    /// The checks come in this order, and the first that fails is reported:
    /// the token, the base URL, the rate limit, the user agent, TLS for an
    /// `https://` base URL, the root certificates, the HTTP client.
    pub fn build(self) -> Result<Client> {
        let ClientBuilder {
            token,
            base_url,
            timeout,
            connect_timeout,
            user_agent,
            retry,
            configure_http,
            allow_plain_http,
            max_response_bytes,
            root_certificates,
            adaptive_rate_limit,
            max_requests_per_second,
        } = self;
        let token = checked_token(token)?;
        let base_url = checked_base_url(&base_url, allow_plain_http)?;
        check_rate_limit(max_requests_per_second)?;
        let user_agent = user_agent_header(&user_agent)?;
        check_tls_compiled_in(&base_url)?;
        let roots = root_certificates_of(root_certificates)?;
        let http = http_client(connect_timeout, roots, configure_http.as_ref())?;
        let defaults = request_defaults(&token, user_agent, timeout, max_response_bytes);
        let pipeline = pipeline(
            retry,
            adaptive_rate_limit,
            max_requests_per_second,
            max_response_bytes,
        );
        Ok(Client::new(base_url, http, defaults, token, pipeline))
    }
}

/// The token: set, and valid.
fn checked_token(token: Option<std::result::Result<ApiToken, InvalidToken>>) -> Result<ApiToken> {
    match token {
        Some(Ok(token)) => Ok(token),
        Some(Err(why)) => Err(ConfigError::new(
            Setting::Token,
            Problem::Invalid,
            format!("{why}; check {ENV_API_TOKEN}"),
        )
        .because(why)
        .into()),
        None => Err(ConfigError::new(
            Setting::Token,
            Problem::Missing,
            format!(
                "no API token: set {ENV_API_TOKEN}, or call ClientBuilder::token (a user access token from the profile settings)"
            ),
        )
        .into()),
    }
}

/// The rate cap, if there is one: a positive number of requests a second.
fn check_rate_limit(max_requests_per_second: Option<f64>) -> Result<()> {
    match max_requests_per_second {
        Some(rate) if !(rate.is_finite() && rate > 0.0) => Err(ConfigError::new(
            Setting::RateLimit,
            Problem::Invalid,
            format!(
                "max_requests_per_second must be a positive number of requests a second, not {rate}"
            ),
        )
        .into()),
        _ => Ok(()),
    }
}

/// The user agent, as a header value.
fn user_agent_header(user_agent: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(user_agent).map_err(|_| {
        ConfigError::new(
            Setting::UserAgent,
            Problem::Invalid,
            format!("the user agent {user_agent:?} is not a valid header value"),
        )
        .into()
    })
}

/// TLS, when the base URL is `https://`: this build must have a backend.
fn check_tls_compiled_in(base_url: &str) -> Result<()> {
    if base_url.starts_with("https:") && !TLS_COMPILED_IN {
        return Err(ConfigError::new(
            Setting::BaseUrl,
            Problem::Unsupported,
            "the base URL is https://, but this build of voxys-connect has no TLS: enable its `rustls` (default) or `native-tls` feature",
        )
        .into());
    }
    Ok(())
}

/// The extra root certificates: every file read, every PEM text parsed, in
/// the order they were added; the first that fails is reported.
fn root_certificates_of(
    pems: Vec<std::result::Result<RootPem, ConfigErrorSource>>,
) -> Result<Vec<RootCertificate>> {
    let mut roots = Vec::new();
    for pem in pems {
        let pem = pem.map_err(|e| {
            ConfigError::new(
                Setting::RootCertificates,
                Problem::Invalid,
                format!(
                    "cannot read the CA certificate file {}: {}",
                    e.origin, e.error
                ),
            )
            .because(CaFileError(e.error))
        })?;
        roots.extend(parse_roots(pem)?);
    }
    Ok(roots)
}

/// The HTTP client: the connect timeout and the roots, then the caller's
/// adjustments, then (last, so that nothing before can turn it off) the
/// same-origin redirect rule.
fn http_client(
    connect_timeout: Duration,
    roots: Vec<RootCertificate>,
    configure_http: Option<&HttpSettings>,
) -> Result<reqwest::Client> {
    let mut http = with_roots(
        reqwest::Client::builder().connect_timeout(connect_timeout),
        roots,
    );
    if let Some(HttpSettings(configure)) = configure_http {
        http = configure(http);
    }
    // Last, so that nothing above can turn it off.
    http.redirect(same_origin_redirects()).build().map_err(|e| {
        ConfigError::new(
            Setting::HttpClient,
            Problem::Invalid,
            format!("cannot build the HTTP client: {e}"),
        )
        .because(e)
        .into()
    })
}

/// What every request carries: the token, the user agent, the timeout and
/// the body limit.
fn request_defaults(
    token: &ApiToken,
    user_agent: HeaderValue,
    timeout: Duration,
    max_response_bytes: usize,
) -> RequestDefaults {
    let mut defaults = RequestDefaults::with_token(token.clone());
    defaults.user_agent = Some(user_agent);
    defaults.timeout = Some(timeout);
    defaults.max_response_bytes = Some(max_response_bytes);
    defaults
}

/// The pipeline every request goes through: the retry policy, the
/// client-wide rate limiter (a `Retry-After` pauses it no longer than the
/// policy honours one), the body limit.
fn pipeline(
    retry: RetryPolicy,
    adaptive_rate_limit: bool,
    max_requests_per_second: Option<f64>,
    max_response_bytes: usize,
) -> Pipeline {
    let limiter = RateLimiter::new(
        adaptive_rate_limit,
        max_requests_per_second,
        retry.longest_retry_after(),
    );
    Pipeline {
        retry,
        limiter,
        max_response_bytes,
        stop: Default::default(),
    }
}

/// An I/O error reading a CA file, shared between clones of a builder.
#[derive(Debug)]
struct CaFileError(std::sync::Arc<std::io::Error>);

impl std::fmt::Display for CaFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for CaFileError {}

/// Whether this build can speak TLS (a `rustls` or `native-tls` feature).
const TLS_COMPILED_IN: bool = cfg!(any(feature = "rustls", feature = "native-tls"));

/// A root certificate, as the TLS backend takes it (none without one).
#[cfg(any(feature = "rustls", feature = "native-tls"))]
type RootCertificate = reqwest::Certificate;
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
type RootCertificate = std::convert::Infallible;

/// The certificates of a PEM text; at least one.
fn parse_roots(pem: RootPem) -> Result<Vec<RootCertificate>> {
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    {
        let certificates = reqwest::Certificate::from_pem_bundle(&pem.pem).map_err(|e| {
            ConfigError::new(
                Setting::RootCertificates,
                Problem::Invalid,
                format!(
                    "the CA certificates in {} are not valid PEM: {e}",
                    pem.origin
                ),
            )
            .because(e)
        })?;
        if certificates.is_empty() {
            return Err(ConfigError::new(
                Setting::RootCertificates,
                Problem::Invalid,
                format!(
                    "{} holds no certificate: expected PEM blocks starting with -----BEGIN CERTIFICATE-----",
                    pem.origin
                ),
            )
            .into());
        }
        Ok(certificates)
    }
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    Err(ConfigError::new(
        Setting::RootCertificates,
        Problem::Unsupported,
        format!(
            "CA certificates ({}) need TLS, and this build of voxys-connect has none: enable its `rustls` (default) or `native-tls` feature",
            pem.origin
        ),
    )
    .into())
}

/// The builder, trusting `roots` besides the platform's certificate store.
fn with_roots(
    builder: reqwest::ClientBuilder,
    roots: Vec<RootCertificate>,
) -> reqwest::ClientBuilder {
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    let builder = if roots.is_empty() {
        builder
    } else {
        builder.tls_certs_merge(roots)
    };
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    let _ = roots;
    builder
}

/// Follows redirects only within the same scheme, host and port, so that the
/// token (a custom header reqwest does not strip) never goes elsewhere.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Parses and checks a base URL, returning it without a trailing slash.
fn checked_base_url(raw: &str, allow_plain_http: bool) -> Result<String> {
    let invalid = |message: String| {
        Error::from(ConfigError::new(
            Setting::BaseUrl,
            Problem::Invalid,
            message,
        ))
    };
    let url = Url::parse(raw.trim()).map_err(|e| {
        invalid(format!(
            "the base URL {raw:?} is not a valid URL ({e}); expected something like {DEFAULT_BASE_URL}"
        ))
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!(
            "the base URL {raw:?} must not have a query or fragment"
        )));
    }
    let host = match url.host() {
        Some(host) => host,
        None => return Err(invalid(format!("the base URL {raw:?} has no host"))),
    };
    match url.scheme() {
        "https" => {}
        "http" => {
            if !is_loopback_host(&host) && !allow_plain_http {
                return Err(ConfigError::new(
                    Setting::BaseUrl,
                    Problem::Insecure,
                    format!(
                        "refusing to send the API token over plain http to {}: use https, or call ClientBuilder::allow_plain_http(true) if this network is trusted",
                        url.host_str().unwrap_or_default()
                    ),
                )
                .into());
            }
        }
        other => {
            return Err(invalid(format!(
                "the base URL must start with https:// (or http:// on a trusted network), not {other}://"
            )));
        }
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether `host` is this machine: `localhost`, or a loopback address.
fn is_loopback_host<S: AsRef<str>>(host: &url::Host<S>) -> bool {
    match host {
        url::Host::Domain(name) => name.as_ref().eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Whether `url`'s host is this machine.
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    url.host().is_some_and(|host| is_loopback_host(&host))
}

#[cfg(test)]
mod tests {
    use super::checked_base_url;

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            checked_base_url("https://connect.voxys.ai/", false).unwrap(),
            "https://connect.voxys.ai"
        );
        assert_eq!(
            checked_base_url("https://crm.example.com/voxys/", false).unwrap(),
            "https://crm.example.com/voxys"
        );
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "http://[::1]:9",
            "http://127.3.2.1",
        ] {
            assert!(checked_base_url(local, false).is_ok(), "{local}");
        }
        let refused = checked_base_url("http://crm.example.com", false)
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("refusing to send the API token over plain http to crm.example.com"),
            "{refused}"
        );
        assert!(checked_base_url("http://crm.example.com", true).is_ok());
        assert!(checked_base_url("http://10.0.0.5", false).is_err());
        assert!(checked_base_url("ftp://example.com", true).is_err());
        assert!(checked_base_url("connect.voxys.ai", false).is_err());
        assert!(checked_base_url("https://x.example/?a=1", false).is_err());
    }
}
