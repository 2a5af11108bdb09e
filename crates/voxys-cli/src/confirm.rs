//! What every command that destroys something shares: asking on the
//! terminal first (or `--yes`), and `--dry-run`, which prints the request
//! instead of sending it.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use crate::{Failure, exit};

/// The flags of a command that deletes, merges or removes: `--yes` and
/// `--dry-run`.
#[derive(Args)]
pub struct ConfirmArgs {
    /// Do it without asking. Without it the command asks on the terminal,
    /// and refuses when there is none.
    #[arg(long)]
    pub yes: bool,
    /// Print the request that would be sent (method, URL, body), and send
    /// nothing. Needs no --yes.
    #[arg(long)]
    pub dry_run: bool,
}

/// Asks `question` on the terminal, unless `yes`; refuses without a
/// terminal. `what` says what would be done, for the refusal (`delete lead
/// 42 of account 1`). The answer is read from the terminal itself, not from
/// standard input, which may carry data.
pub fn confirm(yes: bool, what: &str, question: &str) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    let refuse = || {
        Failure::new(
            exit::USAGE,
            format!(
                "refusing to {what} without confirmation: not on a terminal. Pass --yes to do it (or --dry-run to see the request)."
            ),
        )
    };
    if !std::io::stderr().is_terminal() {
        return Err(refuse());
    }
    let Ok(tty) = std::fs::File::open("/dev/tty") else {
        return Err(refuse());
    };
    eprint!("{question} Type yes to go on: ");
    let mut answer = String::new();
    std::io::BufReader::new(tty)
        .read_line(&mut answer)
        .map_err(|_| refuse())?;
    answered(&answer, what)
}

/// What an answer to the question means: `yes` (any case) goes on; anything
/// else is a choice, not a mistake: the command stops with exit 0, saying
/// on standard error that nothing was done (`not confirmed: did not delete
/// lead 42 of account 1; nothing was changed.`).
fn answered(answer: &str, what: &str) -> Result<(), Failure> {
    if answer.trim().eq_ignore_ascii_case("yes") {
        return Ok(());
    }
    eprintln!("not confirmed: did not {what}; nothing was changed.");
    Err(Failure::new(exit::QUIET, ""))
}

/// Prints the request a `--dry-run` would send (`METHOD URL [BODY]`) on
/// standard output, and says on standard error that nothing was sent.
pub fn print_dry_run(method: &str, url: &str, body: Option<&str>) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match body {
        Some(body) => writeln!(out, "{method} {url} {body}"),
        None => writeln!(out, "{method} {url}"),
    }
    .map_err(crate::write_failure)?;
    eprintln!("dry run: nothing was sent.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_goes_on_and_anything_else_stops_with_exit_0() {
        for yes in ["yes\n", "YES\n", " Yes \r\n"] {
            assert!(
                answered(yes, "delete lead 42 of account 1").is_ok(),
                "{yes:?}"
            );
        }
        for no in ["n\n", "no\n", "\n", "", "y\n", "yess\n"] {
            let failure = answered(no, "delete lead 42 of account 1").unwrap_err();
            assert_eq!(failure.code, exit::QUIET, "{no:?}");
            assert_eq!(failure.code, 0, "declining is not a failure: {no:?}");
        }
    }
}
