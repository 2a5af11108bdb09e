//! [`Dataset`]: realistic leads, generated deterministically from a seed.
//!
//! The mock holds its data in types of its own, and renders the JSON the API
//! sends itself: it does not go through the SDK's generated types, so that
//! tests comparing what the SDK decoded with what the mock holds compare two
//! independent readings of the document.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use crate::records::{CardEvent, Contact, Conversation, MockCompany, Note, Task, TimelineEvent};

/// An agent (a user of the account), as the API shows one.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Agent {
    /// The agent's user id.
    pub id: i64,
    /// The display name.
    pub name: String,
    /// The email address.
    pub email: Option<String>,
    /// The avatar's URL; may be empty.
    pub avatar_url: Option<String>,
}

/// A company in short, as a lead shows it (`CompanySummary`): its id, name
/// and domain. The company's whole record is a
/// [`MockCompany`](crate::MockCompany).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Company {
    /// The company's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its web domain.
    pub domain: Option<String>,
}

/// A lead as the mock holds it: every member the API shows, and the inbox it
/// came from (which the API filters on but does not show).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MockLead {
    /// The lead's id.
    pub id: i64,
    /// Its name.
    pub custom_name: Option<String>,
    /// Its status, as the API spells it (`open`, `won`...).
    pub status: String,
    /// Its value, exact.
    pub lead_value: Option<Decimal>,
    /// The ISO 4217 code of the value's currency.
    pub lead_currency: Option<String>,
    /// Its position on the board.
    pub position: Option<i64>,
    /// Free-text notes.
    pub notes: Option<String>,
    /// The agent it is assigned to.
    pub assigned_agent: Option<Agent>,
    /// Its company.
    pub company: Option<Company>,
    /// The conversation it came from.
    pub conversation_id: Option<i64>,
    /// Account-defined attributes.
    pub custom_attributes: Map<String, Value>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The inbox it came from, if any (`source_inbox_id` filters on it).
    pub source_inbox_id: Option<i64>,
}

impl Agent {
    /// The agent as the API sends it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "avatar_url": self.avatar_url,
        })
    }
}

impl Company {
    /// The company as a lead shows it.
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "domain": self.domain})
    }
}

/// An amount as a JSON number: whole amounts as integers (`15000`), others
/// with their decimals (`15000.5`).
pub(crate) fn amount_json(amount: Decimal) -> Value {
    let amount = amount.normalize();
    if amount.scale() == 0
        && let Some(whole) = amount.to_i64()
    {
        return Value::from(whole);
    }
    amount
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// A timestamp as the API writes it: RFC 3339 in UTC, `Z`, with the
/// fraction of a second it has: none for the generated data, which is in
/// whole seconds; milliseconds for what the mock writes, as Rails sends
/// them (`2026-12-01T06:20:01.123Z`).
pub(crate) fn timestamp_json(at: DateTime<Utc>) -> Value {
    Value::String(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

impl MockLead {
    /// The lead as the API sends it: every member, `null` where empty.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "custom_name": self.custom_name,
            "status": self.status,
            "lead_value": self.lead_value.map(amount_json),
            "lead_currency": self.lead_currency,
            "position": self.position,
            "notes": self.notes,
            "assigned_agent": self.assigned_agent.as_ref().map(Agent::to_json),
            "company": self.company.as_ref().map(Company::to_json),
            "conversation_id": self.conversation_id,
            "custom_attributes": self.custom_attributes,
            "created_at": timestamp_json(self.created_at),
            "updated_at": timestamp_json(self.updated_at),
        })
    }
}

/// A stage of a funnel, as the Pipelines pages show one.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Stage {
    /// The stage's id.
    pub id: i64,
    /// The funnel it belongs to.
    pub funnel_id: i64,
    /// Its name.
    pub name: String,
    /// Its colour, such as `#2196F3`.
    pub color: Option<String>,
    /// Its place in the funnel, from 1.
    pub position: i64,
    /// The Chatwoot conversation status it maps to.
    pub chatwoot_status: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A funnel (pipeline) and its stages, in order.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Funnel {
    /// The funnel's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Its colour on the board, such as `#4CAF50`.
    pub color: Option<String>,
    /// Its place among the account's funnels (the API lists them by it).
    pub position: Option<i64>,
    /// Whether every agent of the account sees it.
    pub is_public: bool,
    /// Whether it is in use.
    pub is_active: bool,
    /// Its stages, by position (numbered from 1, without gaps).
    pub stages: Vec<Stage>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A lead's card in a funnel: what converting a lead makes.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Card {
    /// The card's id.
    pub id: i64,
    /// The funnel it is in.
    pub funnel_id: i64,
    /// The stage it is in.
    pub funnel_stage_id: Option<i64>,
    /// The lead it stands for.
    pub lead_id: i64,
    /// Its position in its stage.
    pub position: Option<i64>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// One account's data.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Account {
    /// The account's id.
    pub id: i64,
    /// Its leads, in id order.
    pub leads: Vec<MockLead>,
    /// Its agents (user ids the leads are assigned to).
    pub agents: Vec<Agent>,
    /// Its inbox ids.
    pub inboxes: Vec<i64>,
    /// Its funnels (pipelines).
    pub funnels: Vec<Funnel>,
    /// The cards of its funnels, in id order.
    pub cards: Vec<Card>,
    /// Its companies, in id order.
    pub companies: Vec<MockCompany>,
    /// Its contacts, in id order; each in one company at most.
    pub contacts: Vec<Contact>,
    /// The notes of its leads, in id order (the API lists a lead's notes
    /// newest first: [`Account::notes_of`]).
    pub notes: Vec<Note>,
    /// The events of its companies' timelines, in id order (the API lists
    /// a company's newest first: [`Account::timeline_of`]).
    pub timeline: Vec<TimelineEvent>,
    /// The events of its cards' histories, in id order (the API lists a
    /// card's newest first: [`Account::history_of`]).
    pub card_events: Vec<CardEvent>,
    /// Its follow-up tasks, in id order.
    pub tasks: Vec<Task>,
    /// Its conversations, in id order: those its leads came from (each
    /// linked to the first such lead, and to that lead's first card if it
    /// has one) and a few more with nothing linked.
    pub conversations: Vec<Conversation>,
}

/// The data a mock server serves: accounts with agents, companies, contacts
/// and leads, and the user the token belongs to.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Dataset {
    /// The accounts, by id.
    pub accounts: BTreeMap<i64, Account>,
    /// The token's user: an agent of every account (the first account's
    /// first agent, added to the agents of the others). Notes and timeline
    /// events the mock writes are by this user.
    pub user: Agent,
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatasetSpec {
    /// The seed: the same seed gives the same data.
    pub seed: u64,
    /// How many accounts (ids 1, 2, ...).
    pub accounts: u64,
    /// How many leads each account holds.
    pub leads_per_account: u64,
}

impl DatasetSpec {
    /// What to generate: `accounts` accounts of `leads_per_account` leads
    /// each, from `seed`.
    pub fn new(seed: u64, accounts: u64, leads_per_account: u64) -> DatasetSpec {
        DatasetSpec {
            seed,
            accounts,
            leads_per_account,
        }
    }
}

impl Default for DatasetSpec {
    fn default() -> Self {
        DatasetSpec {
            seed: 42,
            accounts: 2,
            leads_per_account: 120,
        }
    }
}

const FIRST_NAMES: [&str; 24] = [
    "Jane",
    "Omar",
    "Zoë",
    "José",
    "Łukasz",
    "Aiko",
    "Søren",
    "Ana María",
    "Chidi",
    "Priya",
    "Mateus",
    "Ingrid",
    "李娜",
    "Dmitri",
    "Fatima",
    "Noah",
    "Élodie",
    "Kwame",
    "Sakura",
    "Liam",
    "Nadia",
    "Björn",
    "Amara",
    "Ravi",
];
const LAST_NAMES: [&str; 16] = [
    "Smith",
    "Haddad",
    "Müller",
    "García",
    "Kowalski",
    "Tanaka",
    "Nørgaard",
    "O'Brien",
    "Okafor",
    "Sharma",
    "Silva",
    "Lindqvist",
    "王",
    "Ivanova",
    "Dubois",
    "Mensah",
];
const COMPANIES: [(&str, Option<&str>); 20] = [
    ("Acme Corp", Some("acme.com")),
    ("Globex", Some("globex.io")),
    ("Müller & Söhne GmbH", Some("mueller-soehne.de")),
    ("株式会社ミライ", Some("mirai.co.jp")),
    ("Café Olé, Ltd.", Some("cafe-ole.co.uk")),
    ("Société Générale d'Études", Some("sge.fr")),
    ("Initech", Some("initech.com")),
    ("Umbrella \"Health\" Inc", Some("umbrella-health.com")),
    ("São Paulo Logística", Some("splog.com.br")),
    ("Stark Industries", Some("stark.com")),
    ("Wayne Enterprises", None),
    ("Hooli", Some("hooli.xyz")),
    ("Nordlys AS", Some("nordlys.no")),
    ("Tata Widgets", Some("tatawidgets.in")),
    ("🚀 Rocket Labs", Some("rocketlabs.dev")),
    ("Pied Piper", Some("piedpiper.com")),
    ("Vandelay Industries", None),
    ("Żabka Foods", Some("zabka-foods.pl")),
    ("Oceanic Airlines", Some("oceanic.aero")),
    ("Massive Dynamic", Some("massivedynamic.com")),
];
const PRODUCTS: [&str; 8] = [
    "Enterprise Deal",
    "Renewal",
    "Pilot",
    "Expansion",
    "Support Plan",
    "Onboarding",
    "Upsell",
    "Migration",
];
const CURRENCIES: [&str; 6] = ["USD", "USD", "EUR", "GBP", "INR", "BRL"];
const INDUSTRIES: [&str; 7] = [
    "Technology",
    "Retail",
    "Healthcare",
    "Finance",
    "Logistics",
    "Education",
    "Energía",
];
/// Notes as people type them into web forms, some of which a spreadsheet
/// would run as formulas if a CSV export kept them as they are.
const NOTES: [&str; 12] = [
    "=HYPERLINK(\"https://evil.example/\",\"Open invoice\")",
    "+1 555 0100, call back after 3pm",
    "-- no budget this year --",
    "@jane please take this one",
    "Prospect from trade show",
    "Met at \"SaaStr\", follow up next week",
    "Asked for a discount, 10% max",
    "Decision maker: the CFO, not the CTO.\nBudget approved in Q3",
    "Called twice; no answer",
    "Très intéressé — envoyer la proposition",
    "Wants SSO, SCIM and an on-prem option",
    "Referred by an existing customer 🙌",
];

/// The first day of generated activity: 2023-01-01T00:00:00Z.
const EPOCH: i64 = 1_672_531_200;
/// Leads are created over two years from [`EPOCH`].
const SPAN_SECONDS: u64 = 2 * 365 * 24 * 3600;

impl Account {
    /// The account's leads in the order the API lists them by default
    /// (newest first, `created_at` descending, ties by ascending id), as the
    /// API sends them.
    pub fn leads_in_default_order(&self) -> Vec<Value> {
        let mut leads: Vec<&MockLead> = self.leads.iter().collect();
        leads.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        leads.into_iter().map(MockLead::to_json).collect()
    }

    /// The lead with this id.
    pub fn lead(&self, id: i64) -> Option<&MockLead> {
        self.leads
            .binary_search_by_key(&id, |l| l.id)
            .ok()
            .map(|i| &self.leads[i])
    }

    /// The funnel with this id.
    pub fn funnel(&self, id: i64) -> Option<&Funnel> {
        self.funnels.iter().find(|f| f.id == id)
    }

    /// A card as the API sends it, its lead as it is now; `None` when the
    /// lead is gone.
    pub fn card_json(&self, card: &Card) -> Option<Value> {
        let lead = self.lead(card.lead_id)?;
        Some(json!({
            "id": card.id,
            "funnel_id": card.funnel_id,
            "funnel_stage_id": card.funnel_stage_id,
            "lead": lead.to_json(),
            "position": card.position,
            "created_at": timestamp_json(card.created_at),
            "updated_at": timestamp_json(card.updated_at),
        }))
    }

    /// The card with this id, in whichever funnel.
    pub fn card(&self, id: i64) -> Option<&Card> {
        self.cards
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .map(|i| &self.cards[i])
    }

    /// The stage with this id, in whichever funnel.
    pub fn stage(&self, id: i64) -> Option<&Stage> {
        self.funnels
            .iter()
            .flat_map(|f| f.stages.iter())
            .find(|s| s.id == id)
    }

    /// The history of the card `card_id` as the API lists it: newest first
    /// (`occurred_at` descending, then id descending).
    pub fn history_of(&self, card_id: i64) -> Vec<&CardEvent> {
        let mut events: Vec<&CardEvent> = self
            .card_events
            .iter()
            .filter(|e| e.card_id == card_id)
            .collect();
        events.sort_by(|a, b| b.occurred_at.cmp(&a.occurred_at).then(b.id.cmp(&a.id)));
        events
    }

    /// The task with this id.
    pub fn task(&self, id: i64) -> Option<&Task> {
        self.tasks
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|i| &self.tasks[i])
    }

    /// The conversation with this id, its links as the panel shows them: a
    /// lead or a card since deleted is linked no more.
    pub fn conversation(&self, id: i64) -> Option<Conversation> {
        let index = self
            .conversations
            .binary_search_by_key(&id, |c| c.id)
            .ok()?;
        let stored = &self.conversations[index];
        Some(Conversation {
            id,
            linked_lead_id: stored.linked_lead_id.filter(|l| self.lead(*l).is_some()),
            linked_card_id: stored.linked_card_id.filter(|c| self.card(*c).is_some()),
        })
    }

    /// The cards of the funnel `funnel_id` for the lead `lead_id`.
    pub fn cards_of(&self, funnel_id: i64, lead_id: i64) -> Vec<&Card> {
        self.cards
            .iter()
            .filter(|c| c.funnel_id == funnel_id && c.lead_id == lead_id)
            .collect()
    }

    /// The agent with this user id, if a member of the account.
    pub fn agent(&self, id: i64) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }

    /// The company with this id.
    pub fn company(&self, id: i64) -> Option<&MockCompany> {
        self.companies
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .map(|i| &self.companies[i])
    }

    /// A company as the API sends it, with its contacts counted now.
    pub fn company_json(&self, company: &MockCompany) -> Value {
        company.to_json(self.contacts_of(company.id).len() as u64)
    }

    /// The contact with this id.
    pub fn contact(&self, id: i64) -> Option<&Contact> {
        self.contacts
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .map(|i| &self.contacts[i])
    }

    /// The contacts in the company `company_id`, in id order (the order
    /// the API lists them in).
    pub fn contacts_of(&self, company_id: i64) -> Vec<&Contact> {
        self.contacts
            .iter()
            .filter(|c| c.company_id == Some(company_id))
            .collect()
    }

    /// The leads of the company `company_id`, in id order.
    pub fn leads_of(&self, company_id: i64) -> Vec<&MockLead> {
        self.leads
            .iter()
            .filter(|l| l.company.as_ref().is_some_and(|c| c.id == company_id))
            .collect()
    }

    /// The notes of the lead `lead_id` as the API lists them: newest first
    /// (`created_at` descending, then id descending).
    pub fn notes_of(&self, lead_id: i64) -> Vec<&Note> {
        let mut notes: Vec<&Note> = self.notes.iter().filter(|n| n.lead_id == lead_id).collect();
        notes.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        notes
    }

    /// The timeline of the company `company_id` as the API lists it: newest
    /// first (`occurred_at` descending, then id descending).
    pub fn timeline_of(&self, company_id: i64) -> Vec<&TimelineEvent> {
        let mut events: Vec<&TimelineEvent> = self
            .timeline
            .iter()
            .filter(|e| e.company_id == company_id)
            .collect();
        events.sort_by(|a, b| b.occurred_at.cmp(&a.occurred_at).then(b.id.cmp(&a.id)));
        events
    }
}

impl Dataset {
    /// Generates the data `spec` describes. Deterministic: the same spec gives
    /// equal datasets. 100,000 leads take a few tens of milliseconds.
    pub fn generate(spec: DatasetSpec) -> Dataset {
        let mut rng = fastrand::Rng::with_seed(spec.seed);
        let mut next_lead_id = 1i64;
        let mut next_card_id = 1i64;
        let (mut next_contact_id, mut next_note_id, mut next_event_id) = (1i64, 1i64, 0i64);
        let (mut next_card_event_id, mut next_task_id) = (1i64, 1i64);
        let mut accounts = BTreeMap::new();
        for account_id in (1..=spec.accounts).map(|a| i64::try_from(a).unwrap_or(i64::MAX)) {
            let agents = agents_of(&mut rng, account_id);
            let companies = companies_of(account_id);
            let inboxes: Vec<i64> = (1..=5).map(|i| (account_id - 1) * 10 + i).collect();
            let mut leads =
                Vec::with_capacity(usize::try_from(spec.leads_per_account).unwrap_or(0));
            for _ in 0..spec.leads_per_account {
                leads.push(lead(&mut rng, next_lead_id, &agents, &companies, &inboxes));
                next_lead_id += 1;
            }
            // Funnels and cards from a stream of their own, so that the
            // leads stay what they were before funnels existed.
            let mut funnel_rng =
                fastrand::Rng::with_seed(spec.seed ^ 0x5eed_f0e1 ^ account_id as u64);
            let funnels = funnels_of(account_id);
            let cards = cards_of(&mut funnel_rng, &funnels, &leads, &mut next_card_id);
            let card_events = created_events(&funnels, &cards, &mut next_card_event_id);
            // Companies, contacts, notes and timelines from a stream of
            // their own too, for the same reason.
            let mut crm_rng = fastrand::Rng::with_seed(spec.seed ^ 0xc04a_41e5 ^ account_id as u64);
            let companies = company_records(&mut crm_rng, &companies);
            let contacts = contacts_of(&mut crm_rng, &companies, &mut next_contact_id);
            let notes = notes_of(&mut crm_rng, &leads, &agents, &mut next_note_id);
            // Conversations and tasks from a stream of their own too.
            let mut task_rng =
                fastrand::Rng::with_seed(spec.seed ^ 0x7a5c_0b5e ^ account_id as u64);
            let conversations = conversations_of(&mut task_rng, &leads, &cards);
            let tasks = tasks_of(
                &mut task_rng,
                &TaskSources {
                    leads: &leads,
                    cards: &cards,
                    conversations: &conversations,
                    agents: &agents,
                    contacts: &contacts,
                },
                &mut next_task_id,
            );
            let timeline = companies
                .iter()
                .map(|c| {
                    next_event_id += 1;
                    TimelineEvent {
                        id: next_event_id,
                        company_id: c.id,
                        event_type: "company_created".to_owned(),
                        description: Some(format!("Company '{}' was created.", c.name)),
                        actor: None,
                        occurred_at: c.created_at,
                    }
                })
                .collect();
            accounts.insert(
                account_id,
                Account {
                    id: account_id,
                    leads,
                    agents,
                    inboxes,
                    funnels,
                    cards,
                    companies,
                    contacts,
                    notes,
                    timeline,
                    card_events,
                    tasks,
                    conversations,
                },
            );
        }
        // The token's user: the first account's first agent, a member of
        // every account.
        let user = accounts
            .values()
            .next()
            .and_then(|a| a.agents.first().cloned())
            .unwrap_or_else(|| Agent {
                id: 1,
                name: "Mock User".to_owned(),
                email: Some("agent1@example.com".to_owned()),
                avatar_url: Some(String::new()),
            });
        for account in accounts.values_mut() {
            if account.agent(user.id).is_none() {
                account.agents.push(user.clone());
            }
        }
        Dataset { accounts, user }
    }

    /// An account, if the dataset has it.
    pub fn account(&self, id: i64) -> Option<&Account> {
        self.accounts.get(&id)
    }

    /// The ids of the accounts, ascending.
    pub fn account_ids(&self) -> Vec<i64> {
        self.accounts.keys().copied().collect()
    }
}

fn agents_of(rng: &mut fastrand::Rng, account_id: i64) -> Vec<Agent> {
    (1..=8)
        .map(|i| {
            let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.usize(..LAST_NAMES.len())];
            let id = (account_id - 1) * 100 + i;
            Agent {
                id,
                name: format!("{first} {last}"),
                email: Some(format!("agent{id}@example.com")),
                avatar_url: if rng.bool() {
                    Some(format!("https://avatars.example.com/{id}.png"))
                } else {
                    Some(String::new())
                },
            }
        })
        .collect()
}

/// A stage as generated: its name, colour and Chatwoot status.
type StageSpec = (&'static str, Option<&'static str>, Option<&'static str>);

/// The funnels of an account and their stages, as a sales team sets them up.
fn funnels_of(account_id: i64) -> Vec<Funnel> {
    const FUNNELS: [(&str, &[StageSpec]); 2] = [
        (
            "Sales",
            &[
                ("New", Some("#9E9E9E"), Some("pending")),
                ("Qualification", Some("#2196F3"), Some("open")),
                ("Proposal", Some("#FF9800"), Some("open")),
                ("Negotiation", None, Some("open")),
                ("Closed", Some("#4CAF50"), Some("resolved")),
            ],
        ),
        (
            "Partnerships",
            &[
                ("Intro", None, None),
                ("Pilot", Some("#673AB7"), Some("open")),
                ("Signed", Some("#4CAF50"), Some("resolved")),
            ],
        ),
    ];
    FUNNELS
        .iter()
        .zip(1..)
        .map(|((name, stages), f)| {
            let funnel_id = (account_id - 1) * 10 + f;
            Funnel {
                id: funnel_id,
                name: (*name).to_owned(),
                description: Some(format!("The {} pipeline.", name.to_lowercase())),
                color: if f == 1 {
                    Some("#4CAF50".to_owned())
                } else {
                    None
                },
                position: Some(f),
                is_public: true,
                is_active: true,
                created_at: timestamp(0),
                updated_at: timestamp(0),
                stages: stages
                    .iter()
                    .zip(1..)
                    .map(|((stage, color, status), position)| Stage {
                        id: funnel_id * 10 + position,
                        funnel_id,
                        name: (*stage).to_owned(),
                        color: color.map(str::to_owned),
                        position,
                        chatwoot_status: status.map(str::to_owned),
                        created_at: timestamp(0),
                        updated_at: timestamp(0),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Cards for about one lead in ten, in a stage of a funnel, made a while
/// after the lead.
fn cards_of(
    rng: &mut fastrand::Rng,
    funnels: &[Funnel],
    leads: &[MockLead],
    next_card_id: &mut i64,
) -> Vec<Card> {
    let mut cards = Vec::new();
    let mut positions: BTreeMap<i64, i64> = BTreeMap::new();
    for lead in leads {
        if rng.u8(..10) != 0 {
            continue;
        }
        let funnel = &funnels[rng.usize(..funnels.len())];
        let stage = &funnel.stages[rng.usize(..funnel.stages.len())];
        let position = positions.entry(stage.id).or_insert(0);
        *position += 1;
        let made = lead.created_at + chrono::Duration::seconds(rng.i64(0..30 * 24 * 3600));
        cards.push(Card {
            id: *next_card_id,
            funnel_id: funnel.id,
            funnel_stage_id: Some(stage.id),
            lead_id: lead.id,
            position: Some(*position),
            created_at: made,
            updated_at: made,
        });
        *next_card_id += 1;
    }
    cards
}

/// A `created` event for each generated card, by no one (`null`), when the
/// card was made.
fn created_events(funnels: &[Funnel], cards: &[Card], next_id: &mut i64) -> Vec<CardEvent> {
    cards
        .iter()
        .map(|card| {
            let stage = funnels
                .iter()
                .flat_map(|f| f.stages.iter())
                .find(|s| Some(s.id) == card.funnel_stage_id)
                .map(|s| s.name.clone());
            let id = *next_id;
            *next_id += 1;
            CardEvent {
                id,
                card_id: card.id,
                event_type: "created".to_owned(),
                description: Some(match &stage {
                    Some(stage) => format!("Card created in {stage}."),
                    None => "Card created.".to_owned(),
                }),
                from_stage: None,
                to_stage: stage,
                actor: None,
                occurred_at: card.created_at,
            }
        })
        .collect()
}

/// How many conversations an account has besides those its leads came
/// from.
const LONE_CONVERSATIONS: i64 = 5;

/// The conversations of an account: each its leads came from, linked to
/// the first of those leads (and to its first card, if any), then a few
/// with nothing linked (ids past those leads can have).
fn conversations_of(
    rng: &mut fastrand::Rng,
    leads: &[MockLead],
    cards: &[Card],
) -> Vec<Conversation> {
    let mut by_id: BTreeMap<i64, Conversation> = BTreeMap::new();
    for lead in leads {
        if let Some(id) = lead.conversation_id {
            by_id.entry(id).or_insert_with(|| Conversation {
                id,
                linked_lead_id: Some(lead.id),
                linked_card_id: cards.iter().find(|c| c.lead_id == lead.id).map(|c| c.id),
            });
        }
    }
    let mut next = 200_000 + rng.i64(1..1000);
    for _ in 0..LONE_CONVERSATIONS {
        by_id.insert(
            next,
            Conversation {
                id: next,
                linked_lead_id: None,
                linked_card_id: None,
            },
        );
        next += rng.i64(1..50);
    }
    by_id.into_values().collect()
}

/// What generated tasks can be about, and whom they can be for.
struct TaskSources<'a> {
    leads: &'a [MockLead],
    cards: &'a [Card],
    conversations: &'a [Conversation],
    agents: &'a [Agent],
    contacts: &'a [Contact],
}

const TASK_TITLES: [&str; 8] = [
    "Follow up with prospect",
    "Send the proposal",
    "Call back after the demo",
    "Check the contract's redlines",
    "Prepare the renewal quote",
    "Reply about SSO pricing",
    "Relancer le client 📞",
    "Book the onboarding call",
];

/// How many tasks each account has.
const TASKS_PER_ACCOUNT: usize = 16;

/// An account's follow-up tasks: about leads, cards and conversations (and
/// a contact, and nothing), most pending, some completed or snoozed, about
/// one in four with no due date.
fn tasks_of(rng: &mut fastrand::Rng, from: &TaskSources<'_>, next_id: &mut i64) -> Vec<Task> {
    (0..TASKS_PER_ACCOUNT)
        .map(|i| {
            let about: Option<(&str, i64)> = match i % 6 {
                0 | 1 if !from.leads.is_empty() => {
                    Some(("Lead", from.leads[rng.usize(..from.leads.len())].id))
                }
                2 if !from.cards.is_empty() => {
                    Some(("FunnelCard", from.cards[rng.usize(..from.cards.len())].id))
                }
                3 if !from.conversations.is_empty() => Some((
                    "Conversation",
                    from.conversations[rng.usize(..from.conversations.len())].id,
                )),
                4 if !from.contacts.is_empty() => Some((
                    "Contact",
                    from.contacts[rng.usize(..from.contacts.len())].id,
                )),
                _ => None,
            };
            let created = timestamp(rng.u64(0..SPAN_SECONDS - 30 * 24 * 3600));
            let due_at = maybe(rng, 0.75, |r| {
                created + chrono::Duration::hours(r.i64(1..30 * 24))
            });
            let (status, completed_at) = match rng.u8(..10) {
                0..6 => ("pending", None),
                6..8 => (
                    "completed",
                    Some(created + chrono::Duration::hours(rng.i64(1..48))),
                ),
                _ => ("snoozed", None),
            };
            let id = *next_id;
            *next_id += 1;
            Task {
                id,
                title: TASK_TITLES[rng.usize(..TASK_TITLES.len())].to_owned(),
                description: maybe(rng, 0.5, |r| NOTES[r.usize(..NOTES.len())].to_owned()),
                status: status.to_owned(),
                priority: ["low", "medium", "medium", "high"][rng.usize(..4)].to_owned(),
                due_at,
                completed_at,
                taskable_type: about.map(|(kind, _)| kind.to_owned()),
                taskable_id: about.map(|(_, id)| id),
                assigned_to: (!from.agents.is_empty())
                    .then(|| {
                        maybe(rng, 0.8, |r| {
                            from.agents[r.usize(..from.agents.len())].clone()
                        })
                    })
                    .flatten(),
                created_at: created,
                updated_at: completed_at.unwrap_or(created),
            }
        })
        .collect()
}

fn companies_of(account_id: i64) -> Vec<Company> {
    COMPANIES
        .iter()
        .zip(1..)
        .map(|((name, domain), i)| Company {
            id: (account_id - 1) * 1000 + i,
            name: (*name).to_owned(),
            domain: domain.map(str::to_owned),
        })
        .collect()
}

const DESCRIPTIONS: [&str; 6] = [
    "Global leader in widgets.",
    "Family business since 1921; buys through resellers.",
    "Logistics for the southern hemisphere.",
    "Série B en 2024 — équipe de 40 personnes.",
    "Hardware, software and \"everything in between\".",
    "Regional retail chain, 120 stores.",
];

/// The companies of an account as records: the names and domains leads
/// show, and a description, attributes and timestamps.
fn company_records(rng: &mut fastrand::Rng, companies: &[Company]) -> Vec<MockCompany> {
    companies
        .iter()
        .map(|c| {
            let created = rng.u64(0..SPAN_SECONDS / 2);
            let updated = (created + rng.u64(0..200 * 24 * 3600)).min(SPAN_SECONDS);
            let mut custom_attributes = Map::new();
            if rng.u8(..4) != 0 {
                custom_attributes.insert(
                    "industry".into(),
                    json!(INDUSTRIES[rng.usize(..INDUSTRIES.len())]),
                );
                custom_attributes.insert("employees".into(), json!(rng.u32(5..20_000)));
            }
            MockCompany {
                id: c.id,
                name: c.name.clone(),
                domain: c.domain.clone(),
                description: maybe(rng, 0.6, |r| {
                    DESCRIPTIONS[r.usize(..DESCRIPTIONS.len())].to_owned()
                }),
                custom_attributes,
                created_at: timestamp(created),
                updated_at: timestamp(updated),
            }
        })
        .collect()
}

/// How many contacts each account has.
const CONTACTS_PER_ACCOUNT: usize = 30;

/// An account's contacts: about two in three in a company.
fn contacts_of(
    rng: &mut fastrand::Rng,
    companies: &[MockCompany],
    next_contact_id: &mut i64,
) -> Vec<Contact> {
    (0..CONTACTS_PER_ACCOUNT)
        .map(|_| {
            let id = *next_contact_id;
            *next_contact_id += 1;
            let company = if companies.is_empty() || rng.u8(..3) == 0 {
                None
            } else {
                Some(&companies[rng.usize(..companies.len())])
            };
            let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.usize(..LAST_NAMES.len())];
            let domain = company
                .and_then(|c| c.domain.as_deref())
                .unwrap_or("example.net");
            Contact {
                id,
                name: maybe(rng, 0.95, |_| format!("{first} {last}")),
                email: maybe(rng, 0.9, |_| format!("contact{id}@{domain}")),
                phone_number: maybe(rng, 0.7, |r| format!("+1555{:07}", r.u32(..10_000_000))),
                avatar_url: match rng.u8(..3) {
                    0 => None,
                    1 => Some(String::new()),
                    _ => Some(format!("https://avatars.example.com/c{id}.png")),
                },
                company_id: company.map(|c| c.id),
            }
        })
        .collect()
}

/// Notes on about one lead in eight, one to three each, written after the
/// lead by an agent of the account (or by a user since gone: no author).
fn notes_of(
    rng: &mut fastrand::Rng,
    leads: &[MockLead],
    agents: &[Agent],
    next_note_id: &mut i64,
) -> Vec<Note> {
    let mut notes = Vec::new();
    for lead in leads {
        if rng.u8(..8) != 0 {
            continue;
        }
        for _ in 0..rng.u8(1..=3) {
            let author = if agents.is_empty() || rng.u8(..20) == 0 {
                None
            } else {
                Some(agents[rng.usize(..agents.len())].clone())
            };
            notes.push(Note {
                id: *next_note_id,
                lead_id: lead.id,
                content: NOTES[rng.usize(..NOTES.len())].to_owned(),
                author,
                created_at: (lead.created_at
                    + chrono::Duration::seconds(rng.i64(0..60 * 24 * 3600)))
                .min(timestamp(SPAN_SECONDS)),
            });
            *next_note_id += 1;
        }
    }
    notes
}

/// `Some(value)` with probability `p`.
fn maybe<T>(
    rng: &mut fastrand::Rng,
    p: f64,
    value: impl FnOnce(&mut fastrand::Rng) -> T,
) -> Option<T> {
    if rng.f64() < p {
        Some(value(rng))
    } else {
        None
    }
}

fn timestamp(seconds_after_epoch: u64) -> DateTime<Utc> {
    let secs = EPOCH + i64::try_from(seconds_after_epoch).unwrap_or(0);
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

fn lead(
    rng: &mut fastrand::Rng,
    id: i64,
    agents: &[Agent],
    companies: &[Company],
    inboxes: &[i64],
) -> MockLead {
    let status = match rng.u8(..100) {
        0..50 => "open",
        50..70 => "won",
        70..90 => "lost",
        _ => "snoozed",
    };
    let company = maybe(rng, 0.75, |r| companies[r.usize(..companies.len())].clone());
    let product = PRODUCTS[rng.usize(..PRODUCTS.len())];
    let custom_name = maybe(rng, 0.95, |r| match &company {
        Some(c) => format!("{} - {product} Q{}", c.name, r.u8(1..=4)),
        None => format!("{product} #{id}"),
    });
    let lead_value = maybe(rng, 0.85, |r| {
        // Whole amounts half of the time, cents otherwise.
        let cents = i64::from(r.u32(10_000..50_000_000));
        let cents = if r.bool() { cents - cents % 100 } else { cents };
        Decimal::new(cents, 2)
    });
    let lead_currency = lead_value.map(|_| CURRENCIES[rng.usize(..CURRENCIES.len())].to_owned());
    let created = rng.u64(0..SPAN_SECONDS);
    let updated = (created + rng.u64(0..90 * 24 * 3600)).min(SPAN_SECONDS);
    MockLead {
        id,
        custom_name,
        status: status.to_owned(),
        lead_value,
        lead_currency,
        position: maybe(rng, 0.9, |r| i64::from(r.u16(1..1000))),
        notes: maybe(rng, 0.6, |r| NOTES[r.usize(..NOTES.len())].to_owned()),
        assigned_agent: maybe(rng, 0.8, |r| agents[r.usize(..agents.len())].clone()),
        company,
        conversation_id: maybe(rng, 0.7, |r| i64::from(r.u32(1..200_000))),
        custom_attributes: custom_attributes(rng),
        created_at: timestamp(created),
        updated_at: timestamp(updated),
        source_inbox_id: maybe(rng, 0.8, |r| inboxes[r.usize(..inboxes.len())]),
    }
}

/// Account-defined attributes of mixed JSON types; sometimes none.
fn custom_attributes(rng: &mut fastrand::Rng) -> Map<String, Value> {
    let mut map = Map::new();
    if rng.u8(..10) == 0 {
        return map;
    }
    map.insert(
        "industry".into(),
        json!(INDUSTRIES[rng.usize(..INDUSTRIES.len())]),
    );
    if rng.bool() {
        map.insert("annual_revenue".into(), json!(rng.u32(10..5_000) * 1000));
    }
    if rng.bool() {
        map.insert("score".into(), json!(f64::from(rng.u16(0..1000)) / 10.0));
    }
    map.insert("is_priority".into(), json!(rng.u8(..4) == 0));
    if rng.bool() {
        let tags: Vec<&str> = ["inbound", "vip", "partner", "trial"]
            .into_iter()
            .filter(|_| rng.bool())
            .collect();
        map.insert("tags".into(), json!(tags));
    }
    if rng.u8(..5) == 0 {
        map.insert("region".into(), Value::Null);
    }
    if rng.u8(..3) == 0 {
        let channel = ["web", "email", "whatsapp", "phone"][rng.usize(..4)];
        let campaign = format!("q{}-launch", rng.u8(1..=4));
        map.insert(
            "source".into(),
            json!({"channel": channel, "campaign": campaign}),
        );
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
        let spec = DatasetSpec {
            seed: 7,
            accounts: 2,
            leads_per_account: 500,
        };
        assert_eq!(Dataset::generate(spec), Dataset::generate(spec));
        assert_ne!(
            Dataset::generate(spec),
            Dataset::generate(DatasetSpec { seed: 8, ..spec })
        );
    }

    #[test]
    fn the_data_is_varied_like_real_data() {
        let data = Dataset::generate(DatasetSpec {
            seed: 1,
            accounts: 3,
            leads_per_account: 2_000,
        });
        assert_eq!(data.account_ids(), [1, 2, 3]);
        let leads: Vec<&MockLead> = data
            .accounts
            .values()
            .flat_map(|a| a.leads.iter())
            .collect();
        assert_eq!(leads.len(), 6_000);
        let ids: std::collections::BTreeSet<i64> = leads.iter().map(|l| l.id).collect();
        let json = leads[0].to_json();
        assert_eq!(
            json.as_object().unwrap().len(),
            13,
            "every member, null or not: {json}"
        );
        assert_eq!(ids.len(), 6_000, "ids are unique");
        for status in ["open", "won", "lost", "snoozed"] {
            assert!(leads.iter().any(|l| l.status == status), "{status}");
        }
        let share = |f: &dyn Fn(&&MockLead) -> bool| {
            leads.iter().filter(|l| f(l)).count() as f64 / leads.len() as f64
        };
        for (what, p) in [
            ("unassigned", share(&|l| l.assigned_agent.is_none())),
            ("no company", share(&|l| l.company.is_none())),
            ("no value", share(&|l| l.lead_value.is_none())),
            ("no notes", share(&|l| l.notes.is_none())),
            (
                "no custom attributes",
                share(&|l| l.custom_attributes.is_empty()),
            ),
        ] {
            assert!((0.05..0.5).contains(&p), "{what}: {p}");
        }
        let currencies: std::collections::BTreeSet<_> = leads
            .iter()
            .filter_map(|l| l.lead_currency.clone())
            .collect();
        assert!(currencies.len() >= 4);
        assert!(
            leads
                .iter()
                .any(|l| l.custom_name.as_deref().is_some_and(|n| !n.is_ascii()))
        );
        assert!(leads.iter().any(|l| {
            l.notes
                .as_deref()
                .is_some_and(|n| n.contains('\n') && n.contains(','))
        }));
        let kinds: std::collections::BTreeSet<&str> = leads
            .iter()
            .flat_map(|l| l.custom_attributes.values())
            .map(|v| match v {
                Value::Null => "null",
                Value::Bool(_) => "bool",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            })
            .collect();
        assert_eq!(kinds.len(), 6, "{kinds:?}");
        let first = leads.iter().map(|l| l.created_at).min().unwrap();
        let last = leads.iter().map(|l| l.created_at).max().unwrap();
        assert!(
            (last - first).num_days() > 600,
            "timestamps spread over time"
        );
        assert!(leads.iter().all(|l| l.updated_at >= l.created_at));
    }

    #[test]
    fn companies_contacts_notes_and_timelines_hold_together() {
        let data = Dataset::generate(DatasetSpec::new(3, 2, 500));
        let mut note_ids = std::collections::BTreeSet::new();
        let mut contact_ids = std::collections::BTreeSet::new();
        for account in data.accounts.values() {
            assert_eq!(account.companies.len(), COMPANIES.len());
            assert!(account.companies.windows(2).all(|p| p[0].id < p[1].id));
            // A lead shows its company as the company is.
            for lead in &account.leads {
                if let Some(company) = &lead.company {
                    assert_eq!(account.company(company.id).unwrap().summary(), *company);
                }
            }
            assert_eq!(account.contacts.len(), CONTACTS_PER_ACCOUNT);
            let in_company = account
                .contacts
                .iter()
                .filter(|c| c.company_id.is_some())
                .count();
            assert!(
                (5..CONTACTS_PER_ACCOUNT).contains(&in_company),
                "{in_company}"
            );
            for contact in &account.contacts {
                assert!(contact_ids.insert(contact.id), "contact ids are unique");
                if let Some(company) = contact.company_id {
                    assert!(
                        account.company(company).is_some(),
                        "a company of the account"
                    );
                }
            }
            assert!(!account.notes.is_empty());
            for note in &account.notes {
                assert!(note_ids.insert(note.id), "note ids are unique");
                let lead = account.lead(note.lead_id).expect("a lead of the account");
                assert!(note.created_at >= lead.created_at && !note.content.trim().is_empty());
            }
            for company in &account.companies {
                let events = account.timeline_of(company.id);
                assert_eq!(events.len(), 1);
                assert_eq!(events[0].event_type, "company_created");
                assert_eq!(events[0].occurred_at, company.created_at);
                assert!(company.updated_at >= company.created_at);
            }
            assert!(
                account.agent(data.user.id).is_some(),
                "the user is an agent of every account"
            );
        }
        assert_eq!(data.user, data.accounts[&1].agents[0]);
        let newest = data
            .accounts
            .values()
            .flat_map(|a| a.notes.iter().map(|n| n.created_at))
            .max()
            .unwrap();
        assert!(
            newest <= timestamp(SPAN_SECONDS),
            "before the mock's clock starts"
        );
    }
}
