//! Listing leads: filter, sort and page an account's leads, and render them
//! as the API does.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::data::{Account, MockLead};

/// The orders leads can be listed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SortField {
    CreatedAt,
    UpdatedAt,
    LeadValue,
    Position,
    CustomName,
}

impl SortField {
    const ALL: [SortField; 5] = [
        SortField::CreatedAt,
        SortField::UpdatedAt,
        SortField::LeadValue,
        SortField::Position,
        SortField::CustomName,
    ];

    /// The field for a `sort_by` value (the document lists which exist).
    pub(crate) fn from_wire(name: &str) -> Option<SortField> {
        Some(match name {
            "created_at" => SortField::CreatedAt,
            "updated_at" => SortField::UpdatedAt,
            "lead_value" => SortField::LeadValue,
            "position" => SortField::Position,
            "custom_name" => SortField::CustomName,
            _ => return None,
        })
    }

    /// Ascending order of the field, `null` last (as PostgreSQL sorts).
    fn compare(self, a: &MockLead, b: &MockLead) -> Ordering {
        fn nulls_last<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
            match (a, b) {
                (Some(a), Some(b)) => a.cmp(&b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }
        match self {
            SortField::CreatedAt => a.created_at.cmp(&b.created_at),
            SortField::UpdatedAt => a.updated_at.cmp(&b.updated_at),
            SortField::LeadValue => nulls_last(a.lead_value, b.lead_value),
            SortField::Position => nulls_last(a.position, b.position),
            SortField::CustomName => nulls_last(a.custom_name.as_deref(), b.custom_name.as_deref()),
        }
    }
}

/// What to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ListRequest {
    pub(crate) status: Option<String>,
    pub(crate) assigned_agent_id: Option<i64>,
    pub(crate) source_inbox_id: Option<i64>,
    pub(crate) sort_by: SortField,
    pub(crate) descending: bool,
    pub(crate) page: u64,
    pub(crate) per_page: u64,
}

/// What makes listing an account's leads fast: the order of each sort, and
/// each lead's JSON, both made on first use.
pub(crate) struct AccountIndex {
    orders: [OnceLock<Vec<u32>>; 10],
    rendered: Vec<OnceLock<Box<str>>>,
}

impl AccountIndex {
    pub(crate) fn new(account: &Account) -> AccountIndex {
        AccountIndex {
            orders: Default::default(),
            rendered: account.leads.iter().map(|_| OnceLock::new()).collect(),
        }
    }

    /// Lead indexes in the order of `field`, ties broken by ascending id.
    fn order(&self, leads: &[MockLead], field: SortField, descending: bool) -> &[u32] {
        let slot = SortField::ALL.iter().position(|f| *f == field).unwrap_or(0) * 2
            + usize::from(descending);
        self.orders[slot].get_or_init(|| {
            let mut order: Vec<u32> = (0..u32::try_from(leads.len()).unwrap_or(u32::MAX)).collect();
            order.sort_by(|&a, &b| {
                let (a, b) = (&leads[a as usize], &leads[b as usize]);
                let by_field = field.compare(a, b);
                let by_field = if descending {
                    by_field.reverse()
                } else {
                    by_field
                };
                by_field.then(a.id.cmp(&b.id))
            });
            order
        })
    }

    fn rendered(&self, lead: &MockLead, index: usize) -> &str {
        self.rendered[index].get_or_init(|| lead.to_json().to_string().into_boxed_str())
    }

    /// The JSON body of a list answer over `account`, the account this index
    /// was made for.
    pub(crate) fn list(&self, account: &Account, request: &ListRequest) -> String {
        let matches = |m: &MockLead| {
            request.status.as_deref().is_none_or(|s| m.status == s)
                && request
                    .assigned_agent_id
                    .is_none_or(|id| m.assigned_agent.as_ref().is_some_and(|a| a.id == id))
                && request
                    .source_inbox_id
                    .is_none_or(|id| m.source_inbox_id == Some(id))
        };
        // The document's bounds keep `page` and `per_page` at 1 or more;
        // should it drop them, 0 lists nothing rather than failing.
        let first = request
            .page
            .saturating_sub(1)
            .saturating_mul(request.per_page);
        let window = first..first.saturating_add(request.per_page);
        let mut total = 0u64;
        let mut page = Vec::new();
        for &index in self.order(&account.leads, request.sort_by, request.descending) {
            let index = index as usize;
            let lead = &account.leads[index];
            if matches(lead) {
                if window.contains(&total) {
                    page.push(self.rendered(lead, index));
                }
                total += 1;
            }
        }
        let meta: BTreeMap<&str, u64> = [
            ("current_page", request.page),
            (
                "total_pages",
                match request.per_page {
                    0 => 0,
                    per_page => total.div_ceil(per_page),
                },
            ),
            ("total_count", total),
        ]
        .into_iter()
        .collect();
        let meta = serde_json::to_string(&meta).unwrap_or_default();
        format!("{{\"data\":[{}],\"meta\":{meta}}}", page.join(","))
    }
}
