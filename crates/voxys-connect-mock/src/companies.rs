//! The Companies section: listing, searching and finding look-alikes (reads
//! of an [`Account`]), and creating, changing, deleting and merging
//! companies and moving contacts in and out of them (writes on the
//! [`Store`], each journaled and written on the timelines concerned).

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use crate::data::Account;
use crate::leads::set_company_of_leads;
use crate::records::{Contact, MockCompany};
use crate::respond::Refusal;
use crate::store::{Change, Entry, Store, Write};

/// How many companies a page of `list_companies` holds (the reference's
/// 25; the operation takes no `per_page`).
pub(crate) const PAGE_SIZE: u64 = 25;

/// The orders companies can be listed in (`sort`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CompanySort {
    /// By name, A to Z, ignoring case.
    Name,
    /// Newest first.
    CreatedAt,
    /// Most recently changed first.
    UpdatedAt,
}

impl CompanySort {
    /// The order for a `sort` value (the document lists which exist).
    pub(crate) fn from_wire(name: &str) -> Option<CompanySort> {
        Some(match name {
            "name" => CompanySort::Name,
            "created_at" => CompanySort::CreatedAt,
            "updated_at" => CompanySort::UpdatedAt,
            _ => return None,
        })
    }

    fn compare(self, a: &MockCompany, b: &MockCompany) -> Ordering {
        match self {
            CompanySort::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            CompanySort::CreatedAt => b.created_at.cmp(&a.created_at),
            CompanySort::UpdatedAt => b.updated_at.cmp(&a.updated_at),
        }
        .then(a.id.cmp(&b.id))
    }
}

/// A name as duplicates compare names: lower case, without white space.
fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A domain as duplicates compare domains: lower case, trimmed; `None`
/// when empty.
fn domain_key(domain: Option<&str>) -> Option<String> {
    domain
        .map(|d| d.trim().to_lowercase())
        .filter(|d| !d.is_empty())
}

/// How a timeline names a contact.
fn contact_label(contact: &Contact) -> String {
    match &contact.name {
        Some(name) => format!("Contact '{name}'"),
        None => format!("Contact #{}", contact.id),
    }
}

impl Account {
    /// One page of the account's companies in the order asked, as the API
    /// answers it (`CompanyList`): 25 a page, pages from 1.
    pub(crate) fn list_companies(&self, page: u64, sort: CompanySort) -> Value {
        let mut companies: Vec<&MockCompany> = self.companies.iter().collect();
        companies.sort_by(|a, b| sort.compare(a, b));
        let total = companies.len() as u64;
        let first =
            usize::try_from(page.saturating_sub(1).saturating_mul(PAGE_SIZE)).unwrap_or(usize::MAX);
        let data: Vec<Value> = companies
            .iter()
            .skip(first)
            .take(PAGE_SIZE as usize)
            .map(|c| self.company_json(c))
            .collect();
        json!({
            "data": data,
            "meta": {
                "current_page": page,
                "total_pages": total.div_ceil(PAGE_SIZE),
                "total_count": total,
            },
        })
    }

    /// The companies whose name or domain contains `q`, ignoring case, in
    /// id order.
    pub(crate) fn search_companies(&self, q: &str) -> Value {
        let q = q.to_lowercase();
        let found: Vec<Value> = self
            .companies
            .iter()
            .filter(|c| {
                c.name.to_lowercase().contains(&q)
                    || c.domain
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(&q))
            })
            .map(|c| self.company_json(c))
            .collect();
        Value::Array(found)
    }

    /// The other companies that look like `company_id`: the same domain
    /// (ignoring case), or the same name ignoring case and white space, in
    /// id order. `None` when there is no such company.
    pub(crate) fn duplicates_of(&self, company_id: i64) -> Option<Value> {
        let company = self.company(company_id)?;
        let (name, domain) = (
            name_key(&company.name),
            domain_key(company.domain.as_deref()),
        );
        let found: Vec<Value> = self
            .companies
            .iter()
            .filter(|c| c.id != company_id)
            .filter(|c| {
                name_key(&c.name) == name
                    || (domain.is_some() && domain_key(c.domain.as_deref()) == domain)
            })
            .map(|c| self.company_json(c))
            .collect();
        Some(Value::Array(found))
    }
}

/// A `CompanyCreate` or `CompanyUpdate` body, read.
pub(crate) struct CompanyInput {
    name: Option<String>,
    domain: Change<String>,
    description: Change<String>,
    custom_attributes: Option<Map<String, Value>>,
    /// The members sent, to say what changed.
    sent: Vec<&'static str>,
}

impl CompanyInput {
    /// Reads a body the routes checked against the document.
    pub(crate) fn read(body: &Value) -> CompanyInput {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        CompanyInput {
            name: body.get("name").and_then(Value::as_str).map(str::to_owned),
            domain: Change::of(body, "domain", text),
            description: Change::of(body, "description", text),
            custom_attributes: body
                .get("custom_attributes")
                .and_then(Value::as_object)
                .cloned(),
            sent: ["name", "domain", "description", "custom_attributes"]
                .into_iter()
                .filter(|m| body.get(*m).is_some())
                .collect(),
        }
    }

    /// The name, unless blank (the routes refuse an empty one; this one is
    /// spaces only).
    fn name(&self) -> Result<Option<&str>, Refusal> {
        match self.name.as_deref() {
            Some(name) if name.trim().is_empty() => Err(Refusal::field("name", "can't be blank")),
            name => Ok(name),
        }
    }
}

/// The company, to change.
fn company_mut<'a>(write: &'a mut Write<'_>, id: i64) -> Option<&'a mut MockCompany> {
    let index = write
        .account
        .companies
        .binary_search_by_key(&id, |c| c.id)
        .ok()?;
    write.account.companies.get_mut(index)
}

impl Store {
    /// Makes a company, now, with the next id; `company_created` on its
    /// timeline. The company as the API answers it.
    pub(crate) fn create_company(
        &mut self,
        account_id: i64,
        input: CompanyInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "create_company", |write| {
            let name = input
                .name()?
                .ok_or_else(|| Refusal::Missing("name".to_owned()))?
                .to_owned();
            let company = MockCompany {
                id: write.ids.company(),
                name,
                domain: input.domain.given(),
                description: input.description.given(),
                custom_attributes: input.custom_attributes.unwrap_or_default(),
                created_at: write.now,
                updated_at: write.now,
            };
            let entry = Entry {
                company_ids: vec![company.id],
                created_id: Some(company.id),
                name: Some(company.name.clone()),
                ..Entry::one()
            };
            let description = format!("Company '{}' was created.", company.name);
            write.event(company.id, "company_created", description);
            let json = company.to_json(0);
            // The largest id yet: the companies stay in id order.
            write.account.companies.push(company);
            Ok((json, entry))
        })
    }

    /// Changes a company as a `CompanyUpdate` says; its leads show the new
    /// name and domain; `company_updated` on its timeline.
    pub(crate) fn update_company(
        &mut self,
        account_id: i64,
        company_id: i64,
        input: CompanyInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "update_company", |write| {
            let now = write.now;
            let company = company_mut(write, company_id).ok_or(Refusal::NotFound)?;
            if let Some(name) = input.name()? {
                company.name = name.to_owned();
            }
            input.domain.apply(&mut company.domain);
            input.description.apply(&mut company.description);
            if let Some(attributes) = input.custom_attributes {
                company.custom_attributes = attributes;
            }
            company.updated_at = now;
            let company = company.clone();
            set_company_of_leads(write, company_id, Some(&company.summary()));
            let changed = if input.sent.is_empty() {
                "nothing changed".to_owned()
            } else {
                input.sent.join(", ")
            };
            let description = format!("Company '{}' was updated ({changed}).", company.name);
            write.event(company_id, "company_updated", description);
            let entry = Entry {
                company_ids: vec![company_id],
                name: Some(company.name.clone()),
                ..Entry::one()
            };
            Ok((write.account.company_json(&company), entry))
        })
    }

    /// Deletes a company and its timeline; its leads stay, in no company
    /// (`company: null`), and so do its contacts.
    pub(crate) fn delete_company(
        &mut self,
        account_id: i64,
        company_id: i64,
    ) -> Result<(), Refusal> {
        self.change(account_id, "delete_company", |write| {
            let index = write
                .account
                .companies
                .binary_search_by_key(&company_id, |c| c.id)
                .map_err(|_| Refusal::NotFound)?;
            let company = write.account.companies.remove(index);
            let lead_ids = set_company_of_leads(write, company_id, None);
            let mut contact_ids = Vec::new();
            for contact in &mut write.account.contacts {
                if contact.company_id == Some(company_id) {
                    contact.company_id = None;
                    contact_ids.push(contact.id);
                }
            }
            write
                .account
                .timeline
                .retain(|e| e.company_id != company_id);
            let entry = Entry {
                lead_ids,
                company_ids: vec![company_id],
                contact_ids,
                name: Some(company.name),
                ..Entry::one()
            };
            Ok(((), entry))
        })
    }

    /// Merges the company `source_id` into `target_id`: its leads, contacts
    /// and timeline move to the target, the source is deleted, and the
    /// target's timeline says so (`lead_added` and `contact_added` for each
    /// lead and contact moved, then `companies_merged`). The target as the
    /// API answers it.
    ///
    /// 404 when the source is gone (a merge repeated) or the target does
    /// not exist; 422 for a company merged into itself.
    pub(crate) fn merge_companies(
        &mut self,
        account_id: i64,
        source_id: i64,
        target_id: i64,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "merge_companies", |write| {
            let account = &*write.account;
            let source = account.company(source_id).ok_or(Refusal::NotFound)?.clone();
            if source_id == target_id {
                return Err(Refusal::field(
                    "target_company_id",
                    "can't be the company being merged",
                ));
            }
            let target = account.company(target_id).ok_or(Refusal::NotFound)?;
            let summary = target.summary();
            let lead_ids = set_company_of_leads(write, source_id, Some(&summary));
            let mut moved_contacts = Vec::new();
            for contact in &mut write.account.contacts {
                if contact.company_id == Some(source_id) {
                    contact.company_id = Some(target_id);
                    moved_contacts.push(contact.clone());
                }
            }
            for event in &mut write.account.timeline {
                if event.company_id == source_id {
                    event.company_id = target_id;
                }
            }
            write.account.companies.retain(|c| c.id != source_id);
            let from = format!("company '{}'", source.name);
            for id in &lead_ids {
                let label = write
                    .account
                    .lead(*id)
                    .and_then(|l| l.custom_name.clone())
                    .map_or_else(|| format!("Lead #{id}"), |name| format!("Lead '{name}'"));
                write.event(
                    target_id,
                    "lead_added",
                    format!("{label} moved here from {from}."),
                );
            }
            for contact in &moved_contacts {
                let description = format!("{} moved here from {from}.", contact_label(contact));
                write.event(target_id, "contact_added", description);
            }
            let description = format!(
                "Company '{}' (#{source_id}) was merged into this company: {} leads and {} contacts moved.",
                source.name,
                lead_ids.len(),
                moved_contacts.len()
            );
            write.event(target_id, "companies_merged", description);
            let now = write.now;
            let target = company_mut(write, target_id).ok_or(Refusal::NotFound)?;
            target.updated_at = now;
            let target = target.clone();
            let entry = Entry {
                lead_ids,
                company_ids: vec![source_id, target_id],
                contact_ids: moved_contacts.iter().map(|c| c.id).collect(),
                name: Some(target.name.clone()),
                ..Entry::one()
            };
            Ok((write.account.company_json(&target), entry))
        })
    }

    /// Puts a contact in a company, out of the one it was in
    /// (`contact_added` on the company's timeline, `contact_removed` on the
    /// other's); adding it again leaves it there (journaled, `affected` 0,
    /// no event). The contact as the API answers it.
    pub(crate) fn add_contact(
        &mut self,
        account_id: i64,
        company_id: i64,
        contact_id: i64,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "add_company_contact", |write| {
            let account = &*write.account;
            let company = account.company(company_id).ok_or(Refusal::NotFound)?;
            let company_name = company.name.clone();
            let index = account
                .contacts
                .binary_search_by_key(&contact_id, |c| c.id)
                .map_err(|_| Refusal::NotFound)?;
            let previous = account.contacts[index].company_id;
            let mut entry = Entry {
                company_ids: vec![company_id],
                contact_ids: vec![contact_id],
                name: account.contacts[index].name.clone(),
                ..Entry::default()
            };
            if previous != Some(company_id) {
                write.account.contacts[index].company_id = Some(company_id);
                let contact = write.account.contacts[index].clone();
                let label = contact_label(&contact);
                write.event(company_id, "contact_added", format!("{label} was added."));
                if let Some(previous) = previous {
                    entry.company_ids.push(previous);
                    let description = format!("{label} moved to company '{company_name}'.");
                    write.event(previous, "contact_removed", description);
                }
                entry.affected = 1;
            }
            Ok((write.account.contacts[index].to_json(), entry))
        })
    }

    /// Takes a contact out of a company (`contact_removed` on its
    /// timeline); the contact stays. 404 when the company does not exist,
    /// or the contact is not in it.
    pub(crate) fn remove_contact(
        &mut self,
        account_id: i64,
        company_id: i64,
        contact_id: i64,
    ) -> Result<(), Refusal> {
        self.change(account_id, "remove_company_contact", |write| {
            if write.account.company(company_id).is_none() {
                return Err(Refusal::NotFound);
            }
            let contact = write
                .account
                .contacts
                .iter_mut()
                .find(|c| c.id == contact_id && c.company_id == Some(company_id))
                .ok_or(Refusal::NotFound)?;
            contact.company_id = None;
            let contact = contact.clone();
            let description = format!("{} was removed.", contact_label(&contact));
            write.event(company_id, "contact_removed", description);
            let entry = Entry {
                company_ids: vec![company_id],
                contact_ids: vec![contact_id],
                name: contact.name,
                ..Entry::one()
            };
            Ok(((), entry))
        })
    }
}
