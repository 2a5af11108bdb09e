//! [`CreateCompany`]: make a company (`create_company`), exactly once.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use voxys_connect_api::Timestamp;
use voxys_connect_api::types::{Company, CompanyCreate, CompanyCreateName};

use crate::client::Client;
use crate::create::{Create, Kind, LookForTheRecord, Record};
use crate::error::{Error, Result};
use crate::leads::DEFAULT_SETTLE_AFTER;
use crate::pipeline::Call;

/// A request to create a company
/// (`POST /api/v1/accounts/{account_id}/companies`); made by
/// [`Companies::create`](crate::companies::Companies::create).
///
/// **Exactly once**, as [`CreateLead`](crate::leads::CreateLead) is: after an
/// attempt that may have been applied, it searches the companies by the name
/// sent, for one made after the attempt began with every member sent, and
/// not claimed by another create of this client. See
/// [`CLOCK_ALLOWANCE`](crate::CLOCK_ALLOWANCE) for when the match can be
/// fooled.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let acme = client
///     .companies(1)
///     .create("Acme Corp")
///     .domain("acme.com")
///     .description("Widgets")
///     .send()
///     .await?;
/// println!("company {}", acme.id);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateCompany {
    client: Client,
    account_id: i64,
    name: String,
    domain: Option<String>,
    description: Option<String>,
    custom_attributes: Map<String, Value>,
    settle_after: Duration,
}

impl CreateCompany {
    pub(crate) fn new(client: Client, account_id: i64, name: String) -> CreateCompany {
        CreateCompany {
            client,
            account_id,
            name,
            domain: None,
            description: None,
            custom_attributes: Map::new(),
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }

    /// The company's web domain.
    pub fn domain(mut self, domain: impl Into<String>) -> CreateCompany {
        self.domain = Some(domain.into());
        self
    }

    /// What the company does.
    pub fn description(mut self, description: impl Into<String>) -> CreateCompany {
        self.description = Some(description.into());
        self
    }

    /// One account-defined attribute.
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<Value>) -> CreateCompany {
        self.custom_attributes.insert(key.into(), value.into());
        self
    }

    /// Every account-defined attribute at once (replacing those set before).
    pub fn custom_attributes(mut self, attributes: Map<String, Value>) -> CreateCompany {
        self.custom_attributes = attributes;
        self
    }

    /// When an answer was lost and no company is there yet, how long to
    /// wait before looking once more (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> CreateCompany {
        self.settle_after = wait;
        self
    }

    /// Creates the company; the company made.
    pub async fn send(self) -> Result<Company> {
        let name = CompanyCreateName::try_from(self.name.clone()).map_err(|_| {
            Error::InvalidParameter {
                name: "name",
                value: format!("{:?}", self.name),
                expected: "the company's name, not empty".to_owned(),
            }
        })?;
        let mut body = CompanyCreate::new(name);
        body.domain = self.domain.clone();
        body.description = self.description.clone();
        body.custom_attributes = self.custom_attributes.clone();
        let account = self.account_id;
        let request = self
            .client
            .api()
            .create_company()
            .account_id(account)
            .body(body)
            .send();
        let search = self.client.companies(account).search(self.name.clone());
        let this = self.clone();
        let (settle, in_flight) = LookForTheRecord::new(
            &self.client,
            Create {
                kind: Kind {
                    one: "company",
                    many: "companies",
                },
                action: format!("creating company {:?}", self.name),
                look: format!(
                    "search the account's companies for it (Client::companies({account}).search({:?}), or `voxys companies search {:?}`)",
                    self.name, self.name
                ),
                identifying: true,
                candidates: Box::new(move |_| Box::pin(search.clone().send())),
                matches: Arc::new(move |company: &Company| this.matches(company)),
                settle_after: self.settle_after,
            },
        );
        let company: Company = self
            .client
            .send("create_company", Call::settled_by(settle), request)
            .await?
            .value;
        in_flight.claim_answer(company.id);
        Ok(company)
    }

    /// Whether `company` has every member this request sets.
    fn matches(&self, company: &Company) -> bool {
        company.name == self.name
            && (self.domain.is_none()
                || self
                    .domain
                    .as_deref()
                    .zip(company.domain.as_deref())
                    .is_some_and(|(a, b)| a.trim().eq_ignore_ascii_case(b.trim())))
            && (self.description.is_none() || self.description == company.description)
            && self
                .custom_attributes
                .iter()
                .all(|(key, value)| company.custom_attributes.get(key) == Some(value))
    }
}

impl Record for Company {
    fn id(&self) -> i64 {
        self.id
    }

    fn created_at(&self) -> Timestamp {
        self.created_at
    }
}
