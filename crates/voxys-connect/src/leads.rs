//! The leads of an account: [`Leads`] and the [`ListLeads`] request.

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use voxys_connect_api::LeadStatus;
use voxys_connect_api::types::{Lead, LeadList, LeadSortField, SortOrder};

use crate::bulk::{Bulk, BulkActionKind};
use crate::client::{Client, request_span};
use crate::convert::Convert;
use crate::error::{Error, Result};
use crate::pagination::{Page, PageSource, pages};
use crate::status::SetStatus;

/// The most leads one page can hold (the API's `per_page` maximum).
pub const MAX_PER_PAGE: u64 = 100;

/// The most pages [`ListLeads::concurrency`] fetches at once.
pub const MAX_CONCURRENCY: usize = 32;

/// The leads of one account; made by [`Client::leads`].
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

    /// A request to change a lead's status (and maybe its notes); see
    /// [`SetStatus`].
    pub fn set_status(&self, lead_id: i64, status: LeadStatus) -> SetStatus {
        SetStatus::new(self.client.clone(), self.account_id, lead_id, status)
    }

    /// A request to assign leads to the agent with user id `agent_id`, in
    /// batches; see [`Bulk`].
    pub fn bulk_assign(&self, lead_ids: impl IntoIterator<Item = i64>, agent_id: i64) -> Bulk {
        self.bulk(BulkActionKind::Assign { agent_id }, lead_ids)
    }

    /// A request to set the status of leads, in batches; see [`Bulk`].
    pub fn bulk_set_status(
        &self,
        lead_ids: impl IntoIterator<Item = i64>,
        status: LeadStatus,
    ) -> Bulk {
        self.bulk(BulkActionKind::SetStatus { status }, lead_ids)
    }

    /// A request to delete leads, in batches; see [`Bulk`].
    pub fn bulk_delete(&self, lead_ids: impl IntoIterator<Item = i64>) -> Bulk {
        self.bulk(BulkActionKind::Delete, lead_ids)
    }

    /// A bulk request of any kind (the three methods above, when the kind is
    /// chosen at run time).
    pub fn bulk(&self, action: BulkActionKind, lead_ids: impl IntoIterator<Item = i64>) -> Bulk {
        Bulk::new(
            self.client.clone(),
            self.account_id,
            action,
            lead_ids.into_iter().collect(),
        )
    }

    /// A request to convert a lead into a deal: a card in the funnel
    /// `funnel_id`, exactly once; see [`Convert`].
    pub fn convert(&self, lead_id: i64, funnel_id: i64) -> Convert {
        Convert::new(self.client.clone(), self.account_id, lead_id, funnel_id)
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
/// use voxys_connect::{LeadSortField, LeadStatus, SortOrder};
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
    /// and [`pages`](ListLeads::pages), the page to start from.
    pub fn page(mut self, page: u64) -> ListLeads {
        self.query.page = Some(page);
        self
    }

    /// Leads per page, 1 to 100 (the server's default: 25). Use 100 to read
    /// everything in the fewest requests.
    pub fn per_page(mut self, per_page: u64) -> ListLeads {
        self.query.per_page = Some(per_page);
        self
    }

    /// How many pages [`stream`](ListLeads::stream), [`pages`](ListLeads::pages)
    /// and [`collect_all`](ListLeads::collect_all) fetch at once, 1 to 32
    /// (default 1). Pages beyond the first are fetched ahead once the first has
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
    /// At most `concurrency` pages are held in memory, however long the list.
    /// The stream is `Send`, `Unpin` and `'static`: poll it with
    /// `futures::TryStreamExt::try_next`, or hand it to a task.
    pub fn pages(self) -> BoxStream<'static, Result<Page<Lead>>> {
        match self.validate() {
            Ok(()) => {
                let first = self.query.page.unwrap_or(1);
                let concurrency = self.concurrency;
                pages(self, first, concurrency).boxed()
            }
            Err(error) => stream::once(async { Err(error) }).boxed(),
        }
    }

    /// Every lead of every page, in order. See [`pages`](ListLeads::pages).
    pub fn stream(self) -> BoxStream<'static, Result<Lead>> {
        self.pages()
            .map_ok(|page| stream::iter(page.into_items().into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Every lead of every page, collected. Prefer
    /// [`stream`](ListLeads::stream) for large accounts: this holds every
    /// lead in memory.
    pub async fn collect_all(self) -> Result<Vec<Lead>> {
        self.stream().try_collect().await
    }

    /// Rejects parameters the API would refuse, before any request.
    fn validate(&self) -> Result<()> {
        let q = &self.query;
        positive_id("account_id", Some(q.account_id))?;
        positive_id("assigned_agent", q.assigned_agent)?;
        positive_id("source_inbox", q.source_inbox)?;
        if q.page == Some(0) {
            return Err(Error::InvalidParameter {
                name: "page",
                value: "0".to_owned(),
                expected: "a page number from 1 up",
            });
        }
        if let Some(per_page) = q.per_page
            && !(1..=MAX_PER_PAGE).contains(&per_page)
        {
            return Err(Error::InvalidParameter {
                name: "per_page",
                value: per_page.to_string(),
                expected: "a number from 1 to 100 (1..=100)",
            });
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(Error::InvalidParameter {
                name: "concurrency",
                value: self.concurrency.to_string(),
                expected: "a number from 1 to 32 (1..=32)",
            });
        }
        Ok(())
    }

    /// One page, with retries, in a tracing span per attempt.
    async fn fetch_page(&self, page: u64) -> Result<Page<Lead>> {
        let query = &self.query;
        let list: LeadList = self
            .client
            .call(
                Self::OPERATION,
                |attempt| {
                    request_span!(
                        Self::OPERATION,
                        attempt,
                        account_id = query.account_id,
                        page = page
                    )
                },
                |client| async move {
                    let mut request = client
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
                    request.send().await
                },
            )
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
}

/// Refuses an id that is not positive: the API's ids are.
pub(crate) fn positive_id(name: &'static str, value: Option<i64>) -> Result<()> {
    match value {
        Some(id) if id < 1 => Err(Error::InvalidParameter {
            name,
            value: id.to_string(),
            expected: "an id, a whole number from 1 up",
        }),
        _ => Ok(()),
    }
}
