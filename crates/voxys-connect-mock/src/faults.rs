//! Fault rules: make matching requests fail the way real networks and servers
//! do, to test clients.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

/// A way for a request to go wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 429 with the API's `text/plain` body `Retry later`, and a `Retry-After`
    /// header of this many seconds when given.
    RateLimited {
        /// The `Retry-After` seconds, if the header is sent.
        retry_after: Option<u64>,
    },
    /// This 5xx status with an HTML page, as a proxy answers.
    ServerError {
        /// The status: 500, 502, 503 or 504.
        status: u16,
    },
    /// Wait this long before answering normally.
    Delay(Duration),
    /// Answer normally, but close the connection half way through the body
    /// (the `Content-Length` promises the whole body). An answer without a
    /// body (a `204`) has nothing to cut, and goes whole.
    CutBody,
    /// Close the connection without answering.
    DropConnection,
}

/// When a [`Fault`] applies: to the next `times` matching requests, to a share
/// of them, to one page or one method only; and whether it strikes before the
/// request is applied (by default: the server never sees it), or after (the
/// change is made, then the answer fails: the case where a client cannot know
/// whether its write happened).
///
/// ```
/// use voxys_connect_mock::{Fault, FaultRule};
///
/// let two_503s = FaultRule::new(Fault::ServerError { status: 503 }).times(2);
/// let some_429s = FaultRule::new(Fault::RateLimited { retry_after: None }).share(0.1);
/// let page_3_cut = FaultRule::new(Fault::CutBody).on_page(3).times(1);
/// // The binary's `--fault` flag takes the same rules as text.
/// assert_eq!("503:2".parse::<FaultRule>().unwrap(), two_503s);
/// # let _ = (some_429s, page_3_cut);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    fault: Fault,
    remaining: Option<u64>,
    share: f64,
    page: Option<u64>,
    method: Option<String>,
    after_applying: bool,
}

impl FaultRule {
    /// The fault, on every request, until limited with
    /// [`times`](FaultRule::times), [`share`](FaultRule::share) or
    /// [`on_page`](FaultRule::on_page).
    pub fn new(fault: Fault) -> FaultRule {
        FaultRule {
            fault,
            remaining: None,
            share: 1.0,
            page: None,
            method: None,
            after_applying: false,
        }
    }

    /// Only requests of this HTTP method (`GET`, `PATCH`, `POST`...).
    pub fn on_method(mut self, method: &str) -> FaultRule {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// The request is applied first (a write changes the data), then the
    /// fault strikes: a 5xx page instead of the answer, the connection
    /// dropped instead of answering, or the answer delayed. A cut body is
    /// always after applying; a 429 never is (the rate limiter answers before
    /// the application sees the request).
    pub fn after_applying(mut self) -> FaultRule {
        self.after_applying = !matches!(self.fault, Fault::RateLimited { .. });
        self
    }

    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u64) -> FaultRule {
        self.remaining = Some(n);
        self
    }

    /// Only this share (0.0 to 1.0) of matching requests, chosen at random
    /// from the server's seed.
    pub fn share(mut self, share: f64) -> FaultRule {
        self.share = share.clamp(0.0, 1.0);
        self
    }

    /// Only requests for this page (`page` query parameter; 1 when absent).
    pub fn on_page(mut self, page: u64) -> FaultRule {
        self.page = Some(page);
        self
    }

    /// The fault this rule causes.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// Whether it strikes after the request is applied.
    pub fn strikes_after_applying(&self) -> bool {
        self.after_applying || self.fault == Fault::CutBody
    }
}

/// Why a fault rule's text does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidFaultRule(String);

impl fmt::Display for InvalidFaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid fault rule {:?}: expected KIND[:TIMES], KIND one of 429, 429+retry=SECONDS, 500, 502, 503, 504, delay=MILLISECONDS, cut, drop, or applied- before 500, 502, 503, 504, delay=MILLISECONDS or drop (the request is applied, then the fault strikes)",
            self.0
        )
    }
}

impl std::error::Error for InvalidFaultRule {}

impl FromStr for FaultRule {
    type Err = InvalidFaultRule;

    /// `KIND[:TIMES]`: `429`, `429+retry=2`, `500`, `502`, `503`, `504`,
    /// `delay=250`, `cut` or `drop`, optionally for the next TIMES requests
    /// only (`503:2`); `applied-502`, `applied-drop`, `applied-delay=250`...
    /// apply the request first.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidFaultRule(text.to_owned());
        let (kind, times) = match text.split_once(':') {
            Some((kind, times)) => (kind, Some(times.parse::<u64>().map_err(|_| invalid())?)),
            None => (text, None),
        };
        let (kind, after) = match kind.strip_prefix("applied-") {
            Some(kind) if !kind.starts_with("429") && kind != "cut" => (kind, true),
            Some(_) => return Err(invalid()),
            None => (kind, false),
        };
        let fault = match kind {
            "429" => Fault::RateLimited { retry_after: None },
            "cut" => Fault::CutBody,
            "drop" => Fault::DropConnection,
            "500" | "502" | "503" | "504" => Fault::ServerError {
                status: kind.parse().map_err(|_| invalid())?,
            },
            _ => {
                if let Some(seconds) = kind.strip_prefix("429+retry=") {
                    Fault::RateLimited {
                        retry_after: Some(seconds.parse().map_err(|_| invalid())?),
                    }
                } else if let Some(ms) = kind.strip_prefix("delay=") {
                    Fault::Delay(Duration::from_millis(ms.parse().map_err(|_| invalid())?))
                } else {
                    return Err(invalid());
                }
            }
        };
        let rule = FaultRule::new(fault);
        let rule = if after { rule.after_applying() } else { rule };
        Ok(match times {
            Some(n) => rule.times(n),
            None => rule,
        })
    }
}

/// The rules a server applies, in order; the first that matches wins.
#[derive(Debug)]
pub(crate) struct Faults {
    rules: Mutex<(Vec<FaultRule>, fastrand::Rng)>,
}

impl Faults {
    pub(crate) fn new(rules: Vec<FaultRule>, seed: u64) -> Faults {
        Faults {
            rules: Mutex::new((rules, fastrand::Rng::with_seed(seed))),
        }
    }

    pub(crate) fn add(&self, rule: FaultRule) {
        self.lock().0.push(rule);
    }

    pub(crate) fn clear(&self) {
        self.lock().0.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<FaultRule>, fastrand::Rng)> {
        // A panic elsewhere cannot leave the rules half-changed: recover them.
        self.rules
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The fault for a request of `method` for `page`, if a rule picks it,
    /// and whether it strikes after applying the request.
    pub(crate) fn pick(&self, method: &str, page: u64) -> Option<(Fault, bool)> {
        let mut guard = self.lock();
        let (rules, rng) = &mut *guard;
        let mut picked = None;
        for rule in rules.iter_mut() {
            if rule.page.is_some_and(|p| p != page)
                || rule.method.as_deref().is_some_and(|m| m != method)
                || rule.remaining == Some(0)
            {
                continue;
            }
            if rule.share < 1.0 && rng.f64() >= rule.share {
                continue;
            }
            if let Some(n) = &mut rule.remaining {
                *n -= 1;
            }
            picked = Some((rule.fault.clone(), rule.strikes_after_applying()));
            break;
        }
        rules.retain(|r| r.remaining != Some(0));
        picked
    }
}

/// The HTML page a proxy answers with for `status`.
pub(crate) fn proxy_page(status: u16) -> String {
    let reason = match status {
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Temporarily Unavailable",
        504 => "Gateway Time-out",
        _ => "Error",
    };
    format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_text() {
        let cases = [
            (
                "429",
                FaultRule::new(Fault::RateLimited { retry_after: None }),
            ),
            (
                "429+retry=3:2",
                FaultRule::new(Fault::RateLimited {
                    retry_after: Some(3),
                })
                .times(2),
            ),
            ("504", FaultRule::new(Fault::ServerError { status: 504 })),
            (
                "delay=250:1",
                FaultRule::new(Fault::Delay(Duration::from_millis(250))).times(1),
            ),
            ("cut:4", FaultRule::new(Fault::CutBody).times(4)),
            ("drop", FaultRule::new(Fault::DropConnection)),
            (
                "applied-502:3",
                FaultRule::new(Fault::ServerError { status: 502 })
                    .after_applying()
                    .times(3),
            ),
            (
                "applied-delay=900",
                FaultRule::new(Fault::Delay(Duration::from_millis(900))).after_applying(),
            ),
            (
                "applied-drop",
                FaultRule::new(Fault::DropConnection).after_applying(),
            ),
        ];
        for (text, rule) in cases {
            assert_eq!(text.parse::<FaultRule>().unwrap(), rule, "{text}");
        }
        for bad in [
            "",
            "418",
            "delay=soon",
            "cut:many",
            "503:",
            "applied-429",
            "applied-cut",
        ] {
            let error = bad.parse::<FaultRule>().unwrap_err().to_string();
            assert!(error.contains("expected KIND[:TIMES]"), "{error}");
        }
    }

    #[test]
    fn rules_apply_in_order_for_their_count_and_page() {
        let faults = Faults::new(
            vec![
                FaultRule::new(Fault::CutBody).on_page(2).times(1),
                FaultRule::new(Fault::ServerError { status: 503 }).times(2),
            ],
            1,
        );
        assert_eq!(faults.pick("GET", 2), Some((Fault::CutBody, true)));
        assert_eq!(
            faults.pick("GET", 2),
            Some((Fault::ServerError { status: 503 }, false))
        );
        assert_eq!(
            faults.pick("GET", 1),
            Some((Fault::ServerError { status: 503 }, false))
        );
        assert_eq!(faults.pick("GET", 1), None);
        assert_eq!(faults.pick("GET", 2), None);
    }

    #[test]
    fn a_share_applies_to_about_that_share() {
        let faults = Faults::new(vec![FaultRule::new(Fault::DropConnection).share(0.25)], 9);
        let hits = (0..4000)
            .filter(|_| faults.pick("GET", 1).is_some())
            .count();
        assert!((800..1200).contains(&hits), "{hits}");
    }
}

#[cfg(test)]
mod method_tests {
    use super::*;

    #[test]
    fn a_rule_for_a_method_leaves_the_others() {
        let faults = Faults::new(
            vec![
                FaultRule::new(Fault::DropConnection)
                    .on_method("post")
                    .after_applying(),
            ],
            1,
        );
        assert_eq!(faults.pick("GET", 1), None);
        assert_eq!(faults.pick("POST", 1), Some((Fault::DropConnection, true)));
    }
}
