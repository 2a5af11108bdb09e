//! `voxys pipelines show`: a funnel's board in the terminal, its stages as
//! columns (by position), each with its cards.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use clap::Args;
use voxys_connect::types::{Card, Decimal, Funnel, Stage};

use crate::connect::{ConnectionArgs, connect};
use crate::{Failure, describe, write_failure};

/// Examples for `voxys pipelines show`.
pub const SHOW_HELP: &str = "\
Examples:
  voxys pipelines show 1
  voxys pipelines show 1 --width 160
  voxys pipelines show 1 > board.txt

Each column is a stage, in the funnel's order: its name, its number of cards
and their total value (by currency), then its cards, each with its lead's
name and value. Columns are cut to the width of the terminal (else $COLUMNS,
else 100 columns, or --width); stages that do not fit go on to another band
below. Piped, the same board in plain text, without colors.";

/// The narrowest a column gets before stages go on to another band.
const MIN_COLUMN: usize = 16;
/// The widest a column gets.
const MAX_COLUMN: usize = 32;

/// `voxys pipelines show`.
#[derive(Args)]
pub struct ShowArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// The width to draw in, in columns [default: the terminal's, else
    /// $COLUMNS, else 100].
    #[arg(long, value_name = "N", value_parser = parse_width)]
    pub width: Option<u16>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// A width for `--width`: 20 to 1000 columns (clap's own range check
/// would say `20..`, which people do not write).
fn parse_width(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(width) if (20..=1000).contains(&width) => Ok(width),
        _ => Err(format!(
            "{text:?} is not a width: give a number of columns from 20 to 1000"
        )),
    }
}

/// `voxys pipelines show`.
pub async fn show(args: ShowArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    let pipelines = client.pipelines(account);
    let funnel_id = args.funnel;
    let stages = pipelines.stages(funnel_id);
    let cards = pipelines.cards(funnel_id);
    let (funnel, stages, cards) = tokio::try_join!(
        pipelines.get(funnel_id).send(),
        stages.list().send(),
        cards.list().send(),
    )
    .map_err(|e| describe(&e, account, 0))?;
    let terminal = std::io::stdout().is_terminal();
    let width = match args.width {
        Some(width) => usize::from(width),
        None => width(terminal),
    };
    let text = render(&funnel, &stages, &cards, width, terminal);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(write_failure)
}

/// The width to draw in: the terminal's, else `COLUMNS`, else 100.
fn width(terminal: bool) -> usize {
    usize::from(crate::output::terminal_width(terminal))
}

/// Values by currency (`""` for none), summed exactly.
type Totals = BTreeMap<String, Decimal>;

/// The values of `cards`' leads, by currency.
fn totals_of<'a>(cards: impl IntoIterator<Item = &'a Card>) -> Totals {
    let mut totals = Totals::new();
    for card in cards {
        if let Some(value) = card.lead.lead_value {
            *totals
                .entry(card.lead.lead_currency.clone().unwrap_or_default())
                .or_default() += value.as_decimal();
        }
    }
    totals
}

/// An amount for people: thousands grouped (`1,849,925.86`).
fn grouped(amount: Decimal) -> String {
    let text = amount.normalize().to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let mut out = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{out}.{fraction}"),
        None => format!("{sign}{out}"),
    }
}

/// An amount and its currency: `15,000 USD`.
fn money(amount: Decimal, currency: &str) -> String {
    if currency.is_empty() {
        grouped(amount)
    } else {
        format!("{} {currency}", grouped(amount))
    }
}

/// Totals as lines, one a currency: `27,000 USD`.
fn totals_lines(totals: &Totals) -> Vec<String> {
    totals
        .iter()
        .map(|(currency, sum)| money(*sum, currency))
        .collect()
}

/// `n card(s)`.
fn count(count: usize) -> String {
    if count == 1 {
        "1 card".to_owned()
    } else {
        format!("{count} cards")
    }
}

/// One column of the board.
struct Column {
    /// The stage's name, its card count, its totals (a line a currency).
    head: Vec<String>,
    /// Each card's lines: its lead's name, then its value (if it has one).
    cards: Vec<Vec<String>>,
}

impl Column {
    fn new(title: String, mut cards: Vec<&Card>) -> Column {
        cards.sort_by_key(|c| (c.position.unwrap_or(i64::MAX), c.id));
        let mut head = vec![title, count(cards.len())];
        head.extend(totals_lines(&totals_of(cards.iter().copied())));
        Column {
            head,
            cards: cards
                .iter()
                .map(|card| {
                    let lead = &card.lead;
                    let name = match lead.custom_name.as_deref() {
                        Some(name) if !name.trim().is_empty() => name.trim().to_owned(),
                        _ => format!("lead {}", lead.id),
                    };
                    let mut lines = vec![name];
                    if let Some(value) = lead.lead_value {
                        lines.push(format!(
                            "  {}",
                            money(
                                value.as_decimal(),
                                lead.lead_currency.as_deref().unwrap_or_default()
                            )
                        ));
                    }
                    lines
                })
                .collect(),
        }
    }
}

/// `text` cut to `width` columns (with `…` when cut).
fn cut(text: &str, width: usize) -> String {
    console::truncate_str(text, width, "…").into_owned()
}

/// What a line of a column is, for its style.
#[derive(Clone, Copy, PartialEq)]
enum Line {
    Name,
    Head,
    Rule,
    Card,
    Value,
    Empty,
}

/// The funnel's board as text, `width` columns wide at most; `styled` adds
/// terminal styles (bold stage names, dim totals and values) and
/// box-drawing lines.
pub fn render(
    funnel: &Funnel,
    stages: &[Stage],
    cards: &[Card],
    width: usize,
    styled: bool,
) -> String {
    let mut stages: Vec<&Stage> = stages.iter().collect();
    stages.sort_by_key(|s| (s.position, s.id));
    let mut columns: Vec<Column> = stages
        .iter()
        .map(|stage| {
            let of_stage = cards
                .iter()
                .filter(|c| c.funnel_stage_id == Some(stage.id))
                .collect();
            Column::new(stage.name.clone(), of_stage)
        })
        .collect();
    let elsewhere: Vec<&Card> = cards
        .iter()
        .filter(|c| {
            c.funnel_stage_id
                .is_none_or(|id| !stages.iter().any(|s| s.id == id))
        })
        .collect();
    if !elsewhere.is_empty() {
        columns.push(Column::new("(no stage)".to_owned(), elsewhere));
    }

    let stage_count = if stages.len() == 1 {
        "1 stage".to_owned()
    } else {
        format!("{} stages", stages.len())
    };
    let mut title = vec![cut(
        &format!(
            "{} (funnel {}): {stage_count}, {}",
            funnel.name,
            funnel.id,
            count(cards.len())
        ),
        width,
    )];
    let totals = totals_lines(&totals_of(cards));
    if !totals.is_empty() {
        title.push(cut(&format!("Total value: {}", totals.join(" + ")), width));
    }
    let mut text = String::new();
    for (i, line) in title.into_iter().enumerate() {
        if styled && i == 0 {
            text.push_str(&console::style(line).bold().to_string());
        } else {
            text.push_str(&line);
        }
        text.push('\n');
    }
    if columns.is_empty() {
        text.push_str(&format!(
            "(no stages: add one with voxys pipelines stages create {} NAME)\n",
            funnel.id
        ));
        return text;
    }

    let (separator, rule) = if styled {
        (" │ ", '─')
    } else {
        (" | ", '-')
    };
    let gap = separator.chars().count();
    let per_band = ((width + gap) / (MIN_COLUMN + gap)).clamp(1, columns.len());
    let column_width =
        ((width.saturating_sub(gap * (per_band - 1))) / per_band).clamp(1, MAX_COLUMN);

    for band in columns.chunks(per_band) {
        text.push('\n');
        // Each column's lines, the heads padded to the same height.
        let head_height = band.iter().map(|c| c.head.len()).max().unwrap_or(0);
        let lines: Vec<Vec<(Line, String)>> = band
            .iter()
            .map(|column| {
                let mut lines: Vec<(Line, String)> = column
                    .head
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (if i == 0 { Line::Name } else { Line::Head }, l.clone()))
                    .collect();
                lines.resize(head_height, (Line::Head, String::new()));
                lines.push((Line::Rule, rule.to_string().repeat(column_width)));
                if column.cards.is_empty() {
                    lines.push((Line::Empty, "(no cards)".to_owned()));
                }
                for card in &column.cards {
                    for (i, line) in card.iter().enumerate() {
                        lines.push((if i == 0 { Line::Card } else { Line::Value }, line.clone()));
                    }
                }
                lines
            })
            .collect();
        let rows = lines.iter().map(Vec::len).max().unwrap_or(0);
        for row in 0..rows {
            let mut line = String::new();
            for (i, column) in lines.iter().enumerate() {
                if i > 0 {
                    line.push_str(separator);
                }
                let (kind, content) = column
                    .get(row)
                    .cloned()
                    .unwrap_or((Line::Card, String::new()));
                let plain = cut(&content, column_width);
                let padding = column_width.saturating_sub(console::measure_text_width(&plain));
                let shown = match (styled, kind) {
                    (true, Line::Name) => console::style(plain).bold().to_string(),
                    (true, Line::Head | Line::Value | Line::Empty) => {
                        console::style(plain).dim().to_string()
                    }
                    _ => plain,
                };
                line.push_str(&shown);
                line.push_str(&" ".repeat(padding));
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(grouped(Decimal::new(184992586, 2)), "1,849,925.86");
        assert_eq!(grouped(Decimal::new(15000, 0)), "15,000");
        assert_eq!(grouped(Decimal::new(-1234, 0)), "-1,234");
        assert_eq!(grouped(Decimal::new(999, 0)), "999");
        assert_eq!(grouped(Decimal::new(5, 1)), "0.5");
    }
}
