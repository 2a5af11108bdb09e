//! The leads of an account: [`Leads`], made by
//! [`Client::leads`](crate::Client::leads), and the requests it makes:
//! [`ListLeads`], [`CreateLead`], [`UpdateLead`], [`SetLeadStatus`],
//! [`BulkLeadAction`] (with what it did: [`BulkOutcome`]), [`ConvertLead`],
//! a lead's notes ([`LeadNotes`], [`CreateNote`]), and single requests
//! ([`Request`]: [`Leads::get`], [`Leads::stats`]; [`Delete`]:
//! [`Leads::delete`]).

mod bulk;
mod convert;
mod create;
mod notes;
mod status;
mod update;

pub use bulk::{
    BatchDone, BatchOutcome, BulkActionKind, BulkLeadAction, BulkOutcome, BulkRun, BulkStop,
    DEFAULT_BATCH_SIZE, DEFAULT_BULK_CONCURRENCY, MAX_BATCH_SIZE,
};
pub use convert::{ConvertLead, DEFAULT_SETTLE_AFTER};
pub use create::CreateLead;
pub(crate) use create::{id, required_id};
pub use notes::{CreateNote, LeadNotes};
pub use status::SetLeadStatus;
pub use update::UpdateLead;

use futures::future::BoxFuture;
use futures::stream::{BoxStream, TryStreamExt};
use voxys_connect_api::LeadStatus;
use voxys_connect_api::types::{Lead, LeadList, LeadSortField, LeadStats, SortOrder};

use crate::client::Client;
use crate::delete::Delete;
use crate::error::{Error, Result};
use crate::pagination::{Page, PageSource, checked_pages, items};
use crate::pipeline::Call;
use crate::request::Request;

/// The most leads one page can hold: the document's maximum of
/// `list_leads`'s `per_page` (100).
pub fn max_per_page() -> u64 {
    voxys_connect_api::operation("list_leads")
        .and_then(|op| op.parameter("per_page"))
        .and_then(|p| p.maximum)
        .and_then(|max| u64::try_from(max).ok())
        .unwrap_or(1)
}

/// The most pages [`ListLeads::concurrency`] fetches at once, and the most
/// batches [`BulkLeadAction::concurrency`] sends at once.
pub const MAX_REQUESTS_IN_FLIGHT: usize = 32;

/// The leads of one account; made by [`Client::leads`](crate::Client::leads).
#[derive(Clone, Debug)]
pub struct Leads {
    client: Client,
    account_id: i64,
}

impl Leads {
    pub(crate) fn new(client: Client, account_id: i64) -> Leads {
        Leads { client, account_id }
    }

    /// The account these leads belong to.
    pub fn account_id(&self) -> i64 {
        self.account_id
    }

    /// A request for the lead with this id (`get_lead`).
    pub fn get(&self, lead_id: i64) -> Request<Lead> {
        let account = self.account_id;
        Request::new(&self.client, "get_lead", move |c| async move {
            c.api()
                .get_lead()
                .account_id(account)
                .id(lead_id)
                .send()
                .await
        })
    }

    /// A request to create a lead, exactly once; set its members, then
    /// send it. See [`CreateLead`].
    pub fn create(&self) -> CreateLead {
        CreateLead::new(self.client.clone(), self.account_id)
    }

    /// A request to change a lead's members (each left as it is, cleared or
    /// set); see [`UpdateLead`].
    pub fn update(&self, lead_id: i64) -> UpdateLead {
        UpdateLead::new(self.client.clone(), self.account_id, lead_id)
    }

    /// A request to delete a lead, with its notes (`delete_lead`); see
    /// [`Delete`] for what a retry does.
    pub fn delete(&self, lead_id: i64) -> Delete {
        let account = self.account_id;
        Delete::new(&self.client, "delete_lead", move |c| async move {
            c.api()
                .delete_lead()
                .account_id(account)
                .id(lead_id)
                .send()
                .await
        })
    }

    /// The notes of the lead `lead_id`: list them, add one.
    pub fn notes(&self, lead_id: i64) -> LeadNotes {
        LeadNotes::new(self.client.clone(), self.account_id, lead_id)
    }

    /// A request for the account's lead totals: by status, and their value
    /// (`lead_stats`).
    pub fn stats(&self) -> Request<LeadStats> {
        let account = self.account_id;
        Request::new(&self.client, "lead_stats", move |c| async move {
            c.api().lead_stats().account_id(account).send().await
        })
    }

    /// A request to change a lead's status (and maybe its notes); see
    /// [`SetLeadStatus`].
    pub fn set_status(&self, lead_id: i64, status: LeadStatus) -> SetLeadStatus {
        SetLeadStatus::new(self.client.clone(), self.account_id, lead_id, status)
    }

    /// A request to assign leads to the agent with user id `agent_id`, in
    /// batches; see [`BulkLeadAction`].
    pub fn bulk_assign(
        &self,
        lead_ids: impl IntoIterator<Item = i64>,
        agent_id: i64,
    ) -> BulkLeadAction {
        self.bulk(BulkActionKind::Assign { agent_id }, lead_ids)
    }

    /// A request to set the status of leads, in batches; see
    /// [`BulkLeadAction`].
    pub fn bulk_set_status(
        &self,
        lead_ids: impl IntoIterator<Item = i64>,
        status: LeadStatus,
    ) -> BulkLeadAction {
        self.bulk(BulkActionKind::SetStatus { status }, lead_ids)
    }

    /// A request to delete leads, in batches; see [`BulkLeadAction`].
    pub fn bulk_delete(&self, lead_ids: impl IntoIterator<Item = i64>) -> BulkLeadAction {
        self.bulk(BulkActionKind::Delete, lead_ids)
    }

    /// A bulk request of any kind (the three methods above, when the kind is
    /// chosen at run time).
    pub fn bulk(
        &self,
        action: BulkActionKind,
        lead_ids: impl IntoIterator<Item = i64>,
    ) -> BulkLeadAction {
        BulkLeadAction::new(
            self.client.clone(),
            self.account_id,
            action,
            lead_ids.into_iter().collect(),
        )
    }

    /// A request to convert a lead into a deal: a card in the funnel
    /// `funnel_id`, exactly once; see [`ConvertLead`].
    pub fn convert(&self, lead_id: i64, funnel_id: i64) -> ConvertLead {
        ConvertLead::new(self.client.clone(), self.account_id, lead_id, funnel_id)
    }

    /// A request to list the account's leads: set filters, sorting and paging,
    /// then [`send`](ListLeads::send) it for one page, or walk every page with
    /// [`stream`](ListLeads::stream), [`pages`](ListLeads::pages) or
    /// [`collect_all`](ListLeads::collect_all).
    pub fn list(&self) -> ListLeads {
        ListLeads {
            client: self.client.clone(),
            query: Query {
                account_id: self.account_id,
                ..Query::default()
            },
            concurrency: 1,
        }
    }
}

/// The parameters of one list request.
#[derive(Clone, Debug, Default)]
struct Query {
    account_id: i64,
    status: Option<LeadStatus>,
    assigned_agent: Option<i64>,
    source_inbox: Option<i64>,
    sort_by: Option<LeadSortField>,
    order: Option<SortOrder>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// A request for an account's leads (`GET /api/v1/accounts/{account_id}/leads`).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use futures::TryStreamExt;
/// use voxys_connect::types::{LeadSortField, LeadStatus, SortOrder};
///
/// // One page.
/// let page = client.leads(1).list().status(LeadStatus::Won).per_page(50).send().await?;
/// println!("{page}");
///
/// // Every lead, page after page, four pages in flight at once.
/// let mut leads = client
///     .leads(1)
///     .list()
///     .sort_by(LeadSortField::CreatedAt)
///     .order(SortOrder::Asc)
///     .per_page(100)
///     .concurrency(4)
///     .stream();
/// while let Some(lead) = leads.try_next().await? {
///     println!("{} {}", lead.id, lead.status);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ListLeads {
    client: Client,
    query: Query,
    concurrency: usize,
}

impl ListLeads {
    /// Only leads with this status.
    pub fn status(mut self, status: LeadStatus) -> ListLeads {
        self.query.status = Some(status);
        self
    }

    /// Only leads assigned to the agent with this user id.
    pub fn assigned_agent(mut self, agent_id: i64) -> ListLeads {
        self.query.assigned_agent = Some(agent_id);
        self
    }

    /// Only leads that came from the inbox with this id.
    pub fn source_inbox(mut self, inbox_id: i64) -> ListLeads {
        self.query.source_inbox = Some(inbox_id);
        self
    }

    /// The field to sort by (the server's default: `created_at`).
    pub fn sort_by(mut self, field: LeadSortField) -> ListLeads {
        self.query.sort_by = Some(field);
        self
    }

    /// The sort direction (the server's default: descending).
    pub fn order(mut self, order: SortOrder) -> ListLeads {
        self.query.order = Some(order);
        self
    }

    /// The page to read, from 1 (default 1). For [`stream`](ListLeads::stream)
    /// and [`pages`](ListLeads::pages), the page to start from. A page
    /// number out of the document's range fails without sending anything.
    pub fn page(mut self, page: u64) -> ListLeads {
        self.query.page = Some(page);
        self
    }

    /// Leads per page, 1 to 100 (the server's default: 25), as the document
    /// says. Use [`max_per_page`] to read everything in the fewest
    /// requests. A number out of range fails without sending anything.
    pub fn per_page(mut self, per_page: u64) -> ListLeads {
        self.query.per_page = Some(per_page);
        self
    }

    /// How many pages [`stream`](ListLeads::stream), [`pages`](ListLeads::pages)
    /// and [`collect_all`](ListLeads::collect_all) fetch at once, 1 to
    /// [`MAX_REQUESTS_IN_FLIGHT`] (default 1). Pages beyond the first are fetched ahead once the first has
    /// said how many there are; leads still come in order.
    pub fn concurrency(mut self, pages_in_flight: usize) -> ListLeads {
        self.concurrency = pages_in_flight;
        self
    }

    /// Sends the request and returns one page.
    pub async fn send(self) -> Result<Page<Lead>> {
        self.validate()?;
        let page = self.query.page.unwrap_or(1);
        self.fetch_page(page).await
    }

    /// Every page from the first (or from [`page`](ListLeads::page)), in
    /// order. The stream ends after the last page, or with an error, after
    /// which it yields nothing: a page is never handed out partly.
    ///
    /// At most `concurrency` requests are under way at once. While one page
    /// waits (a retry waiting out a `Retry-After`, say), the others go on
    /// with the pages after it, which are held until it comes: at most 8
    /// times `concurrency` pages are held in memory, however long the list.
    /// A client built with
    /// [`adaptive_rate_limit(false)`](crate::ClientBuilder::adaptive_rate_limit)
    /// holds `concurrency` pages and waits for the page instead: its retries
    /// each back off on their own, and pages fetched past one would keep
    /// the server's limit spent while it backs off.
    /// The stream is `Send`, `Unpin` and `'static`: poll it with
    /// `futures::TryStreamExt::try_next`, or hand it to a task.
    pub fn pages(self) -> BoxStream<'static, Result<Page<Lead>>> {
        let check = self.validate();
        let first = self.query.page.unwrap_or(1);
        let concurrency = self.concurrency;
        checked_pages(self, check, first, concurrency)
    }

    /// Every lead of every page, in order. See [`pages`](ListLeads::pages).
    pub fn stream(self) -> BoxStream<'static, Result<Lead>> {
        items(self.pages())
    }

    /// Every lead of every page, collected. Prefer
    /// [`stream`](ListLeads::stream) for large accounts: this holds every
    /// lead in memory.
    pub async fn collect_all(self) -> Result<Vec<Lead>> {
        self.stream().try_collect().await
    }

    /// Rejects a concurrency out of range, before any request. (The API's
    /// own parameters are checked against the document's ranges by the
    /// pipeline, before each request is sent.)
    fn validate(&self) -> Result<()> {
        requests_in_flight(self.concurrency)
    }

    /// One page, through the pipeline.
    async fn fetch_page(&self, page: u64) -> Result<Page<Lead>> {
        let query = &self.query;
        let mut request = self
            .client
            .api()
            .list_leads()
            .account_id(query.account_id)
            .page(page);
        if let Some(status) = &query.status {
            request = request.status(status.clone());
        }
        if let Some(agent) = query.assigned_agent {
            request = request.assigned_agent_id(agent);
        }
        if let Some(inbox) = query.source_inbox {
            request = request.source_inbox_id(inbox);
        }
        if let Some(field) = query.sort_by {
            request = request.sort_by(field);
        }
        if let Some(order) = query.order {
            request = request.sort_order(order);
        }
        if let Some(per_page) = query.per_page {
            request = request.per_page(per_page);
        }
        let list: LeadList = self
            .client
            .send(Self::OPERATION, Call::default(), request.send())
            .await?
            .value;
        Ok(Page::new(list.data, list.meta))
    }
}

impl PageSource for ListLeads {
    type Item = Lead;
    const OPERATION: &'static str = "list_leads";

    fn fetch(&self, page: u64) -> BoxFuture<'static, Result<Page<Lead>>> {
        let this = self.clone();
        Box::pin(async move { this.fetch_page(page).await })
    }

    fn key(lead: &Lead) -> i64 {
        lead.id
    }

    fn client(&self) -> &Client {
        &self.client
    }
}

/// Refuses a concurrency (requests in flight at once) outside 1 to
/// [`MAX_REQUESTS_IN_FLIGHT`].
pub(crate) fn requests_in_flight(concurrency: usize) -> Result<()> {
    if (1..=MAX_REQUESTS_IN_FLIGHT).contains(&concurrency) {
        return Ok(());
    }
    Err(Error::InvalidParameter {
        name: "concurrency",
        value: concurrency.to_string(),
        expected: format!("a whole number from 1 to {MAX_REQUESTS_IN_FLIGHT}"),
    })
}

/// Refuses an id that is not positive, for ids in request bodies (the
/// pipeline checks those in paths and queries against the document).
pub(crate) fn positive_id(name: &'static str, value: Option<i64>) -> Result<()> {
    match value {
        Some(id) if id < 1 => Err(Error::InvalidParameter {
            name,
            value: id.to_string(),
            expected: "an id, a whole number from 1 up".to_owned(),
        }),
        _ => Ok(()),
    }
}
