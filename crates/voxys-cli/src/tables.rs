//! How the pipelines', tasks' and conversations' records are written in a
//! table and in CSV ([`Tabular`]): funnels, their totals, stages, card
//! events, tasks and a conversation's CRM panel.

use voxys_connect::types::{CardEvent, CrmPanel, Funnel, FunnelStats, Stage, Task, Timestamp};

use crate::output::{Tabular, agent_cells, extra_json, names, opt, safe_cells};

/// An instant in a table: to the minute, in UTC.
fn minute(at: &Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// An optional instant in a table.
fn minute_opt(at: Option<&Timestamp>) -> String {
    at.map(minute).unwrap_or_default()
}

/// A yes/no member in a table (empty when the API left it out).
fn yes_no(value: Option<bool>) -> String {
    match value {
        Some(true) => "yes".to_owned(),
        Some(false) => "no".to_owned(),
        None => String::new(),
    }
}

/// The CSV columns of a funnel.
const FUNNEL_COLUMNS: [&str; 11] = [
    "id",
    "name",
    "description",
    "color",
    "position",
    "is_public",
    "is_active",
    "stages_count",
    "created_at",
    "updated_at",
    "extra",
];

impl Tabular for Funnel {
    const NOUN: &'static str = "funnels";
    const TABLE: &'static [&'static str] = &[
        "id",
        "name",
        "position",
        "stages",
        "public",
        "active",
        "color",
        "description",
    ];

    fn csv_columns() -> Vec<String> {
        names(&FUNNEL_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.name.clone(),
            opt(&self.position),
            opt(&self.stages_count),
            yes_no(self.is_public),
            yes_no(self.is_active),
            opt(&self.color),
            opt(&self.description),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        safe_cells(
            vec![
                self.id.to_string(),
                self.name.clone(),
                opt(&self.description),
                opt(&self.color),
                opt(&self.position),
                opt(&self.is_public),
                opt(&self.is_active),
                opt(&self.stages_count),
                self.created_at.to_string(),
                self.updated_at.to_string(),
                extra_json(&self.extra),
            ],
            &FUNNEL_COLUMNS,
            &["id", "position", "stages_count"],
            raw,
        )
    }
}

/// The CSV columns of a funnel's totals.
const FUNNEL_STATS_COLUMNS: [&str; 7] = [
    "total_cards",
    "won_cards",
    "lost_cards",
    "total_value",
    "won_value",
    "conversion_rate",
    "extra",
];

impl Tabular for FunnelStats {
    const NOUN: &'static str = "totals";
    const TABLE: &'static [&'static str] = &[
        "cards",
        "won",
        "lost",
        "total value",
        "won value",
        "conversion %",
    ];

    fn csv_columns() -> Vec<String> {
        names(&FUNNEL_STATS_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.total_cards.to_string(),
            self.won_cards.to_string(),
            self.lost_cards.to_string(),
            self.total_value.to_string(),
            self.won_value.to_string(),
            self.conversion_rate.to_string(),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        let mut cells = self.table_row();
        cells.push(extra_json(&self.extra));
        safe_cells(
            cells,
            &FUNNEL_STATS_COLUMNS,
            &FUNNEL_STATS_COLUMNS[..6],
            raw,
        )
    }
}

/// The CSV columns of a stage.
const STAGE_COLUMNS: [&str; 10] = [
    "id",
    "funnel_id",
    "name",
    "position",
    "color",
    "chatwoot_status",
    "cards_count",
    "created_at",
    "updated_at",
    "extra",
];

impl Tabular for Stage {
    const NOUN: &'static str = "stages";
    const TABLE: &'static [&'static str] = &[
        "id",
        "position",
        "name",
        "cards",
        "color",
        "conversation status",
    ];

    fn csv_columns() -> Vec<String> {
        names(&STAGE_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.position.to_string(),
            self.name.clone(),
            opt(&self.cards_count),
            opt(&self.color),
            opt(&self.chatwoot_status),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        safe_cells(
            vec![
                self.id.to_string(),
                self.funnel_id.to_string(),
                self.name.clone(),
                self.position.to_string(),
                opt(&self.color),
                opt(&self.chatwoot_status),
                opt(&self.cards_count),
                self.created_at.to_string(),
                self.updated_at.to_string(),
                extra_json(&self.extra),
            ],
            &STAGE_COLUMNS,
            &["id", "funnel_id", "position", "cards_count"],
            raw,
        )
    }
}

/// The CSV columns of a card's history event.
const CARD_EVENT_COLUMNS: [&str; 10] = [
    "id",
    "event_type",
    "description",
    "from_stage",
    "to_stage",
    "actor_id",
    "actor_name",
    "actor_email",
    "occurred_at",
    "extra",
];

impl Tabular for CardEvent {
    const NOUN: &'static str = "events";
    const TABLE: &'static [&'static str] =
        &["id", "when", "event", "from", "to", "actor", "description"];

    fn csv_columns() -> Vec<String> {
        names(&CARD_EVENT_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            minute(&self.occurred_at),
            self.event_type.clone(),
            opt(&self.from_stage),
            opt(&self.to_stage),
            self.actor
                .as_ref()
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            opt(&self.description),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        let [actor_id, actor_name, actor_email] = agent_cells(self.actor.as_ref());
        safe_cells(
            vec![
                self.id.to_string(),
                self.event_type.clone(),
                opt(&self.description),
                opt(&self.from_stage),
                opt(&self.to_stage),
                actor_id,
                actor_name,
                actor_email,
                self.occurred_at.to_string(),
                extra_json(&self.extra),
            ],
            &CARD_EVENT_COLUMNS,
            &["id", "actor_id"],
            raw,
        )
    }
}

/// The CSV columns of a task.
const TASK_COLUMNS: [&str; 15] = [
    "id",
    "title",
    "description",
    "status",
    "priority",
    "due_at",
    "completed_at",
    "taskable_type",
    "taskable_id",
    "assigned_to_id",
    "assigned_to_name",
    "assigned_to_email",
    "created_at",
    "updated_at",
    "extra",
];

/// What a task is about, in a table: `Lead 42`.
fn about(task: &Task) -> String {
    match (&task.taskable_type, task.taskable_id) {
        (Some(kind), Some(id)) => format!("{kind} {id}"),
        (Some(kind), None) => kind.to_string(),
        (None, Some(id)) => id.to_string(),
        (None, None) => String::new(),
    }
}

impl Tabular for Task {
    const NOUN: &'static str = "tasks";
    const TABLE: &'static [&'static str] = &[
        "id", "title", "status", "priority", "due", "about", "agent", "created",
    ];

    fn csv_columns() -> Vec<String> {
        names(&TASK_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.title.clone(),
            self.status.to_string(),
            self.priority.to_string(),
            minute_opt(self.due_at.as_ref()),
            about(self),
            self.assigned_to
                .as_ref()
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            minute(&self.created_at),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        let [agent_id, agent_name, agent_email] = agent_cells(self.assigned_to.as_ref());
        safe_cells(
            vec![
                self.id.to_string(),
                self.title.clone(),
                opt(&self.description),
                self.status.to_string(),
                self.priority.to_string(),
                opt(&self.due_at),
                opt(&self.completed_at),
                opt(&self.taskable_type),
                opt(&self.taskable_id),
                agent_id,
                agent_name,
                agent_email,
                self.created_at.to_string(),
                self.updated_at.to_string(),
                extra_json(&self.extra),
            ],
            &TASK_COLUMNS,
            &["id", "taskable_id", "assigned_to_id"],
            raw,
        )
    }
}

/// The CSV columns of a conversation's CRM panel.
const PANEL_COLUMNS: [&str; 8] = [
    "conversation_id",
    "linked_lead_id",
    "linked_lead_name",
    "linked_card_id",
    "linked_card_funnel_id",
    "linked_card_stage_id",
    "follow_up_task_ids",
    "extra",
];

impl Tabular for CrmPanel {
    const NOUN: &'static str = "panels";
    const TABLE: &'static [&'static str] = &[
        "conversation",
        "lead",
        "lead name",
        "card",
        "funnel",
        "stage",
        "tasks",
    ];

    fn csv_columns() -> Vec<String> {
        names(&PANEL_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        let lead = self.linked_lead.as_ref();
        let card = self.linked_funnel_card.as_ref();
        vec![
            self.conversation_id.to_string(),
            lead.map(|l| l.id.to_string()).unwrap_or_default(),
            lead.and_then(|l| l.custom_name.clone()).unwrap_or_default(),
            card.map(|c| c.id.to_string()).unwrap_or_default(),
            card.map(|c| c.funnel_id.to_string()).unwrap_or_default(),
            card.and_then(|c| c.funnel_stage_id)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            self.follow_up_tasks
                .iter()
                .map(|t| t.id.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        ]
    }

    fn csv_row(&self, raw: bool) -> Vec<String> {
        let mut cells = self.table_row();
        cells[6] = serde_json::to_string(
            &self
                .follow_up_tasks
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
        cells.push(extra_json(&self.extra));
        safe_cells(
            cells,
            &PANEL_COLUMNS,
            &[
                "conversation_id",
                "linked_lead_id",
                "linked_card_id",
                "linked_card_funnel_id",
                "linked_card_stage_id",
            ],
            raw,
        )
    }
}
