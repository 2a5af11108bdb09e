//! The journal of a `voxys leads create --from` import: a local file of
//! what was sent and what it made, so that a rerun after a crash, a kill
//! or Ctrl-C creates each line's lead exactly once.
//!
//! It is NDJSON, appended to and flushed to disk (`fsync`) at every step,
//! one event a line:
//!
//! ```text
//! {"event":"run","v":1,"at":"…","account":2,"base_url":"https://…","input":"leads.ndjson"}
//! {"event":"sent","key":"9f2c…","account":2,"line":12,"at":"2026-12-01T06:20:01.123Z","body":{"custom_name":"Acme","lead_value":"15000.5"}}
//! {"event":"created","key":"9f2c…","account":2,"line":12,"id":5012}
//! {"event":"done","key":"9f2c…","account":2,"line":12,"id":5012}
//! {"event":"failed","key":"77a1…","account":2,"line":13,"why":"…"}
//! ```
//!
//! - `sent` is written before the create is sent: from then on, the line
//!   may have made a lead. It holds the create's members as sent, which a
//!   rerun looks for (even if its `--omit` differs).
//! - `created` is written when the create answered, before the status and
//!   notes are set (only for lines that have some).
//! - `done` is written when everything the line asks for is done.
//! - `failed` is written when the create was answered with a refusal that
//!   proves it made nothing (401, 404, 422, 429, or a request the SDK
//!   refused to send): the line is sent again on a rerun.
//!
//! A line's `key` is the SHA-256 of the target (base URL and account), the
//! line's content (its members, sorted, without `created_at` and
//! `updated_at`) and its occurrence among identical lines, so that the same
//! lines in another order, or more lines, keep their keys, and identical
//! lines have keys of their own. The last event of a key says where its
//! line is.
//!
//! A journal is locked (`flock`, on Unix) while an import uses it. A crash can leave its last
//! line cut short: that line is dropped when the journal is opened again
//! (it was never flushed whole, so what it recorded had not begun).

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use voxys_connect::types::Timestamp;

use crate::{Failure, exit};

/// The version of the journal's format, in `run` events.
pub const VERSION: u32 = 1;

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// An import began (for people reading the journal).
    Run {
        /// The journal's format.
        v: u32,
        /// When.
        at: Timestamp,
        /// The account leads are made in.
        account: i64,
        /// The instance.
        base_url: String,
        /// The input (`-` for standard input).
        input: String,
    },
    /// A line's create is about to be sent.
    Sent {
        /// The line's key.
        key: String,
        /// The account.
        account: i64,
        /// The line's number in the input (for people; keys identify lines).
        line: usize,
        /// This machine's time just before sending.
        at: Timestamp,
        /// The create's members as sent (`lead_value` as a string of its
        /// exact digits): what a rerun looks for, whatever flags it has.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<serde_json::Value>,
    },
    /// A line's lead was made; its status and notes are yet to be set.
    Created {
        /// The line's key.
        key: String,
        /// The account.
        account: i64,
        /// The line's number in the input.
        line: usize,
        /// The lead made.
        id: i64,
    },
    /// Everything a line asks for is done.
    Done {
        /// The line's key.
        key: String,
        /// The account.
        account: i64,
        /// The line's number in the input.
        line: usize,
        /// The lead made.
        id: i64,
    },
    /// A line's create was refused, and made nothing.
    Failed {
        /// The line's key.
        key: String,
        /// The account.
        account: i64,
        /// The line's number in the input.
        line: usize,
        /// The refusal.
        why: String,
    },
    /// An event of a later version, read and left alone.
    #[serde(other)]
    Other,
}

/// Where a line is, by the last event of its key.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    /// Sent at this time, with this body, and not settled: it may have made
    /// a lead.
    Sent(Timestamp, Option<serde_json::Value>),
    /// Its lead was made; the status and notes are yet to be set.
    Created(i64),
    /// Done: this lead.
    Done(i64),
    /// Refused: nothing was made.
    Failed,
}

/// The key of a line: see the module docs.
pub fn key(base_url: &str, account: i64, canonical: &str, occurrence: usize) -> String {
    let mut hasher = Sha256::new();
    hasher.update(
        format!("voxys leads create v{VERSION}\n{base_url}\n{account}\n{occurrence}\n").as_bytes(),
    );
    hasher.update(canonical.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An open, locked journal, and the state it records.
pub struct Journal {
    file: File,
    path: PathBuf,
    states: HashMap<String, State>,
    /// The leads lines made, by instance (base URL) and account: never the
    /// answer for another line. Ids are an instance's own: another server
    /// (a new mock, a staging copy) hands out the same ids for other leads.
    made: HashMap<(String, i64), HashSet<i64>>,
    /// The instance, account and line number of each key's last `sent`.
    sent_where: HashMap<String, (String, i64, usize)>,
    /// The instance of the run whose events are being read: the last `run`
    /// event's base URL (events name only their account).
    instance: String,
}

impl Journal {
    /// Opens the journal at `path` (making it if need be), locks it, and
    /// reads what it records.
    pub fn open(path: &Path) -> Result<Journal, Failure> {
        let fail = |what: &str, e: std::io::Error| {
            Failure::new(
                exit::OTHER,
                format!(
                    "cannot {what} the journal {}: {e}. Pass --journal PATH for one elsewhere.",
                    path.display()
                ),
            )
        };
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| fail("open", e))?;
        match lock(&file) {
            Ok(true) => {}
            Ok(false) => {
                return Err(Failure::new(
                    exit::OTHER,
                    format!(
                        "another import is using the journal {} (it is locked): wait for it to end, or pass another --journal.",
                        path.display()
                    ),
                ));
            }
            Err(e) => return Err(fail("lock", e)),
        }
        if !existed {
            // The new file's name, on disk before anything is sent.
            sync_parent(path).map_err(|e| fail("make", e))?;
        }
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|e| fail("read", e))?;
        if !text.is_empty() && !text.ends_with('\n') {
            // Cut short by a crash while it was written: never flushed
            // whole, so what it recorded had not begun.
            let whole = text.rfind('\n').map_or(0, |i| i + 1);
            file.set_len(whole as u64).map_err(|e| fail("repair", e))?;
            file.sync_data().map_err(|e| fail("repair", e))?;
            text.truncate(whole);
        }
        let mut journal = Journal {
            file,
            path: path.to_owned(),
            states: HashMap::new(),
            made: HashMap::new(),
            sent_where: HashMap::new(),
            instance: String::new(),
        };
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let event: Event = serde_json::from_str(line).map_err(|e| {
                Failure::new(
                    exit::OTHER,
                    format!(
                        "the journal {} is damaged at line {} ({e}): it is not a voxys import journal, or it was edited. Fix that line, or pass another --journal (a new journal knows nothing of what was sent, and sends every line again).",
                        path.display(),
                        index + 1
                    ),
                )
            })?;
            journal.apply(&event);
        }
        Ok(journal)
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the line with this key is, if it was ever sent.
    pub fn state(&self, key: &str) -> Option<&State> {
        self.states.get(key)
    }

    /// Whether a line made the lead `id` in `account` of the instance at
    /// `base_url`.
    pub fn made(&self, base_url: &str, account: i64, id: i64) -> bool {
        self.made
            .get(&(base_url.to_owned(), account))
            .is_some_and(|ids| ids.contains(&id))
    }

    /// The line numbers (in the input of the run that sent them) of the
    /// lines of `account` of the instance at `base_url` sent and never
    /// settled whose keys `known` does not hold: lines of an earlier input
    /// that are not in this one.
    pub fn unsettled_elsewhere(
        &self,
        base_url: &str,
        account: i64,
        known: &HashSet<&str>,
    ) -> Vec<usize> {
        let mut lines: Vec<usize> = self
            .states
            .iter()
            .filter(|(key, state)| {
                matches!(state, State::Sent(..)) && !known.contains(key.as_str())
            })
            .filter_map(|(key, _)| self.sent_where.get(key))
            .filter(|(url, of, _)| url == base_url && *of == account)
            .map(|(_, _, line)| *line)
            .collect();
        lines.sort_unstable();
        lines
    }

    /// Appends `event` and flushes it to disk before returning.
    pub fn record(&mut self, event: Event) -> Result<(), Failure> {
        let mut line = serde_json::to_string(&event).map_err(|e| {
            Failure::new(exit::OTHER, format!("cannot encode a journal line: {e}."))
        })?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| {
                Failure::new(
                    exit::OTHER,
                    format!(
                        "cannot write the journal {}: {e}. Stopped: without it a rerun could make leads twice. Free the disk or fix the permissions, then run the same command again.",
                        self.path.display()
                    ),
                )
            })?;
        self.apply(&event);
        Ok(())
    }

    fn apply(&mut self, event: &Event) {
        match event {
            Event::Sent {
                key,
                account,
                line,
                at,
                body,
            } => {
                self.states
                    .insert(key.clone(), State::Sent(*at, body.clone()));
                self.sent_where
                    .insert(key.clone(), (self.instance.clone(), *account, *line));
            }
            Event::Created {
                key, account, id, ..
            } => {
                self.states.insert(key.clone(), State::Created(*id));
                self.made
                    .entry((self.instance.clone(), *account))
                    .or_default()
                    .insert(*id);
            }
            Event::Done {
                key, account, id, ..
            } => {
                self.states.insert(key.clone(), State::Done(*id));
                self.made
                    .entry((self.instance.clone(), *account))
                    .or_default()
                    .insert(*id);
            }
            Event::Failed { key, .. } => {
                self.states.insert(key.clone(), State::Failed);
            }
            Event::Run { base_url, .. } => self.instance.clone_from(base_url),
            Event::Other => {}
        }
    }
}

/// Locks `file` for this process alone, as long as it is open (`flock`:
/// the lock goes with the process, however it ends); false when another
/// holds it.
#[cfg(unix)]
fn lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// No lock where `flock` is not available: two imports must not share a
/// journal.
#[cfg(not(unix))]
fn lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

/// Flushes the directory holding `path`, so that a new file's name is on
/// disk.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_rerun_reads_where_each_line_is_and_drops_a_line_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal");
        {
            let mut journal = Journal::open(&path).unwrap();
            journal
                .record(Event::Run {
                    v: VERSION,
                    at: at("2026-01-01T00:00:00Z"),
                    account: 2,
                    base_url: "https://crm.example.com".into(),
                    input: "-".into(),
                })
                .unwrap();
            for (key, line) in [("a", 1), ("b", 2), ("c", 3)] {
                journal
                    .record(Event::Sent {
                        key: key.into(),
                        account: 2,
                        line,
                        at: at("2026-01-01T00:00:00Z"),
                        body: None,
                    })
                    .unwrap();
            }
            journal
                .record(Event::Done {
                    key: "a".into(),
                    account: 2,
                    line: 1,
                    id: 50,
                })
                .unwrap();
            journal
                .record(Event::Failed {
                    key: "c".into(),
                    account: 2,
                    line: 3,
                    why: "422".into(),
                })
                .unwrap();
        }
        // A crash in the middle of writing a line.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"event\":\"done\",\"key\":\"b\",\"acc")
            .unwrap();
        drop(file);

        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.state("a"), Some(&State::Done(50)));
        assert_eq!(
            journal.state("b"),
            Some(&State::Sent(at("2026-01-01T00:00:00Z"), None))
        );
        assert_eq!(journal.state("c"), Some(&State::Failed));
        assert_eq!(journal.state("d"), None);
        let here = "https://crm.example.com";
        assert!(journal.made(here, 2, 50) && !journal.made(here, 1, 50));
        // Another instance's lead 50 is another lead.
        assert!(!journal.made("http://127.0.0.1:8787", 2, 50));
        assert_eq!(
            journal.unsettled_elsewhere(here, 2, &HashSet::new()),
            vec![2]
        );
        assert!(
            journal
                .unsettled_elsewhere("http://127.0.0.1:8787", 2, &HashSet::new())
                .is_empty()
        );
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("}\n"));
    }

    #[test]
    fn a_locked_journal_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal");
        let _first = Journal::open(&path).unwrap();
        let error = Journal::open(&path).err().unwrap();
        assert!(error.message.contains("locked"), "{}", error.message);
    }

    #[test]
    fn keys_tell_targets_contents_and_occurrences_apart() {
        let k = key("https://a", 2, "{}", 1);
        assert_eq!(k.len(), 64);
        assert_eq!(k, key("https://a", 2, "{}", 1));
        assert_ne!(k, key("https://a", 2, "{}", 2));
        assert_ne!(k, key("https://a", 3, "{}", 1));
        assert_ne!(k, key("https://b", 2, "{}", 1));
        assert_ne!(k, key("https://a", 2, "{\"x\":1}", 1));
    }
}
