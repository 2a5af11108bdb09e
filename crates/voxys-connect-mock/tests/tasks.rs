//! The Follow-up Tasks section over HTTP: the paged list and its filters,
//! the calendar, creates refused as the model refuses them, three-state
//! updates, completing, snoozing by a duration or to an instant, and the
//! journal of each write.

mod common;

use common::{
    Answer, assert_documented, assert_field_error, has_milliseconds, instant, path, send,
};
use serde_json::{Value, json};
use voxys_connect_mock::{Fault, FaultRule, MockServer};

async fn create(server: &MockServer, body: Value) -> Answer {
    let answer = send(
        server,
        "POST",
        &path(server.account_id(), "follow_up_tasks"),
        Some(&body),
    )
    .await;
    if answer.status == 201 {
        assert_documented("create_task", &answer);
    }
    answer
}

async fn get(server: &MockServer, query: &str) -> Answer {
    let answer = send(
        server,
        "GET",
        &path(server.account_id(), &format!("follow_up_tasks{query}")),
        None,
    )
    .await;
    if answer.status == 200 {
        let operation = if query.starts_with("/calendar") {
            "task_calendar"
        } else {
            "list_tasks"
        };
        assert_documented(operation, &answer);
    }
    answer
}

fn ids(tasks: &Value) -> Vec<i64> {
    tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_list_pages_filters_and_puts_the_soonest_due_first() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let tasks = server.tasks(account);
    assert!(tasks.len() >= 10, "seeded tasks");
    assert!(
        tasks.iter().any(|t| t.due_at.is_none()),
        "some with no due date"
    );
    for kind in ["Lead", "FunnelCard", "Conversation"] {
        assert!(
            tasks
                .iter()
                .any(|t| t.taskable_type.as_deref() == Some(kind)),
            "{kind}"
        );
    }
    let mut expected = tasks.clone();
    expected.sort_by_key(|t| (t.due_at.is_none(), t.due_at, t.id));
    let expected: Vec<i64> = expected.iter().map(|t| t.id).collect();

    let first = get(&server, "").await;
    assert_eq!(
        first.body["meta"],
        json!({"current_page": 1, "total_pages": tasks.len().div_ceil(25), "total_count": tasks.len()})
    );
    assert_eq!(ids(&first.body["data"]), expected[..expected.len().min(25)]);
    // Pages of 3, one after the other, give every task once, in order.
    let mut paged = Vec::new();
    for page in 1..=tasks.len().div_ceil(3) {
        let answer = get(&server, &format!("?per_page=3&page={page}")).await;
        assert_eq!(answer.body["meta"]["total_pages"], tasks.len().div_ceil(3));
        paged.extend(ids(&answer.body["data"]));
    }
    assert_eq!(paged, expected);
    let past = get(&server, "?per_page=3&page=99").await;
    assert_eq!(past.body["data"], json!([]));
    for wrong in [
        "?per_page=101",
        "?per_page=0",
        "?page=0",
        "?status=done",
        "?due_before=soon",
    ] {
        assert_eq!(get(&server, wrong).await.status, 422, "{wrong}");
    }

    // Filters.
    let pending = get(&server, "?status=pending&per_page=100").await;
    let want: Vec<i64> = expected
        .iter()
        .copied()
        .filter(|id| tasks.iter().any(|t| t.id == *id && t.status == "pending"))
        .collect();
    assert_eq!(ids(&pending.body["data"]), want);
    let about = tasks.iter().find(|t| t.taskable_type.is_some()).unwrap();
    let (kind, id) = (
        about.taskable_type.clone().unwrap(),
        about.taskable_id.unwrap(),
    );
    let filtered = get(
        &server,
        &format!("?taskable_type={kind}&taskable_id={id}&per_page=100"),
    )
    .await;
    let want: Vec<i64> = expected
        .iter()
        .copied()
        .filter(|t| tasks.iter().any(|x| x.id == *t && x.is_about(&kind, id)))
        .collect();
    assert!(want.contains(&about.id));
    assert_eq!(ids(&filtered.body["data"]), want);
    // Due before and after: strictly, and never a task with no due date.
    let made = create(
        &server,
        json!({"title": "Due in 2031", "due_at": "2031-06-01T12:00:00Z"}),
    )
    .await;
    let late = made.body["id"].as_i64().unwrap();
    let after = get(&server, "?due_after=2031-06-01T11:59:59Z&per_page=100").await;
    assert_eq!(ids(&after.body["data"]), [late]);
    let exactly = get(&server, "?due_after=2031-06-01T12:00:00Z").await;
    assert_eq!(exactly.body["data"], json!([]));
    let before = get(&server, "?due_before=2031-06-01T12:00:00Z&per_page=100").await;
    let dated = tasks.iter().filter(|t| t.due_at.is_some()).count();
    assert_eq!(before.body["meta"]["total_count"], dated);
    assert!(!ids(&before.body["data"]).contains(&late));
}

#[tokio::test]
async fn creates_take_defaults_and_are_refused_as_the_model_refuses_them() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let lead = server.leads(account)[0].id;
    let made = create(
        &server,
        json!({"title": "Call back", "taskable_type": "Lead", "taskable_id": lead, "assigned_to_id": server.user().id}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(
        (
            &made.body["status"],
            &made.body["priority"],
            &made.body["due_at"],
            &made.body["completed_at"]
        ),
        (
            &json!("pending"),
            &json!("medium"),
            &Value::Null,
            &Value::Null
        )
    );
    assert_eq!(made.body["assigned_to"], server.user().to_json());
    assert!(has_milliseconds(&made.body["created_at"]));
    let id = made.body["id"].as_i64().unwrap();
    assert!(
        id > server
            .tasks(account)
            .iter()
            .filter(|t| t.id != id)
            .map(|t| t.id)
            .max()
            .unwrap()
    );
    let got = send(
        &server,
        "GET",
        &path(account, &format!("follow_up_tasks/{id}")),
        None,
    )
    .await;
    assert_documented("get_task", &got);
    assert_eq!(got.body, made.body);

    assert_field_error(
        &create(&server, json!({"title": "   "})).await,
        "title",
        "can't be blank",
    );
    assert_field_error(
        &create(&server, json!({"title": ""})).await,
        "title",
        "can't be blank",
    );
    let missing = create(&server, json!({"priority": "high"})).await;
    assert_eq!(
        (missing.status, missing.body),
        (
            422,
            json!({"error": "param is missing or the value is empty: title"})
        )
    );
    for (body, member, message) in [
        (
            json!({"title": "t", "taskable_type": "Lead", "taskable_id": 999_999}),
            "taskable",
            "must exist",
        ),
        (
            json!({"title": "t", "taskable_type": "FunnelCard", "taskable_id": 999_999}),
            "taskable",
            "must exist",
        ),
        (
            json!({"title": "t", "taskable_type": "Conversation", "taskable_id": 999_999_999}),
            "taskable",
            "must exist",
        ),
        (
            json!({"title": "t", "taskable_type": "Lead"}),
            "taskable_id",
            "can't be blank",
        ),
        (
            json!({"title": "t", "taskable_id": lead}),
            "taskable_type",
            "can't be blank",
        ),
        (
            json!({"title": "t", "assigned_to_id": 999_999}),
            "assigned_to_id",
            "must be an agent of the account",
        ),
    ] {
        assert_field_error(&create(&server, body).await, member, message);
    }
    assert_eq!(
        create(&server, json!({"title": "t", "priority": "urgent"}))
            .await
            .status,
        422
    );
    let journal = server.applied_writes();
    assert_eq!(journal.len(), 1, "refused creates are not journaled");
    assert_eq!(
        (
            journal[0].operation,
            journal[0].created_id,
            journal[0].task_ids.clone(),
            journal[0].name.as_deref()
        ),
        ("create_task", Some(id), vec![id], Some("Call back"))
    );
}

#[tokio::test]
async fn the_calendar_holds_the_tasks_due_in_its_days() {
    let server = MockServer::start().await;
    let mut made = Vec::new();
    for due in [
        "2031-01-02T00:00:00Z",
        "2031-01-01T23:59:59.999Z",
        "2031-01-01T00:00:00Z",
        "2031-01-03T00:00:00Z",
        "2030-12-31T23:59:59Z",
    ] {
        let task = create(&server, json!({"title": due, "due_at": due})).await;
        made.push(task.body["id"].as_i64().unwrap());
    }
    create(&server, json!({"title": "no date"})).await;
    let days = get(
        &server,
        "/calendar?start_date=2031-01-01&end_date=2031-01-02",
    )
    .await;
    assert_eq!(days.status, 200, "{}", days.text);
    assert_eq!(
        ids(&days.body),
        [made[2], made[1], made[0]],
        "soonest first"
    );
    let one = get(
        &server,
        "/calendar?start_date=2031-01-03&end_date=2031-01-03",
    )
    .await;
    assert_eq!(ids(&one.body), [made[3]]);
    let backwards = get(
        &server,
        "/calendar?start_date=2031-01-03&end_date=2031-01-01",
    )
    .await;
    assert_eq!(backwards.body, json!([]));
    for wrong in [
        "/calendar?start_date=2031-01-01",
        "/calendar?end_date=2031-01-01",
        "/calendar?start_date=tomorrow&end_date=2031-01-01",
    ] {
        assert_eq!(get(&server, wrong).await.status, 422, "{wrong}");
    }
}

#[tokio::test]
async fn updates_change_what_is_sent_and_deletes_answer_204_then_404() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let made = create(
        &server,
        json!({"title": "Write", "description": "the proposal", "due_at": "2031-02-01T09:00:00Z", "priority": "high"}),
    )
    .await;
    let id = made.body["id"].as_i64().unwrap();
    let task_path = path(account, &format!("follow_up_tasks/{id}"));
    let kept = send(
        &server,
        "PATCH",
        &task_path,
        Some(&json!({"priority": "low"})),
    )
    .await;
    assert_documented("update_task", &kept);
    assert_eq!(
        (
            &kept.body["description"],
            &kept.body["due_at"],
            &kept.body["priority"]
        ),
        (
            &json!("the proposal"),
            &json!("2031-02-01T09:00:00Z"),
            &json!("low")
        )
    );
    let cleared = send(
        &server,
        "PATCH",
        &task_path,
        Some(&json!({"description": null, "due_at": null})),
    )
    .await;
    assert_eq!(
        (
            &cleared.body["description"],
            &cleared.body["due_at"],
            &cleared.body["title"]
        ),
        (&Value::Null, &Value::Null, &json!("Write"))
    );
    let task = server.task(account, id).unwrap();
    assert_eq!((task.description, task.due_at), (None, None));
    assert_field_error(
        &send(&server, "PATCH", &task_path, Some(&json!({"title": " "}))).await,
        "title",
        "can't be blank",
    );
    let deleted = send(&server, "DELETE", &task_path, None).await;
    assert_eq!(deleted.status, 204);
    assert_documented("delete_task", &deleted);
    assert!(server.task(account, id).is_none());
    assert_eq!(send(&server, "DELETE", &task_path, None).await.status, 404);
    assert_eq!(send(&server, "GET", &task_path, None).await.status, 404);
    let ops: Vec<&str> = server
        .applied_writes()
        .iter()
        .map(|w| w.operation)
        .collect();
    assert_eq!(
        ops,
        ["create_task", "update_task", "update_task", "delete_task"]
    );
}

#[tokio::test]
async fn completing_sets_completed_at_once() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let made = create(&server, json!({"title": "Finish"})).await;
    let id = made.body["id"].as_i64().unwrap();
    let complete = path(account, &format!("follow_up_tasks/{id}/complete"));
    let done = send(&server, "PATCH", &complete, None).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_documented("complete_task", &done);
    assert_eq!(done.body["status"], "completed");
    let at = instant(&done.body["completed_at"]);
    assert_eq!(
        server.applied_writes()[1].at,
        at,
        "completed when it applied"
    );
    let again = send(&server, "PATCH", &complete, None).await;
    assert_eq!(again.body, done.body, "kept as it was");
    let journal = server.applied_writes();
    assert_eq!(
        journal
            .iter()
            .map(|w| (w.operation, w.affected))
            .collect::<Vec<_>>(),
        [
            ("create_task", 1),
            ("complete_task", 1),
            ("complete_task", 0)
        ]
    );
    let missing = send(
        &server,
        "PATCH",
        &path(account, "follow_up_tasks/999999/complete"),
        None,
    )
    .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn snoozing_by_a_duration_pushes_each_time_and_to_an_instant_once() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let made = create(
        &server,
        json!({"title": "Later", "due_at": "2031-03-01T10:00:00Z"}),
    )
    .await;
    let id = made.body["id"].as_i64().unwrap();
    let snooze = path(account, &format!("follow_up_tasks/{id}/snooze"));
    let once = send(&server, "PATCH", &snooze, Some(&json!({"duration": "1d"}))).await;
    assert_eq!(once.status, 200, "{}", once.text);
    assert_documented("snooze_task", &once);
    assert_eq!(
        (&once.body["due_at"], &once.body["status"]),
        (&json!("2031-03-02T10:00:00Z"), &json!("snoozed"))
    );
    let twice = send(&server, "PATCH", &snooze, Some(&json!({"duration": "1d"}))).await;
    assert_eq!(twice.body["due_at"], "2031-03-03T10:00:00Z", "pushed again");
    for (duration, due) in [
        ("12h", "2031-03-03T22:00:00Z"),
        ("2w", "2031-03-17T22:00:00Z"),
    ] {
        let answer = send(
            &server,
            "PATCH",
            &snooze,
            Some(&json!({"duration": duration})),
        )
        .await;
        assert_eq!(answer.body["due_at"], due, "{duration}");
    }
    // To an instant: twice is the same.
    for _ in 0..2 {
        let answer = send(
            &server,
            "PATCH",
            &snooze,
            Some(&json!({"duration": "2031-06-20T09:00:00Z"})),
        )
        .await;
        assert_eq!(answer.body["due_at"], "2031-06-20T09:00:00Z");
    }
    // The journal tells the pushes from the repeats, without the client.
    let snoozes: Vec<(Option<String>, Option<String>)> = server
        .applied_writes()
        .iter()
        .filter(|w| w.operation == "snooze_task")
        .map(|w| {
            assert_eq!(w.task_ids, [id]);
            let text = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(|at| at.to_rfc3339());
            (text(w.due_at_before), text(w.due_at_after))
        })
        .collect();
    let at = |text: &str| {
        Some(
            chrono::DateTime::parse_from_rfc3339(text)
                .unwrap()
                .to_utc()
                .to_rfc3339(),
        )
    };
    assert_eq!(
        snoozes,
        [
            (at("2031-03-01T10:00:00Z"), at("2031-03-02T10:00:00Z")),
            (at("2031-03-02T10:00:00Z"), at("2031-03-03T10:00:00Z")),
            (at("2031-03-03T10:00:00Z"), at("2031-03-03T22:00:00Z")),
            (at("2031-03-03T22:00:00Z"), at("2031-03-17T22:00:00Z")),
            (at("2031-03-17T22:00:00Z"), at("2031-06-20T09:00:00Z")),
            (at("2031-06-20T09:00:00Z"), at("2031-06-20T09:00:00Z")),
        ]
    );
    // Anything else is refused, and changes nothing.
    for wrong in [
        "0d",
        "1m",
        "1",
        "d",
        "soon",
        "2031-13-45T00:00:00Z",
        "",
        "10000h",
    ] {
        let answer = send(&server, "PATCH", &snooze, Some(&json!({"duration": wrong}))).await;
        assert_eq!(answer.status, 422, "{wrong}: {}", answer.text);
    }
    assert_eq!(
        server
            .task(account, id)
            .unwrap()
            .due_at
            .unwrap()
            .to_rfc3339(),
        at("2031-06-20T09:00:00Z").unwrap()
    );
    let missing = send(&server, "PATCH", &snooze, Some(&json!({}))).await;
    assert_eq!(missing.status, 422);
}

#[tokio::test]
async fn a_task_due_in_the_past_or_never_is_snoozed_from_the_moment_it_applies() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let past = create(
        &server,
        json!({"title": "Overdue", "due_at": "2020-01-01T00:00:00Z"}),
    )
    .await;
    let undated = create(&server, json!({"title": "Whenever"})).await;
    for task in [past, undated] {
        let id = task.body["id"].as_i64().unwrap();
        let answer = send(
            &server,
            "PATCH",
            &path(account, &format!("follow_up_tasks/{id}/snooze")),
            Some(&json!({"duration": "1h"})),
        )
        .await;
        let entry = server.applied_writes().pop().unwrap();
        assert_eq!(
            instant(&answer.body["due_at"]),
            entry.at + chrono::Duration::hours(1)
        );
        assert_eq!(
            entry.due_at_after,
            Some(entry.at + chrono::Duration::hours(1))
        );
    }
}

#[tokio::test]
async fn a_snooze_answered_with_a_fault_after_applying_is_applied_once() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let made = create(
        &server,
        json!({"title": "Flaky", "due_at": "2031-03-01T10:00:00Z"}),
    )
    .await;
    let id = made.body["id"].as_i64().unwrap();
    server.add_fault(
        FaultRule::new(Fault::DropConnection)
            .after_applying()
            .times(1),
    );
    let result = reqwest::Client::new()
        .patch(format!(
            "{}{}",
            server.url(),
            path(account, &format!("follow_up_tasks/{id}/snooze"))
        ))
        .header("api_access_token", server.token())
        .header("content-type", "application/json")
        .body(r#"{"duration":"1d"}"#)
        .send()
        .await;
    assert!(result.is_err(), "the connection dropped: {result:?}");
    let task = server.task(account, id).unwrap();
    assert_eq!(
        task.due_at.unwrap().to_rfc3339(),
        "2031-03-02T10:00:00+00:00"
    );
    assert_eq!(task.status, "snoozed");
    let entry = server.applied_writes().pop().unwrap();
    assert_eq!(entry.operation, "snooze_task");
    assert_eq!(entry.due_at_after, task.due_at);
}
