//! [`UpdateCompany`]: change a company's members (`update_company`).

use serde_json::{Map, Value};
use voxys_connect_api::types::Company;
use voxys_connect_api::{Change, CompanyUpdate};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::pipeline::Call;

/// A request to change a company
/// (`PATCH /api/v1/accounts/{account_id}/companies/{id}`); made by
/// [`Companies::update`](crate::companies::Companies::update).
///
/// Each member is left as it is unless a method sets it or clears it (a
/// cleared member is sent as `null`). **Repeating it** gives the same
/// company, so it is retried like a read.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let acme = client.companies(1).update(10).name("Acme Inc").clear_description().send().await?;
/// assert!(acme.description.is_none());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateCompany {
    client: Client,
    account_id: i64,
    company_id: i64,
    changes: CompanyUpdate,
}

impl UpdateCompany {
    pub(crate) fn new(client: Client, account_id: i64, company_id: i64) -> UpdateCompany {
        UpdateCompany {
            client,
            account_id,
            company_id,
            changes: CompanyUpdate::default(),
        }
    }

    /// A new name (a company always has one: it cannot be cleared).
    pub fn name(mut self, name: impl Into<String>) -> UpdateCompany {
        self.changes.name = Some(name.into());
        self
    }

    /// A new web domain.
    pub fn domain(mut self, domain: impl Into<String>) -> UpdateCompany {
        self.changes.domain = Change::Set(domain.into());
        self
    }

    /// Clears the domain.
    pub fn clear_domain(mut self) -> UpdateCompany {
        self.changes.domain = Change::Clear;
        self
    }

    /// A new description.
    pub fn description(mut self, description: impl Into<String>) -> UpdateCompany {
        self.changes.description = Change::Set(description.into());
        self
    }

    /// Clears the description.
    pub fn clear_description(mut self) -> UpdateCompany {
        self.changes.description = Change::Clear;
        self
    }

    /// Replaces the account-defined attributes as a whole.
    pub fn custom_attributes(mut self, attributes: Map<String, Value>) -> UpdateCompany {
        self.changes.custom_attributes = Some(attributes);
        self
    }

    /// Every change at once, replacing those set before.
    pub fn changes(mut self, changes: CompanyUpdate) -> UpdateCompany {
        self.changes = changes;
        self
    }

    /// Sends the changes; the company as it is now.
    pub async fn send(self) -> Result<Company> {
        if let Some(name) = &self.changes.name
            && name.is_empty()
        {
            return Err(Error::InvalidParameter {
                name: "name",
                value: "\"\"".to_owned(),
                expected: "the company's name, not empty".to_owned(),
            });
        }
        let request = self
            .client
            .api()
            .update_company()
            .account_id(self.account_id)
            .id(self.company_id)
            .body(self.changes.clone())
            .send();
        Ok(self
            .client
            .send("update_company", Call::default(), request)
            .await?
            .value)
    }
}
