//! Writing leads as a table, JSON, NDJSON or CSV.

use std::io::{self, Write};

use clap::ValueEnum;
use voxys_connect::Lead;

/// How leads are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// An aligned table for people (buffers every lead before printing).
    Table,
    /// One JSON array of leads.
    Json,
    /// One JSON object per line, streamed.
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

fn opt<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// One lead as a CSV record, in [`CSV_COLUMNS`] order.
pub fn csv_record(lead: &Lead) -> Vec<String> {
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
    if all.is_empty() {
        String::new()
    } else {
        serde_json::Value::Object(all).to_string()
    }
}

/// A CSV error as the I/O error it is (keeping its kind, such as a broken
/// pipe), or as an error of its own.
fn csv_io_error(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes leads in one format. Each `write` writes whole records only, so that
/// what was written is complete when writing stops early.
pub enum LeadWriter<W: Write> {
    /// Rows kept until `finish`, to align the columns.
    Table(W, comfy_table::Table),
    /// Whether the first lead has been written.
    Json(W, bool),
    /// Plain lines.
    Ndjson(W),
    /// The CSV writer.
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> LeadWriter<W> {
    /// A writer of `format` into `out`; writes the header, if any.
    pub fn new(format: Format, mut out: W) -> io::Result<LeadWriter<W>> {
        Ok(match format {
            Format::Table => {
                let mut table = comfy_table::Table::new();
                table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
                table.set_header([
                    "id",
                    "name",
                    "status",
                    "value",
                    "agent",
                    "agent email",
                    "company",
                    "domain",
                    "created",
                ]);
                LeadWriter::Table(out, table)
            }
            Format::Json => {
                out.write_all(b"[")?;
                LeadWriter::Json(out, false)
            }
            Format::Ndjson => LeadWriter::Ndjson(out),
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(CSV_COLUMNS).map_err(csv_io_error)?;
                LeadWriter::Csv(Box::new(writer))
            }
        })
    }

    /// Writes one lead.
    pub fn write(&mut self, lead: &Lead) -> io::Result<()> {
        match self {
            LeadWriter::Table(_, table) => {
                let value = match (&lead.lead_value, &lead.lead_currency) {
                    (Some(v), Some(c)) => format!("{v} {c}"),
                    (Some(v), None) => v.to_string(),
                    _ => String::new(),
                };
                let agent = lead.assigned_agent.as_ref();
                let company = lead.company.as_ref();
                table.add_row([
                    lead.id.to_string(),
                    opt(&lead.custom_name),
                    lead.status.to_string(),
                    value,
                    agent.map(|a| a.name.clone()).unwrap_or_default(),
                    agent.and_then(|a| a.email.clone()).unwrap_or_default(),
                    company.map(|c| c.name.clone()).unwrap_or_default(),
                    company.and_then(|c| c.domain.clone()).unwrap_or_default(),
                    lead.created_at.format("%Y-%m-%d %H:%M").to_string(),
                ]);
                Ok(())
            }
            LeadWriter::Json(out, started) => {
                let mut record = Vec::with_capacity(512);
                record.extend_from_slice(if *started { b",\n" } else { b"\n" });
                serde_json::to_writer(&mut record, lead)?;
                *started = true;
                out.write_all(&record)
            }
            LeadWriter::Ndjson(out) => {
                let mut line = serde_json::to_vec(lead)?;
                line.push(b'\n');
                out.write_all(&line)
            }
            LeadWriter::Csv(writer) => writer.write_record(csv_record(lead)).map_err(csv_io_error),
        }
    }

    /// Closes what the format opened (the JSON array, the table) and flushes.
    pub fn finish(self) -> io::Result<()> {
        match self {
            LeadWriter::Table(mut out, table) => {
                writeln!(out, "{table}")?;
                out.flush()
            }
            LeadWriter::Json(mut out, started) => {
                out.write_all(if started { b"\n]\n" } else { b"]\n" })?;
                out.flush()
            }
            LeadWriter::Ndjson(mut out) => out.flush(),
            LeadWriter::Csv(mut writer) => writer.flush(),
        }
    }
}
