//! [`Snooze`] and [`TaskSnooze`]: how long to snooze a follow-up task, or
//! until when, typed (the body of `snooze_task`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Timestamp;

/// How long to snooze a task, or until when: the API's `duration`, typed.
///
/// On the wire it is a string: `12h`, `1d`, `2w`, or an ISO 8601 date-time.
/// A duration is counted by the server (the reference does not say from
/// when; the mock server counts from the later of the task's due time and
/// now), so sending it twice pushes the task twice; an instant does not.
///
/// ```
/// use voxys_connect_api::Snooze;
///
/// assert_eq!(Snooze::Days(1).to_string(), "1d");
/// assert_eq!("2w".parse::<Snooze>().unwrap(), Snooze::Weeks(2));
/// let until: Snooze = "2026-06-20T09:00:00Z".parse().unwrap();
/// assert!(!until.is_relative());
/// assert!("tomorrow".parse::<Snooze>().is_err());
/// assert!("0d".parse::<Snooze>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Snooze {
    /// This many hours (1 to 9999).
    Hours(u16),
    /// This many days (1 to 9999).
    Days(u16),
    /// This many weeks (1 to 9999).
    Weeks(u16),
    /// Until this instant.
    Until(Timestamp),
}

impl Snooze {
    /// Whether it is a duration, which the server counts itself: then
    /// sending it twice pushes the task twice.
    pub fn is_relative(&self) -> bool {
        !matches!(self, Snooze::Until(_))
    }
}

impl fmt::Display for Snooze {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Snooze::Hours(n) => write!(f, "{n}h"),
            Snooze::Days(n) => write!(f, "{n}d"),
            Snooze::Weeks(n) => write!(f, "{n}w"),
            Snooze::Until(at) => write!(f, "{at}"),
        }
    }
}

/// Why a text is not a [`Snooze`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidSnooze(String);

impl fmt::Display for InvalidSnooze {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a snooze: write a number of hours, days or weeks from 1 to 9999 (12h, 1d, 2w), or an ISO 8601 date-time (2026-06-20T09:00:00Z)",
            self.0
        )
    }
}

impl std::error::Error for InvalidSnooze {}

impl FromStr for Snooze {
    type Err = InvalidSnooze;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidSnooze(text.to_owned());
        if let Some(unit) = text.chars().last().filter(|c| matches!(c, 'h' | 'd' | 'w')) {
            let count: u16 = text[..text.len() - 1].parse().map_err(|_| invalid())?;
            if !(1..=9999).contains(&count) || text.starts_with('+') {
                return Err(invalid());
            }
            return Ok(match unit {
                'h' => Snooze::Hours(count),
                'd' => Snooze::Days(count),
                _ => Snooze::Weeks(count),
            });
        }
        text.parse::<Timestamp>()
            .map(Snooze::Until)
            .map_err(|_| invalid())
    }
}

impl Serialize for Snooze {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Snooze {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The body of `PATCH /api/v1/accounts/{account_id}/follow_up_tasks/{id}/snooze`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskSnooze {
    /// How long, or until when.
    pub duration: Snooze,
}

impl TaskSnooze {
    /// A snooze by `duration`.
    pub fn new(duration: Snooze) -> TaskSnooze {
        TaskSnooze { duration }
    }
}
