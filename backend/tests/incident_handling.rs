//! Who does what to an incident (issue #20 item 9): the dispatcher records a grid worker's own
//! steps on the worker's behalf and the event names both; resolving and closing need a note;
//! the role × action matrix decides who may act at all, and the detail offers only that.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use serde_json::{json, Value};

/// A point inside a grid that has a worker, in the city centre.
async fn staffed_point(pool: &sqlx::PgPool) -> [f64; 2] {
    let (x, y): (f64, f64) = sqlx::query_as(
        "select st_x(p), st_y(p) from (select st_pointonsurface(g.geom) p from current_grids g
         where g.code like '320812%' and exists (select 1 from grid_workers w where w.grid_code = g.code)
         order by g.code limit 1) s",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    [x, y]
}

async fn report(app: &common::TestApp, token: &str, at: [f64; 2]) -> i64 {
    let (s, b) = app
        .post(
            "/api/incidents",
            Some(token),
            &json!({"lon": at[0], "lat": at[1], "category": "citizen.environment", "source": "hotline",
                    "description": "垃圾堆放"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b["incident"]["id"].as_i64().unwrap()
}

async fn act(app: &common::TestApp, token: &str, id: i64, body: &Value) -> (u16, Value) {
    app.post(&format!("/api/incidents/{id}/transitions"), Some(token), body).await
}

#[tokio::test]
async fn worker_steps_name_the_dispatcher_and_the_worker() {
    let app = common::spawn_app().await;
    let token = app.login("dispatcher").await;
    let id = report(&app, &token, staffed_point(&app.pool).await).await;
    let (s, assigned) = act(&app, &token, id, &json!({"action": "assign"})).await;
    assert_eq!(s, 200, "{assigned}");
    let worker = assigned["assignee"].as_str().unwrap().to_owned();
    for step in ["accept", "start"] {
        let (s, b) = act(&app, &token, id, &json!({"action": step})).await;
        assert_eq!(s, 200, "{step}: {b}");
    }
    // The database says who did it and for whom (the oracle is SQL, not the API).
    let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "select e.action, e.on_behalf_of, u.username from incident_events e join users u on u.id = e.actor_id
         where e.incident_id = $1 order by e.id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let expected: Vec<(String, Option<String>, String)> =
        [("report", None), ("assign", None), ("accept", Some(worker.clone())), ("start", Some(worker.clone()))]
            .into_iter()
            .map(|(a, w)| (a.to_owned(), w, "dispatcher".to_owned()))
            .collect();
    assert_eq!(rows, expected);
    // The timeline names both, the worker with their name.
    let (_, d) = app.get(&format!("/api/incidents/{id}"), Some(&token)).await;
    let name: String = sqlx::query_scalar("select name from grid_workers where employee_no = $1")
        .bind(&worker)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let accept = d["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "accept").unwrap();
    assert_eq!(accept["actor"], "dispatcher");
    assert!(accept["actor_name"].as_str().is_some_and(|n| !n.is_empty()), "{accept}");
    assert_eq!(accept["on_behalf_of"]["employee_no"], worker.as_str());
    assert_eq!(accept["on_behalf_of"]["name"], name.as_str());
    assert_eq!(d["incident"]["assignee_name"], name.as_str(), "the list and detail show the name");
    let assign = d["timeline"].as_array().unwrap().iter().find(|e| e["action"] == "assign").unwrap();
    assert!(assign["on_behalf_of"].is_null(), "assigning is the dispatcher's own act");
}

#[tokio::test]
async fn resolving_and_closing_need_a_note() {
    let app = common::spawn_app().await;
    let token = app.login("dispatcher").await;
    let id = report(&app, &token, staffed_point(&app.pool).await).await;
    for step in ["assign", "accept", "start"] {
        assert_eq!(act(&app, &token, id, &json!({"action": step})).await.0, 200, "{step}");
    }
    for body in [json!({"action": "resolve"}), json!({"action": "resolve", "note": "  "})] {
        let (s, b) = act(&app, &token, id, &body).await;
        common::assert_error(s, &b, 422, "resolve needs a note");
        assert_eq!(b["error"]["code"], "invalid_value", "{b}");
        assert_eq!(b["error"]["field"], "note", "{b}");
    }
    let status: String =
        sqlx::query_scalar("select status from incidents where id = $1").bind(id).fetch_one(&app.pool).await.unwrap();
    assert_eq!(status, "in_progress", "a refused resolve changes nothing");
    assert_eq!(act(&app, &token, id, &json!({"action": "resolve", "note": "已清运"})).await.0, 200);
    let (s, b) = act(&app, &token, id, &json!({"action": "close"})).await;
    common::assert_error(s, &b, 422, "close needs a note");
    assert_eq!(act(&app, &token, id, &json!({"action": "close", "note": "回访满意"})).await.0, 200);
    // A bad original of a duplicate names its field.
    let other = report(&app, &token, staffed_point(&app.pool).await).await;
    let (s, b) = act(&app, &token, other, &json!({"action": "mark_duplicate", "duplicate_of": 999_999_999})).await;
    common::assert_error(s, &b, 422, "no incident");
    assert_eq!(b["error"]["field"], "duplicate_of", "{b}");
}

#[tokio::test]
async fn leaders_read_incidents_but_do_not_handle_them() {
    let app = common::spawn_app().await;
    let dispatcher = app.login("dispatcher").await;
    let leader = app.login("leader").await;
    let id = report(&app, &dispatcher, staffed_point(&app.pool).await).await;
    let (s, d) = app.get(&format!("/api/incidents/{id}"), Some(&dispatcher)).await;
    assert_eq!(s, 200);
    assert_eq!(d["allowed_actions"], json!(["assign", "escalate", "mark_duplicate"]));
    let (s, d) = app.get(&format!("/api/incidents/{id}"), Some(&leader)).await;
    assert_eq!(s, 200, "leaders read incidents");
    assert_eq!(d["allowed_actions"], json!([]), "and are offered no action");
    let (s, b) = act(&app, &leader, id, &json!({"action": "assign"})).await;
    common::assert_error(s, &b, 403, "");
}
