//! The mock's operations: one handler per operation of the document, and
//! [`HANDLERS`], the one table that names them by operation id.
//!
//! A handler does the operation's work and nothing else. By the time it
//! runs, the routes ([`crate::routes`]) have done what the document says
//! every operation does: matched the method and path, checked the token and
//! the account, checked the path, query and body against their schemas
//! (defaults filled in), and they answer its [`Reply`] with the status the
//! document gives for success. A handler answers a [`Refusal`] when the
//! data says no (no such lead: 404; an agent not in the account: 422).

use std::collections::BTreeMap;

use axum::body::Bytes;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::companies::{CompanyInput, CompanySort};
use crate::conversations::ConversationConversion;
use crate::leads::LeadInput;
use crate::listing::{ListRequest, SortField};
use crate::pipelines::{CardInput, FunnelInput, StageInput};
use crate::respond::Refusal;
use crate::state::Shared;
use crate::store::{BulkAction, Change};
use crate::tasks::{Snooze, TaskFilter, TaskInput, date, instant};

/// What a handler answers.
pub(crate) type Outcome = Result<Reply, Refusal>;

/// A handler: the request, checked, in; the answer out. Handlers are plain
/// functions: the data sits behind a lock, and nothing they do waits.
pub(crate) type Handler = fn(&Shared, &Call) -> Outcome;

/// Every operation the mock serves: its id in the document, and its
/// handler. The router takes each operation's method and path from the
/// document and finds its handler here; a server whose document and table
/// disagree does not start ([`crate::check_document`]).
pub(crate) const HANDLERS: &[(&str, Handler)] = &[
    ("list_leads", list_leads),
    ("create_lead", create_lead),
    ("lead_stats", lead_stats),
    ("get_lead", get_lead),
    ("update_lead", update_lead),
    ("delete_lead", delete_lead),
    ("update_lead_status", update_lead_status),
    ("bulk_lead_action", bulk_lead_action),
    ("convert_lead", convert_lead),
    ("list_lead_notes", list_lead_notes),
    ("create_lead_note", create_lead_note),
    ("list_companies", list_companies),
    ("create_company", create_company),
    ("search_companies", search_companies),
    ("get_company", get_company),
    ("update_company", update_company),
    ("delete_company", delete_company),
    ("company_timeline", company_timeline),
    ("company_duplicates", company_duplicates),
    ("merge_companies", merge_companies),
    ("list_company_contacts", list_company_contacts),
    ("add_company_contact", add_company_contact),
    ("remove_company_contact", remove_company_contact),
    ("list_funnel_cards", list_funnel_cards),
    ("list_funnels", list_funnels),
    ("create_funnel", create_funnel),
    ("get_funnel", get_funnel),
    ("update_funnel", update_funnel),
    ("delete_funnel", delete_funnel),
    ("funnel_stats", funnel_stats),
    ("list_funnel_stages", list_funnel_stages),
    ("create_funnel_stage", create_funnel_stage),
    ("update_funnel_stage", update_funnel_stage),
    ("delete_funnel_stage", delete_funnel_stage),
    ("reorder_funnel_stages", reorder_funnel_stages),
    ("create_funnel_card", create_funnel_card),
    ("update_funnel_card", update_funnel_card),
    ("delete_funnel_card", delete_funnel_card),
    ("move_funnel_card", move_funnel_card),
    ("funnel_card_history", funnel_card_history),
    ("funnel_analytics", funnel_analytics),
    ("list_tasks", list_tasks),
    ("create_task", create_task),
    ("task_calendar", task_calendar),
    ("get_task", get_task),
    ("update_task", update_task),
    ("delete_task", delete_task),
    ("complete_task", complete_task),
    ("snooze_task", snooze_task),
    ("get_conversation_crm", get_conversation_crm),
    ("link_conversation_card", link_conversation_card),
    ("unlink_conversation_card", unlink_conversation_card),
    ("link_conversation_lead", link_conversation_lead),
    ("convert_conversation", convert_conversation),
];

/// The ids of the operations the mock serves, in the order of its table:
/// for contract tests to check that every operation of the document has a
/// route in the mock (see also [`check_document`](crate::check_document),
/// which compares the two both ways).
///
/// ```
/// assert!(voxys_connect_mock::operations().contains(&"list_leads"));
/// ```
pub fn operations() -> Vec<&'static str> {
    HANDLERS.iter().map(|(id, _)| *id).collect()
}

/// A request as a handler gets it: authenticated, and every parameter and
/// the body checked against the document.
pub(crate) struct Call {
    /// The account, of which the token's user is a member; `None` for an
    /// operation whose path names none.
    pub(crate) account_id: Option<i64>,
    /// The other path parameters, in the order the path names them.
    pub(crate) path: Vec<(String, Value)>,
    /// The query parameters the document declares, with its defaults for
    /// those not given.
    pub(crate) query: BTreeMap<String, Value>,
    /// The JSON body; `null` for an operation that takes none.
    pub(crate) body: Value,
    /// The body as sent, for what a `Value` cannot hold exactly (the
    /// digits of an amount).
    pub(crate) raw: Bytes,
}

impl Call {
    /// The account.
    fn account(&self) -> Result<i64, Refusal> {
        self.account_id.ok_or(Refusal::NotFound)
    }

    /// The id the path names after the account: its last parameter
    /// (`{id}`, `{lead_id}`: the document's names drift, the place does not).
    fn id(&self) -> Result<i64, Refusal> {
        self.path
            .last()
            .and_then(|(_, v)| v.as_i64())
            .ok_or(Refusal::NotFound)
    }

    /// The path parameter `name` (`{id}`, `{contact_id}`).
    fn param(&self, name: &str) -> Result<i64, Refusal> {
        self.path
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_i64())
            .ok_or(Refusal::NotFound)
    }

    /// A body member's integer, which the document requires.
    fn body_int(&self, name: &str) -> Result<i64, Refusal> {
        self.body
            .get(name)
            .and_then(Value::as_i64)
            .ok_or_else(|| Refusal::Missing(name.to_owned()))
    }

    /// A query parameter's text.
    fn text(&self, name: &str) -> Option<&str> {
        self.query.get(name).and_then(Value::as_str)
    }

    /// A query parameter's integer.
    fn int(&self, name: &str) -> Option<i64> {
        self.query.get(name).and_then(Value::as_i64)
    }

    /// A query parameter's date (`YYYY-MM-DD`); 422 when it is none.
    fn date(&self, name: &str) -> Result<Option<chrono::NaiveDate>, Refusal> {
        self.text(name)
            .map(|text| {
                date(text).ok_or_else(|| Refusal::invalid(name, format!("{name} is not a date")))
            })
            .transpose()
    }

    /// A query parameter's instant; 422 when it is none.
    fn instant(&self, name: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, Refusal> {
        self.text(name)
            .map(|text| {
                instant(text)
                    .ok_or_else(|| Refusal::invalid(name, format!("{name} is not a date-time")))
            })
            .transpose()
    }

    /// A query parameter's text, which the document gives a default.
    fn required_text(&self, name: &str) -> Result<&str, Refusal> {
        self.text(name)
            .ok_or_else(|| Refusal::Missing(name.to_owned()))
    }

    /// A query parameter's count (0 or more), which the document gives a
    /// default.
    fn required_count(&self, name: &str) -> Result<u64, Refusal> {
        match self.query.get(name) {
            None => Err(Refusal::Missing(name.to_owned())),
            Some(value) => value
                .as_u64()
                .ok_or_else(|| Refusal::invalid(name, format!("{name} must be 0 or more"))),
        }
    }
}

/// What a handler answers when it succeeds, sent with the status the
/// document gives the operation for success: a JSON body, or none (a `204`:
/// no body, no content type).
pub(crate) struct Reply(pub(crate) Option<String>);

impl Reply {
    /// A JSON body, already written.
    fn text(json: String) -> Reply {
        Reply(Some(json))
    }

    /// A JSON body.
    fn json(value: &Value) -> Reply {
        Reply::text(value.to_string())
    }

    /// No body, for an operation that succeeds with `204`.
    fn empty() -> Reply {
        Reply(None)
    }
}

/// `list_leads`: one page of the account's leads, filtered and sorted.
fn list_leads(shared: &Shared, call: &Call) -> Outcome {
    let sort_name = call.required_text("sort_by")?;
    let sort_by = SortField::from_wire(sort_name).ok_or_else(|| {
        Refusal::invalid(
            "sort_by",
            format!("sorting by {sort_name} is not supported by the mock server yet"),
        )
    })?;
    let request = ListRequest {
        status: call.text("status").map(str::to_owned),
        assigned_agent_id: call.int("assigned_agent_id"),
        source_inbox_id: call.int("source_inbox_id"),
        sort_by,
        descending: call.required_text("sort_order")? == "desc",
        page: call.required_count("page")?,
        per_page: call.required_count("per_page")?,
    };
    let store = shared.store();
    let (account, index) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    Ok(Reply::text(index.list(account, &request)))
}

/// `lead_stats`: the account's totals, counted from its leads now (nothing
/// is kept apart from them). Snoozed leads count in `total` only. Amounts
/// are summed exactly, as decimals, and sent as JSON numbers written from
/// the decimal (never through a float).
fn lead_stats(shared: &Shared, call: &Call) -> Outcome {
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    let (mut open, mut won, mut lost) = (0u64, 0u64, 0u64);
    let (mut total_value, mut won_value) = (Decimal::ZERO, Decimal::ZERO);
    let add = |sum: &mut Decimal, value: Option<Decimal>| {
        if let Some(value) = value {
            *sum = sum.checked_add(value).unwrap_or(Decimal::MAX);
        }
    };
    for lead in &account.leads {
        match lead.status.as_str() {
            "open" => open += 1,
            "won" => {
                won += 1;
                add(&mut won_value, lead.lead_value);
            }
            "lost" => lost += 1,
            _ => {}
        }
        add(&mut total_value, lead.lead_value);
    }
    let amount = |sum: Decimal| sum.normalize().to_string();
    Ok(Reply::text(format!(
        r#"{{"total":{},"open":{open},"won":{won},"lost":{lost},"total_value":{},"won_value":{}}}"#,
        account.leads.len(),
        amount(total_value),
        amount(won_value),
    )))
}

/// `get_lead`: the lead, bare; 404 when the account has no such lead.
fn get_lead(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    let lead = account.lead(id).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(&lead.to_json()))
}

/// `update_lead_status`: sets the status, and the notes as `notes` says.
fn update_lead_status(shared: &Shared, call: &Call) -> Outcome {
    let (account, lead_id) = (call.account()?, call.id()?);
    let status = call
        .body
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| Refusal::Missing("status".to_owned()))?;
    let notes = Change::of(&call.body, "notes", |v| v.as_str().map(str::to_owned));
    let lead = shared.write(|store| store.update_status(account, lead_id, status, notes))?;
    Ok(Reply::json(&lead))
}

/// `bulk_lead_action`: assigns, changes the status of, or deletes leads;
/// counts those that exist.
fn bulk_lead_action(shared: &Shared, call: &Call) -> Outcome {
    let (account, body) = (call.account()?, &call.body);
    let lead_ids: Vec<i64> = body["lead_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let action = match body["action_type"].as_str() {
        Some("assign") => BulkAction::Assign(
            body["params"]["assigned_agent_id"]
                .as_i64()
                .ok_or_else(|| Refusal::Missing("assigned_agent_id".to_owned()))?,
        ),
        Some("status_change") => BulkAction::SetStatus(
            body["params"]["status"]
                .as_str()
                .ok_or_else(|| Refusal::Missing("status".to_owned()))?
                .to_owned(),
        ),
        _ => BulkAction::Delete,
    };
    let affected = shared.write(|store| store.bulk(account, &lead_ids, action))?;
    Ok(Reply::json(
        &serde_json::json!({"success": true, "affected_count": affected}),
    ))
}

/// `convert_lead`: makes a card of the lead, in the stage given or the
/// funnel's first.
fn convert_lead(shared: &Shared, call: &Call) -> Outcome {
    let (account, lead_id) = (call.account()?, call.id()?);
    let funnel_id = call
        .body
        .get("funnel_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| Refusal::Missing("funnel_id".to_owned()))?;
    let stage = call.body.get("funnel_stage_id").and_then(Value::as_i64);
    let card = shared.write(|store| store.convert(account, lead_id, funnel_id, stage))?;
    Ok(Reply::json(&card))
}

/// `list_funnel_cards`: every card of the funnel, filtered, by stage, then
/// position, then id.
fn list_funnel_cards(shared: &Shared, call: &Call) -> Outcome {
    let funnel_id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    account.funnel(funnel_id).ok_or(Refusal::NotFound)?;
    let status = call.text("lead_status");
    let stage = call.int("stage_id");
    let cards: Vec<Value> = account
        .funnel_cards(funnel_id)
        .into_iter()
        .filter(|c| stage.is_none_or(|s| c.funnel_stage_id == Some(s)))
        .filter(|c| status.is_none_or(|s| account.lead(c.lead_id).is_some_and(|l| l.status == s)))
        .filter_map(|c| account.card_json(c))
        .collect();
    Ok(Reply::json(&Value::Array(cards)))
}

/// `create_lead`: a new lead, as `LeadCreate` describes it (every member
/// optional); 422 for an agent or a company the account does not have.
fn create_lead(shared: &Shared, call: &Call) -> Outcome {
    let (account, input) = (call.account()?, LeadInput::read(&call.body, &call.raw)?);
    let lead = shared.write(|store| store.create_lead(account, input))?;
    Ok(Reply::json(&lead))
}

/// `update_lead`: the members sent changed (`null` clears), the others
/// kept.
fn update_lead(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    let input = LeadInput::read(&call.body, &call.raw)?;
    let lead = shared.write(|store| store.update_lead(account, id, input))?;
    Ok(Reply::json(&lead))
}

/// `delete_lead`: 204, no body; 404 when it is gone already.
fn delete_lead(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    shared.write(|store| store.delete_lead(account, id))?;
    Ok(Reply::empty())
}

/// `list_lead_notes`: the lead's notes, newest first.
fn list_lead_notes(shared: &Shared, call: &Call) -> Outcome {
    let lead_id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    account.lead(lead_id).ok_or(Refusal::NotFound)?;
    let notes: Vec<Value> = account
        .notes_of(lead_id)
        .iter()
        .map(|n| n.to_json())
        .collect();
    Ok(Reply::json(&Value::Array(notes)))
}

/// `create_lead_note`: a note by the token's user.
fn create_lead_note(shared: &Shared, call: &Call) -> Outcome {
    let (account, lead_id) = (call.account()?, call.id()?);
    let content = call
        .body
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| Refusal::Missing("content".to_owned()))?;
    let note = shared.write(|store| store.create_note(account, lead_id, content))?;
    Ok(Reply::json(&note))
}

/// `list_companies`: one page of 25, sorted as asked.
fn list_companies(shared: &Shared, call: &Call) -> Outcome {
    let sort_name = call.required_text("sort")?;
    let sort = CompanySort::from_wire(sort_name).ok_or_else(|| {
        Refusal::invalid("sort", format!("sorting by {sort_name} is not supported"))
    })?;
    let page = call.required_count("page")?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(&account.list_companies(page, sort)))
}

/// `create_company`: a new company; `name` must not be blank.
fn create_company(shared: &Shared, call: &Call) -> Outcome {
    let (account, input) = (call.account()?, CompanyInput::read(&call.body));
    let company = shared.write(|store| store.create_company(account, input))?;
    Ok(Reply::json(&company))
}

/// `search_companies`: those whose name or domain contains `q`.
fn search_companies(shared: &Shared, call: &Call) -> Outcome {
    let q = call
        .text("q")
        .ok_or_else(|| Refusal::Missing("q".to_owned()))?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(&account.search_companies(q)))
}

/// `get_company`: the company, bare.
fn get_company(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    let company = account.company(id).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(&account.company_json(company)))
}

/// `update_company`: the members sent changed (`null` clears), the others
/// kept.
fn update_company(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    let input = CompanyInput::read(&call.body);
    let company = shared.write(|store| store.update_company(account, id, input))?;
    Ok(Reply::json(&company))
}

/// `delete_company`: 204; its leads and contacts stay, in no company.
fn delete_company(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    shared.write(|store| store.delete_company(account, id))?;
    Ok(Reply::empty())
}

/// `company_timeline`: its events, newest first.
fn company_timeline(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    account.company(id).ok_or(Refusal::NotFound)?;
    let events: Vec<Value> = account
        .timeline_of(id)
        .iter()
        .map(|e| e.to_json())
        .collect();
    Ok(Reply::json(&Value::Array(events)))
}

/// `company_duplicates`: the companies that look like it.
fn company_duplicates(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(
        &account.duplicates_of(id).ok_or(Refusal::NotFound)?,
    ))
}

/// `merge_companies`: the source into the target; answers the target.
fn merge_companies(shared: &Shared, call: &Call) -> Outcome {
    let (account, source) = (call.account()?, call.id()?);
    let target = call.body_int("target_company_id")?;
    let company = shared.write(|store| store.merge_companies(account, source, target))?;
    Ok(Reply::json(&company))
}

/// `list_company_contacts`: the contacts in the company.
fn list_company_contacts(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    account.company(id).ok_or(Refusal::NotFound)?;
    let contacts: Vec<Value> = account
        .contacts_of(id)
        .iter()
        .map(|c| c.to_json())
        .collect();
    Ok(Reply::json(&Value::Array(contacts)))
}

/// `add_company_contact`: puts the contact in the company; answers it.
fn add_company_contact(shared: &Shared, call: &Call) -> Outcome {
    let (account, company) = (call.account()?, call.id()?);
    let contact_id = call.body_int("contact_id")?;
    let contact = shared.write(|store| store.add_contact(account, company, contact_id))?;
    Ok(Reply::json(&contact))
}

/// `remove_company_contact`: 204; the contact stays, in no company.
fn remove_company_contact(shared: &Shared, call: &Call) -> Outcome {
    let (account, company) = (call.account()?, call.param("id")?);
    let contact_id = call.param("contact_id")?;
    shared.write(|store| store.remove_contact(account, company, contact_id))?;
    Ok(Reply::empty())
}

/// `list_funnels`: the account's funnels, by position.
fn list_funnels(shared: &Shared, call: &Call) -> Outcome {
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    let funnels: Vec<Value> = account
        .funnels_in_order()
        .into_iter()
        .map(|f| account.funnel_json(f))
        .collect();
    Ok(Reply::json(&Value::Array(funnels)))
}

/// `create_funnel`: a new funnel with no stages; `name` not blank.
fn create_funnel(shared: &Shared, call: &Call) -> Outcome {
    let (account, input) = (call.account()?, FunnelInput::read(&call.body)?);
    Ok(Reply::json(
        &shared.write(|store| store.create_funnel(account, input))?,
    ))
}

/// `get_funnel`: the funnel, `stages_count` counted.
fn get_funnel(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    let funnel = account.funnel(id).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(&account.funnel_json(funnel)))
}

/// `update_funnel`: the members sent changed (`null` clears).
fn update_funnel(shared: &Shared, call: &Call) -> Outcome {
    let (account, id, input) = (call.account()?, call.id()?, FunnelInput::read(&call.body)?);
    Ok(Reply::json(
        &shared.write(|store| store.update_funnel(account, id, input))?,
    ))
}

/// `delete_funnel`: 204; its stages and cards go, their leads stay.
fn delete_funnel(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    shared.write(|store| store.delete_funnel(account, id))?;
    Ok(Reply::empty())
}

/// `funnel_stats`: the funnel's totals, computed from its cards now.
fn funnel_stats(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(
        &account.funnel_stats(id).ok_or(Refusal::NotFound)?,
    ))
}

/// `list_funnel_stages`: the funnel's stages, by position.
fn list_funnel_stages(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    let funnel = account.funnel(id).ok_or(Refusal::NotFound)?;
    let stages: Vec<Value> = funnel
        .stages
        .iter()
        .map(|s| account.stage_json(s))
        .collect();
    Ok(Reply::json(&Value::Array(stages)))
}

/// `create_funnel_stage`: a new stage, last or at `position`.
fn create_funnel_stage(shared: &Shared, call: &Call) -> Outcome {
    let (account, funnel) = (call.account()?, call.param("id")?);
    let input = StageInput::read(&call.body)?;
    Ok(Reply::json(&shared.write(|store| {
        store.create_stage(account, funnel, input)
    })?))
}

/// `update_funnel_stage`: the members sent changed (`null` clears).
fn update_funnel_stage(shared: &Shared, call: &Call) -> Outcome {
    let (account, funnel, stage) = (call.account()?, call.param("id")?, call.param("stage_id")?);
    let input = StageInput::read(&call.body)?;
    Ok(Reply::json(&shared.write(|store| {
        store.update_stage(account, funnel, stage, input)
    })?))
}

/// `delete_funnel_stage`: 204; 422 for a stage that holds cards.
fn delete_funnel_stage(shared: &Shared, call: &Call) -> Outcome {
    let (account, funnel, stage) = (call.account()?, call.param("id")?, call.param("stage_id")?);
    shared.write(|store| store.delete_stage(account, funnel, stage))?;
    Ok(Reply::empty())
}

/// `reorder_funnel_stages`: the stages in the order given, numbered anew.
fn reorder_funnel_stages(shared: &Shared, call: &Call) -> Outcome {
    let (account, funnel) = (call.account()?, call.param("id")?);
    let ids: Vec<i64> = call.body["stage_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    Ok(Reply::json(&shared.write(|store| {
        store.reorder_stages(account, funnel, &ids)
    })?))
}

/// `create_funnel_card`: a card for a lead, or for a new one.
fn create_funnel_card(shared: &Shared, call: &Call) -> Outcome {
    let (account, funnel) = (call.account()?, call.param("id")?);
    let input = CardInput::read(&call.body, &call.raw)?;
    Ok(Reply::json(&shared.write(|store| {
        store.create_card(account, funnel, input)
    })?))
}

/// `update_funnel_card`: the card and its lead changed; a new stage moves
/// it.
fn update_funnel_card(shared: &Shared, call: &Call) -> Outcome {
    let (account, funnel, card) = (call.account()?, call.param("id")?, call.param("card_id")?);
    let input = CardInput::read(&call.body, &call.raw)?;
    Ok(Reply::json(&shared.write(|store| {
        store.update_card(account, funnel, card, input)
    })?))
}

/// `delete_funnel_card`: 204; its lead stays.
fn delete_funnel_card(shared: &Shared, call: &Call) -> Outcome {
    let (account, funnel, card) = (call.account()?, call.param("id")?, call.param("card_id")?);
    shared.write(|store| store.delete_card(account, funnel, card))?;
    Ok(Reply::empty())
}

/// `move_funnel_card`: to a stage of the same funnel, at `position` or
/// last.
fn move_funnel_card(shared: &Shared, call: &Call) -> Outcome {
    let (account, funnel, card) = (call.account()?, call.param("id")?, call.param("card_id")?);
    let target = call.body_int("target_stage_id")?;
    let position = call.body.get("position").and_then(Value::as_i64);
    let moved = shared.write(|store| store.move_card(account, funnel, card, target, position))?;
    Ok(Reply::json(&moved))
}

/// `funnel_card_history`: the card's events, newest first.
fn funnel_card_history(shared: &Shared, call: &Call) -> Outcome {
    let (funnel, card) = (call.param("id")?, call.param("card_id")?);
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    account
        .card(card)
        .filter(|c| c.funnel_id == funnel)
        .ok_or(Refusal::NotFound)?;
    let events: Vec<Value> = account
        .history_of(card)
        .iter()
        .map(|e| e.to_json())
        .collect();
    Ok(Reply::json(&Value::Array(events)))
}

/// `funnel_analytics`: the cards made from `since` to `until` (by default
/// the 30 days up to today), computed now.
fn funnel_analytics(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let today = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive();
    let until = call.date("until")?.unwrap_or(today);
    let since = call
        .date("since")?
        .unwrap_or(until - chrono::Duration::days(30));
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    let funnel = account.funnel(id).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(&account.funnel_analytics(
        funnel,
        since,
        until,
        call.int("agent_id"),
    )))
}

/// `list_tasks`: one page of the tasks, filtered, soonest due first.
fn list_tasks(shared: &Shared, call: &Call) -> Outcome {
    let filter = TaskFilter {
        taskable_type: call.text("taskable_type").map(str::to_owned),
        taskable_id: call.int("taskable_id"),
        status: call.text("status").map(str::to_owned),
        due_before: call.instant("due_before")?,
        due_after: call.instant("due_after")?,
    };
    let (page, per_page) = (
        call.required_count("page")?,
        call.required_count("per_page")?,
    );
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(&account.list_tasks(&filter, page, per_page)))
}

/// `create_task`: a new pending task; `title` not blank.
fn create_task(shared: &Shared, call: &Call) -> Outcome {
    let (account, input) = (call.account()?, TaskInput::read(&call.body)?);
    Ok(Reply::json(
        &shared.write(|store| store.create_task(account, input))?,
    ))
}

/// `task_calendar`: the tasks due from `start_date` to `end_date`.
fn task_calendar(shared: &Shared, call: &Call) -> Outcome {
    let start = call
        .date("start_date")?
        .ok_or_else(|| Refusal::Missing("start_date".to_owned()))?;
    let end = call
        .date("end_date")?
        .ok_or_else(|| Refusal::Missing("end_date".to_owned()))?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(&account.task_calendar(start, end)))
}

/// `get_task`: the task.
fn get_task(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(
        &account.task(id).ok_or(Refusal::NotFound)?.to_json(),
    ))
}

/// `update_task`: the members sent changed (`null` clears).
fn update_task(shared: &Shared, call: &Call) -> Outcome {
    let (account, id, input) = (call.account()?, call.id()?, TaskInput::read(&call.body)?);
    Ok(Reply::json(
        &shared.write(|store| store.update_task(account, id, input))?,
    ))
}

/// `delete_task`: 204.
fn delete_task(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    shared.write(|store| store.delete_task(account, id))?;
    Ok(Reply::empty())
}

/// `complete_task`: completed, now (kept when it was already).
fn complete_task(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    Ok(Reply::json(
        &shared.write(|store| store.complete_task(account, id))?,
    ))
}

/// `snooze_task`: snoozed, `due_at` pushed by a duration or set to an
/// instant; 422 for anything else.
fn snooze_task(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    let text = call.body["duration"].as_str().unwrap_or_default();
    let snooze = Snooze::read(text).ok_or_else(|| {
        Refusal::invalid(
            "duration",
            format!("duration {text:?} is neither Nh, Nd, Nw nor a date-time"),
        )
    })?;
    Ok(Reply::json(
        &shared.write(|store| store.snooze_task(account, id, snooze))?,
    ))
}

/// `get_conversation_crm`: the conversation's panel; 404 for one the
/// account does not have.
fn get_conversation_crm(shared: &Shared, call: &Call) -> Outcome {
    let id = call.id()?;
    let store = shared.store();
    let (account, _) = store.account(call.account()?).ok_or(Refusal::NotFound)?;
    Ok(Reply::json(
        &account.crm_panel(id).ok_or(Refusal::NotFound)?,
    ))
}

/// `link_conversation_card`: links the card; answers the panel.
fn link_conversation_card(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    let card = call.body_int("funnel_card_id")?;
    Ok(Reply::json(
        &shared.write(|store| store.link_card(account, id, card))?,
    ))
}

/// `unlink_conversation_card`: 204; the card stays; 404 with none linked.
fn unlink_conversation_card(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    shared.write(|store| store.unlink_card(account, id))?;
    Ok(Reply::empty())
}

/// `link_conversation_lead`: links the lead; answers the panel.
fn link_conversation_lead(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    let lead = call.body_int("lead_id")?;
    Ok(Reply::json(
        &shared.write(|store| store.link_lead(account, id, lead))?,
    ))
}

/// `convert_conversation`: a card for the conversation, linked to it.
fn convert_conversation(shared: &Shared, call: &Call) -> Outcome {
    let (account, id) = (call.account()?, call.id()?);
    let request = ConversationConversion {
        funnel_id: call.body_int("funnel_id")?,
        lead_id: call.body.get("lead_id").and_then(Value::as_i64),
        stage_id: call.body.get("stage_id").and_then(Value::as_i64),
    };
    let card = shared.write(|store| store.convert_conversation(account, id, &request))?;
    Ok(Reply::json(&card))
}
