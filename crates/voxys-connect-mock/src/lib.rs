//! A local Voxys Connect CRM API server, for tests, examples and demos.
//!
//! Like stripe-mock for Stripe's SDKs, [`MockServer`] serves the same API as
//! the real service, on 127.0.0.1, over generated data, so that the SDK's
//! tests and examples, and your own tests, run without a Voxys account. It is a
//! real HTTP server (axum and hyper on tokio) that answers as the service does:
//! the same routes, parameters, defaults, validation, error bodies and
//! authentication, all read from the OpenAPI document the SDK is generated
//! from. Fault rules make it fail the way networks and servers fail. It
//! compresses answers for clients that ask (as nginx in front of the service
//! does), and serves HTTPS on request
//! ([`MockServerBuilder::tls`](crate::MockServerBuilder::tls)) with a
//! certificate authority of its own, whose PEM
//! [`MockServer::ca_pem`](crate::MockServer::ca_pem) gives to clients.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use voxys_connect_mock::{Fault, FaultRule, MockServer};
//!
//! let server = MockServer::builder()
//!     .leads(500)
//!     .seed(7)
//!     .fault(FaultRule::new(Fault::ServerError { status: 503 }).times(1))
//!     .start()
//!     .await
//!     .unwrap();
//! println!("{} accepts token {} for accounts {:?}", server.url(), server.token(), server.account_ids());
//! # }
//! ```
//!
//! The binary `voxys-mock` (`cargo run -p voxys-connect-mock -- --help`) serves
//! the same in the foreground.
//!
//! # How it serves the document
//! At start, the server reads from the bundled OpenAPI document each
//! operation's method and path, whether it needs the token (`security`), its
//! path and query parameters and request body (with their defaults,
//! `minimum`, `maximum` and enums; `format: int64` counts as the range
//! -2^63..2^63-1), and its success status (its lowest `2XX`). The routes do
//! what the document says for every operation (the token, the account, the
//! parameters and body checked, 422 in the API's validation shape, defaults
//! filled in, the success status); a handler per operation, found by
//! operation id in one table, does the operation's own work. The server
//! does not start (an `InvalidData` error, not a panic) when the document
//! has an operation the table lacks, or the table one the document lacks;
//! [`check_document`] runs the same check for contract tests, and
//! [`operations`] lists what the table serves.
//!
//! # Adding an operation
//! 1. Write it in the document (`crates/voxys-connect-spec/voxys-connect.yaml`):
//!    `operationId`, method and path, parameters and body with their
//!    schemas, responses with the success status.
//! 2. Write its handler in `src/operations.rs`, a
//!    `fn(&Shared, &Call) -> Outcome`: it reads the checked request
//!    (`Call`'s `id()`, `param()`, `text()`, `int()`, `required_*()`,
//!    `body` and `raw`), reads the data (`shared.store()`) or changes it
//!    (`shared.write(..)`, with the change itself a method of the store
//!    that runs through `Store::change`, so that it is stamped and
//!    journaled: `src/store.rs`, `src/leads.rs`, `src/companies.rs`), and
//!    answers `Ok(Reply::json(..))`, `Ok(Reply::empty())` for a `204` (no
//!    body, no content type), or a `Refusal` (404, 422).
//! 3. Add one line to `HANDLERS` in the same file: `("operation_id", handler)`.
//!
//! Routing, authentication, validation, the success status (and
//! [`MockServerBuilder::created_status`] for a `201`), faults, the rate
//! limiter, request ids and gzip then apply as to every operation, and
//! `tests/operations.rs` checks that the new operation is routed and asks for
//! the token.
//!
//! # The data
//! Each account has leads, agents, inboxes, two funnels (five and three
//! stages) with cards for about one lead in ten (each with a `created`
//! event in its history, by no one), 20 companies, 30 contacts (about two
//! in three in a company; a contact is in one company at most), notes on
//! about one lead in eight, a timeline event (`company_created`) for each
//! company, conversations (each one its leads came from, linked to the
//! first such lead and to that lead's first card if it has one, and five
//! more with nothing linked) and 16 follow-up tasks (about leads, cards,
//! conversations, a contact, or nothing; mostly pending, some completed or
//! snoozed; about one in four with no due date). The token belongs to one
//! user ([`MockServer::user`]): the first account's first agent, an agent
//! of every account; every account of the data
//! ([`MockServer::account_ids`]: two by default) is reachable with the
//! token, so that a client can copy from one into another. The
//! [`MockServer`] has accessors for each kind of record (`leads`,
//! `companies`, `notes`, `contacts`, `timeline`, `funnels`, `stages`,
//! `cards`, `card_history`, `funnel_stats`, `tasks`, `task`,
//! `conversation`...), and [`MockServer::applied_writes`] is the journal
//! of every write it applied ([`AppliedWrite`] says what each operation
//! puts in it).
//!
//! Writes are stamped with the real time, in milliseconds as Rails sends
//! them (`2026-12-01T06:20:01.123Z`; rounded up, never before the moment
//! the write applied), each at least a millisecond after the one before and
//! after all generated data: a client that settles a lost create by
//! looking for a record made after its request began finds it.
//! New records get the next id of their kind: ids grow and are never given
//! twice, even after a delete.
//!
//! # Where the mock guesses
//! The facts about the API (`../shared/api/voxys-crm-facts.md`) and the
//! document leave some behaviour open; the mock chooses:
//! - Checks run in the order Rails runs them: the token, the account, the
//!   path, the query, the body. An account the data does not have is
//!   answered as one the user is not a member of (401).
//! - A path segment that is not an integer where an id goes answers 404, as
//!   Rails' `find` does; an integer its schema refuses (past `int64`, below
//!   a `minimum`) answers 422, like any invalid value. (Rails itself would
//!   likely answer 404 for an id past `int64`. `get_lead` and `lead_stats`
//!   list no 422 answer in the document.)
//! - Invalid values answer 422 in Chatwoot's shape, `{"message": ...,
//!   "attributes": [...]}`; a missing required member answers `{"error":
//!   "param is missing or the value is empty: NAME"}`. What a model's
//!   validation refuses answers in the reference's shape, `{"errors":
//!   {"name": ["can't be blank"]}}`: a blank company `name` or note
//!   `content` (empty or spaces only), a `company_id` the account does not
//!   have (`must exist`), an `assigned_agent_id` who is no agent of it, a
//!   company merged into itself (`target_company_id`), a `lead_value`
//!   string that holds no number. Undeclared query parameters are ignored;
//!   of a repeated one, the last wins.
//! - An amount in a request body (`lead_value`) may be a JSON number or a
//!   string of digits (`"15000.50"`), as Rails casts either to a decimal
//!   column, though the document's schema says number; it is kept exactly
//!   (read from the body's text, not through a float).
//! - An integer in a body must be a JSON integer that fits an `i64` (`5.0`
//!   answers 422).
//! - A path the document lacks, or a method it lacks for a path, answers
//!   404 `{"error": "Resource could not be found"}`, as Rails answers a
//!   request no route matches.
//! - A lead, company or contact of another account is not found (404),
//!   like one that does not exist.
//! - `lead_stats` sums values across currencies as they are (no
//!   conversion), leads without a value adding nothing. Amounts, there as in
//!   leads, are JSON numbers (whole ones as integers), as the document's
//!   `Amount` (`type: number`) says, not the strings Rails sends
//!   (`"15000.0"`); clients must accept both.
//! - A bulk action counts the leads that exist; deleting a lead deletes its
//!   cards; assigning to someone who is no agent of the account answers 422.
//! - Converting puts the card in the funnel's first stage when no stage is
//!   given, answers 422 for a stage of another funnel and 404 for an
//!   unknown funnel or lead.
//! - Sorting puts `null` last ascending and first descending, as
//!   PostgreSQL does, ties by ascending id; `updated_at` moves on with
//!   every write of a record (an update that changes nothing included, as
//!   the document says).
//! - The rate limiter keys by token, not by IP (see [`Throttle`]). Its
//!   fixed windows count from the throttle's setting, where Rack::Attack's
//!   count from the Unix epoch (a minute turns at each whole minute), unless
//!   set [`aligned`](Throttle::aligned) (`,aligned`).
//! - A new lead is `open`; a member of `LeadCreate` left out or `null` is
//!   empty. `update_lead` and `update_company` replace `custom_attributes`
//!   whole when sent (no merge of keys).
//! - Deleting a lead deletes its notes and cards (a bulk delete too).
//!   Deleting a company deletes its timeline; its leads (`company: null`)
//!   and contacts stay, in no company, their `updated_at` unchanged (as
//!   Rails' `nullify` leaves it). A merge moves the source's leads, contacts
//!   and timeline to the target, also leaving the leads' `updated_at`, and
//!   moves the target's `updated_at` on. A merge whose source is gone, or
//!   whose target does not exist, answers 404 (the source is looked up
//!   first, so a merge repeated after one that applied answers 404 even
//!   into itself).
//! - `list_companies` sorts `name` A to Z ignoring case, `created_at` and
//!   `updated_at` newest first (the default: `created_at`), ties by
//!   ascending id; 25 a page. `search_companies` matches `q` anywhere in the
//!   name or the domain, ignoring case, in id order. `company_duplicates`
//!   finds the other companies with the same domain (ignoring case and
//!   surrounding spaces; a company without one matches none by domain) or
//!   the same name ignoring case and white space, in id order.
//!   `list_company_contacts` lists in id order.
//! - A lead's notes list newest first (`created_at`, then id, descending);
//!   a note written through the API has the token's user as its `author`;
//!   generated notes may have none (`null`, a user since gone). A note does
//!   not change its lead's `updated_at`.
//! - Adding a contact to the company it is in already changes nothing and
//!   answers 200 with it; adding it to another takes it out of the one it
//!   was in. Removing a contact that is not in the company (or does not
//!   exist) answers 404; a contact that does not exist, for an add, too.
//! - Timelines list newest first (`occurred_at`, then id, descending).
//!   The mock writes these events, each with a `description` in words, the
//!   token's user as `actor` and the write's instant as `occurred_at`:
//!   `company_created`, `company_updated` (naming the members sent);
//!   `lead_created` (a lead created in a company), `lead_updated` (on the
//!   company the lead was in and the one it is in), `lead_deleted`;
//!   `contact_added`, `contact_removed` (also on the company a contact
//!   left for another); for a merge, on the target, `lead_added` for each
//!   lead and `contact_added` for each contact moved, then
//!   `companies_merged` (listed first). Generated companies have one
//!   `company_created` event, with no actor (`null`). Status changes, bulk
//!   actions and conversions write no events.
//! - Funnels list by `position` (`null` last), then id. A new funnel goes
//!   last (the largest position plus one) unless a `position` is given;
//!   the others keep theirs (funnel positions are not renumbered).
//!   `is_public` and `is_active` default to `true`. `stages_count`, a
//!   stage's `cards_count` and `funnel_stats` are counted from the stages
//!   and cards when asked, never kept apart.
//! - `funnel_stats`: `won_cards` and `lost_cards` by the status of the
//!   card's lead, `total_value` and `won_value` the sums of the leads'
//!   `lead_value` across currencies as they are (JSON numbers, as for
//!   `lead_stats`), `conversion_rate` won / total * 100, not rounded (the
//!   reference's examples, `26.7`, look rounded to one decimal), 0 with no
//!   card.
//! - Stages are numbered 1, 2, ... without gaps, always: a stage created
//!   or moved to a `position` (clamped to the list) pushes the others down,
//!   a deleted one closes its gap, and a stage `position` sent as `null`
//!   puts it last (a stage always has a place). A stage whose position
//!   changes because another moved has its `updated_at` moved on (the same
//!   for cards). Deleting a stage that holds cards answers 422 in the
//!   reference's shape, about `base`. `reorder_funnel_stages` answers 422
//!   in the reference's shape (`stage_ids`) unless it names each stage of
//!   the funnel once (a repeated id is refused by the document's
//!   `uniqueItems`, in Chatwoot's shape); stages whose position does not
//!   change keep their `updated_at`, so the same order again gives the
//!   same stages.
//! - Cards of a stage are numbered 1, 2, ... too: a card made, moved or
//!   updated into a stage goes at `position` (clamped) or last, and the
//!   stage it left is numbered again. `update_funnel_card` with
//!   `funnel_stage_id: null` takes the card out of every stage (a
//!   `stage_changed` event with `to_stage: null`); `position: null` puts
//!   it last. A card's lead members (`custom_name`, `lead_value`,
//!   `lead_currency`, `assigned_agent_id`) change its lead, without a
//!   company timeline event. A stage of another funnel answers 422 in
//!   Chatwoot's shape (`funnel_stage_id`, `target_stage_id`, `stage_id`),
//!   a card or stage of another funnel in the path 404.
//! - Card history, newest first: `created` (`to_stage` its stage's name),
//!   `stage_changed` (`from_stage` and `to_stage` names) and `updated`
//!   (when members of the card's lead are sent; its description names
//!   them), each by the token's user. A conversion
//!   (`convert_lead`, `convert_conversation`) writes `created` too. A move
//!   to the stage the card is in, with no other position, changes nothing,
//!   writes no event and is journaled with `affected` 0. Deleting a card
//!   or its funnel (or its lead) deletes its history; conversations linked
//!   to it are linked to none.
//! - `funnel_analytics` counts the funnel's cards whose `created_at` falls
//!   from `since` to `until` (UTC dates, inclusive; by default `until` is
//!   today and `since` 30 days before; `since` after `until` counts none),
//!   only those whose lead is assigned to `agent_id` when given.
//!   `average_deal_size` is the won value over the won cards, rounded to
//!   cents (half away from zero), 0 with none. `by_agent` has an item per
//!   agent of those leads (in agent id order; unassigned leads count in
//!   the totals only), `by_stage` one per stage of the funnel, in order,
//!   with the cards of the period in it now (zero too). `group_by` is
//!   checked against the document's values and otherwise ignored: the
//!   answer has no time-series member, as the reference describes none.
//! - Tasks list soonest due first, those with no due date last, ties by
//!   id, 25 a page by default; `due_before` and `due_after` are strict and
//!   leave out tasks with no due date; `taskable_id` filters alone too.
//!   The calendar keeps the tasks whose `due_at` has a UTC date from
//!   `start_date` to `end_date` (none when `start_date` is later). A
//!   `due_at` is kept to the millisecond; one without an offset is UTC.
//! - A new task is `pending`, `medium` unless a `priority` is given. A
//!   blank `title`, an `assigned_to_id` who is no agent of the account, a
//!   taskable record that does not exist (`taskable`: `must exist`; a
//!   Lead, FunnelCard, Conversation or Contact of the account), or one of
//!   `taskable_type` and `taskable_id` without the other (`can't be
//!   blank`) answer 422 in the reference's shape. Tasks stay when the
//!   record they are about is deleted.
//! - `complete_task` on a completed task changes nothing (`completed_at`
//!   and `updated_at` kept; journaled with `affected` 0). `snooze_task`
//!   with `Nh`, `Nd` or `Nw` pushes `due_at` by that from the later of its
//!   `due_at` and now (from now when it has none), so each snooze by a
//!   duration pushes it again; an ISO 8601 date-time sets it (the same
//!   twice gives the same task). Either makes the task `snoozed` and
//!   clears `completed_at`. A date-time that the pattern lets through but
//!   is no date (`2031-13-45T00:00:00Z`) answers 422 in Chatwoot's shape.
//! - Conversations are the data's (see above): a lead made or changed with
//!   a `conversation_id` does not make one; any other conversation id
//!   answers 404 on every CRM operation. Links are the panel's own: linking
//!   a lead does not change the lead's `conversation_id`, and linking a
//!   card does not link its lead. `link_conversation_card` and
//!   `link_conversation_lead` answer 404 for a card or lead the account
//!   does not have; linking what is linked already is journaled with
//!   `affected` 0. `follow_up_tasks` are the tasks about the conversation,
//!   soonest due first. `convert_conversation` takes `lead_id`, else the
//!   linked lead, else makes a lead `Conversation #ID` (status `open`,
//!   that `conversation_id`); it answers 404 for an unknown funnel or
//!   lead, 422 (`stage_id`) for a stage of another funnel, and links the
//!   card and its lead to the conversation.
//!
//! # Cargo features
//! `cli` (default): the `voxys-mock` binary and the [`cli`] module with its
//! clap arguments (shared with `voxys mock`). A test suite that only starts
//! servers from code can leave it out, and with it clap.

#![forbid(unsafe_code)]

mod bodies;
#[cfg(feature = "cli")]
pub mod cli;
mod companies;
mod conversations;
mod data;
mod document;
mod faults;
mod leads;
mod listing;
mod operations;
mod params;
mod pipelines;
mod records;
mod respond;
mod routes;
mod server;
mod state;
mod store;
mod tasks;
mod throttle;
mod tls;

pub use data::{Account, Agent, Card, Company, Dataset, DatasetSpec, Funnel, MockLead, Stage};
pub use faults::{Fault, FaultRule, InvalidFaultRule};
pub use operations::operations;
pub use records::{CardEvent, Contact, Conversation, MockCompany, Note, Task, TimelineEvent};
pub use routes::{DocumentMismatch, check_document};
pub use server::{MockServer, MockServerBuilder};
pub use store::AppliedWrite;
pub use throttle::{InvalidThrottle, Throttle, Window};
