//! Writing records (leads, cards, companies, notes, contacts, timeline
//! events, import results) as a table, JSON, NDJSON or CSV.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use voxys_connect::types::{Agent, Card, Company, Contact, Lead, LeadStats, Note, TimelineEvent};

/// How records are written (the help says "records": the same flag lists
/// leads, cards, companies, notes, tasks and the rest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned table for people (on a terminal, fitted to its width;
    /// buffers every record before printing).
    Table,
    /// One JSON array of the records.
    Json,
    /// One JSON object per record, a line each, streamed.
    Ndjson,
    /// CSV with a header row; nested members flattened, custom attributes as
    /// one JSON column; streamed.
    Csv,
}

impl Format {
    /// The format a file name suggests (`.csv`, `.json`, `.ndjson`/`.jsonl`).
    pub fn from_file_name(name: &str) -> Option<Format> {
        let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// Where and how records are written: the flags of every command that
/// prints records (leads, cards, companies, tasks...).
#[derive(Args)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal, else ndjson, or as the
    /// --output file's extension says].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// CSV: write text cells as they are. By default a cell that starts with
    /// =, +, -, @, a tab or a carriage return gets a leading ' so that a
    /// spreadsheet shows it as text instead of running it as a formula; use
    /// this for programs that read the CSV.
    #[arg(long)]
    pub csv_raw: bool,
    /// CSV: start with a UTF-8 byte order mark (EF BB BF), which Excel needs
    /// to show accented letters right. Off unless asked, with -o FILE.csv
    /// too: programs that read CSV may take the mark for part of the first
    /// column's name.
    #[arg(long)]
    pub csv_bom: bool,
}

impl OutputArgs {
    /// Where records go (the file, or standard output) and in what format.
    /// A file is written beside its target and takes its place only at
    /// [`Sink::commit`]: until then the target keeps what it held. With
    /// `--csv-bom` the sink starts with the byte order mark, written just
    /// before the first bytes (the CSV header), never alone.
    pub fn destination(&self) -> Result<(Sink, Format), crate::Failure> {
        let format = self.format.unwrap_or_else(|| match &self.output {
            Some(path) => Format::from_file_name(&path.to_string_lossy()).unwrap_or(Format::Ndjson),
            None if std::io::stdout().is_terminal() => Format::Table,
            None => Format::Ndjson,
        });
        if self.csv_bom && format != Format::Csv {
            return Err(crate::Failure::new(
                crate::exit::USAGE,
                "--csv-bom is for CSV output: add --format csv, or -o FILE.csv.",
            ));
        }
        let to = match &self.output {
            Some(path) => Sink::file(path)?,
            None => To::Stdout(io::BufWriter::new(std::io::stdout().lock())),
        };
        let pending: &'static [u8] = if self.csv_bom { BOM } else { b"" };
        Ok((Sink { to, pending }, format))
    }

    /// The width a table is fitted to: the terminal's when records go to
    /// standard output and it is a terminal (else `COLUMNS`, else 100, when
    /// the terminal does not say); `None` (every column, full width) when
    /// they go to a file or a pipe.
    pub fn table_width(&self) -> Option<u16> {
        if self.output.is_some() || !std::io::stdout().is_terminal() {
            return None;
        }
        Some(terminal_width(true))
    }

    /// A writer of records of type `T` as these flags say (format, file,
    /// `--csv-raw`, `--csv-bom`, a table fitted to the terminal).
    pub fn writer<T: Tabular>(&self) -> Result<RecordWriter<Sink>, crate::Failure> {
        let (out, format) = self.destination()?;
        let options = WriteOptions {
            csv_raw: self.csv_raw,
            width: self.table_width(),
        };
        RecordWriter::with_options::<T>(format, out, options).map_err(crate::write_failure)
    }

    /// Writes `records` as these flags say.
    pub fn write_all<T: Tabular>(&self, records: &[T]) -> Result<(), crate::Failure> {
        let mut writer = self.writer::<T>()?;
        for record in records {
            writer.write(record).map_err(crate::write_failure)?;
        }
        writer.finish().map_err(crate::write_failure)?.commit()
    }
}

/// The UTF-8 byte order mark `--csv-bom` writes before the CSV header.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The width a table is fitted to on a terminal that does not say its own
/// (nor `COLUMNS`).
const DEFAULT_WIDTH: u16 = 100;

/// The width to draw in: the terminal's (when `terminal`), else `COLUMNS`
/// (20 or more), else 100.
pub(crate) fn terminal_width(terminal: bool) -> u16 {
    terminal
        .then(|| console::Term::stdout().size_checked())
        .flatten()
        .map(|(_, columns)| columns)
        .or_else(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse::<u16>().ok())
                .filter(|&c| c >= 20)
        })
        .unwrap_or(DEFAULT_WIDTH)
}

/// Where records are written: standard output, or a temporary file beside
/// the `--output` file that replaces it only when [`committed`](Sink::commit)
/// (dropped without it, the temporary file is removed and the target is left
/// byte for byte as it was).
pub struct Sink {
    to: To,
    /// Bytes written before the first bytes written (the `--csv-bom` mark),
    /// so that they never come alone.
    pending: &'static [u8],
}

/// Standard output, or the temporary file.
enum To {
    Stdout(io::BufWriter<io::StdoutLock<'static>>),
    File {
        temp: io::BufWriter<tempfile::NamedTempFile>,
        /// The file it replaces (a symbolic link's target, so that the link
        /// stays).
        target: PathBuf,
        /// What `-o` named, for messages.
        shown: PathBuf,
    },
}

impl Sink {
    /// Whether the records go to standard output (not an `-o` file).
    pub fn is_stdout(&self) -> bool {
        matches!(self.to, To::Stdout(_))
    }

    fn file(path: &std::path::Path) -> Result<To, crate::Failure> {
        let cannot = |e: io::Error| {
            crate::Failure::new(
                crate::exit::OTHER,
                format!("cannot write {}: {e}.", path.display()),
            )
        };
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        // The mode the target has, or (a new file) what the umask allows of
        // rw-rw-rw-, as File::create would give.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target)
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0o666);
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        let temp = builder.tempfile_in(&dir).map_err(cannot)?;
        Ok(To::File {
            temp: io::BufWriter::new(temp),
            target,
            shown: path.to_owned(),
        })
    }

    /// Puts what was written in place of the target (nothing to do for
    /// standard output).
    pub fn commit(self) -> Result<(), crate::Failure> {
        match self.to {
            To::Stdout(mut out) => out.flush().map_err(crate::write_failure),
            To::File {
                temp,
                target,
                shown,
            } => {
                let cannot = |e: io::Error| {
                    crate::Failure::new(
                        crate::exit::OTHER,
                        format!("cannot write {}: {e}.", shown.display()),
                    )
                };
                let temp = temp.into_inner().map_err(|e| cannot(e.into_error()))?;
                temp.as_file().sync_all().map_err(cannot)?;
                temp.persist(&target).map_err(|e| cannot(e.error))?;
                Ok(())
            }
        }
    }
}

impl Sink {
    /// The stream written to, after the pending bytes when `buf` is the
    /// first thing written.
    fn stream(&mut self, buf: &[u8]) -> io::Result<&mut dyn Write> {
        let to: &mut dyn Write = match &mut self.to {
            To::Stdout(out) => out,
            To::File { temp, .. } => temp,
        };
        if !buf.is_empty() && !self.pending.is_empty() {
            to.write_all(self.pending)?;
            self.pending = b"";
        }
        Ok(to)
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream(buf)?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.stream(buf)?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream(b"")?.flush()
    }
}

/// The CSV columns: nested objects flattened, free-form members as JSON.
pub const CSV_COLUMNS: [&str; 19] = [
    "id",
    "custom_name",
    "status",
    "lead_value",
    "lead_currency",
    "position",
    "notes",
    "assigned_agent_id",
    "assigned_agent_name",
    "assigned_agent_email",
    "assigned_agent_avatar_url",
    "company_id",
    "company_name",
    "company_domain",
    "conversation_id",
    "custom_attributes",
    "created_at",
    "updated_at",
    // Members the SDK does not know yet, as one JSON object, so that nothing
    // the API sends is lost.
    "extra",
];

/// The CSV columns that hold numbers, not text: never neutralised.
const NUMERIC_COLUMNS: [&str; 6] = [
    "id",
    "lead_value",
    "position",
    "assigned_agent_id",
    "company_id",
    "conversation_id",
];

/// A text cell made safe for spreadsheets: one that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return would run as a formula (CSV
/// injection), so it gets a leading `'`, which spreadsheets show as text.
pub fn neutralise(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// What the JSON Schema of a generated type says of its members (the types
/// derive `schemars::JsonSchema` from the OpenAPI document), to write every
/// member it names: the generated types leave out a member that is `None`
/// or an empty map, so records would otherwise have different keys.
pub struct Shape {
    root: Value,
}

impl Shape {
    /// The shape of `T`.
    pub fn of<T: schemars::JsonSchema>() -> Shape {
        let root = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
        Shape { root }
    }

    /// `value` as one line of JSON with every member the schema names:
    /// `null` for one left out (`{}` for a map), nested objects likewise,
    /// numbers and text exactly as serialised.
    pub fn to_json<T: Serialize>(&self, value: &T) -> serde_json::Result<String> {
        let text = serde_json::to_string(value)?;
        let raw: &RawValue = serde_json::from_str(&text)?;
        Ok(self.complete(&self.root, raw)?.get().to_owned())
    }

    fn complete(&self, schema: &Value, raw: &RawValue) -> serde_json::Result<Box<RawValue>> {
        let schema = self.resolve(schema);
        let (Some(properties), Ok(members)) = (
            schema.get("properties").and_then(Value::as_object),
            serde_json::from_str::<BTreeMap<String, &RawValue>>(raw.get()),
        ) else {
            // Not an object, or null: as it is.
            return Ok(raw.to_owned());
        };
        let mut out: BTreeMap<&str, Box<RawValue>> = BTreeMap::new();
        for (name, member) in &members {
            let completed = match properties.get(name) {
                Some(sub) => self.complete(sub, member)?,
                None => (*member).to_owned(),
            };
            out.insert(name, completed);
        }
        for (name, sub) in properties {
            if !out.contains_key(name.as_str()) {
                out.insert(name, RawValue::from_string(self.empty(sub))?);
            }
        }
        RawValue::from_string(serde_json::to_string(&out)?)
    }

    /// The schema a member's schema stands for: a `$ref` followed, and of an
    /// `anyOf`/`allOf` (`Option<T>`, a described reference) the schema that
    /// is not `null`.
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/definitions/"))
        {
            return self.resolve(&self.root["definitions"][name]);
        }
        for key in ["anyOf", "allOf"] {
            if let Some(options) = schema.get(key).and_then(Value::as_array)
                && let Some(option) = options
                    .iter()
                    .find(|o| o.get("type") != Some(&Value::from("null")))
            {
                return self.resolve(option);
            }
        }
        schema
    }

    /// How an absent member is written: `null` if its schema allows it,
    /// else `{}` for a map and `[]` for a list.
    fn empty(&self, schema: &Value) -> String {
        let null = Value::from("null");
        let nullable = match schema.get("type") {
            Some(Value::Array(types)) => types.contains(&null),
            Some(kind) => *kind == null,
            None => schema
                .get("anyOf")
                .and_then(Value::as_array)
                .is_some_and(|options| options.iter().any(|o| o.get("type") == Some(&null))),
        };
        if nullable {
            return "null".to_owned();
        }
        match self.resolve(schema).get("type").and_then(Value::as_str) {
            Some("object") => "{}".to_owned(),
            Some("array") => "[]".to_owned(),
            _ => "null".to_owned(),
        }
    }
}

pub(crate) fn opt<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// One lead as CSV cells, in [`CSV_COLUMNS`] order, text as it is.
fn lead_cells(lead: &Lead) -> Vec<String> {
    let agent = lead.assigned_agent.as_ref();
    let company = lead.company.as_ref();
    vec![
        lead.id.to_string(),
        opt(&lead.custom_name),
        lead.status.to_string(),
        opt(&lead.lead_value),
        opt(&lead.lead_currency),
        opt(&lead.position),
        opt(&lead.notes),
        agent.map(|a| a.id.to_string()).unwrap_or_default(),
        agent.map(|a| a.name.clone()).unwrap_or_default(),
        agent.and_then(|a| a.email.clone()).unwrap_or_default(),
        agent.and_then(|a| a.avatar_url.clone()).unwrap_or_default(),
        company.map(|c| c.id.to_string()).unwrap_or_default(),
        company.map(|c| c.name.clone()).unwrap_or_default(),
        company.and_then(|c| c.domain.clone()).unwrap_or_default(),
        opt(&lead.conversation_id),
        serde_json::Value::Object(lead.custom_attributes.clone()).to_string(),
        lead.created_at.to_string(),
        lead.updated_at.to_string(),
        unknown_members(lead),
    ]
}

/// The members the SDK does not know yet, of the lead and of its agent and
/// company, as one JSON object; empty when there are none.
fn unknown_members(lead: &Lead) -> String {
    let mut all = lead.extra.clone();
    if let Some(agent) = lead.assigned_agent.as_ref().filter(|a| !a.extra.is_empty()) {
        all.insert(
            "assigned_agent".into(),
            serde_json::Value::Object(agent.extra.clone()),
        );
    }
    if let Some(company) = lead.company.as_ref().filter(|c| !c.extra.is_empty()) {
        all.insert(
            "company".into(),
            serde_json::Value::Object(company.extra.clone()),
        );
    }
    extra_json(&all)
}

/// Text cells neutralised for spreadsheets, unless `raw`; `numeric` names
/// the columns that hold numbers.
pub(crate) fn safe_cells(
    cells: Vec<String>,
    columns: &[&str],
    numeric: &[&str],
    raw: bool,
) -> Vec<String> {
    if raw {
        return cells;
    }
    cells
        .into_iter()
        .zip(columns)
        .map(|(cell, column)| {
            if numeric.contains(column) {
                cell
            } else {
                neutralise(cell)
            }
        })
        .collect()
}

/// One lead as a CSV record, in [`CSV_COLUMNS`] order; text cells
/// neutralised for spreadsheets unless `raw`.
pub fn csv_record(lead: &Lead, raw: bool) -> Vec<String> {
    safe_cells(lead_cells(lead), &CSV_COLUMNS, &NUMERIC_COLUMNS, raw)
}

/// A CSV error as the I/O error it is (keeping its kind, such as a broken
/// pipe), or as an error of its own.
fn csv_io_error(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A header's column names, owned.
pub fn names(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| (*c).to_owned()).collect()
}

/// What a record needs to be written in every format: its columns and
/// cells in a table and in CSV, and its JSON Schema (for JSON and NDJSON
/// with every member).
pub trait Tabular: Serialize + schemars::JsonSchema {
    /// The table's header.
    const TABLE: &'static [&'static str];
    /// What the records are called, plural, in a table's footer and in its
    /// place when there are none (`No leads`).
    const NOUN: &'static str = "records";
    /// The CSV header.
    fn csv_columns() -> Vec<String>;
    /// A table row.
    fn table_row(&self) -> Vec<String>;
    /// A CSV record; text cells neutralised unless `raw`.
    fn csv_row(&self, raw: bool) -> Vec<String>;
}

impl Tabular for Lead {
    const NOUN: &'static str = "leads";
    const TABLE: &'static [&'static str] = &[
        "id",
        "name",
        "status",
        "value",
        "agent",
        "agent email",
        "company",
        "domain",
        "created",
    ];

    fn csv_columns() -> Vec<String> {
        names(&CSV_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        let lead = self;
        let value = match (&lead.lead_value, &lead.lead_currency) {
            (Some(v), Some(c)) => format!("{v} {c}"),
            (Some(v), None) => v.to_string(),
            _ => String::new(),
        };
        let agent = lead.assigned_agent.as_ref();
        let company = lead.company.as_ref();
        vec![
            lead.id.to_string(),
            opt(&lead.custom_name),
            lead.status.to_string(),
            value,
            agent.map(|a| a.name.clone()).unwrap_or_default(),
            agent.and_then(|a| a.email.clone()).unwrap_or_default(),
            company.map(|c| c.name.clone()).unwrap_or_default(),
            company.and_then(|c| c.domain.clone()).unwrap_or_default(),
            lead.created_at.format("%Y-%m-%d %H:%M").to_string(),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        csv_record(self, raw)
    }
}

/// The CSV columns of lead totals.
const STATS_COLUMNS: [&str; 7] = [
    "total",
    "open",
    "won",
    "lost",
    "total_value",
    "won_value",
    "extra",
];

impl Tabular for LeadStats {
    const NOUN: &'static str = "totals";
    const TABLE: &'static [&'static str] =
        &["total", "open", "won", "lost", "total value", "won value"];

    fn csv_columns() -> Vec<String> {
        names(&STATS_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.total.to_string(),
            self.open.to_string(),
            self.won.to_string(),
            self.lost.to_string(),
            self.total_value.to_string(),
            self.won_value.to_string(),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        // Members the SDK does not know yet (a count for a new status) in
        // a JSON column, as for leads.
        let mut cells = self.table_row();
        cells.push(extra_json(&self.extra));
        safe_cells(
            cells,
            &STATS_COLUMNS,
            &["total", "open", "won", "lost", "total_value", "won_value"],
            raw,
        )
    }
}

/// The CSV columns of a card before its lead's (which follow, each prefixed
/// `lead_` unless already so named: `lead_id`, `lead_status`, `lead_value`).
const CARD_COLUMNS: [&str; 7] = [
    "id",
    "funnel_id",
    "funnel_stage_id",
    "position",
    "created_at",
    "updated_at",
    "extra",
];

impl Tabular for Card {
    const NOUN: &'static str = "cards";
    const TABLE: &'static [&'static str] = &[
        "card", "funnel", "stage", "position", "lead", "name", "status", "value", "agent",
        "created",
    ];

    fn csv_columns() -> Vec<String> {
        names(&CARD_COLUMNS)
            .into_iter()
            // `lead_value` stays `lead_value`, not `lead_lead_value`.
            .chain(CSV_COLUMNS.iter().map(|c| {
                if c.starts_with("lead_") {
                    (*c).to_owned()
                } else {
                    format!("lead_{c}")
                }
            }))
            .collect()
    }

    fn table_row(&self) -> Vec<String> {
        let lead = self.lead.table_row();
        vec![
            self.id.to_string(),
            self.funnel_id.to_string(),
            opt(&self.funnel_stage_id),
            opt(&self.position),
            lead[0].clone(),
            lead[1].clone(),
            lead[2].clone(),
            lead[3].clone(),
            lead[4].clone(),
            self.created_at.format("%Y-%m-%d %H:%M").to_string(),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        let card = safe_cells(
            vec![
                self.id.to_string(),
                self.funnel_id.to_string(),
                opt(&self.funnel_stage_id),
                opt(&self.position),
                self.created_at.to_string(),
                self.updated_at.to_string(),
                extra_json(&self.extra),
            ],
            &CARD_COLUMNS,
            &["id", "funnel_id", "funnel_stage_id", "position"],
            raw,
        );
        card.into_iter()
            .chain(csv_record(&self.lead, raw))
            .collect()
    }
}

/// How a [`RecordWriter`] writes, besides its format.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// CSV: text cells as they are, not neutralised for spreadsheets.
    pub csv_raw: bool,
    /// A table: the width to fit it to (columns wrapped, and the last ones
    /// left out when even wrapped they would not fit); `None` for every
    /// column at full width.
    pub width: Option<u16>,
}

/// Where one page stands in the whole listing, for a table's footer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageInfo {
    /// The page's number, from 1.
    pub current_page: u64,
    /// How many pages the listing has.
    pub total_pages: u64,
    /// How many records the listing has, over all pages.
    pub total_count: u64,
}

/// A table being filled: its rows wait for the end, to align the columns.
pub struct TableRows {
    table: comfy_table::Table,
    /// The records' name, plural (`leads`).
    noun: &'static str,
    /// The width to fit to, if any.
    width: Option<u16>,
    /// The page shown, when one page of a listing is.
    page: Option<PageInfo>,
}

/// A column is not wrapped narrower than this (or than its widest cell),
/// when choosing which columns fit.
const NARROWEST: u16 = 10;

impl TableRows {
    fn new<T: Tabular>(width: Option<u16>) -> TableRows {
        let mut table = comfy_table::Table::new();
        table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header(T::TABLE);
        TableRows {
            table,
            noun: T::NOUN,
            width,
            page: None,
        }
    }

    /// The table as text (with what it left out and its footer), or, with
    /// no rows, a line saying so; `footer` adds the page's footer.
    fn render(mut self, footer: bool) -> String {
        let rows = self.table.row_count() as u64;
        if rows == 0 {
            return match self.page.filter(|p| p.total_count > 0) {
                Some(page) => format!(
                    "No {} on page {}: {} {} in {} page{}.\n",
                    self.noun,
                    page.current_page,
                    page.total_count,
                    self.noun,
                    page.total_pages,
                    if page.total_pages == 1 { "" } else { "s" }
                ),
                None => format!("No {}\n", self.noun),
            };
        }
        let left_out = match self.width {
            Some(width) => fit(&mut self.table, width),
            None => Vec::new(),
        };
        let mut text = format!("{}\n", self.table);
        if !left_out.is_empty() {
            text.push_str(&format!(
                "Not shown, for want of width: {} (--format csv has every column).\n",
                left_out.join(", ")
            ));
        }
        if footer && let Some(page) = self.page {
            text.push_str(&page_footer(rows, page, self.noun));
            text.push('\n');
        }
        text
    }
}

/// What a one-page table says under it: `25 of 498 leads · --page 2 or
/// --all`; nothing about more pages on the last one.
pub fn page_footer(rows: u64, page: PageInfo, noun: &str) -> String {
    let PageInfo {
        current_page,
        total_pages,
        total_count,
    } = page;
    if total_pages <= 1 && current_page <= 1 && rows == total_count {
        return format!("{rows} {noun}");
    }
    let mut text = format!("{rows} of {total_count} {noun}");
    if current_page > 1 {
        text.push_str(&format!(" (page {current_page} of {total_pages})"));
    }
    if current_page < total_pages {
        text.push_str(&format!(" · --page {} or --all", current_page + 1));
    }
    text
}

/// Fits `table` to `width` columns: the last columns are left out while
/// the ones before them, each wrapped to [`NARROWEST`] (or its widest cell
/// if narrower), would not fit; the rest are wrapped to the width. The
/// first column always stays. Gives the names of the columns left out.
fn fit(table: &mut comfy_table::Table, width: u16) -> Vec<String> {
    let widest = table.column_max_content_widths();
    // A column takes its content, a space either side and one border; the
    // table one more border.
    let needs = |widths: &mut dyn Iterator<Item = u16>| -> u32 {
        widths.map(|w| u32::from(w) + 3).sum::<u32>() + 1
    };
    if needs(&mut widest.iter().copied()) <= u32::from(width) {
        return Vec::new();
    }
    let narrowest: Vec<u16> = widest.iter().map(|w| (*w).min(NARROWEST)).collect();
    let mut kept = narrowest.len();
    while kept > 1 && needs(&mut narrowest[..kept].iter().copied()) > u32::from(width) {
        kept -= 1;
    }
    let headers: Vec<String> = table
        .header()
        .map(|h| h.cell_iter().map(|c| c.content()).collect())
        .unwrap_or_default();
    let mut left_out = Vec::new();
    for index in kept..narrowest.len() {
        if let Some(column) = table.column_mut(index) {
            column.set_constraint(comfy_table::ColumnConstraint::Hidden);
        }
        left_out.push(headers.get(index).cloned().unwrap_or_default());
    }
    table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    table.set_width(width);
    left_out
}

/// Writes records in one format. Each `write` writes whole records only, so
/// that what was written is complete when writing stops early.
pub enum RecordWriter<W: Write> {
    /// Rows kept until `finish`, to align the columns and fit them.
    Table(W, Box<TableRows>),
    /// Whether the first record has been written.
    Json(W, bool, Shape),
    /// Plain lines.
    Ndjson(W, Shape),
    /// The CSV writer, whether text is written raw (not neutralised), and
    /// the header while it waits for the first record (or the end).
    Csv(Box<csv::Writer<W>>, bool, Option<Vec<String>>),
}

impl<W: Write> RecordWriter<W> {
    /// A writer of records of type `T` in `format` into `out`, as `options`
    /// say. Nothing is written before the first record or the end (no
    /// header, no `[`, no frame), so that a listing that fails first prints
    /// nothing.
    pub fn with_options<T: Tabular>(
        format: Format,
        out: W,
        options: WriteOptions,
    ) -> io::Result<RecordWriter<W>> {
        Ok(match format {
            Format::Table => RecordWriter::Table(out, Box::new(TableRows::new::<T>(options.width))),
            Format::Json => RecordWriter::Json(out, false, Shape::of::<T>()),
            Format::Ndjson => RecordWriter::Ndjson(out, Shape::of::<T>()),
            Format::Csv => RecordWriter::Csv(
                Box::new(csv::Writer::from_writer(out)),
                options.csv_raw,
                Some(T::csv_columns()),
            ),
        })
    }

    /// Says which page of a listing the records are, for a table's footer
    /// (`25 of 498 leads · --page 2 or --all`); other formats say nothing.
    pub fn set_page(&mut self, page: PageInfo) {
        if let RecordWriter::Table(_, rows) = self {
            rows.page = Some(page);
        }
    }

    /// Writes one record.
    pub fn write<T: Tabular>(&mut self, record: &T) -> io::Result<()> {
        match self {
            RecordWriter::Table(_, rows) => {
                rows.table.add_row(record.table_row());
                Ok(())
            }
            RecordWriter::Json(out, started, shape) => {
                let mut text = String::with_capacity(512);
                text.push_str(if *started { ",\n" } else { "[\n" });
                text.push_str(&shape.to_json(record)?);
                *started = true;
                out.write_all(text.as_bytes())
            }
            RecordWriter::Ndjson(out, shape) => {
                let mut line = shape.to_json(record)?;
                line.push('\n');
                out.write_all(line.as_bytes())
            }
            RecordWriter::Csv(writer, raw, header) => {
                if let Some(header) = header.take() {
                    writer.write_record(header).map_err(csv_io_error)?;
                }
                writer
                    .write_record(record.csv_row(*raw))
                    .map_err(csv_io_error)
            }
        }
    }

    /// Closes what the format opened (the JSON array, the table: `No leads`
    /// when there are none, with the page's footer), flushes, and gives back
    /// the output (a [`Sink`] to commit).
    pub fn finish(self) -> io::Result<W> {
        match self {
            RecordWriter::Table(mut out, rows) => {
                out.write_all(rows.render(true).as_bytes())?;
                out.flush()?;
                Ok(out)
            }
            RecordWriter::Json(mut out, started, _) => {
                out.write_all(if started { b"\n]\n" } else { b"[]\n" })?;
                out.flush()?;
                Ok(out)
            }
            RecordWriter::Ndjson(mut out, _) => {
                out.flush()?;
                Ok(out)
            }
            RecordWriter::Csv(mut writer, _, header) => {
                if let Some(header) = header {
                    writer.write_record(header).map_err(csv_io_error)?;
                }
                writer.into_inner().map_err(|e| e.into_error())
            }
        }
    }

    /// Ends writing after a failure: the complete records written stay (a
    /// JSON array is closed if one was opened), but nothing is added that
    /// would look like a complete, empty answer (no `[]`, no empty table,
    /// no lone CSV header, no footer).
    pub fn abandon(self) -> io::Result<W> {
        match self {
            RecordWriter::Table(mut out, rows) if !rows.table.is_empty() => {
                out.write_all(rows.render(false).as_bytes())?;
                out.flush()?;
                Ok(out)
            }
            RecordWriter::Json(mut out, true, _) => {
                out.write_all(b"\n]\n")?;
                out.flush()?;
                Ok(out)
            }
            RecordWriter::Table(mut out, _) | RecordWriter::Json(mut out, false, _) => {
                out.flush()?;
                Ok(out)
            }
            RecordWriter::Csv(writer, _, Some(_)) => {
                let mut out = writer.into_inner().map_err(|e| e.into_error())?;
                out.flush()?;
                Ok(out)
            }
            other => other.finish(),
        }
    }
}

/// Members the SDK does not know yet, as one JSON object; empty when there
/// are none.
pub(crate) fn extra_json(extra: &serde_json::Map<String, Value>) -> String {
    if extra.is_empty() {
        String::new()
    } else {
        Value::Object(extra.clone()).to_string()
    }
}

/// The CSV columns of a company.
const COMPANY_COLUMNS: [&str; 9] = [
    "id",
    "name",
    "domain",
    "description",
    "contacts_count",
    "custom_attributes",
    "created_at",
    "updated_at",
    "extra",
];

impl Tabular for Company {
    const NOUN: &'static str = "companies";
    const TABLE: &'static [&'static str] =
        &["id", "name", "domain", "description", "contacts", "created"];

    fn csv_columns() -> Vec<String> {
        names(&COMPANY_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            opt(&self.domain),
            opt(&self.description),
            opt(&self.contacts_count),
            self.created_at.format("%Y-%m-%d %H:%M").to_string(),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        safe_cells(
            vec![
                self.id.to_string(),
                self.name.clone(),
                opt(&self.domain),
                opt(&self.description),
                opt(&self.contacts_count),
                Value::Object(self.custom_attributes.clone()).to_string(),
                self.created_at.to_string(),
                self.updated_at.to_string(),
                extra_json(&self.extra),
            ],
            &COMPANY_COLUMNS,
            &["id", "contacts_count"],
            raw,
        )
    }
}

/// An agent's id, name and email as three cells (empty when there is none).
pub(crate) fn agent_cells(agent: Option<&Agent>) -> [String; 3] {
    [
        agent.map(|a| a.id.to_string()).unwrap_or_default(),
        agent.map(|a| a.name.clone()).unwrap_or_default(),
        agent.and_then(|a| a.email.clone()).unwrap_or_default(),
    ]
}

/// The CSV columns of a lead's note.
const NOTE_COLUMNS: [&str; 7] = [
    "id",
    "content",
    "author_id",
    "author_name",
    "author_email",
    "created_at",
    "extra",
];

impl Tabular for Note {
    const NOUN: &'static str = "notes";
    const TABLE: &'static [&'static str] = &["id", "created", "author", "content"];

    fn csv_columns() -> Vec<String> {
        names(&NOTE_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.created_at.format("%Y-%m-%d %H:%M").to_string(),
            self.author
                .as_ref()
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            self.content.clone(),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        let [author_id, author_name, author_email] = agent_cells(self.author.as_ref());
        safe_cells(
            vec![
                self.id.to_string(),
                self.content.clone(),
                author_id,
                author_name,
                author_email,
                self.created_at.to_string(),
                extra_json(&self.extra),
            ],
            &NOTE_COLUMNS,
            &["id", "author_id"],
            raw,
        )
    }
}

/// The CSV columns of a company's timeline event.
const EVENT_COLUMNS: [&str; 8] = [
    "id",
    "event_type",
    "description",
    "actor_id",
    "actor_name",
    "actor_email",
    "occurred_at",
    "extra",
];

impl Tabular for TimelineEvent {
    const NOUN: &'static str = "events";
    const TABLE: &'static [&'static str] = &["id", "when", "event", "actor", "description"];

    fn csv_columns() -> Vec<String> {
        names(&EVENT_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
            self.event_type.clone(),
            self.actor
                .as_ref()
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            opt(&self.description),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        let [actor_id, actor_name, actor_email] = agent_cells(self.actor.as_ref());
        safe_cells(
            vec![
                self.id.to_string(),
                self.event_type.clone(),
                opt(&self.description),
                actor_id,
                actor_name,
                actor_email,
                self.occurred_at.to_string(),
                extra_json(&self.extra),
            ],
            &EVENT_COLUMNS,
            &["id", "actor_id"],
            raw,
        )
    }
}

/// The CSV columns of a contact.
const CONTACT_COLUMNS: [&str; 6] = ["id", "name", "email", "phone_number", "avatar_url", "extra"];

impl Tabular for Contact {
    const NOUN: &'static str = "contacts";
    const TABLE: &'static [&'static str] = &["id", "name", "email", "phone"];

    fn csv_columns() -> Vec<String> {
        names(&CONTACT_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            opt(&self.name),
            opt(&self.email),
            opt(&self.phone_number),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        safe_cells(
            vec![
                self.id.to_string(),
                opt(&self.name),
                opt(&self.email),
                opt(&self.phone_number),
                opt(&self.avatar_url),
                extra_json(&self.extra),
            ],
            &CONTACT_COLUMNS,
            &["id"],
            raw,
        )
    }
}
