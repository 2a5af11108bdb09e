//! The companies of an account: [`Companies`], made by
//! [`Client::companies`](crate::Client::companies), and the requests it
//! makes: [`ListCompanies`], [`CreateCompany`], [`UpdateCompany`],
//! [`MergeCompanies`], a company's contacts ([`CompanyContacts`], [`AddContact`]), and single
//! requests ([`Request`]: get, search, timeline, duplicates; [`Delete`]).

mod contacts;
mod create;
mod merge;
mod update;

pub use contacts::{AddContact, CompanyContacts};
pub use create::CreateCompany;
pub use merge::MergeCompanies;
pub use update::UpdateCompany;

use futures::future::BoxFuture;
use futures::stream::{BoxStream, TryStreamExt};
use voxys_connect_api::types::{Company, CompanyList, CompanySortField, TimelineEvent};

use crate::client::Client;
use crate::delete::Delete;
use crate::error::Result;
use crate::leads::requests_in_flight;
use crate::pagination::{Page, PageSource, checked_pages, items};
use crate::pipeline::Call;
use crate::request::Request;

/// The companies of one account; made by
/// [`Client::companies`](crate::Client::companies).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let companies = client.companies(1);
/// let acme = companies.create("Acme Corp").domain("acme.com").send().await?;
/// for twin in companies.duplicates(acme.id).send().await? {
///     companies.merge(twin.id, acme.id).send().await?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Companies {
    client: Client,
    account_id: i64,
}

impl Companies {
    pub(crate) fn new(client: Client, account_id: i64) -> Companies {
        Companies { client, account_id }
    }

    /// The account these companies belong to.
    pub fn account_id(&self) -> i64 {
        self.account_id
    }

    /// A request to list the account's companies: one page with
    /// [`send`](ListCompanies::send), or every page with
    /// [`stream`](ListCompanies::stream).
    pub fn list(&self) -> ListCompanies {
        ListCompanies {
            client: self.client.clone(),
            account_id: self.account_id,
            sort: None,
            page: None,
            concurrency: 1,
        }
    }

    /// A request to create a company named `name`, exactly once; see
    /// [`CreateCompany`].
    pub fn create(&self, name: impl Into<String>) -> CreateCompany {
        CreateCompany::new(self.client.clone(), self.account_id, name.into())
    }

    /// A request for the companies whose name or domain contains `query`,
    /// ignoring case (`search_companies`; every match at once, not paged).
    pub fn search(&self, query: impl Into<String>) -> Request<Vec<Company>> {
        let (account, query) = (self.account_id, query.into());
        Request::new(&self.client, "search_companies", move |c| {
            let query = query.clone();
            async move {
                c.api()
                    .search_companies()
                    .account_id(account)
                    .q(query)
                    .send()
                    .await
            }
        })
    }

    /// A request for the company with this id (`get_company`).
    pub fn get(&self, company_id: i64) -> Request<Company> {
        let account = self.account_id;
        Request::new(&self.client, "get_company", move |c| async move {
            c.api()
                .get_company()
                .account_id(account)
                .id(company_id)
                .send()
                .await
        })
    }

    /// A request to change a company's members; see [`UpdateCompany`].
    pub fn update(&self, company_id: i64) -> UpdateCompany {
        UpdateCompany::new(self.client.clone(), self.account_id, company_id)
    }

    /// A request to delete a company (`delete_company`). Its leads stay, with
    /// no company; see [`Delete`] for what a retry does.
    pub fn delete(&self, company_id: i64) -> Delete {
        let account = self.account_id;
        Delete::new(&self.client, "delete_company", move |c| async move {
            c.api()
                .delete_company()
                .account_id(account)
                .id(company_id)
                .send()
                .await
        })
    }

    /// A request for what happened to the company, newest first
    /// (`company_timeline`; not paged).
    pub fn timeline(&self, company_id: i64) -> Request<Vec<TimelineEvent>> {
        let account = self.account_id;
        Request::new(&self.client, "company_timeline", move |c| async move {
            c.api()
                .company_timeline()
                .account_id(account)
                .id(company_id)
                .send()
                .await
        })
    }

    /// A request for the other companies that may be this one: the same
    /// domain, or a name alike (`company_duplicates`; not paged).
    pub fn duplicates(&self, company_id: i64) -> Request<Vec<Company>> {
        let account = self.account_id;
        Request::new(&self.client, "company_duplicates", move |c| async move {
            c.api()
                .company_duplicates()
                .account_id(account)
                .id(company_id)
                .send()
                .await
        })
    }

    /// A request to merge the company `source_id` into `target_id`: its
    /// leads and contacts move to the target, and the source is deleted;
    /// see [`MergeCompanies`].
    pub fn merge(&self, source_id: i64, target_id: i64) -> MergeCompanies {
        MergeCompanies::new(self.client.clone(), self.account_id, source_id, target_id)
    }

    /// The contacts of the company `company_id`: list, add, remove.
    pub fn contacts(&self, company_id: i64) -> CompanyContacts {
        CompanyContacts::new(self.client.clone(), self.account_id, company_id)
    }
}

/// A request for an account's companies
/// (`GET /api/v1/accounts/{account_id}/companies`), 25 a page (the API has
/// no page size parameter).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use futures::TryStreamExt;
/// use voxys_connect::types::CompanySortField;
///
/// let mut companies = client.companies(1).list().sort(CompanySortField::Name).stream();
/// while let Some(company) = companies.try_next().await? {
///     println!("{} {}", company.id, company.name);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ListCompanies {
    client: Client,
    account_id: i64,
    sort: Option<CompanySortField>,
    page: Option<u64>,
    concurrency: usize,
}

impl ListCompanies {
    /// The field to sort by (the server's default: `created_at`).
    pub fn sort(mut self, field: CompanySortField) -> ListCompanies {
        self.sort = Some(field);
        self
    }

    /// The page to read, from 1 (default 1); for
    /// [`stream`](ListCompanies::stream) and [`pages`](ListCompanies::pages),
    /// the page to start from.
    pub fn page(mut self, page: u64) -> ListCompanies {
        self.page = Some(page);
        self
    }

    /// How many pages to fetch at once when walking every page, 1 to
    /// [`MAX_REQUESTS_IN_FLIGHT`](crate::leads::MAX_REQUESTS_IN_FLIGHT)
    /// (default 1); companies still come in order.
    pub fn concurrency(mut self, pages_in_flight: usize) -> ListCompanies {
        self.concurrency = pages_in_flight;
        self
    }

    /// Sends the request and returns one page.
    pub async fn send(self) -> Result<Page<Company>> {
        requests_in_flight(self.concurrency)?;
        let page = self.page.unwrap_or(1);
        self.fetch_page(page).await
    }

    /// Every page from the first (or from [`page`](ListCompanies::page)), in
    /// order; see [`ListLeads::pages`](crate::leads::ListLeads::pages).
    pub fn pages(self) -> BoxStream<'static, Result<Page<Company>>> {
        let check = requests_in_flight(self.concurrency);
        let first = self.page.unwrap_or(1);
        let concurrency = self.concurrency;
        checked_pages(self, check, first, concurrency)
    }

    /// Every company of every page, in order. See
    /// [`pages`](ListCompanies::pages).
    pub fn stream(self) -> BoxStream<'static, Result<Company>> {
        items(self.pages())
    }

    /// Every company of every page, collected.
    pub async fn collect_all(self) -> Result<Vec<Company>> {
        self.stream().try_collect().await
    }

    async fn fetch_page(&self, page: u64) -> Result<Page<Company>> {
        let mut request = self
            .client
            .api()
            .list_companies()
            .account_id(self.account_id)
            .page(page);
        if let Some(sort) = self.sort {
            request = request.sort(sort);
        }
        let list: CompanyList = self
            .client
            .send(Self::OPERATION, Call::default(), request.send())
            .await?
            .value;
        Ok(Page::new(list.data, list.meta))
    }
}

impl PageSource for ListCompanies {
    type Item = Company;
    const OPERATION: &'static str = "list_companies";

    fn fetch(&self, page: u64) -> BoxFuture<'static, Result<Page<Company>>> {
        let this = self.clone();
        Box::pin(async move { this.fetch_page(page).await })
    }

    fn key(company: &Company) -> i64 {
        company.id
    }

    fn client(&self) -> &Client {
        &self.client
    }
}
