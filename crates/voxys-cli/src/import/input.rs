//! The lines of a `voxys leads create --from` input, read into what to
//! create: NDJSON (full leads as `voxys leads list --format ndjson` writes
//! them, or plain create members) or CSV with a header row (as `voxys leads
//! list --format csv` writes it, or the create members as columns).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use clap::ValueEnum;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use voxys_connect::leads::{CreateLead, Leads};
use voxys_connect::types::{Amount, LeadStatus};

use crate::list::STATUSES;
use crate::{Failure, exit};

/// The format of an import's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// One JSON object a line.
    Ndjson,
    /// CSV with a header row naming the members.
    Csv,
}

/// A member of a lead that `--omit` can leave out of every line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Member {
    /// `custom_name`.
    Name,
    /// `lead_value`.
    Value,
    /// `lead_currency`.
    Currency,
    /// `assigned_agent` / `assigned_agent_id`.
    Agent,
    /// `company` / `company_id`.
    Company,
    /// `conversation_id`.
    Conversation,
    /// `position`.
    Position,
    /// `custom_attributes`.
    Attributes,
    /// `status` (set after the create).
    Status,
    /// `notes` (set after the create).
    Notes,
}

/// Members that are read and left out on purpose: what `leads list` writes
/// that a new lead cannot take (its id, its timestamps; the agent's and
/// company's other members, in CSV; members the SDK did not know, in CSV).
const IGNORED: [&str; 9] = [
    "id",
    "created_at",
    "updated_at",
    "extra",
    "assigned_agent_name",
    "assigned_agent_email",
    "assigned_agent_avatar_url",
    "company_name",
    "company_domain",
];

/// Members that do not take part in a line's key: they change without the
/// lead changing (`updated_at` moves at every write).
const NOT_IN_KEY: [&str; 2] = ["created_at", "updated_at"];

/// The members an import reads.
const READ: [&str; 12] = [
    "custom_name",
    "lead_value",
    "lead_currency",
    "assigned_agent",
    "assigned_agent_id",
    "company",
    "company_id",
    "conversation_id",
    "position",
    "custom_attributes",
    "status",
    "notes",
];

/// The members a create sends, as one line asks for them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields {
    /// `custom_name`.
    pub name: Option<String>,
    /// `lead_value`.
    pub value: Option<Amount>,
    /// `lead_currency`.
    pub currency: Option<String>,
    /// `assigned_agent_id`.
    pub agent: Option<i64>,
    /// `position`.
    pub position: Option<i64>,
    /// `conversation_id`.
    pub conversation: Option<i64>,
    /// `company_id`.
    pub company: Option<i64>,
    /// `custom_attributes`.
    pub attributes: Map<String, Value>,
}

/// Whether a member set in one create has the same value in the other.
fn within<T: PartialEq>(mine: &Option<T>, theirs: &Option<T>) -> bool {
    mine.is_none() || mine == theirs
}

impl Fields {
    /// The create request for these members.
    pub fn request(&self, leads: &Leads) -> CreateLead {
        let mut request = leads.create();
        if let Some(name) = &self.name {
            request = request.name(name);
        }
        if let Some(value) = self.value {
            request = request.value(value);
        }
        if let Some(currency) = &self.currency {
            request = request.currency(currency);
        }
        if let Some(agent) = self.agent {
            request = request.agent(agent);
        }
        if let Some(position) = self.position {
            request = request.position(position);
        }
        if let Some(conversation) = self.conversation {
            request = request.conversation(conversation);
        }
        if let Some(company) = self.company {
            request = request.company(company);
        }
        if !self.attributes.is_empty() {
            request = request.custom_attributes(self.attributes.clone());
        }
        request
    }

    /// How many members the create sets (custom attributes one by one).
    pub fn count(&self) -> usize {
        [
            self.name.is_some(),
            self.value.is_some(),
            self.currency.is_some(),
            self.agent.is_some(),
            self.position.is_some(),
            self.conversation.is_some(),
            self.company.is_some(),
        ]
        .iter()
        .filter(|set| **set)
        .count()
            + self.attributes.len()
    }

    /// Whether the lead `other` makes would match this create when the SDK
    /// looks for the lead a lost answer made: every member this create sets
    /// has the same value in `other`.
    pub fn is_within(&self, other: &Fields) -> bool {
        within(&self.name, &other.name)
            && within(&self.value, &other.value)
            && within(&self.currency, &other.currency)
            && within(&self.agent, &other.agent)
            && within(&self.position, &other.position)
            && within(&self.conversation, &other.conversation)
            && within(&self.company, &other.company)
            && self
                .attributes
                .iter()
                .all(|(key, value)| other.attributes.get(key) == Some(value))
    }

    /// Whether the two creates must not be in flight at once: the lead one
    /// makes could be taken for the other's when an answer is lost.
    pub fn could_be_taken_for(&self, other: &Fields) -> bool {
        self.is_within(other) || other.is_within(self)
    }
}

impl Fields {
    /// The members as the create sends them (`lead_value` as a string of
    /// its exact digits), for the journal.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        let mut put = |name: &str, value: Option<Value>| {
            if let Some(value) = value {
                body.insert(name.to_owned(), value);
            }
        };
        put("custom_name", self.name.clone().map(Value::from));
        put("lead_value", self.value.map(|v| Value::from(v.to_string())));
        put("lead_currency", self.currency.clone().map(Value::from));
        put("assigned_agent_id", self.agent.map(Value::from));
        put("position", self.position.map(Value::from));
        put("conversation_id", self.conversation.map(Value::from));
        put("company_id", self.company.map(Value::from));
        if !self.attributes.is_empty() {
            put(
                "custom_attributes",
                Some(Value::Object(self.attributes.clone())),
            );
        }
        Value::Object(body)
    }

    /// The members [`to_json`](Fields::to_json) wrote.
    pub fn from_json(body: &Value) -> Option<Fields> {
        let text = body.to_string();
        let members: BTreeMap<String, &RawValue> = serde_json::from_str(&text).ok()?;
        let cells: BTreeMap<&str, Cell<'_>> = members
            .iter()
            .map(|(k, v)| (k.as_str(), Cell::Json(v)))
            .collect();
        plan(&cells, &[]).ok().map(|plan| plan.fields)
    }
}

/// What to do for one line: the create, then the status and notes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// The create's members.
    pub fields: Fields,
    /// The status to set after the create (`open` sets nothing).
    pub status: Option<LeadStatus>,
    /// The notes to set after the create.
    pub notes: Option<String>,
}

impl Plan {
    /// The `set_status` to send after the create, if any: the status when
    /// it is not `open`, and the notes when there are some.
    pub fn follow_up(&self) -> Option<(LeadStatus, Option<String>)> {
        let status = self.status.clone().unwrap_or(LeadStatus::Open);
        if status == LeadStatus::Open && self.notes.is_none() {
            return None;
        }
        Some((status, self.notes.clone()))
    }
}

/// One line of the input.
#[derive(Debug)]
pub struct Line {
    /// Its line number in the input, from 1.
    pub number: usize,
    /// The line as read, for the failures file: the JSON object, a CSV
    /// row as an object of its columns, or the text of a line that is
    /// neither.
    pub record: Value,
    /// The `id` the line carries (the lead it was listed from), if any.
    pub source_id: Option<i64>,
    /// The line's content in one canonical form (members sorted, the
    /// timestamps left out), for its key.
    pub canonical: String,
    /// What to do, or why the line cannot be sent.
    pub plan: Result<Plan, String>,
}

/// What reading an input gave: its lines, and the members it has that the
/// import does not know (left out of every create).
#[derive(Debug)]
pub struct Input {
    /// The lines, in order.
    pub lines: Vec<Line>,
    /// Members (or CSV columns) read nowhere.
    pub unknown: BTreeSet<String>,
}

/// The format `format` forces, else the one the file's extension says,
/// else the one the content looks like (a first line starting with `{` is
/// NDJSON).
pub fn detect(format: Option<InputFormat>, path: &Path, text: &str) -> InputFormat {
    if let Some(format) = format {
        return format;
    }
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("csv") => return InputFormat::Csv,
        Some("ndjson" | "jsonl" | "json") => return InputFormat::Ndjson,
        _ => {}
    }
    match text.trim_start().chars().next() {
        Some('{') => InputFormat::Ndjson,
        _ => InputFormat::Csv,
    }
}

/// Reads `text` as `format`, leaving out the `omit` members. No line at
/// all (an empty input, a CSV header alone) is no error: nothing to do.
pub fn read(text: &str, format: InputFormat, omit: &[Member]) -> Result<Input, Failure> {
    let mut input = Input {
        lines: Vec::new(),
        unknown: BTreeSet::new(),
    };
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        // An empty file, or a pipe whose command found nothing (or failed
        // before writing): no lead to make, as a CSV of a header alone.
        return Ok(input);
    }
    match format {
        InputFormat::Ndjson => read_ndjson(text, omit, &mut input),
        InputFormat::Csv => read_csv(text, omit, &mut input)?,
    }
    Ok(input)
}

/// A member's value as the input has it.
#[derive(Clone, Copy)]
enum Cell<'a> {
    /// A JSON value, as written.
    Json(&'a RawValue),
    /// A CSV cell.
    Text(&'a str),
}

/// A JSON value with its objects' members sorted, whatever order the
/// JSON library keeps them in: the same content gives the same text.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let members: BTreeMap<&String, String> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            let inner: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}:{v}", Value::String((*k).clone())))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

fn read_ndjson(text: &str, omit: &[Member], input: &mut Input) {
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let number = index + 1;
        let members: BTreeMap<String, &RawValue> = match serde_json::from_str(trimmed) {
            Ok(members) => members,
            Err(e) => {
                input.lines.push(Line {
                    number,
                    record: Value::String(trimmed.to_owned()),
                    source_id: None,
                    canonical: trimmed.to_owned(),
                    plan: Err(format!("not a JSON object ({e})")),
                });
                continue;
            }
        };
        let record: Value = serde_json::from_str(trimmed).unwrap_or(Value::Null);
        let keyed: Map<String, Value> = record
            .as_object()
            .map(|map| {
                map.iter()
                    .filter(|(k, _)| !NOT_IN_KEY.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let cells: BTreeMap<&str, Cell<'_>> = members
            .iter()
            .map(|(k, v)| (k.as_str(), Cell::Json(v)))
            .collect();
        note_unknown(cells.keys().copied(), &mut input.unknown);
        input.lines.push(Line {
            number,
            source_id: cells.get("id").and_then(|c| int(*c, "id").ok().flatten()),
            canonical: canonical(&Value::Object(keyed)),
            plan: plan(&cells, omit),
            record,
        });
    }
}

fn read_csv(text: &str, omit: &[Member], input: &mut Input) -> Result<(), Failure> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Failure::new(exit::USAGE, format!("cannot read the CSV header: {e}.")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if !header.iter().any(|h| READ.contains(&h.as_str())) {
        return Err(Failure::new(
            exit::USAGE,
            format!(
                "the CSV header names none of the members a lead is made of ({}); its first line is the header, such as `custom_name,lead_value,lead_currency`. Nothing was sent.",
                READ.join(", ")
            ),
        ));
    }
    note_unknown(header.iter().map(String::as_str), &mut input.unknown);
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let number = e.position().map_or(0, |p| p.line() as usize);
                input.lines.push(Line {
                    number,
                    record: Value::Null,
                    source_id: None,
                    canonical: format!("unreadable CSV row {number}"),
                    plan: Err(format!("not a CSV row of the header's columns ({e})")),
                });
                continue;
            }
        };
        let number = row.position().map_or(0, |p| p.line() as usize);
        let cells: BTreeMap<&str, Cell<'_>> = header
            .iter()
            .map(String::as_str)
            .zip(row.iter().map(Cell::Text))
            .collect();
        let record: Map<String, Value> = header
            .iter()
            .zip(row.iter())
            .map(|(h, cell)| (h.clone(), Value::String(cell.to_owned())))
            .collect();
        let keyed: Map<String, Value> = record
            .iter()
            .filter(|(k, _)| !NOT_IN_KEY.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        input.lines.push(Line {
            number,
            source_id: cells.get("id").and_then(|c| int(*c, "id").ok().flatten()),
            canonical: canonical(&Value::Object(keyed)),
            plan: plan(&cells, omit),
            record: Value::Object(record),
        });
    }
    Ok(())
}

/// Adds the members the import does not know to `unknown`.
fn note_unknown<'a>(names: impl Iterator<Item = &'a str>, unknown: &mut BTreeSet<String>) {
    for name in names {
        if !READ.contains(&name) && !IGNORED.contains(&name) {
            unknown.insert(name.to_owned());
        }
    }
}

/// A CSV text cell as it was before `voxys leads list --format csv` made
/// it safe for spreadsheets (a leading `'` before `=`, `+`, `-`, `@`, a
/// tab or a carriage return).
fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// A text member: a JSON string, or a CSV cell (empty: none).
fn text(cell: Cell<'_>, name: &str) -> Result<Option<String>, String> {
    match cell {
        Cell::Text("") => Ok(None),
        Cell::Text(text) => Ok(Some(unneutralise(text).to_owned())),
        Cell::Json(raw) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Null) => Ok(None),
            Ok(Value::String(text)) => Ok(Some(text)),
            _ => Err(format!("`{name}` is not text: {}", raw.get())),
        },
    }
}

/// A whole-number member: a JSON integer, or digits.
fn int(cell: Cell<'_>, name: &str) -> Result<Option<i64>, String> {
    let text = match cell {
        Cell::Text(text) => text.trim().to_owned(),
        Cell::Json(raw) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Null) => return Ok(None),
            Ok(Value::String(text)) => text.trim().to_owned(),
            _ => raw.get().to_owned(),
        },
    };
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i64>()
        .map(Some)
        .map_err(|_| format!("`{name}` is not a whole number: {text}"))
}

/// An amount: a JSON number (its exact digits) or string, or a CSV cell.
fn amount(cell: Cell<'_>, name: &str) -> Result<Option<Amount>, String> {
    let text = match cell {
        Cell::Text(text) => text.trim().to_owned(),
        Cell::Json(raw) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Null) => return Ok(None),
            Ok(Value::String(text)) => text.trim().to_owned(),
            Ok(Value::Number(_)) => raw.get().trim().to_owned(),
            _ => return Err(format!("`{name}` is not an amount: {}", raw.get())),
        },
    };
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<Amount>()
        .map(Some)
        .map_err(|_| format!("`{name}` is not an amount: {text}"))
}

/// The custom attributes: a JSON object, or a CSV cell holding one.
fn attributes(cell: Cell<'_>) -> Result<Map<String, Value>, String> {
    let text = match cell {
        Cell::Text(text) => text.trim(),
        Cell::Json(raw) => raw.get(),
    };
    if text.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(Map::new()),
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(format!("`custom_attributes` is not a JSON object: {text}")),
    }
}

/// The id of a nested object (`assigned_agent`, `company`): `null`, or an
/// object with an `id`.
fn nested_id(cell: Cell<'_>, name: &str) -> Result<Option<i64>, String> {
    let Cell::Json(raw) = cell else {
        return Err(format!(
            "`{name}` is an object, which a CSV cell cannot hold: use `{name}_id`"
        ));
    };
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::Null) => Ok(None),
        Ok(Value::Object(map)) => match map.get("id") {
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            _ => Err(format!("`{name}` has no whole-number `id`: {}", raw.get())),
        },
        _ => Err(format!("`{name}` is not an object: {}", raw.get())),
    }
}

/// A reference given as an id member, an object with an id, or both (then
/// the same).
fn reference(
    cells: &BTreeMap<&str, Cell<'_>>,
    id_member: &str,
    object_member: &str,
) -> Result<Option<i64>, String> {
    let by_id = match cells.get(id_member) {
        Some(cell) => int(*cell, id_member)?,
        None => None,
    };
    let by_object = match cells.get(object_member) {
        Some(cell) => nested_id(*cell, object_member)?,
        None => None,
    };
    match (by_id, by_object) {
        (Some(a), Some(b)) if a != b => Err(format!(
            "`{id_member}` ({a}) and `{object_member}.id` ({b}) differ"
        )),
        (a, b) => Ok(a.or(b)),
    }
}

/// What a line asks for.
fn plan(cells: &BTreeMap<&str, Cell<'_>>, omit: &[Member]) -> Result<Plan, String> {
    let kept = |member: Member| !omit.contains(&member);
    let get = |name: &str| cells.get(name).copied();
    let mut plan = Plan::default();
    let fields = &mut plan.fields;
    if kept(Member::Name)
        && let Some(cell) = get("custom_name")
    {
        fields.name = text(cell, "custom_name")?;
    }
    if kept(Member::Value)
        && let Some(cell) = get("lead_value")
    {
        fields.value = amount(cell, "lead_value")?;
    }
    if kept(Member::Currency)
        && let Some(cell) = get("lead_currency")
    {
        fields.currency = text(cell, "lead_currency")?;
    }
    if kept(Member::Agent) {
        fields.agent = reference(cells, "assigned_agent_id", "assigned_agent")?;
    }
    if kept(Member::Company) {
        fields.company = reference(cells, "company_id", "company")?;
    }
    if kept(Member::Conversation)
        && let Some(cell) = get("conversation_id")
    {
        fields.conversation = int(cell, "conversation_id")?;
    }
    if kept(Member::Position)
        && let Some(cell) = get("position")
    {
        fields.position = int(cell, "position")?;
    }
    if kept(Member::Attributes)
        && let Some(cell) = get("custom_attributes")
    {
        fields.attributes = attributes(cell)?;
    }
    if kept(Member::Status)
        && let Some(cell) = get("status")
    {
        plan.status = match text(cell, "status")? {
            None => None,
            Some(status) => {
                let status = LeadStatus::from(status.trim());
                if !STATUSES.contains(&status) {
                    return Err(format!(
                        "`status` {:?} is none of {}",
                        status.as_str(),
                        STATUSES
                            .iter()
                            .map(LeadStatus::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                Some(status)
            }
        };
    }
    if kept(Member::Notes)
        && let Some(cell) = get("notes")
    {
        plan.notes = text(cell, "notes")?;
    }
    for (id, name) in [
        (plan.fields.agent, "the agent"),
        (plan.fields.company, "the company"),
        (plan.fields.conversation, "the conversation"),
    ] {
        if let Some(id) = id
            && id < 1
        {
            return Err(format!("{id} is not an id of {name} (ids are from 1 up)"));
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str, format: InputFormat, omit: &[Member]) -> Line {
        let mut input = read(text, format, omit).unwrap();
        assert_eq!(input.lines.len(), 1);
        input.lines.remove(0)
    }

    #[test]
    fn a_listed_lead_maps_to_a_create_and_its_status_and_notes() {
        let listed = r#"{"id": 7, "custom_name": "Acme renewal", "status": "won", "lead_value": 15000.10, "lead_currency": "USD", "position": 3, "notes": "paid", "assigned_agent": {"id": 5, "name": "Jane"}, "company": {"id": 10, "name": "Acme"}, "conversation_id": 99, "custom_attributes": {"tier": "gold"}, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z"}"#;
        let line = one(listed, InputFormat::Ndjson, &[]);
        let plan = line.plan.unwrap();
        assert_eq!(line.source_id, Some(7));
        assert_eq!(plan.fields.name.as_deref(), Some("Acme renewal"));
        assert_eq!(plan.fields.value.unwrap().to_string(), "15000.1");
        assert_eq!(plan.fields.agent, Some(5));
        assert_eq!(plan.fields.company, Some(10));
        assert_eq!(plan.fields.conversation, Some(99));
        assert_eq!(plan.fields.position, Some(3));
        assert_eq!(plan.fields.attributes["tier"], "gold");
        assert_eq!(
            plan.follow_up(),
            Some((LeadStatus::Won, Some("paid".to_owned())))
        );

        let omitted = one(
            listed,
            InputFormat::Ndjson,
            &[Member::Agent, Member::Company, Member::Status],
        );
        let plan = omitted.plan.unwrap();
        assert_eq!((plan.fields.agent, plan.fields.company), (None, None));
        assert_eq!(
            plan.follow_up(),
            Some((LeadStatus::Open, Some("paid".to_owned())))
        );
    }

    #[test]
    fn plain_create_members_and_csv_read_the_same() {
        let ndjson = r#"{"custom_name": "=SUM(A1)", "assigned_agent_id": 5, "company_id": 10, "lead_value": "12.50", "status": "open"}"#;
        let csv = "custom_name,assigned_agent_id,company_id,lead_value,status\n'=SUM(A1),5,10,12.50,open\n";
        let a = one(ndjson, InputFormat::Ndjson, &[]).plan.unwrap();
        let b = one(csv, InputFormat::Csv, &[]).plan.unwrap();
        assert_eq!(a, b);
        assert_eq!(a.fields.name.as_deref(), Some("=SUM(A1)"));
        assert_eq!(a.follow_up(), None);
    }

    #[test]
    fn the_key_content_leaves_out_timestamps_and_member_order() {
        let a = one(
            r#"{"custom_name": "x", "id": 1, "updated_at": "2024-01-01T00:00:00Z"}"#,
            InputFormat::Ndjson,
            &[],
        );
        let b = one(
            r#"{"id": 1, "updated_at": "2025-01-01T00:00:00Z", "custom_name": "x"}"#,
            InputFormat::Ndjson,
            &[],
        );
        assert_eq!(a.canonical, b.canonical);
    }

    #[test]
    fn bad_values_fail_their_line_only() {
        let input = read(
            "{\"position\": \"high\"}\n{\"status\": \"maybe\"}\nnot json\n{\"company_id\": 3, \"company\": {\"id\": 4}}\n{\"custom_name\": \"ok\"}\n",
            InputFormat::Ndjson,
            &[],
        )
        .unwrap();
        let errors: Vec<String> = input
            .lines
            .iter()
            .filter_map(|l| l.plan.as_ref().err().cloned())
            .collect();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].contains("`position` is not a whole number"));
        assert!(errors[1].contains("`status` \"maybe\""));
        assert!(errors[2].contains("not a JSON object"));
        assert!(errors[3].contains("differ"));
        assert!(input.lines[4].plan.is_ok());
        assert_eq!(input.lines[2].number, 3);
    }

    #[test]
    fn the_members_sent_read_back_exactly() {
        let line = one(
            r#"{"custom_name": "x", "lead_value": 12345678901234567.89, "assigned_agent": {"id": 5}, "custom_attributes": {"a": [1]}}"#,
            InputFormat::Ndjson,
            &[],
        );
        let fields = line.plan.unwrap().fields;
        let body = fields.to_json();
        assert_eq!(body["lead_value"], "12345678901234567.89");
        assert_eq!(Fields::from_json(&body), Some(fields));
    }

    #[test]
    fn creates_that_could_be_taken_for_each_other_are_told_apart() {
        let named = |name: &str| Fields {
            name: Some(name.to_owned()),
            ..Fields::default()
        };
        let mut valued = named("a");
        valued.value = Some(Amount::from(5));
        assert!(named("a").could_be_taken_for(&named("a")));
        assert!(named("a").could_be_taken_for(&valued));
        assert!(valued.could_be_taken_for(&named("a")));
        assert!(!named("a").could_be_taken_for(&named("b")));
        assert!(Fields::default().could_be_taken_for(&named("b")));
    }

    #[test]
    fn the_format_comes_from_the_flag_the_extension_or_the_content() {
        let path = Path::new("leads.txt");
        assert_eq!(detect(None, path, "{\"a\":1}"), InputFormat::Ndjson);
        assert_eq!(detect(None, path, "custom_name\nx"), InputFormat::Csv);
        assert_eq!(
            detect(None, Path::new("x.csv"), "{\"a\":1}"),
            InputFormat::Csv
        );
        assert_eq!(
            detect(Some(InputFormat::Ndjson), Path::new("x.csv"), ""),
            InputFormat::Ndjson
        );
    }
}
