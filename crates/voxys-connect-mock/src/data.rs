//! [`Dataset`]: realistic leads, generated deterministically from a seed.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use serde_json::{Map, Value, json};
use voxys_connect_api::types::{Agent, Company, Lead};
use voxys_connect_api::{Amount, LeadStatus, Timestamp};

/// A lead as the mock holds it: what the API shows, and the inbox it came
/// from (which the API filters on but does not show).
#[derive(Clone, Debug, PartialEq)]
pub struct MockLead {
    /// The lead, as the API returns it.
    pub lead: Lead,
    /// The inbox the lead came from, if any (`source_inbox_id` filters on it).
    pub source_inbox_id: Option<u64>,
}

/// One account's data.
#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    /// The account's id.
    pub id: u64,
    /// Its leads, in id order.
    pub leads: Vec<MockLead>,
    /// Its agents (user ids the leads are assigned to).
    pub agents: Vec<Agent>,
    /// Its inbox ids.
    pub inboxes: Vec<u64>,
}

/// The data a mock server serves: accounts with agents, companies and leads.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// The accounts, by id.
    pub accounts: BTreeMap<u64, Account>,
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatasetSpec {
    /// The seed: the same seed gives the same data.
    pub seed: u64,
    /// How many accounts (ids 1, 2, ...).
    pub accounts: u64,
    /// How many leads each account holds.
    pub leads_per_account: u64,
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
const NOTES: [&str; 8] = [
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
    /// The account's leads in the order the API lists them by default:
    /// newest first (`created_at` descending), ties by ascending id.
    pub fn leads_in_default_order(&self) -> Vec<Lead> {
        let mut leads: Vec<Lead> = self.leads.iter().map(|m| m.lead.clone()).collect();
        leads.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        leads
    }
}

impl Dataset {
    /// Generates the data `spec` describes. Deterministic: the same spec gives
    /// equal datasets. 100,000 leads take a few tens of milliseconds.
    pub fn generate(spec: DatasetSpec) -> Dataset {
        let mut rng = fastrand::Rng::with_seed(spec.seed);
        let mut next_lead_id = 1i64;
        let mut accounts = BTreeMap::new();
        for account_id in 1..=spec.accounts {
            let agents = agents_of(&mut rng, account_id);
            let companies = companies_of(account_id);
            let inboxes: Vec<u64> = (1..=5).map(|i| (account_id - 1) * 10 + i).collect();
            let mut leads =
                Vec::with_capacity(usize::try_from(spec.leads_per_account).unwrap_or(0));
            for _ in 0..spec.leads_per_account {
                leads.push(lead(&mut rng, next_lead_id, &agents, &companies, &inboxes));
                next_lead_id += 1;
            }
            accounts.insert(
                account_id,
                Account {
                    id: account_id,
                    leads,
                    agents,
                    inboxes,
                },
            );
        }
        Dataset { accounts }
    }

    /// An account, if the dataset has it.
    pub fn account(&self, id: u64) -> Option<&Account> {
        self.accounts.get(&id)
    }

    /// The ids of the accounts, ascending.
    pub fn account_ids(&self) -> Vec<u64> {
        self.accounts.keys().copied().collect()
    }
}

fn agents_of(rng: &mut fastrand::Rng, account_id: u64) -> Vec<Agent> {
    (1..=8)
        .map(|i| {
            let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.usize(..LAST_NAMES.len())];
            let id = i64::try_from((account_id - 1) * 100 + i).unwrap_or(i64::MAX);
            Agent {
                id,
                name: format!("{first} {last}"),
                email: Some(format!("agent{id}@example.com")),
                avatar_url: if rng.bool() {
                    Some(format!("https://avatars.example.com/{id}.png"))
                } else {
                    Some(String::new())
                },
                extra: Map::new(),
            }
        })
        .collect()
}

fn companies_of(account_id: u64) -> Vec<Company> {
    COMPANIES
        .iter()
        .enumerate()
        .map(|(i, (name, domain))| Company {
            id: i64::try_from((account_id - 1) * 1000 + i as u64 + 1).unwrap_or(i64::MAX),
            name: (*name).to_owned(),
            domain: domain.map(str::to_owned),
            extra: Map::new(),
        })
        .collect()
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

fn timestamp(seconds_after_epoch: u64) -> Timestamp {
    let secs = EPOCH + i64::try_from(seconds_after_epoch).unwrap_or(0);
    Timestamp::new(Utc.timestamp_opt(secs, 0).single().unwrap_or_default())
}

fn lead(
    rng: &mut fastrand::Rng,
    id: i64,
    agents: &[Agent],
    companies: &[Company],
    inboxes: &[u64],
) -> MockLead {
    let status = match rng.u8(..100) {
        0..50 => LeadStatus::Open,
        50..70 => LeadStatus::Won,
        70..90 => LeadStatus::Lost,
        _ => LeadStatus::Snoozed,
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
        Amount::new(rust_decimal::Decimal::new(cents, 2))
    });
    let lead_currency = lead_value.map(|_| CURRENCIES[rng.usize(..CURRENCIES.len())].to_owned());
    let created = rng.u64(0..SPAN_SECONDS);
    let updated = (created + rng.u64(0..90 * 24 * 3600)).min(SPAN_SECONDS);
    MockLead {
        lead: Lead {
            id,
            custom_name,
            status,
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
            extra: Map::new(),
        },
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
        let leads: Vec<&Lead> = data
            .accounts
            .values()
            .flat_map(|a| a.leads.iter().map(|m| &m.lead))
            .collect();
        assert_eq!(leads.len(), 6_000);
        let ids: std::collections::BTreeSet<i64> = leads.iter().map(|l| l.id).collect();
        assert_eq!(ids.len(), 6_000, "ids are unique");
        for status in LeadStatus::KNOWN {
            assert!(leads.iter().any(|l| l.status == status), "{status}");
        }
        let share = |f: &dyn Fn(&&Lead) -> bool| {
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
            (*last - *first).num_days() > 600,
            "timestamps spread over time"
        );
        assert!(leads.iter().all(|l| l.updated_at >= l.created_at));
    }
}
