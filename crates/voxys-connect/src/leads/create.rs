//! [`CreateLead`]: make a lead (`create_lead`), exactly once.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use voxys_connect_api::types::{Lead, LeadCreate, LeadSortField, SortOrder};
use voxys_connect_api::{Amount, Timestamp};

use crate::client::Client;
use crate::create::{Create, Kind, LookForTheRecord, Record, sent_any_case};
use crate::error::{Error, Result};
use crate::leads::{DEFAULT_SETTLE_AFTER, ListLeads, max_per_page};
use crate::pipeline::Call;

/// How many pages of the newest leads a settle reads at most, looking for
/// the lead a lost create made.
const PAGES_TO_LOOK_AT: u64 = 10;

/// A request to create a lead (`POST /api/v1/accounts/{account_id}/leads`);
/// made by [`Leads::create`](crate::leads::Leads::create). Every member is
/// optional.
///
/// **Exactly once.** A create makes a lead each time it is sent, and the API
/// has no idempotency key, so it is never sent again after an attempt that
/// may have been applied. Such an attempt is settled by looking for the lead
/// it would have made: a lead created after the request began, with every
/// member sent, and not the answer of another create of this client. Found,
/// it is the answer; provably not made (the application answered the
/// failure itself), it is sent again; else the call fails with
/// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown), which says what to
/// look for. See [`CLOCK_ALLOWANCE`](crate::CLOCK_ALLOWANCE) for when the
/// match can be fooled.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let lead = client
///     .leads(1)
///     .create()
///     .name("Acme renewal")
///     .value("15000.50".parse()?)
///     .currency("USD")
///     .company(10)
///     .send()
///     .await?;
/// println!("lead {} made", lead.id);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateLead {
    client: Client,
    account_id: i64,
    name: Option<String>,
    value: Option<Amount>,
    currency: Option<String>,
    agent: Option<i64>,
    position: Option<i64>,
    conversation: Option<i64>,
    company: Option<i64>,
    custom_attributes: Map<String, Value>,
    settle_after: Duration,
}

const OPERATION: &str = "create_lead";

impl CreateLead {
    pub(crate) fn new(client: Client, account_id: i64) -> CreateLead {
        CreateLead {
            client,
            account_id,
            name: None,
            value: None,
            currency: None,
            agent: None,
            position: None,
            conversation: None,
            company: None,
            custom_attributes: Map::new(),
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }

    /// The lead's name (`custom_name`).
    pub fn name(mut self, name: impl Into<String>) -> CreateLead {
        self.name = Some(name.into());
        self
    }

    /// The lead's value, an exact decimal, in [`currency`](CreateLead::currency).
    pub fn value(mut self, value: Amount) -> CreateLead {
        self.value = Some(value);
        self
    }

    /// The ISO 4217 code of the value's currency, such as `USD`.
    pub fn currency(mut self, code: impl Into<String>) -> CreateLead {
        self.currency = Some(code.into());
        self
    }

    /// The agent (a user id) to assign the lead to.
    pub fn agent(mut self, agent_id: i64) -> CreateLead {
        self.agent = Some(agent_id);
        self
    }

    /// The lead's position in the board's ordering.
    pub fn position(mut self, position: i64) -> CreateLead {
        self.position = Some(position);
        self
    }

    /// The conversation the lead comes from.
    pub fn conversation(mut self, conversation_id: i64) -> CreateLead {
        self.conversation = Some(conversation_id);
        self
    }

    /// The company the lead belongs to.
    pub fn company(mut self, company_id: i64) -> CreateLead {
        self.company = Some(company_id);
        self
    }

    /// One account-defined attribute.
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<Value>) -> CreateLead {
        self.custom_attributes.insert(key.into(), value.into());
        self
    }

    /// Every account-defined attribute at once (replacing those set before).
    pub fn custom_attributes(mut self, attributes: Map<String, Value>) -> CreateLead {
        self.custom_attributes = attributes;
        self
    }

    /// When an answer was lost and no lead is there yet, how long to wait
    /// before looking once more (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> CreateLead {
        self.settle_after = wait;
        self
    }

    /// Creates the lead; the lead made.
    pub async fn send(self) -> Result<Lead> {
        let body = self.body()?;
        let account = self.account_id;
        let request = self
            .client
            .api()
            .create_lead()
            .account_id(account)
            .body(body)
            .send();
        let this = self.clone();
        let looker = self.clone();
        let (settle, in_flight) = LookForTheRecord::new(
            &self.client,
            Create {
                kind: LEAD,
                action: format!("creating {}", self.describe()),
                look: format!(
                    "look among the account's newest leads for one like it (Client::leads({account}).list().sort_by(LeadSortField::CreatedAt), or `voxys leads list --sort created_at`)"
                ),
                identifying: self.identifying(),
                candidates: Box::new(move |since| {
                    let this = looker.clone();
                    Box::pin(async move { this.newest_leads(since, PAGES_TO_LOOK_AT).await })
                }),
                matches: Arc::new(move |lead| this.matches(lead)),
                settle_after: self.settle_after,
            },
        );
        let lead: Lead = self
            .client
            .send(OPERATION, Call::settled_by(settle), request)
            .await?
            .value;
        in_flight.claim_answer(lead.id);
        Ok(lead)
    }

    /// The leads made at or after `since` that have every member this
    /// request sets (as a lost answer is settled: see
    /// [`CLOCK_ALLOWANCE`](crate::CLOCK_ALLOWANCE)): where to look for a lead
    /// a create may have made before sending it again (the `voxys leads
    /// create --from` journal does, after a crash). Reads the newest leads,
    /// page after page, down to the first made before `since`.
    pub async fn find_made_since(&self, since: Timestamp) -> Result<Vec<Lead>> {
        self.body()?;
        Ok(self
            .newest_leads(since, u64::MAX)
            .await?
            .into_iter()
            .filter(|lead| lead.created_at >= since && self.matches(lead))
            .collect())
    }

    /// The lead, in words, for messages.
    fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("lead {name:?}"),
            None => "a lead with no name".to_owned(),
        }
    }

    /// The body, its ids checked.
    fn body(&self) -> Result<LeadCreate> {
        let mut body = LeadCreate::default();
        body.custom_name = self.name.clone();
        body.lead_value = self.value;
        body.lead_currency = self.currency.clone();
        body.assigned_agent_id = id("agent", self.agent)?;
        body.position = self.position;
        body.conversation_id = id("conversation", self.conversation)?;
        body.company_id = id("company", self.company)?;
        body.custom_attributes = self.custom_attributes.clone();
        Ok(body)
    }

    /// Whether the request sets a member that tells its lead from others
    /// (anything but the position).
    fn identifying(&self) -> bool {
        self.name.is_some()
            || self.value.is_some()
            || self.currency.is_some()
            || self.agent.is_some()
            || self.conversation.is_some()
            || self.company.is_some()
            || !self.custom_attributes.is_empty()
    }

    /// Whether `lead` has every member this request sets (the currency in
    /// any case; not the position, which the server renumbers).
    fn matches(&self, lead: &Lead) -> bool {
        same(&self.name, &lead.custom_name)
            && same(&self.value, &lead.lead_value)
            && sent_any_case(self.currency.as_deref(), lead.lead_currency.as_deref())
            && same(&self.conversation, &lead.conversation_id)
            && same(&self.agent, &lead.assigned_agent.as_ref().map(|a| a.id))
            && same(&self.company, &lead.company.as_ref().map(|c| c.id))
            && self
                .custom_attributes
                .iter()
                .all(|(key, value)| lead.custom_attributes.get(key) == Some(value))
    }

    /// The account's leads, newest first, down to the first made before
    /// `since`, in at most `max_pages` pages.
    async fn newest_leads(&self, since: Timestamp, max_pages: u64) -> Result<Vec<Lead>> {
        let list: ListLeads = self
            .client
            .leads(self.account_id)
            .list()
            .sort_by(LeadSortField::CreatedAt)
            .order(SortOrder::Desc)
            .per_page(max_per_page());
        let mut leads = Vec::new();
        for number in 1..=max_pages {
            let page = list.fetch_page(number).await?;
            let last = page.next_page().is_none();
            let older = page.items().iter().any(|lead| lead.created_at < since);
            leads.extend(page.into_items());
            if last || older {
                return Ok(leads);
            }
        }
        Err(Error::Pagination {
            operation: "list_leads",
            page: max_pages,
            message: format!(
                "more than {} leads were made since {since}: too many to look through for one lead",
                max_pages.saturating_mul(max_per_page())
            ),
        })
    }
}

/// Whether a member sent (`Some`) has the value the record holds.
fn same<T: PartialEq>(sent: &Option<T>, held: &Option<T>) -> bool {
    sent.is_none() || sent == held
}

/// An id a body requires, refused unless positive.
pub(crate) fn required_id(name: &'static str, value: i64) -> Result<NonZeroU64> {
    u64::try_from(value)
        .ok()
        .and_then(NonZeroU64::new)
        .ok_or_else(|| Error::InvalidParameter {
            name,
            value: value.to_string(),
            expected: "an id, a whole number from 1 up".to_owned(),
        })
}

/// An id for a body, refused unless positive.
pub(crate) fn id(name: &'static str, value: Option<i64>) -> Result<Option<NonZeroU64>> {
    match value {
        None => Ok(None),
        Some(v) => u64::try_from(v)
            .ok()
            .and_then(NonZeroU64::new)
            .map(Some)
            .ok_or_else(|| Error::InvalidParameter {
                name,
                value: v.to_string(),
                expected: "an id, a whole number from 1 up".to_owned(),
            }),
    }
}

/// What a lead create makes.
const LEAD: Kind = Kind {
    one: "lead",
    many: "leads",
};

impl Record for Lead {
    fn id(&self) -> i64 {
        self.id
    }

    fn created_at(&self) -> Timestamp {
        self.created_at
    }
}
