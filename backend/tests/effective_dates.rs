//! Plans committed for a later instant (`effective_from`): nothing changes before their time,
//! the future partition shows `as_of`; at their time the scheduler commits them exactly once
//! (two backends on one database, an injected clock) with the effects of an immediate commit —
//! or marks them failed when a grid moved meanwhile. Conflicts (a revert's too), cancelling,
//! bad input.
//! Expected answers come from SQL written here.

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use citygrid::planning::schedule::{self, Applied};
use common::{assert_error, eventually, spawn_app, spawn_app_on, TestApp};
use serde_json::{json, Value};
use sqlx::PgPool;

/// Two single-polygon neighbours of one village sharing one edge (`skip` picks another pair,
/// `avoid` excludes a village).
async fn neighbours(pool: &PgPool, skip: i64, avoid: Option<&str>) -> (String, String, i32, i32) {
    sqlx::query_as(
        "select a.code, b.code, a.version, b.version from current_grids a
         join current_grids b on b.village_code = a.village_code and a.code < b.code and b.geom && a.geom
              and st_relate(a.geom, b.geom, 'F***1****')
              and st_numgeometries(st_linemerge(st_intersection(st_boundary(a.geom), st_boundary(b.geom)))) = 1
         where st_numgeometries(a.geom) = 1 and st_numgeometries(b.geom) = 1
           and exists (select 1 from buildings x where x.grid_code = b.code)
           and a.village_code is distinct from $2
         order by a.code, b.code offset $1 limit 1",
    )
    .bind(skip)
    .bind(avoid)
    .fetch_one(pool)
    .await
    .expect("two neighbours")
}

async fn interior_point(pool: &PgPool, code: &str) -> (f64, f64) {
    sqlx::query_as(
        "select st_x(p), st_y(p) from (select st_pointonsurface(geom) p from current_grids where code = $1) s",
    )
    .bind(code)
    .fetch_one(pool)
    .await
    .expect("point")
}

async fn i64_of(pool: &PgPool, sql: &str, code: &str) -> i64 {
    sqlx::query_scalar(sql).bind(code).fetch_one(pool).await.expect(sql)
}

async fn status(pool: &PgPool, plan: i64) -> String {
    sqlx::query_scalar("select status from plans where id = $1").bind(plan).fetch_one(pool).await.expect("status")
}

async fn grids_layer(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select version::bigint from layer_versions where layer = 'grids'")
        .fetch_one(pool)
        .await
        .expect("layer version")
}

async fn draft_merge(app: &TestApp, token: &str, a: &str, b: &str, va: i32, vb: i32) -> i64 {
    let body = json!({"operation": "merge", "grids": [a, b], "note": "定时生效",
                      "base_versions": {a: va, b: vb}});
    let (s, draft) = app.post("/api/plans", Some(token), &body).await;
    assert_eq!(s, 201, "{draft}");
    draft["id"].as_i64().expect("id")
}

async fn route(app: &TestApp, token: &str, lon: f64, lat: f64, at: Option<&str>) -> Value {
    let mut req = json!({"lon": lon, "lat": lat, "category": "dispute.neighbor"});
    if let Some(t) = at {
        req["at"] = json!(t);
    }
    let (s, r) = app.post("/api/route", Some(token), &req).await;
    assert_eq!(s, 200, "{r}");
    r["grid"].clone()
}

fn shanghai(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset")).to_rfc3339()
}

#[tokio::test]
async fn a_scheduled_merge_waits_for_its_time_then_two_backends_apply_it_once() {
    let app = spawn_app().await;
    // A second backend on the same database, with its own routing engine.
    let other = spawn_app_on(app.pool.clone(), "http://127.0.0.1:9".into()).await;
    let planner = app.login("planner").await;
    let dispatcher = app.login("dispatcher").await;
    let (a, b, va, vb) = neighbours(&app.pool, 0, None).await;
    let (lon, lat) = interior_point(&app.pool, &b).await;
    let (s, inc) = app
        .post(
            "/api/incidents",
            Some(&dispatcher),
            &json!({"lon": lon, "lat": lat, "category": "dispute.neighbor", "source": "hotline",
                    "description": "定时生效的合并"}),
        )
        .await;
    assert_eq!(s, 201, "{inc}");
    let incident = inc["incident"]["id"].as_i64().expect("id");
    let buildings_in_b = i64_of(&app.pool, "select count(*) from buildings where grid_code = $1", &b).await;
    let open_in_b = i64_of(
        &app.pool,
        "select count(*) from incidents where grid_code = $1 and status not in ('resolved', 'closed')",
        &b,
    )
    .await;
    // The oracle for the merged boundary: the union of today's two, in SQL.
    let union_m2: f64 =
        sqlx::query_scalar("select st_area(st_union(geom)::geography) from current_grids where code = any($1)")
            .bind([&a, &b])
            .fetch_one(&app.pool)
            .await
            .expect("area");

    let plan = draft_merge(&app, &planner, &a, &b, va, vb).await;
    let effective = (Utc::now() + TimeDelta::hours(2)).with_nanosecond_zeroed();
    let layer_before = grids_layer(&app.pool).await;
    let (s, scheduled) = app
        .post(&format!("/api/plans/{plan}/commit"), Some(&planner), &json!({"effective_from": shanghai(effective)}))
        .await;
    assert_eq!(s, 200, "{scheduled}");
    assert_eq!(scheduled["status"], "scheduled");
    let t = |v: &Value| DateTime::parse_from_rfc3339(v.as_str().expect("time")).expect("rfc 3339");
    assert_eq!(t(&scheduled["effective_from"]), effective);
    assert!(grids_layer(&app.pool).await > layer_before, "future tiles change");

    // Before its time nothing moved: versions, buildings, routing (now, and at an instant before).
    assert_eq!(
        i64_of(&app.pool, "select count(*) from grid_versions where plan_id is not null and grid_code = $1", &a).await,
        0
    );
    assert_eq!(i64_of(&app.pool, "select count(*) from buildings where grid_code = $1", &b).await, buildings_in_b);
    assert_eq!(schedule::apply_due(&app.pool, Utc::now()).await.expect("round"), vec![]);
    assert_eq!(status(&app.pool, plan).await, "scheduled");
    let just_before = shanghai(effective - TimeDelta::seconds(1));
    for r in
        [route(&app, &dispatcher, lon, lat, None).await, route(&other, &dispatcher, lon, lat, Some(&just_before)).await]
    {
        assert_eq!((r["code"].as_str(), r["version"].as_i64()), (Some(b.as_str()), Some(i64::from(vb))), "{r}");
    }
    // As of the effective instant, the future partition: b is gone, a is the union.
    let at = shanghai(effective);
    let r = route(&app, &dispatcher, lon, lat, Some(&at)).await;
    assert_eq!((r["code"].as_str(), r["version"].as_i64()), (Some(a.as_str()), Some(i64::from(va) + 1)), "{r}");
    let q = |code: &str, when: &str| format!("/api/grids/{code}?as_of={}", urlencode(when));
    let (s, gone) = app.get(&q(&b, &at), Some(&planner)).await;
    assert_eq!(s, 404, "{gone}");
    let (s, was) = app.get(&q(&b, &just_before), Some(&planner)).await;
    assert_eq!(s, 200, "{was}");
    assert_eq!(was["properties"]["version"], vb, "{was}");
    let (s, merged) = app.get(&q(&a, &at), Some(&planner)).await;
    assert_eq!(s, 200, "{merged}");
    assert_eq!(merged["properties"]["version"], va + 1, "{merged}");
    let merged_m2: f64 = sqlx::query_scalar("select st_area(st_geomfromgeojson($1)::geography)")
        .bind(merged["geometry"].to_string())
        .fetch_one(&app.pool)
        .await
        .expect("area");
    assert!((merged_m2 - union_m2).abs() < 1.0, "{merged_m2} vs {union_m2}");
    // The current version ends, in `grids_at`, where the scheduled one begins.
    let ends: DateTime<Utc> = sqlx::query_scalar("select valid_to from grids_at(now()) where code = $1")
        .bind(&b)
        .fetch_one(&app.pool)
        .await
        .expect("end");
    assert_eq!(ends, effective);

    // Two schedulers (one per backend) on a clock the test moves past the effective time.
    let clock_ms = Arc::new(AtomicI64::new(Utc::now().timestamp_millis()));
    let clock = |c: Arc<AtomicI64>| -> schedule::Clock {
        Arc::new(move || DateTime::from_timestamp_millis(c.load(Ordering::SeqCst)).expect("time"))
    };
    let tasks: Vec<_> = [app.pool.clone(), other.pool.clone()]
        .into_iter()
        .map(|pool| tokio::spawn(schedule::run(pool, Duration::from_millis(50), clock(Arc::clone(&clock_ms)))))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(status(&app.pool, plan).await, "scheduled", "not before its time");
    clock_ms.store((effective + TimeDelta::seconds(3)).timestamp_millis(), Ordering::SeqCst);
    eventually("the scheduled plan takes effect", Duration::from_mins(1), || async {
        (status(&app.pool, plan).await == "committed").then_some(())
    })
    .await;
    // Let both schedulers run more rounds before looking for a second application.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for task in tasks {
        task.abort();
    }

    // Exactly once, with what an immediate commit does, checked in SQL.
    let audit: Vec<String> =
        sqlx::query_scalar("select action from audit_log where entity = 'plan' and $1 = any(entity_ids) order by id")
            .bind(plan.to_string())
            .fetch_all(&app.pool)
            .await
            .expect("audit");
    assert_eq!(audit, ["create", "schedule", "commit"]);
    let versions: Vec<VersionRow> = sqlx::query_as(
        "select version, valid_from, valid_to, plan_id from grid_versions where grid_code = $1 and version >= $2 order by version",
    )
    .bind(&a)
    .bind(va)
    .fetch_all(&app.pool)
    .await
    .expect("versions");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!(versions[0].2, Some(effective), "the old version ends at the effective time");
    assert_eq!((versions[1].0, versions[1].1, versions[1].2, versions[1].3), (va + 1, effective, None, Some(plan)));
    let (retired_at, last_to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = sqlx::query_as(
        "select g.retired_at, (select valid_to from grid_versions v where v.grid_code = g.code order by version desc limit 1)
         from grids g where g.code = $1",
    )
    .bind(&b)
    .fetch_one(&app.pool)
    .await
    .expect("retired");
    assert_eq!((retired_at, last_to), (Some(effective), Some(effective)));
    assert_eq!(i64_of(&app.pool, "select count(*) from buildings where grid_code = $1", &b).await, 0);
    let moved: (i64, i64) = sqlx::query_as(
        "select count(*) filter (where kind = 'building'), count(*) filter (where kind = 'incident')
         from plan_moves where plan_id = $1 and from_grid = $2 and to_grid = $3",
    )
    .bind(plan)
    .bind(&b)
    .bind(&a)
    .fetch_one(&app.pool)
    .await
    .expect("moves");
    assert_eq!(moved, (buildings_in_b, open_in_b));
    let events: Vec<(Option<i64>, Option<String>, Option<String>)> = sqlx::query_as(
        "select plan_id, from_grid, to_grid from incident_events where incident_id = $1 and action = 'moved'",
    )
    .bind(incident)
    .fetch_all(&app.pool)
    .await
    .expect("events");
    assert_eq!(events, [(Some(plan), Some(b.clone()), Some(a.clone()))]);
    // Both in-memory engines follow through NOTIFY, without anyone acting.
    for backend in [&app, &other] {
        eventually("the engine routes into the merged grid", Duration::from_secs(30), || async {
            let r = route(backend, &dispatcher, lon, lat, None).await;
            (r["code"] == a.as_str() && r["version"] == va + 1).then_some(())
        })
        .await;
    }
    // Nothing is left to do, and the plan reads as committed with its time.
    assert_eq!(schedule::apply_due(&app.pool, effective + TimeDelta::days(1)).await.expect("round"), vec![]);
    let (s, p) = app.get(&format!("/api/plans/{plan}"), Some(&planner)).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!((p["status"].as_str(), t(&p["effective_from"])), (Some("committed"), effective.into()), "{p}");
}

#[tokio::test]
async fn scheduled_plans_conflict_cancel_fail_visibly_and_refuse_bad_times() {
    let app = spawn_app().await;
    let planner = app.login("planner").await;
    let (a, b, va, vb) = neighbours(&app.pool, 1, None).await;
    let plan = draft_merge(&app, &planner, &a, &b, va, vb).await;
    let commit = |body: Value| {
        let (app, token) = (&app, &planner);
        async move { app.post(&format!("/api/plans/{plan}/commit"), Some(token), &body).await }
    };
    let now = Utc::now();
    for (body, needle) in [
        (json!({"effective_from": "tomorrow"}), "RFC 3339"),
        (json!({"effective_from": "2026-13-01T00:00:00+08:00"}), "RFC 3339"),
        (json!({"effective_from": shanghai(now - TimeDelta::hours(1))}), "in the past"),
        (json!({"effective_from": shanghai(now + TimeDelta::days(400))}), "days ahead"),
    ] {
        let (s, e) = commit(body.clone()).await;
        assert_error(s, &e, 422, needle);
        assert_eq!(
            (e["error"]["code"].as_str(), e["error"]["field"].as_str()),
            (Some("invalid_value"), Some("effective_from")),
            "{body}: {e}"
        );
    }
    let (s, e) = commit(json!({"effective_from": 5})).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["code"], "invalid_body", "{e}");
    assert_eq!(status(&app.pool, plan).await, "draft", "refusals change nothing");

    let effective = (now + TimeDelta::days(3)).with_nanosecond_zeroed();
    let (s, p) = commit(json!({"effective_from": shanghai(effective)})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "scheduled");
    let (s, e) = commit(json!({})).await;
    assert_error(s, &e, 409, "scheduled");
    let (s, list) = app.get("/api/plans?status=scheduled", Some(&planner)).await;
    assert_eq!(s, 200, "{list}");
    assert!(list["items"].as_array().expect("items").iter().any(|p| p["id"] == plan), "{list}");
    // Every grid the plan holds (neighbours it only nodes or recolours too) lists it on its card.
    let held: Vec<String> = sqlx::query_scalar("select grid_code from plan_grids where plan_id = $1")
        .bind(plan)
        .fetch_all(&app.pool)
        .await
        .expect("plan grids");
    for code in &held {
        let (s, list) = app.get(&format!("/api/plans?status=scheduled&grid={code}"), Some(&planner)).await;
        assert_eq!(s, 200, "{list}");
        assert!(list["items"].as_array().expect("items").iter().any(|p| p["id"] == plan), "{code}: {list}");
    }

    // A new draft touching its grids is refused, naming the grid and the plan.
    let body =
        json!({"operation": "merge", "grids": [a, b], "note": "冲突", "base_versions": {a.clone(): va, b.clone(): vb}});
    let (s, e) = app.post("/api/plans", Some(&planner), &body).await;
    assert_error(s, &e, 409, &plan.to_string());
    assert!([a.as_str(), b.as_str()].contains(&e["error"]["details"]["grid"].as_str().expect("grid")), "{e}");
    assert_eq!(e["error"]["details"]["plan_id"], plan, "{e}");

    // Cancelled: the future partition keeps b again, and a new draft is accepted.
    let after = format!("/api/grids/{b}?as_of={}", urlencode(&shanghai(effective + TimeDelta::hours(1))));
    assert_eq!(app.get(&after, Some(&planner)).await.0, 404);
    let layer = grids_layer(&app.pool).await;
    let (s, p) = app.post(&format!("/api/plans/{plan}/discard"), Some(&planner), &json!({})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "discarded");
    assert!(grids_layer(&app.pool).await > layer);
    let (s, g) = app.get(&after, Some(&planner)).await;
    assert_eq!((s, g["properties"]["version"].as_i64()), (200, Some(i64::from(vb))), "{g}");
    let (s, e) = app.post(&format!("/api/plans/{plan}/discard"), Some(&planner), &json!({})).await;
    assert_error(s, &e, 409, "discarded");
    let again = draft_merge(&app, &planner, &a, &b, va, vb).await;

    // Scheduled, then b moves on (a new version loaded behind the planner's back): at its time
    // the plan fails visibly and nothing of it is applied.
    let (s, p) = app
        .post(&format!("/api/plans/{again}/commit"), Some(&planner), &json!({"effective_from": shanghai(effective)}))
        .await;
    assert_eq!(s, 200, "{p}");
    sqlx::query(
        "with closed as (update grid_versions set valid_to = now() where grid_code = $1 and valid_to is null returning geom)
         insert into grid_versions (grid_code, version, valid_from, geom) select $1, $2, now(), geom from closed",
    )
    .bind(&b)
    .bind(vb + 1)
    .execute(&app.pool)
    .await
    .expect("another version of b");
    assert_eq!(schedule::apply_due(&app.pool, effective - TimeDelta::seconds(1)).await.expect("round"), vec![]);
    let done = schedule::apply_due(&app.pool, effective).await.expect("round");
    assert!(matches!(&done[..], [Applied::Failed(id, reason)] if *id == again && reason.contains(&b)), "{done:?}");
    let (s, p) = app.get(&format!("/api/plans/{again}"), Some(&planner)).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "failed");
    assert!(p["failure"].as_str().expect("failure").contains(&b), "{p}");
    assert_eq!(
        i64_of(&app.pool, "select count(*) from grid_versions where grid_code = $1 and plan_id is not null", &a).await,
        0
    );
    let current: Vec<String> = sqlx::query_scalar("select code from current_grids where code = any($1) order by code")
        .bind([&a, &b])
        .fetch_all(&app.pool)
        .await
        .expect("current");
    assert_eq!(current, [a.clone(), b.clone()]);
    let audit: Vec<String> =
        sqlx::query_scalar("select action from audit_log where entity = 'plan' and $1 = any(entity_ids) order by id")
            .bind(again.to_string())
            .fetch_all(&app.pool)
            .await
            .expect("audit");
    assert_eq!(audit, ["create", "schedule", "fail"]);
}

#[tokio::test]
async fn a_plan_the_database_refuses_fails_and_the_plans_after_it_still_apply() {
    let app = spawn_app().await;
    let planner = app.login("planner").await;
    let (a, b, va, vb) = neighbours(&app.pool, 0, None).await;
    let village: String = sqlx::query_scalar("select village_code from grids where code = $1")
        .bind(&a)
        .fetch_one(&app.pool)
        .await
        .expect("village");
    let (c, d, vc, vd) = neighbours(&app.pool, 0, Some(&village)).await;
    let first = draft_merge(&app, &planner, &a, &b, va, vb).await;
    let second = draft_merge(&app, &planner, &c, &d, vc, vd).await;
    let effective = (Utc::now() + TimeDelta::hours(2)).with_nanosecond_zeroed();
    for (plan, at) in [(first, effective), (second, effective + TimeDelta::minutes(1))] {
        let (s, p) = app
            .post(&format!("/api/plans/{plan}/commit"), Some(&planner), &json!({"effective_from": shanghai(at)}))
            .await;
        assert_eq!((s, p["status"].as_str()), (200, Some("scheduled")), "{p}");
    }
    // The database refuses the first plan's new version of a (a fault this test injects).
    sqlx::raw_sql(&format!(
        "create function refuse_a() returns trigger language plpgsql as $$
         begin raise exception 'injected refusal for %', new.grid_code; end $$;
         create trigger refuse_a before insert on grid_versions for each row
         when (new.grid_code = '{a}') execute function refuse_a();"
    ))
    .execute(&app.pool)
    .await
    .expect("fault");

    let done = schedule::apply_due(&app.pool, effective + TimeDelta::minutes(2)).await.expect("round");
    assert!(
        matches!(&done[..], [Applied::Failed(f, reason), Applied::Committed(s)]
            if *f == first && *s == second && reason.contains("injected refusal")),
        "{done:?}"
    );
    assert_eq!(
        (status(&app.pool, first).await, status(&app.pool, second).await),
        ("failed".into(), "committed".into())
    );
    let (s, p) = app.get(&format!("/api/plans/{first}"), Some(&planner)).await;
    assert!(p["failure"].as_str().is_some_and(|f| f.contains("database refused")), "{s} {p}");
    // Nothing of the first stayed; the second merged c and d.
    let current: Vec<String> = sqlx::query_scalar("select code from current_grids where code = any($1) order by code")
        .bind([&a, &b, &c, &d])
        .fetch_all(&app.pool)
        .await
        .expect("current");
    let mut kept = vec![a.clone(), b.clone(), c.clone()];
    kept.sort();
    assert_eq!(current, kept);
    assert_eq!(
        i64_of(&app.pool, "select count(*) from grid_versions where grid_code = $1 and plan_id is not null", &a).await,
        0
    );
}

#[tokio::test]
async fn a_revert_waits_for_the_plans_scheduled_on_its_grids() {
    let app = spawn_app().await;
    let planner = app.login("planner").await;
    let (a, b, va, vb) = neighbours(&app.pool, 2, None).await;
    let first = draft_merge(&app, &planner, &a, &b, va, vb).await;
    let (s, p) = app.post(&format!("/api/plans/{first}/commit"), Some(&planner), &json!({})).await;
    assert_eq!((s, p["status"].as_str()), (200, Some("committed")), "{p}");
    // The merged a and a one-polygon neighbour c of its village: their merge is scheduled.
    let (c, va2, vc): (String, i32, i32) = sqlx::query_as(
        "select c.code, a.version, c.version from current_grids a
         join current_grids c on c.village_code = a.village_code and c.code <> a.code and c.geom && a.geom
              and st_relate(a.geom, c.geom, 'F***1****')
         where a.code = $1 and st_numgeometries(c.geom) = 1 order by c.code limit 1",
    )
    .bind(&a)
    .fetch_one(&app.pool)
    .await
    .expect("a neighbour of the merged grid");
    let second = draft_merge(&app, &planner, &a, &c, va2, vc).await;
    let at = (Utc::now() + TimeDelta::hours(2)).with_nanosecond_zeroed();
    let (s, p) = app
        .post(&format!("/api/plans/{second}/commit"), Some(&planner), &json!({"effective_from": shanghai(at)}))
        .await;
    assert_eq!((s, p["status"].as_str()), (200, Some("scheduled")), "{p}");

    // Reverting the first would undo the grid the second was drafted on: refused, naming it.
    let revert = format!("/api/plans/{first}/revert");
    let (s, e) = app.post(&revert, Some(&planner), &json!({})).await;
    assert_error(s, &e, 409, &second.to_string());
    assert_eq!(e["error"]["details"]["plan_id"], second, "{e}");
    let shared: String = sqlx::query_scalar(
        "select p.grid_code from plan_grids p join plan_grids q on q.grid_code = p.grid_code
         where p.plan_id = $1 and q.plan_id = $2 order by 1 limit 1",
    )
    .bind(first)
    .bind(second)
    .fetch_one(&app.pool)
    .await
    .expect("a grid both plans hold");
    assert_eq!(e["error"]["details"]["grid"], shared.as_str(), "{e}");
    assert_eq!(
        (status(&app.pool, first).await, status(&app.pool, second).await),
        ("committed".into(), "scheduled".into())
    );
    let reverts: i64 = sqlx::query_scalar("select count(*) from plans where reverts = $1")
        .bind(first)
        .fetch_one(&app.pool)
        .await
        .expect("reverting plans");
    assert_eq!(reverts, 0, "a refused revert leaves no plan behind");

    // Once the scheduled plan is cancelled the revert goes through and b is back.
    let (s, p) = app.post(&format!("/api/plans/{second}/discard"), Some(&planner), &json!({})).await;
    assert_eq!(s, 200, "{p}");
    let (s, p) = app.post(&revert, Some(&planner), &json!({})).await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(status(&app.pool, first).await, "reverted");
    let current: Vec<String> = sqlx::query_scalar("select code from current_grids where code = any($1) order by code")
        .bind([&a, &b])
        .fetch_all(&app.pool)
        .await
        .expect("current");
    assert_eq!(current, [a.clone(), b.clone()]);
}

/// A version: number, valid from, valid to, plan.
type VersionRow = (i32, DateTime<Utc>, Option<DateTime<Utc>>, Option<i64>);

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

trait Zeroed {
    fn with_nanosecond_zeroed(self) -> Self;
}

impl Zeroed for DateTime<Utc> {
    /// Whole seconds, so the instant survives RFC 3339 text and PostgreSQL's microseconds alike.
    fn with_nanosecond_zeroed(self) -> Self {
        DateTime::from_timestamp(self.timestamp(), 0).expect("time")
    }
}
