//! Lead ids for bulk commands: from the command line, a file or standard
//! input; one per line, or NDJSON records with an `id` member (what
//! `voxys leads list --format ndjson` writes).

use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;

use serde_json::Value;

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
                "no ids: give them as arguments, with --ids-from FILE, or on standard input (one per line, or NDJSON with an `id`).",
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

/// The ids of `text`: one a line (blank lines and `#` comments skipped), a
/// number or a JSON object with an `id`. Every invalid line is an error, and
/// then no id is returned, so that nothing is sent. Empty input gives no ids.
pub fn parse_ids(text: &str) -> Result<Vec<i64>, Failure> {
    let mut ids = Vec::new();
    let mut invalid = Vec::new();
    for (number, line) in std::io::Cursor::new(text).lines().enumerate() {
        let number = number + 1;
        let line = line.unwrap_or_default();
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match id_of(line) {
            Ok(id) => ids.push(id),
            Err(why) => invalid.push(format!("line {number}: {why}")),
        }
    }
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

/// The id of one line.
fn id_of(line: &str) -> Result<i64, String> {
    let shown = || {
        let cut: String = line.chars().take(40).collect();
        if cut.len() < line.len() {
            format!("{cut}…")
        } else {
            cut
        }
    };
    if line.starts_with('{') {
        let record: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e})"))?;
        let id = match record.get("id") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        return match id {
            Some(id) if id >= 1 => Ok(id),
            _ => Err("an NDJSON record without a lead id in `id`".to_owned()),
        };
    }
    match line.parse::<i64>() {
        Ok(id) if id >= 1 => Ok(id),
        _ => Err(format!("{:?} is not a lead id", shown())),
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
}
