//! Constructors for the generated types that mirror the API's objects.
//!
//! The generated types are `#[non_exhaustive]`, so that a member the API adds
//! later is not a breaking change: code outside this crate cannot write a
//! struct literal of them. It makes a value with `new` (the members the
//! document requires), then sets the public fields it wants:
//!
//! ```
//! use voxys_connect_api::types::{Agent, Lead};
//! use voxys_connect_api::{LeadStatus, Timestamp};
//!
//! let created: Timestamp = "2024-05-01T10:00:00Z".parse().unwrap();
//! let mut lead = Lead::new(42, LeadStatus::Won, created, created);
//! lead.custom_name = Some("Acme renewal".to_owned());
//! lead.assigned_agent = Some(Agent::new(7, "Jane Smith"));
//! assert_eq!(lead.assigned_agent.as_ref().map(|a| a.id), Some(7));
//! ```
//!
//! The generated builders (`Lead::builder()`) do the same in one expression.

use serde_json::Map;

use crate::types::{
    Agent, BulkAction, BulkAssign, BulkAssignActionType, BulkAssignParams, BulkDelete,
    BulkDeleteActionType, BulkStatusChange, BulkStatusChangeActionType, BulkStatusChangeParams,
    CompanyContactAdd, CompanyCreate, CompanyCreateName, CompanyList, CompanyMerge, CompanySummary,
    Lead, LeadConversion, LeadIds, LeadList, NoteCreate, NoteCreateContent,
};
use crate::types::{
    CardLink, CardMove, ConversationConversion, FunnelCreate, FunnelCreateName, LeadLink,
    StageCreate, StageCreateName, StageOrder, TaskCreate, TaskCreateTitle, TaskList,
};
use crate::{LeadStatus, PaginationMeta, Timestamp};
use std::num::NonZeroU64;

impl Lead {
    /// A lead with the members the API always sends, and no others: no name,
    /// value, agent, company or notes, no custom attributes.
    pub fn new(id: i64, status: LeadStatus, created_at: Timestamp, updated_at: Timestamp) -> Lead {
        Lead {
            id,
            status,
            created_at,
            updated_at,
            assigned_agent: None,
            company: None,
            conversation_id: None,
            custom_attributes: Map::new(),
            custom_name: None,
            lead_currency: None,
            lead_value: None,
            notes: None,
            position: None,
            extra: Map::new(),
        }
    }
}

impl Agent {
    /// An agent with its user id and display name, and no email or avatar.
    pub fn new(id: i64, name: impl Into<String>) -> Agent {
        Agent {
            id,
            name: name.into(),
            email: None,
            avatar_url: None,
            extra: Map::new(),
        }
    }
}

impl CompanySummary {
    /// A company with its id and name, and no domain.
    pub fn new(id: i64, name: impl Into<String>) -> CompanySummary {
        CompanySummary {
            id,
            name: name.into(),
            domain: None,
            extra: Map::new(),
        }
    }
}

impl LeadList {
    /// One page of leads and where it stands.
    pub fn new(data: Vec<Lead>, meta: PaginationMeta) -> LeadList {
        LeadList { data, meta }
    }
}

impl BulkAction {
    /// Assign the leads `lead_ids` to the agent `agent_id`.
    pub fn assign(lead_ids: Vec<i64>, agent_id: i64) -> BulkAction {
        BulkAction::Assign(BulkAssign {
            action_type: BulkAssignActionType::Assign,
            lead_ids: LeadIds::from(lead_ids),
            params: BulkAssignParams {
                assigned_agent_id: agent_id,
            },
        })
    }

    /// Set the status of the leads `lead_ids`.
    pub fn status_change(lead_ids: Vec<i64>, status: LeadStatus) -> BulkAction {
        BulkAction::StatusChange(BulkStatusChange {
            action_type: BulkStatusChangeActionType::StatusChange,
            lead_ids: LeadIds::from(lead_ids),
            params: BulkStatusChangeParams { status },
        })
    }

    /// Delete the leads `lead_ids`.
    pub fn delete(lead_ids: Vec<i64>) -> BulkAction {
        BulkAction::Delete(BulkDelete {
            action_type: BulkDeleteActionType::Delete,
            lead_ids: LeadIds::from(lead_ids),
            params: Map::new(),
        })
    }
}

impl LeadConversion {
    /// A card in the funnel `funnel_id`, in the stage `stage_id` or, when
    /// `None`, in the funnel's first stage.
    pub fn new(funnel_id: i64, stage_id: Option<i64>) -> LeadConversion {
        LeadConversion {
            funnel_id,
            funnel_stage_id: stage_id,
        }
    }
}

impl NoteCreate {
    /// A note with this text (checked not to be empty by
    /// `NoteCreateContent::try_from`).
    pub fn new(content: NoteCreateContent) -> NoteCreate {
        NoteCreate { content }
    }
}

impl CompanyCreate {
    /// A company with this name (checked not to be empty by
    /// `CompanyCreateName::try_from`), and no domain, description or custom
    /// attributes.
    pub fn new(name: CompanyCreateName) -> CompanyCreate {
        CompanyCreate {
            name,
            domain: None,
            description: None,
            custom_attributes: Map::new(),
        }
    }
}

impl CompanyMerge {
    /// A merge into the company `target_company_id`.
    pub fn new(target_company_id: std::num::NonZeroU64) -> CompanyMerge {
        CompanyMerge { target_company_id }
    }
}

impl CompanyContactAdd {
    /// The contact `contact_id`.
    pub fn new(contact_id: std::num::NonZeroU64) -> CompanyContactAdd {
        CompanyContactAdd { contact_id }
    }
}

impl CompanyList {
    /// One page of companies and where it stands.
    pub fn new(data: Vec<crate::types::Company>, meta: PaginationMeta) -> CompanyList {
        CompanyList { data, meta }
    }
}

impl FunnelCreate {
    /// A funnel with this name, public and active, with no description,
    /// color or position.
    pub fn new(name: FunnelCreateName) -> FunnelCreate {
        FunnelCreate {
            name,
            description: None,
            color: None,
            position: None,
            is_public: true,
            is_active: true,
        }
    }
}

impl StageCreate {
    /// A stage with this name, last, with no color or status.
    pub fn new(name: StageCreateName) -> StageCreate {
        StageCreate {
            name,
            color: None,
            position: None,
            chatwoot_status: None,
        }
    }
}

impl StageOrder {
    /// The stages `stage_ids`, in this order.
    pub fn new(stage_ids: Vec<NonZeroU64>) -> StageOrder {
        StageOrder { stage_ids }
    }
}

impl CardMove {
    /// To the stage `target_stage_id`, at `position` or last.
    pub fn new(target_stage_id: NonZeroU64, position: Option<NonZeroU64>) -> CardMove {
        CardMove {
            target_stage_id,
            position,
        }
    }
}

impl CardLink {
    /// The card `funnel_card_id`.
    pub fn new(funnel_card_id: NonZeroU64) -> CardLink {
        CardLink { funnel_card_id }
    }
}

impl LeadLink {
    /// The lead `lead_id`.
    pub fn new(lead_id: NonZeroU64) -> LeadLink {
        LeadLink { lead_id }
    }
}

impl ConversationConversion {
    /// A card in the funnel `funnel_id`, in its first stage, for the
    /// conversation's lead (or a new one).
    pub fn new(funnel_id: NonZeroU64) -> ConversationConversion {
        ConversationConversion {
            funnel_id,
            lead_id: None,
            stage_id: None,
        }
    }
}

impl TaskCreate {
    /// A task with this title, about nothing, due never, the server's
    /// default priority.
    pub fn new(title: TaskCreateTitle) -> TaskCreate {
        TaskCreate {
            title,
            description: None,
            due_at: None,
            priority: None,
            assigned_to_id: None,
            taskable_type: None,
            taskable_id: None,
        }
    }
}

impl TaskList {
    /// One page of tasks and where it stands.
    pub fn new(data: Vec<crate::types::Task>, meta: PaginationMeta) -> TaskList {
        TaskList { data, meta }
    }
}
