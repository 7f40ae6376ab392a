//! The incident list is index-backed: `EXPLAIN` of the query behind every filter, every sort
//! order and their cursors, and of the combinations the Dispatch workspace sends, must not scan
//! `incidents` sequentially. Sequential scans are switched off for the session, so one shows up
//! only where no index can answer the query (on a small test city the planner would rightly
//! prefer a sequential scan otherwise).
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use chrono::{Duration, Utc};
use citygrid::grids::BBox;
use citygrid::incidents::list::{explain, Cursor, ListFilter, Sort};
use citygrid::incidents::OPEN_STATUSES;
use citygrid::scope::Scope;
use serde_json::Value;

/// The nodes of a plan that scan `incidents` sequentially, as text.
fn seq_scans_of_incidents(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(m) => {
            if m.get("Node Type").and_then(Value::as_str) == Some("Seq Scan")
                && m.get("Relation Name").and_then(Value::as_str) == Some("incidents")
            {
                out.push(node.to_string());
            }
            m.values().for_each(|v| seq_scans_of_incidents(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| seq_scans_of_incidents(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_list_query_uses_an_index() {
    let app = common::spawn_app().await;
    let mut conn = app.pool.acquire().await.unwrap();
    sqlx::query("analyze incidents").execute(&mut *conn).await.unwrap();
    sqlx::query("set enable_seqscan = off").execute(&mut *conn).await.unwrap();
    let (grid, lon, lat): (String, f64, f64) =
        sqlx::query_as("select grid_code, st_x(geom), st_y(geom) from incidents order by id desc limit 1")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    let now = Utc::now();
    let t = now - Duration::days(3);
    let base = ListFilter { limit: 50, ..ListFilter::default() };
    let open = ListFilter { statuses: OPEN_STATUSES.to_vec(), ..base.clone() };
    let bbox = Some(BBox { min_lon: lon - 0.02, min_lat: lat - 0.02, max_lon: lon + 0.02, max_lat: lat + 0.02 });
    let cases: Vec<(&str, ListFilter)> = vec![
        ("newest", base.clone()),
        ("newest, next page", ListFilter { after: Some(Cursor::Newest(t, 1000)), ..base.clone() }),
        ("one status", ListFilter { statuses: vec!["closed"], ..base.clone() }),
        ("two statuses", ListFilter { statuses: vec!["closed", "resolved"], ..base.clone() }),
        ("open", open.clone()),
        ("open, next page", ListFilter { after: Some(Cursor::Newest(t, 1000)), ..open.clone() }),
        ("category", ListFilter { category: Some("dispute.neighbor".into()), ..base.clone() }),
        ("priority", ListFilter { priority: Some(1), ..base.clone() }),
        ("time window", ListFilter { from: Some(t - Duration::days(7)), to: Some(t), ..base.clone() }),
        ("since", ListFilter { from: Some(t), ..base.clone() }),
        ("grid", ListFilter { grid: Some(grid.clone()), ..base.clone() }),
        ("village", ListFilter { unit: Some(grid[..12].to_owned()), ..base.clone() }),
        ("township", ListFilter { unit: Some(grid[..9].to_owned()), ..base.clone() }),
        ("county", ListFilter { unit: Some(grid[..6].to_owned()), ..base.clone() }),
        ("bbox", ListFilter { bbox, ..base.clone() }),
        ("overdue", ListFilter { overdue: true, ..base.clone() }),
        ("unassigned", ListFilter { unassigned: true, ..base.clone() }),
        ("by deadline", ListFilter { sort: Sort::Deadline, ..base.clone() }),
        (
            "by deadline, next page",
            ListFilter { sort: Sort::Deadline, after: Some(Cursor::Deadline(t, 5)), ..base.clone() },
        ),
        ("by priority", ListFilter { sort: Sort::Priority, ..base.clone() }),
        (
            "by priority, next page",
            ListFilter { sort: Sort::Priority, after: Some(Cursor::Priority(2, Some(t), 5)), ..base.clone() },
        ),
        (
            "by priority, next page past deadlines",
            ListFilter { sort: Sort::Priority, after: Some(Cursor::Priority(3, None, 5)), ..base.clone() },
        ),
        // What the Dispatch workspace sends.
        ("open in view", ListFilter { bbox, ..open.clone() }),
        ("open in view by priority", ListFilter { bbox, sort: Sort::Priority, ..open.clone() }),
        ("open in view by deadline, overdue", ListFilter { bbox, sort: Sort::Deadline, overdue: true, ..open.clone() }),
        (
            "open unassigned of a category in a county",
            ListFilter {
                unassigned: true,
                category: Some("citizen.infrastructure".into()),
                unit: Some(grid[..6].to_owned()),
                ..open.clone()
            },
        ),
        ("new, priority 1", ListFilter { statuses: vec!["new"], priority: Some(1), ..base.clone() }),
    ];
    // A county-scoped dispatcher's lists carry the county filter on top.
    let county = Scope::new(Some((grid[..6].to_owned(), "county".into())));
    let mut failures = Vec::new();
    for scope in [&Scope::City, &county] {
        for (name, filter) in &cases {
            filter.check().unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let plan = explain(&mut conn, scope, filter, now).await.unwrap();
            let mut scans = Vec::new();
            seq_scans_of_incidents(&plan, &mut scans);
            if !scans.is_empty() {
                failures.push(format!("{name} ({scope:?}): sequential scan of incidents\n{plan:#}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
