//! `voxys pipelines analytics`: what a funnel's cards made in a period came
//! to, as tables on a terminal and JSON elsewhere.

use std::io::{IsTerminal, Write};

use clap::builder::PossibleValuesParser;
use clap::{Args, ValueEnum};
use voxys_connect::types::{AnalyticsGrouping, FunnelAnalytics, NaiveDate};

use crate::connect::{ConnectionArgs, connect};
use crate::output::Shape;
use crate::values::parse_date;
use crate::{Failure, describe, write_failure};

/// Examples for `voxys pipelines analytics`.
pub const ANALYTICS_HELP: &str = "\
Examples:
  voxys pipelines analytics 1
  voxys pipelines analytics 1 --since 2026-01-01 --until 2026-03-31 --agent 5
  voxys pipelines analytics 1 --format json | jq .by_stage

On a terminal: the totals, then a table by agent and one by stage. Piped (or
with --format json): the API's answer as one JSON object, every member
included. Days are YYYY-MM-DD; without --since and --until the server counts
the 30 days up to today. The API documents no time series: --group-by day,
week or month is passed on, and what a deployment sends for it is kept in the
JSON (the table notes it).";

/// How the analytics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AnalyticsFormat {
    /// Tables for people: the totals, by agent, by stage.
    Table,
    /// The answer as one JSON object, on one line.
    Json,
}

/// The groupings the API takes.
const GROUPINGS: [&str; 5] = ["day", "week", "month", "agent", "stage"];

/// `voxys pipelines analytics`.
#[derive(Args)]
pub struct AnalyticsArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// The first day counted, YYYY-MM-DD [default: 30 days before --until].
    #[arg(long, value_name = "DAY", value_parser = parse_date)]
    pub since: Option<NaiveDate>,
    /// The last day counted, YYYY-MM-DD [default: today].
    #[arg(long, value_name = "DAY", value_parser = parse_date)]
    pub until: Option<NaiveDate>,
    /// Only cards whose lead is assigned to this agent (a user id).
    #[arg(long, value_name = "ID")]
    pub agent: Option<i64>,
    /// How the API should group (passed on as it is).
    #[arg(long, value_name = "BY", value_parser = PossibleValuesParser::new(GROUPINGS))]
    pub group_by: Option<String>,
    /// Output format [default: table on a terminal, else json].
    #[arg(long, value_enum)]
    pub format: Option<AnalyticsFormat>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// A grouping's name as the API's type.
fn grouping(name: &str) -> Option<AnalyticsGrouping> {
    match name {
        "day" => Some(AnalyticsGrouping::Day),
        "week" => Some(AnalyticsGrouping::Week),
        "month" => Some(AnalyticsGrouping::Month),
        "agent" => Some(AnalyticsGrouping::Agent),
        "stage" => Some(AnalyticsGrouping::Stage),
        _ => None,
    }
}

/// `voxys pipelines analytics`.
pub async fn analytics(args: AnalyticsArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    let mut request = client.pipelines(account).analytics(args.funnel);
    if let Some(since) = args.since {
        request = request.since(since);
    }
    if let Some(until) = args.until {
        request = request.until(until);
    }
    if let Some(agent) = args.agent {
        request = request.agent(agent);
    }
    if let Some(by) = args.group_by.as_deref().and_then(grouping) {
        request = request.group_by(by);
    }
    let analytics = request.send().await.map_err(|e| describe(&e, account, 0))?;
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        AnalyticsFormat::Table
    } else {
        AnalyticsFormat::Json
    });
    let text = match format {
        AnalyticsFormat::Table => tables(args.funnel, args.agent, &analytics),
        AnalyticsFormat::Json => {
            let mut line = Shape::of::<FunnelAnalytics>()
                .to_json(&analytics)
                .map_err(|e| write_failure(e.into()))?;
            line.push('\n');
            line
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(write_failure)
}

/// A table in the style of the other commands' tables.
fn table(header: &[&str]) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(header.to_vec());
    table
}

/// The analytics as text: a title, the totals, by agent, by stage.
pub fn tables(funnel: i64, agent: Option<i64>, analytics: &FunnelAnalytics) -> String {
    let period = &analytics.period;
    let mut text = format!(
        "Funnel {funnel}: cards made from {} to {}{}\n",
        period.since,
        period.until,
        match agent {
            Some(agent) => format!(", agent {agent}'s"),
            None => String::new(),
        }
    );
    let mut totals = table(&[
        "made",
        "won",
        "lost",
        "value made",
        "value won",
        "average won deal",
        "conversion %",
    ]);
    totals.add_row(vec![
        analytics.total_created.to_string(),
        analytics.total_won.to_string(),
        analytics.total_lost.to_string(),
        analytics.total_value_created.to_string(),
        analytics.total_value_won.to_string(),
        analytics.average_deal_size.to_string(),
        analytics.conversion_rate.to_string(),
    ]);
    text.push_str(&format!("{totals}\n"));

    text.push_str("\nBy agent\n");
    if analytics.by_agent.is_empty() {
        text.push_str("(none)\n");
    } else {
        let mut by_agent = table(&["agent id", "agent", "made", "won", "value won"]);
        for row in &analytics.by_agent {
            by_agent.add_row(vec![
                row.agent.id.to_string(),
                row.agent.name.clone(),
                row.created.to_string(),
                row.won.to_string(),
                row.value_won.to_string(),
            ]);
        }
        text.push_str(&format!("{by_agent}\n"));
    }

    text.push_str("\nBy stage\n");
    if analytics.by_stage.is_empty() {
        text.push_str("(none)\n");
    } else {
        let mut by_stage = table(&["stage id", "stage", "cards", "value"]);
        for row in &analytics.by_stage {
            by_stage.add_row(vec![
                row.stage_id.to_string(),
                row.stage_name.clone(),
                row.count.to_string(),
                row.value.to_string(),
            ]);
        }
        text.push_str(&format!("{by_stage}\n"));
    }
    if !analytics.extra.is_empty() {
        let members: Vec<&str> = analytics.extra.keys().map(String::as_str).collect();
        text.push_str(&format!(
            "\nThe answer has more members than these tables show ({}): see them with --format json.\n",
            members.join(", ")
        ));
    }
    text
}
