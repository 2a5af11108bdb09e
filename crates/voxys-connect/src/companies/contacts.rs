//! A company's contacts: [`CompanyContacts`] and [`AddContact`].

use voxys_connect_api::types::{CompanyContactAdd, Contact};

use crate::client::Client;
use crate::delete::Delete;
use crate::error::{Error, Result};
use crate::leads::id;
use crate::pipeline::Call;
use crate::request::Request;

/// The contacts of one company; made by
/// [`Companies::contacts`](crate::companies::Companies::contacts).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let contacts = client.companies(1).contacts(10);
/// contacts.add(200).send().await?;
/// for contact in contacts.list().send().await? {
///     println!("{} {:?}", contact.id, contact.email);
/// }
/// contacts.remove(200).send().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct CompanyContacts {
    client: Client,
    account_id: i64,
    company_id: i64,
}

impl CompanyContacts {
    pub(crate) fn new(client: Client, account_id: i64, company_id: i64) -> CompanyContacts {
        CompanyContacts {
            client,
            account_id,
            company_id,
        }
    }

    /// A request for the company's contacts (`list_company_contacts`; not
    /// paged).
    pub fn list(&self) -> Request<Vec<Contact>> {
        let (account, company) = (self.account_id, self.company_id);
        Request::new(&self.client, "list_company_contacts", move |c| async move {
            c.api()
                .list_company_contacts()
                .account_id(account)
                .id(company)
                .send()
                .await
        })
    }

    /// A request to put the contact `contact_id` in the company (out of the
    /// one it was in); see [`AddContact`].
    pub fn add(&self, contact_id: i64) -> AddContact {
        AddContact {
            contacts: self.clone(),
            contact_id,
        }
    }

    /// A request to take the contact `contact_id` out of the company (the
    /// contact stays); see [`Delete`] for what a retry does.
    pub fn remove(&self, contact_id: i64) -> Delete {
        let (account, company) = (self.account_id, self.company_id);
        Delete::new(
            &self.client,
            "remove_company_contact",
            move |c| async move {
                c.api()
                    .remove_company_contact()
                    .account_id(account)
                    .id(company)
                    .contact_id(contact_id)
                    .send()
                    .await
            },
        )
    }
}

/// A request to put a contact in a company
/// (`POST /api/v1/accounts/{account_id}/companies/{id}/contacts`); made by
/// [`CompanyContacts::add`]. **Repeating it** leaves the contact there, so it
/// is retried like a read.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct AddContact {
    contacts: CompanyContacts,
    contact_id: i64,
}

impl AddContact {
    /// Adds the contact; the contact.
    pub async fn send(self) -> Result<Contact> {
        let contact = id("contact", Some(self.contact_id))?.ok_or(Error::InvalidParameter {
            name: "contact",
            value: self.contact_id.to_string(),
            expected: "an id, a whole number from 1 up".to_owned(),
        })?;
        let c = &self.contacts;
        let request = c
            .client
            .api()
            .add_company_contact()
            .account_id(c.account_id)
            .id(c.company_id)
            .body(CompanyContactAdd::new(contact))
            .send();
        Ok(c.client
            .send("add_company_contact", Call::default(), request)
            .await?
            .value)
    }
}
