//! How `voxys` draws a table: only once there is data (`No leads` for an
//! empty page, nothing before an error), with a footer under one page, and
//! fitted to the terminal's width; and `--csv-bom`. Run through the binary
//! against the mock server; the terminal is a pty made by util-linux
//! `script` (those tests are skipped where it is missing).

use std::process::Output;

use voxys_connect_mock::{Fault, FaultRule, MockServer};

mod common;

use common::{assert_ok, stderr, stdout, voxys};

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// The last line of standard output.
fn last_line(output: &Output) -> String {
    stdout(output).lines().last().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_empty_page_says_so_instead_of_an_empty_frame() {
    let server = MockServer::builder().leads(5).start().await.unwrap();
    // No lead is assigned to this agent.
    let none = voxys(
        &server,
        &["leads", "list", "--agent", "999999", "--format", "table"],
    )
    .await;
    assert_ok(&none);
    assert_eq!(stdout(&none), "No leads\n");

    // A page past the last one says how many there are.
    let past = voxys(
        &server,
        &["leads", "list", "--page", "99", "--format", "table"],
    )
    .await;
    assert_ok(&past);
    assert_eq!(stdout(&past), "No leads on page 99: 5 leads in 1 page.\n");

    // Other listings name their own records.
    let companies = voxys(
        &server,
        &["companies", "list", "--page", "999", "--format", "table"],
    )
    .await;
    assert_ok(&companies);
    assert!(
        stdout(&companies).starts_with("No companies on page 999: "),
        "{}",
        stdout(&companies)
    );
    let account = server.account_id();
    let quiet = server
        .leads(account)
        .into_iter()
        .find(|l| server.notes(account, l.id).is_empty())
        .expect("a lead without notes")
        .id
        .to_string();
    let notes = voxys(
        &server,
        &["leads", "notes", "list", &quiet, "--format", "table"],
    )
    .await;
    assert_ok(&notes);
    assert_eq!(stdout(&notes), "No notes\n");

    // The other formats keep their empty forms: `[]`, a CSV header alone.
    let json = voxys(
        &server,
        &["leads", "list", "--agent", "999999", "--format", "json"],
    )
    .await;
    assert_eq!(stdout(&json), "[]\n");
    let csv = voxys(
        &server,
        &["leads", "list", "--agent", "999999", "--format", "csv"],
    )
    .await;
    assert_eq!(stdout(&csv).lines().count(), 1, "{}", stdout(&csv));
    assert!(stdout(&csv).starts_with("id,"), "{}", stdout(&csv));
}

#[tokio::test]
async fn one_page_ends_with_where_it_stands() {
    let server = MockServer::builder().leads(10).start().await.unwrap();
    let first = voxys(
        &server,
        &["leads", "list", "--per-page", "3", "--format", "table"],
    )
    .await;
    assert_ok(&first);
    assert_eq!(last_line(&first), "3 of 10 leads · --page 2 or --all");

    let middle = voxys(
        &server,
        &[
            "leads",
            "list",
            "--per-page",
            "3",
            "--page",
            "2",
            "--format",
            "table",
        ],
    )
    .await;
    assert_eq!(
        last_line(&middle),
        "3 of 10 leads (page 2 of 4) · --page 3 or --all"
    );

    // The last page says nothing of more pages.
    let last = voxys(
        &server,
        &[
            "leads",
            "list",
            "--per-page",
            "3",
            "--page",
            "4",
            "--format",
            "table",
        ],
    )
    .await;
    assert_ok(&last);
    assert_eq!(last_line(&last), "1 of 10 leads (page 4 of 4)");
    assert!(!stdout(&last).contains("--page"), "{}", stdout(&last));

    // Everything on one page: the count.
    let whole = voxys(&server, &["leads", "list", "--format", "table"]).await;
    assert_eq!(last_line(&whole), "10 leads");

    // Every page (--all) has no page to point to: the table ends the output.
    let all = voxys(
        &server,
        &[
            "leads",
            "list",
            "--all",
            "--per-page",
            "3",
            "--format",
            "table",
        ],
    )
    .await;
    assert_ok(&all);
    assert!(last_line(&all).starts_with('└'), "{}", stdout(&all));
    // Each lead once, in the table.
    let rows = stdout(&all).lines().filter(|l| l.starts_with("│ ")).count();
    assert_eq!(rows, 11, "a header and 10 leads: {}", stdout(&all));

    // Tasks name theirs.
    let tasks = voxys(
        &server,
        &["tasks", "list", "--per-page", "1", "--format", "table"],
    )
    .await;
    assert_ok(&tasks);
    let total = server.tasks(server.account_id()).len();
    assert!(total > 1, "the mock has tasks");
    assert_eq!(
        last_line(&tasks),
        format!("1 of {total} tasks · --page 2 or --all")
    );

    // Only a table has a footer.
    let csv = voxys(
        &server,
        &["leads", "list", "--per-page", "3", "--format", "csv"],
    )
    .await;
    assert_eq!(stdout(&csv).lines().count(), 4, "{}", stdout(&csv));
}

#[tokio::test]
async fn nothing_is_drawn_before_an_error() {
    let server = MockServer::builder()
        .leads(5)
        .token("the-right-token")
        .start()
        .await
        .unwrap();
    for format in ["table", "csv", "json", "ndjson"] {
        let refused = common::run(
            &["leads", "list", "--format", format],
            &[
                ("VOXYS_BASE_URL", server.url()),
                ("VOXYS_API_TOKEN", "a-wrong-token"),
                ("VOXYS_ACCOUNT_ID", &server.account_id().to_string()),
            ],
            None,
        )
        .await;
        assert_eq!(code(&refused), Some(3), "{format}: {}", stderr(&refused));
        assert_eq!(stdout(&refused), "", "{format}: no frame, no header");
    }

    // A server that fails every time: the same, after its retries.
    server.add_fault(FaultRule::new(Fault::ServerError { status: 500 }));
    for format in ["table", "csv"] {
        let failed = voxys(
            &server,
            &["leads", "list", "--format", format, "--retries", "0"],
        )
        .await;
        assert_ne!(code(&failed), Some(0), "{format}: {}", stderr(&failed));
        assert_eq!(stdout(&failed), "", "{format}: no frame, no header");
    }
}

/// Runs `voxys ARGS` on a terminal (a pty from `script`), `columns` wide as
/// `stty` sets it (or, with `None`, a pty that does not say, and COLUMNS
/// =`env_columns`). What the terminal showed, without carriage returns; or
/// `None` where there is no `script`.
async fn on_terminal(
    server: &MockServer,
    args: &str,
    columns: Option<u16>,
    env_columns: &str,
) -> Option<String> {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: no `script` to make a terminal");
        return None;
    }
    let bin = assert_cmd::cargo::cargo_bin("voxys");
    let size = match columns {
        Some(columns) => format!("stty rows 40 cols {columns}; "),
        None => String::new(),
    };
    let command_line = format!("{size}'{}' {args}", bin.display());
    let mut command = std::process::Command::new("script");
    command
        .args(["-qec", &command_line, "/dev/null"])
        .env("COLUMNS", env_columns)
        .stdin(std::process::Stdio::null());
    for (k, v) in common::server_env(server) {
        command.env(k, v);
    }
    // Off the runtime's thread: the mock server answers on it.
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    Some(String::from_utf8_lossy(&output.stdout).replace('\r', ""))
}

/// The lines of a table (those of its frame and rows).
fn table_lines(shown: &str) -> Vec<&str> {
    shown
        .lines()
        .filter(|l| l.starts_with(['┌', '│', '╞', '├', '└']))
        .collect()
}

#[tokio::test]
async fn a_table_on_a_terminal_fits_its_width() {
    let server = MockServer::builder().leads(8).start().await.unwrap();
    // Piped, the same table has every column at full width: wider than 90.
    let piped = voxys(&server, &["leads", "list", "--format", "table"]).await;
    assert_ok(&piped);
    let full = stdout(&piped);
    let widest = table_lines(&full)
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap();
    assert!(widest > 90, "{full}");
    for column in ["agent email", "domain", "created"] {
        assert!(full.lines().nth(1).unwrap().contains(column), "{full}");
    }
    assert!(!full.contains("Not shown"), "{full}");

    let Some(shown) = on_terminal(&server, "leads list --per-page 5", Some(90), "300").await else {
        return;
    };
    let lines = table_lines(&shown);
    assert!(lines.len() > 5, "{shown}");
    for line in &lines {
        assert!(line.chars().count() <= 90, "{line:?} in\n{shown}");
    }
    // Some columns were left out, and it says which; the footer follows.
    let note = shown
        .lines()
        .find(|l| l.starts_with("Not shown, for want of width: "))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(note.contains("created"), "{note}");
    assert!(
        shown
            .trim_end()
            .ends_with("5 of 8 leads · --page 2 or --all"),
        "{shown}"
    );
    // The first columns stay: the ids are all there.
    let ids: Vec<String> = common::held(&server)
        .iter()
        .take(5)
        .map(|l| l["id"].to_string())
        .collect();
    for id in ids {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("│ {id} "))),
            "{id}: {shown}"
        );
    }

    // A terminal that does not say its width: COLUMNS does.
    let Some(narrow) = on_terminal(&server, "leads list --per-page 5", None, "60").await else {
        return;
    };
    let lines = table_lines(&narrow);
    assert!(lines.len() > 5, "{narrow}");
    for line in &lines {
        assert!(line.chars().count() <= 60, "{line:?} in\n{narrow}");
    }
}

#[tokio::test]
async fn csv_bom_is_asked_for_and_only_for_csv() {
    let server = MockServer::builder().leads(3).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Not by default, even to a .csv file.
    let plain = dir.path().join("plain.csv");
    let written = voxys(&server, &["leads", "list", "-o", plain.to_str().unwrap()]).await;
    assert_ok(&written);
    let bytes = std::fs::read(&plain).unwrap();
    assert!(bytes.starts_with(b"id,"), "{:?}", &bytes[..10]);

    // Asked for: the mark, then the same bytes.
    let marked = dir.path().join("marked.csv");
    let written = voxys(
        &server,
        &["leads", "list", "--csv-bom", "-o", marked.to_str().unwrap()],
    )
    .await;
    assert_ok(&written);
    let with_mark = std::fs::read(&marked).unwrap();
    assert_eq!(&with_mark[..3], BOM);
    assert_eq!(&with_mark[3..], &bytes[..]);

    // On standard output too, once, before the header.
    let out = voxys(&server, &["leads", "list", "--format", "csv", "--csv-bom"]).await;
    assert_ok(&out);
    assert_eq!(&out.stdout[..3], BOM);
    assert!(out.stdout[3..].starts_with(b"id,"));
    assert_eq!(out.stdout.windows(3).filter(|w| *w == BOM).count(), 1);

    // Another format: a usage error, nothing written.
    let json = voxys(&server, &["leads", "list", "--format", "json", "--csv-bom"]).await;
    assert_eq!(code(&json), Some(2), "{}", stderr(&json));
    assert!(stderr(&json).contains("--csv-bom is for CSV output"));
    assert_eq!(stdout(&json), "");

    // A failure before any record: no lone mark (nor header).
    server.add_fault(FaultRule::new(Fault::ServerError { status: 500 }));
    let failed = voxys(
        &server,
        &[
            "leads",
            "list",
            "--format",
            "csv",
            "--csv-bom",
            "--retries",
            "0",
        ],
    )
    .await;
    assert_ne!(code(&failed), Some(0));
    assert!(failed.stdout.is_empty(), "{:?}", failed.stdout);
}

#[tokio::test]
async fn the_format_help_does_not_call_every_record_a_lead() {
    for command in [
        &["leads", "convert", "--help"][..],
        &["pipelines", "cards", "list", "--help"],
        &["companies", "list", "--help"],
        &["tasks", "list", "--help"],
        &["leads", "list", "--help"],
    ] {
        let help = common::run(command, &[], None).await;
        assert_ok(&help);
        let text = stdout(&help);
        assert!(text.contains("One JSON array of the records"), "{text}");
        assert!(!text.contains("array of leads"), "{command:?}: {text}");
        assert!(text.contains("--csv-bom"), "{command:?}");
    }
}
