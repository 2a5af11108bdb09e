//! Lead ids for bulk commands: from the command line, a file or standard
//! input; in any form `voxys leads list` writes: one id a line, NDJSON
//! records with an `id` member (`--format ndjson`), a JSON array of records
//! (`--format json`, pretty-printed or not; also JSON records one after the
//! other, as `jq '.[]'` prints them), or CSV with a header row that has an
//! `id` column (`--format csv`, with or without `--csv-bom`). A card's
//! record (`voxys pipelines cards list`, `leads convert`) gives its lead's
//! id; records that are not leads (tasks, companies...) are refused.

use std::io::{IsTerminal, Read as _};
use std::path::Path;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::{Failure, exit};

/// At most this many invalid lines are listed in the error.
const LISTED: usize = 10;

/// The ids to act on: those given as arguments, else those of `--ids-from`
/// (`-` for standard input), else standard input when it is not a terminal.
pub fn read_ids(given: &[i64], from: Option<&Path>) -> Result<Vec<i64>, Failure> {
    let text = match (given.is_empty(), from) {
        (false, Some(_)) => {
            return Err(Failure::new(
                exit::USAGE,
                "give the ids as arguments or with --ids-from, not both.",
            ));
        }
        (false, None) => return check_given(given),
        (true, Some(path)) if path == Path::new("-") => read_stdin()?,
        (true, Some(path)) => std::fs::read_to_string(path).map_err(|e| {
            Failure::new(
                exit::USAGE,
                format!("cannot read the ids from {}: {e}.", path.display()),
            )
        })?,
        (true, None) if !std::io::stdin().is_terminal() => read_stdin()?,
        (true, None) => {
            return Err(Failure::new(
                exit::USAGE,
                "no ids: give them as arguments, with --ids-from FILE, or on standard input (one per line, NDJSON or a JSON array of records with an `id`, or CSV with an `id` column).",
            ));
        }
    };
    parse_ids(&text)
}

fn check_given(given: &[i64]) -> Result<Vec<i64>, Failure> {
    match given.iter().find(|id| **id < 1) {
        Some(bad) => Err(Failure::new(
            exit::USAGE,
            format!("{bad} is not a lead id (ids are whole numbers from 1 up); nothing was sent."),
        )),
        None => Ok(given.to_vec()),
    }
}

fn read_stdin() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .read_to_string(&mut text)
        .map_err(|e| {
            Failure::new(
                exit::USAGE,
                format!("cannot read the ids from standard input: {e}."),
            )
        })?;
    Ok(text)
}

/// The ids of `text`, whose form is told by its start (a UTF-8 byte order
/// mark skipped):
///
/// - `[`: a JSON array (as `--format json` writes it) of records with an
///   `id`, or of ids;
/// - a first line (blank lines and `#` comments skipped) that is neither a
///   number nor a JSON object, and that names an `id` column: CSV with that
///   header (as `--format csv` writes it);
/// - else one a line (blank lines and `#` comments skipped), a number or a
///   JSON object with an `id` (NDJSON); JSON records spread over several
///   lines each (`jq '.[]'`) are read as such when the text is nothing else.
///
/// A card gives its lead's id (`lead.id`, CSV `lead_id`), not its own; a
/// record that is plainly not a lead ([`NOT_LEADS`]) is an error.
///
/// Every invalid record is an error, named by its line, and then no id is
/// returned, so that nothing is sent. Empty input (or `[]`, or a CSV header
/// alone) gives no ids.
pub fn parse_ids(text: &str) -> Result<Vec<i64>, Failure> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (ids, invalid) = if text.trim_start().starts_with('[') {
        json_array(text)?
    } else if let Some(header) = csv_header(text) {
        csv_ids(text, header)
    } else {
        let (ids, invalid) = lines(text);
        match json_records(text) {
            Some(read) if !invalid.is_empty() => read,
            _ => (ids, invalid),
        }
    };
    if !invalid.is_empty() {
        let shown: Vec<&str> = invalid.iter().take(LISTED).map(String::as_str).collect();
        let more = match invalid.len().saturating_sub(LISTED) {
            0 => String::new(),
            n => format!("; and {n} more"),
        };
        return Err(Failure::new(
            exit::USAGE,
            format!(
                "{} invalid line(s), so nothing was sent: {}{more}.",
                invalid.len(),
                shown.join("; ")
            ),
        ));
    }
    // No ids (an empty file, a pipe that matched nothing) is nothing to do,
    // not a mistake: the caller says so.
    Ok(ids)
}

/// Ids read, and what was wrong (`line N: why`).
type Read = (Vec<i64>, Vec<String>);

/// One id a line, or one NDJSON record a line.
fn lines(text: &str) -> Read {
    let mut ids = Vec::new();
    let mut invalid = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let number = number + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match id_of(line) {
            Ok(id) => ids.push(id),
            Err(why) => invalid.push(format!("line {number}: {why}")),
        }
    }
    (ids, invalid)
}

/// The line (from 1) at which `part`, a slice of `text`, starts.
fn line_of(text: &str, part: &str) -> usize {
    let offset = (part.as_ptr() as usize)
        .saturating_sub(text.as_ptr() as usize)
        .min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The id of one JSON value of an array or a stream: a record with an `id`,
/// or an id.
fn id_of_value(raw: &RawValue) -> Result<i64, String> {
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::Object(record)) => {
            if let Some(id) = card_lead(&record) {
                return id;
            }
            not_a_lead(|key| record.contains_key(key))?;
            match (record.get("id"), id_member(record.get("id"))) {
                (_, Some(id)) => Ok(id),
                (Some(id), None) => {
                    Err(format!("`id` {} is not a lead id", shown(&id.to_string())))
                }
                (None, None) => Err("a record without an `id`".to_owned()),
            }
        }
        Ok(value @ (Value::Number(_) | Value::String(_))) => match id_member(Some(&value)) {
            Some(id) => Ok(id),
            None => Err(format!("{} is not a lead id", shown(raw.get()))),
        },
        Ok(_) => Err(format!(
            "{} is neither a record with an `id` nor an id",
            shown(raw.get())
        )),
        Err(e) => Err(format!("not JSON ({e})")),
    }
}

/// Records the tool writes that are not leads, told by a member (or CSV
/// column) only they have: their `id` is not a lead's, so they are refused.
const NOT_LEADS: [(&str, &str); 7] = [
    ("taskable_type", "task"),
    ("contacts_count", "company"),
    ("stages_count", "funnel"),
    ("chatwoot_status", "stage"),
    ("event_type", "history event"),
    ("content", "note"),
    ("phone_number", "contact"),
];

/// Why a record (or CSV header) with these members is not a lead, if it
/// is one of [`NOT_LEADS`].
fn not_a_lead(has: impl Fn(&str) -> bool) -> Result<(), String> {
    match NOT_LEADS.iter().find(|(key, _)| has(key)) {
        Some((key, what)) => Err(format!(
            "a {what} (it has `{key}`), not a lead: its `id` is the {what}'s"
        )),
        None => Ok(()),
    }
}

/// A card (what `voxys pipelines cards list` and `leads convert` print: a
/// `funnel_id` and its `lead`): its lead's id, since the card's own `id`
/// is not a lead's. `None` for a record that is not a card.
fn card_lead(record: &serde_json::Map<String, Value>) -> Option<Result<i64, String>> {
    let lead = record.get("lead").filter(|l| l.is_object())?;
    if !record.contains_key("funnel_id") {
        return None;
    }
    Some(id_member(lead.get("id")).ok_or_else(|| "a card whose `lead` has no lead id".to_owned()))
}

/// An `id` member's lead id: a number or a string holding one, from 1.
fn id_member(member: Option<&Value>) -> Option<i64> {
    let id = match member? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    id.filter(|id| *id >= 1)
}

/// A JSON array of records (or ids), each named by the line it starts on.
/// Text that is not one JSON array is one error, with where it went wrong.
fn json_array(text: &str) -> Result<Read, Failure> {
    let values: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
        Failure::new(
            exit::USAGE,
            format!(
                "the ids start with `[` but are not a JSON array of records ({e}), so nothing was sent."
            ),
        )
    })?;
    Ok(read_values(text, values))
}

/// JSON values one after the other, spread over lines as they may be
/// (`jq '.[]'`), if `text` is nothing else.
fn json_records(text: &str) -> Option<Read> {
    let values = serde_json::Deserializer::from_str(text)
        .into_iter::<&RawValue>()
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some(read_values(text, values))
}

/// The ids of JSON values that are slices of `text`.
fn read_values(text: &str, values: Vec<&RawValue>) -> Read {
    let mut ids = Vec::new();
    let mut invalid = Vec::new();
    for raw in values {
        match id_of_value(raw) {
            Ok(id) => ids.push(id),
            Err(why) => invalid.push(format!("line {}: {why}", line_of(text, raw.get()))),
        }
    }
    (ids, invalid)
}

/// The first line that is not blank nor a `#` comment, if it is a CSV
/// header with an `id` column: its line and the column of lead ids.
fn csv_header(text: &str) -> Option<CsvHeader> {
    let (index, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
    let line = line.trim();
    if line.starts_with('{') || line.parse::<i64>().is_ok() {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    let header = reader.records().next()?.ok()?;
    let names: Vec<String> = header
        .iter()
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let position = |wanted: &str| names.iter().position(|name| name == wanted);
    let id = position("id")?;
    // A card's CSV: its lead's id is in `lead_id`.
    let column = match (position("funnel_id"), position("lead_id")) {
        (Some(_), Some(lead)) => Ok((lead, "lead_id")),
        _ => not_a_lead(|key| position(key).is_some()).map(|()| (id, "id")),
    };
    Some(CsvHeader {
        line: index + 1,
        column,
    })
}

/// A CSV header with an `id` column.
struct CsvHeader {
    /// Its line, from 1.
    line: usize,
    /// The column that holds lead ids and its name, or why none does (not
    /// leads).
    column: Result<(usize, &'static str), String>,
}

/// The ids of the lead id column of CSV (`id`, or a card's `lead_id`) whose
/// header is `header`, each named by the line its record starts on.
fn csv_ids(text: &str, header: CsvHeader) -> Read {
    let header_line = header.line;
    let (column, name) = match header.column {
        Ok(column) => column,
        Err(why) => return (Vec::new(), vec![format!("line {header_line}: {why}")]),
    };
    // From the header on (lines before it are blank or comments).
    let start = text
        .split_inclusive('\n')
        .take(header_line - 1)
        .map(str::len)
        .sum::<usize>();
    let body = text.get(start..).unwrap_or_default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut ids = Vec::new();
    let mut invalid = Vec::new();
    let line = |position: Option<&csv::Position>| {
        position.map_or(0, |p| p.line() as usize) + header_line - 1
    };
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                invalid.push(format!("line {}: not CSV ({e})", line(e.position())));
                // An I/O error (not UTF-8) would repeat: stop at the first.
                break;
            }
        };
        let number = line(record.position());
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        match record.get(column).map(str::trim) {
            Some(cell) => match cell.parse::<i64>() {
                Ok(id) if id >= 1 => ids.push(id),
                _ => invalid.push(format!(
                    "line {number}: {:?} in the `{name}` column is not a lead id",
                    shown(cell)
                )),
            },
            None => invalid.push(format!("line {number}: no `{name}` cell")),
        }
    }
    (ids, invalid)
}

/// `text` cut to 40 characters, for messages.
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// The id of one line.
fn id_of(line: &str) -> Result<i64, String> {
    if line.starts_with('{') {
        let record: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e})"))?;
        if let Some(record) = record.as_object() {
            if let Some(id) = card_lead(record) {
                return id;
            }
            not_a_lead(|key| record.contains_key(key))?;
        }
        return match id_member(record.get("id")) {
            Some(id) => Ok(id),
            None => Err("an NDJSON record without a lead id in `id`".to_owned()),
        };
    }
    match line.parse::<i64>() {
        Ok(id) if id >= 1 => Ok(id),
        _ => Err(format!("{:?} is not a lead id", shown(line))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_ndjson_records_give_ids() {
        let text =
            "12\n\n# a comment\n  13  \n{\"id\": 14, \"status\": \"lost\"}\n{\"id\": \"15\"}\n";
        assert_eq!(parse_ids(text).unwrap(), [12, 13, 14, 15]);
    }

    #[test]
    fn empty_input_gives_no_ids() {
        assert_eq!(parse_ids("").unwrap(), Vec::<i64>::new());
        assert_eq!(
            parse_ids("\n# only a comment\n\n").unwrap(),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn every_invalid_line_is_named_and_nothing_is_returned() {
        let error = parse_ids("1\nabc\n0\n{\"name\": \"x\"}\n{oops\n5\n").unwrap_err();
        assert_eq!(error.code, exit::USAGE);
        for expected in [
            "4 invalid line(s), so nothing was sent",
            "line 2: \"abc\" is not a lead id",
            "line 3: \"0\" is not a lead id",
            "line 4: an NDJSON record without a lead id in `id`",
            "line 5: not JSON",
        ] {
            assert!(
                error.message.contains(expected),
                "{expected}: {}",
                error.message
            );
        }
    }

    #[test]
    fn the_tools_own_json_and_csv_give_ids() {
        let json = "\u{feff}[\n{\"id\": 3, \"lead\": {\"id\": 9}},\n{\"id\": \"4\"},\n5\n]\n";
        assert_eq!(parse_ids(json).unwrap(), [3, 4, 5]);
        assert_eq!(parse_ids("  []").unwrap(), Vec::<i64>::new());
        let csv = "\u{feff}id,custom_name\n6,\"a, b\"\n7,\"two\nlines\"\n\n";
        assert_eq!(parse_ids(csv).unwrap(), [6, 7]);
        assert_eq!(parse_ids("\n# ids\nname,ID\nx,8\n").unwrap(), [8]);
        assert_eq!(parse_ids("id\n").unwrap(), Vec::<i64>::new());
        assert_eq!(parse_ids("{\n \"id\": 1\n}\n{\"id\": 2}").unwrap(), [1, 2]);
    }

    #[test]
    fn no_input_makes_it_panic() {
        for text in [
            "[",
            "]",
            "[{",
            "\u{feff}",
            "\u{feff}[",
            "id,\"",
            "id\n\"",
            "{",
            "{\n}",
            "[[]]",
            "[null]",
            "[{\"id\": 1e99}]",
            "[-1]",
            "id,id\n1,2",
            "a,b\n1,2",
        ] {
            let _ = parse_ids(text);
        }
        let error = parse_ids("[null, true]").unwrap_err();
        assert!(
            error.message.contains("line 1: null is neither"),
            "{}",
            error.message
        );
    }

    #[test]
    fn cards_give_their_leads_and_other_records_are_refused() {
        let card = r#"{"id": 90, "funnel_id": 1, "lead": {"id": 12, "status": "open"}}"#;
        assert_eq!(parse_ids(card).unwrap(), [12]);
        assert_eq!(parse_ids(&format!("[{card}]")).unwrap(), [12]);
        let csv =
            "id,funnel_id,funnel_stage_id,lead_id,lead_status\n90,1,2,12,open\n91,1,2,x,open\n";
        let error = parse_ids(csv).unwrap_err();
        assert!(
            error
                .message
                .contains("line 3: \"x\" in the `lead_id` column"),
            "{}",
            error.message
        );
        let task = r#"{"id": 7, "taskable_type": "Lead", "taskable_id": 12}"#;
        let error = parse_ids(task).unwrap_err();
        assert!(
            error
                .message
                .contains("line 1: a task (it has `taskable_type`), not a lead"),
            "{}",
            error.message
        );
        let error = parse_ids("id,name,contacts_count\n3,Acme,2\n").unwrap_err();
        assert!(
            error.message.contains("line 1: a company"),
            "{}",
            error.message
        );
    }
}
