//! Dispatch against real PostGIS: the in-memory engine, the batch endpoint and PostGIS agree on
//! point → grid; routing answers; incidents, their state machine, escalation and duplicates;
//! two backend processes stay consistent after a boundary edit.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use citygrid::incidents::escalate_due;
use citygrid::routing::Engine;
use common::{assert_error, spawn_app};
use rand::{Rng as _, SeedableRng as _};
use serde_json::{json, Value};

/// PostGIS's answer for many points at once, with the engine's boundary rule.
async fn postgis_grids(pool: &sqlx::PgPool, points: &[[f64; 2]]) -> Vec<Option<String>> {
    let xs: Vec<f64> = points.iter().map(|p| p[0]).collect();
    let ys: Vec<f64> = points.iter().map(|p| p[1]).collect();
    sqlx::query_scalar(
        "select g.code from unnest($1::float8[], $2::float8[]) with ordinality p(x, y, i)
         left join lateral (
             select code from current_grids
             where st_covers(geom, st_setsrid(st_makepoint(p.x, p.y), 4326)) order by code limit 1
         ) g on true
         order by p.i",
    )
    .bind(&xs)
    .bind(&ys)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// 100,000 random points over and around the city, plus grid vertices (on shared boundaries)
/// and edge midpoints.
async fn oracle_points(pool: &sqlx::PgPool) -> Vec<[f64; 2]> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (x0, y0, x1, y1): (f64, f64, f64, f64) = sqlx::query_as(
        "select st_xmin(e) - 0.02, st_ymin(e) - 0.02, st_xmax(e) + 0.02, st_ymax(e) + 0.02
         from (select st_extent(geom)::geometry as e from current_grids) s",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let mut points: Vec<[f64; 2]> =
        (0..100_000).map(|_| [rng.random_range(x0..x1), rng.random_range(y0..y1)]).collect();
    // Vertices of every 7th grid: each lies on the boundary of two or more grids.
    let vertices: Vec<(f64, f64)> = sqlx::query_as(
        "select st_x(d.geom), st_y(d.geom) from (select geom from current_grids where abs(hashtext(code)) % 7 = 0) g,
         lateral st_dumppoints(g.geom) d",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    points.extend(vertices.iter().map(|&(x, y)| [x, y]));
    // Midpoints of consecutive vertices: on the edge where the arithmetic is exact, a hair off
    // it elsewhere; either way both sides must agree.
    points.extend(vertices.windows(2).map(|w| [f64::midpoint(w[0].0, w[1].0), f64::midpoint(w[0].1, w[1].1)]));
    points
}

#[tokio::test]
async fn engine_batch_endpoint_and_postgis_agree() {
    let app = spawn_app().await;
    let engine = Engine::load(&app.pool).await.unwrap();
    let points = oracle_points(&app.pool).await;
    let expected = postgis_grids(&app.pool, &points).await;
    let inside = expected.iter().filter(|g| g.is_some()).count();
    assert!(inside > 10_000 && inside < points.len() - 10_000, "points across and outside the city: {inside}");

    let from_engine = engine.locate_batch(&points);
    for (i, (e, p)) in from_engine.iter().zip(&expected).enumerate() {
        assert_eq!(e, p, "point {i} {:?}: engine vs PostGIS", points[i]);
    }

    let token = app.login("dispatcher").await;
    for (k, chunk) in points.chunks(100_000).enumerate() {
        let (s, body) = app.post("/api/route/batch", Some(&token), &json!({ "points": chunk })).await;
        assert_eq!(s, 200);
        let grids: Vec<Option<String>> = serde_json::from_value(body["grids"].clone()).unwrap();
        for (i, (got, want)) in grids.iter().zip(&expected[k * 100_000..]).enumerate() {
            assert_eq!(got, want, "point {:?}: batch endpoint vs PostGIS", chunk[i]);
        }
        assert_eq!(grids.len(), chunk.len());
    }
}

/// A camera and a point 10 m in front of it.
async fn camera_and_target(pool: &sqlx::PgPool) -> (i64, [f64; 2]) {
    let (id, lon, lat): (i64, f64, f64) = sqlx::query_as(
        "select id, st_x(t), st_y(t) from (
             select id, st_project(geom::geography, 10, radians(heading_deg))::geometry as t
             from cameras where fov_deg < 360 and range_m > 20 and status = 'online' order by id limit 1) c",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    (id, [lon, lat])
}

#[tokio::test]
async fn a_route_names_grid_chain_cameras_and_mediation() {
    let app = spawn_app().await;
    let token = app.login("dispatcher").await;
    let (camera, [lon, lat]) = camera_and_target(&app.pool).await;
    let (s, r) =
        app.post("/api/route", Some(&token), &json!({"lon": lon, "lat": lat, "category": "dispute.neighbor"})).await;
    assert_eq!(s, 200, "{r}");
    let code = r["grid"]["code"].as_str().unwrap();
    let expected = postgis_grids(&app.pool, &[[lon, lat]]).await;
    assert_eq!(expected[0].as_deref(), Some(code));

    let steps = r["escalation"].as_array().unwrap();
    let levels: Vec<&str> = steps.iter().map(|s| s["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["grid", "village", "township", "county"]);
    for (i, s) in steps.iter().enumerate() {
        assert!(code.starts_with(s["code"].as_str().unwrap()), "{s}");
        assert_eq!(s["step"], i);
        assert!(!s["responsible"].as_str().unwrap().is_empty());
        assert_eq!(s["deadline_hours"].is_number(), i < 3, "{s}");
    }
    assert_eq!(steps[0]["responsible"], r["grid_worker"]["name"]);

    let seeing = r["cameras_seeing"].as_array().unwrap();
    assert!(seeing.iter().any(|c| c["id"] == camera && c["sees_point"] == true), "camera {camera} looks at the point");
    assert!(seeing.windows(2).all(|w| w[0]["distance_m"].as_f64() <= w[1]["distance_m"].as_f64()));
    // PostGIS as the oracle for the sector test, in both directions; only online cameras see.
    // Geodesics (PostGIS) and the camera's tangent frame (the engine) may round apart right at a
    // sector's border, so cameras within 1 % of their range limit, or within 0.5° of their
    // sector's edge, may go either way and are left out.
    let oracle: Vec<(i64, bool)> = sqlx::query_as(
        "with p as (select st_setsrid(st_makepoint($1, $2), 4326) as g),
         c as (select c.id, c.status, c.range_m, c.fov_deg, st_distance(c.geom::geography, p.g::geography) as d,
                      abs(mod((degrees(st_azimuth(c.geom::geography, p.g::geography)) - c.heading_deg + 540)::numeric, 360) - 180)::float8 as off
               from cameras c, p where st_dwithin(c.geom::geography, p.g::geography, c.range_m * 1.01))
         select id, (status = 'online' and d < range_m * 0.99 and (fov_deg >= 360 or off < fov_deg / 2 - 0.5)) as sees
         from c where abs(d - range_m) >= 0.01 * range_m and (fov_deg >= 360 or abs(off - fov_deg / 2) >= 0.5)
         order by id",
    )
    .bind(lon)
    .bind(lat)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let listed_seeing: Vec<i64> =
        seeing.iter().filter(|c| c["sees_point"] == true).map(|c| c["id"].as_i64().unwrap()).collect();
    for (id, sees) in oracle {
        assert_eq!(listed_seeing.contains(&id), sees, "camera {id}: PostGIS says it sees the point: {sees}");
    }

    let m = &r["mediation"];
    assert!(m["room_name"].is_string(), "{r}");
    let mediators = m["mediators"].as_array().unwrap();
    assert!(!mediators.is_empty());
    assert!(mediators.iter().all(|x| x["specialties"].as_array().unwrap().iter().any(|s| s == "dispute.neighbor")));

    // No category: no deadlines, duplicates or mediation.
    let (_, r) = app.post("/api/route", Some(&token), &json!({"lon": lon, "lat": lat})).await;
    assert!(r["escalation"][0]["deadline_hours"].is_null());
    assert!(r["mediation"].is_null());
}

#[tokio::test]
async fn a_point_on_hongze_lake_routes_to_its_water_grid() {
    let app = spawn_app().await;
    let token = app.login("dispatcher").await;
    // Deep in Hongze Lake (洪泽湖), some 8 km from its shores and the city border.
    let [lon, lat] = [118.72, 33.24];
    let (s, r) =
        app.post("/api/route", Some(&token), &json!({"lon": lon, "lat": lat, "category": "alarm.crowd"})).await;
    assert_eq!(s, 200, "{r}");
    let code = r["grid"]["code"].as_str().unwrap();
    assert_eq!(postgis_grids(&app.pool, &[[lon, lat]]).await[0].as_deref(), Some(code));
    let (kind, name): (String, String) =
        sqlx::query_as("select kind, name from grids where code = $1").bind(code).fetch_one(&app.pool).await.unwrap();
    assert_eq!(kind, "water", "{code} {name}");
    assert!(name.contains("洪泽湖"), "{name}");
    // Its responsible unit: the grid's worker, then the village, township and county centre.
    assert!(r["grid_worker"]["name"].is_string(), "{r}");
    let levels: Vec<&str> = r["escalation"].as_array().unwrap().iter().map(|s| s["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["grid", "village", "township", "county"]);
    assert!(r["escalation"][3]["code"].as_str().unwrap().starts_with("3208"), "{r}");
}

#[tokio::test]
async fn points_outside_the_city_and_bad_input() {
    let app = spawn_app().await;
    let token = app.login("dispatcher").await;
    let (s, b) = app.post("/api/route", Some(&token), &json!({"lon": 121.47, "lat": 31.23})).await;
    assert_error(s, &b, 422, "outside every grid");
    assert!(b["error"]["details"]["nearest_grid"]["code"].as_str().unwrap().starts_with("3208"));
    assert!(b["error"]["details"]["distance_m"].as_f64().unwrap() > 100_000.0);

    for (body, status, needle) in [
        (json!({"lon": "abc", "lat": 33.6}), 422, "lon"),
        (json!({"lon": 200.0, "lat": 33.6}), 400, "lon 200"),
        (json!({"lon": 119.0, "lat": -91.0}), 400, "lat -91"),
        (json!({"lon": 119.0, "lat": 33.6, "category": "alarm.unicorn"}), 422, "category"),
        (json!({"lon": 119.0, "lat": 33.6, "priority": 9}), 422, "priority"),
    ] {
        let (s, b) = app.post("/api/route", Some(&token), &body).await;
        assert_error(s, &b, status, needle);
    }
    let too_many = vec![[119.0, 33.6]; 100_001];
    let (s, b) = app.post("/api/route/batch", Some(&token), &json!({ "points": too_many })).await;
    assert_error(s, &b, 413, "at most 100000");
    let (s, b) = app.post("/api/route/batch", Some(&token), &json!({"points": [[119.0, 33.6], [500.0, 1.0]]})).await;
    assert_error(s, &b, 400, "points[1]");

    let incident = |description: String| json!({"lon": 119.02, "lat": 33.6, "category": "citizen.environment", "source": "hotline", "description": description});
    let (s, b) = app.post("/api/incidents", Some(&token), &incident("x".repeat(4001))).await;
    assert_error(s, &b, 413, "description");
    let (s, b) = app
        .post(
            "/api/incidents",
            Some(&token),
            &json!({"lon": 119.02, "lat": 33.6,
        "category": "citizen.environment", "source": "pigeon", "description": "x"}),
        )
        .await;
    assert_error(s, &b, 422, "source");
    let (s, b) = app
        .post(
            "/api/incidents",
            Some(&token),
            &json!({"lon": 119.02, "lat": 33.6,
        "category": "citizen.environment", "source": "hotline", "description": "x", "reported_at": "yesterday"}),
        )
        .await;
    assert_error(s, &b, 400, "reported_at");
    let (s, b) = app.get("/api/incidents?status=lost", Some(&token)).await;
    assert_error(s, &b, 400, "status");
    let (s, b) = app.get("/api/incidents?cursor=zzz", Some(&token)).await;
    assert_error(s, &b, 400, "cursor");
}

/// Registers an incident at a real point inside the city; returns its id and the routing.
async fn report(app: &common::TestApp, token: &str, at: [f64; 2], category: &str) -> (i64, Value) {
    let (s, b) = app
        .post(
            "/api/incidents",
            Some(token),
            &json!({"lon": at[0], "lat": at[1], "category": category, "source": "wechat",
                    "description": "井盖破损，存在安全隐患"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    (b["incident"]["id"].as_i64().unwrap(), b["routing"].clone())
}

/// A point inside a grid in the city centre.
async fn city_point(pool: &sqlx::PgPool, salt: i32) -> [f64; 2] {
    let (x, y): (f64, f64) = sqlx::query_as(
        "select st_x(p), st_y(p) from (select st_pointonsurface(geom) p from current_grids
         where code like '320812%' order by code offset $1 limit 1) s",
    )
    .bind(salt)
    .fetch_one(pool)
    .await
    .unwrap();
    [x, y]
}

#[tokio::test]
async fn incidents_are_stored_listed_and_deduplicated() {
    let app = spawn_app().await;
    let token = app.login("dispatcher").await;
    // Listings are restricted to what this test reports (`from` is inclusive, and the app runs
    // in this process, on this clock): the generated city has open incidents of its own.
    let started = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    let at = city_point(&app.pool, 11).await;
    let (first, routing) = report(&app, &token, at, "citizen.infrastructure").await;
    let (s, detail) = app.get(&format!("/api/incidents/{first}"), Some(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(detail["incident"]["status"], "new");
    assert_eq!(detail["incident"]["grid_code"], routing["grid"]["code"]);
    assert_eq!(detail["timeline"][0]["action"], "report");
    assert_eq!(detail["timeline"][0]["actor"], "dispatcher");
    assert!(detail["incident"]["step_deadline"].is_string());

    let bbox = format!("{},{},{},{}", at[0] - 0.001, at[1] - 0.001, at[0] + 0.001, at[1] + 0.001);
    let (s, page) =
        app.get(&format!("/api/incidents?bbox={bbox}&status=open&from={started}&limit=500"), Some(&token)).await;
    assert_eq!(s, 200, "{page}");
    assert!(page["items"].as_array().unwrap().iter().any(|i| i["id"] == first));
    assert!(page["next_cursor"].is_null(), "one page holds this run's incidents: {page}");

    // The open-incident index learns of the first report through NOTIFY; a second report at the
    // same spot then lists it as a possible duplicate.
    common::eventually("the first report listed as a possible duplicate", Duration::from_secs(30), || async {
        let (_, r) = app
            .post(
                "/api/route",
                Some(&token),
                &json!({"lon": at[0], "lat": at[1], "category": "citizen.infrastructure"}),
            )
            .await;
        r["duplicates"].as_array().unwrap().iter().any(|d| d["id"] == first).then_some(())
    })
    .await;
    let (_, r) =
        app.post("/api/route", Some(&token), &json!({"lon": at[0], "lat": at[1], "category": "citizen.safety"})).await;
    assert!(
        !r["duplicates"].as_array().unwrap().iter().any(|d| d["id"] == first),
        "other categories are not duplicates"
    );

    // Paging walks the same items as one big page: five incidents of this run, pages of two.
    let mut mine = vec![first];
    for _ in 0..4 {
        mine.push(report(&app, &token, at, "citizen.infrastructure").await.0);
    }
    let grid = routing["grid"]["code"].as_str().unwrap();
    let (s, all) =
        app.get(&format!("/api/incidents?status=open&grid={grid}&from={started}&limit=500"), Some(&token)).await;
    assert_eq!(s, 200, "{all}");
    assert!(all["next_cursor"].is_null(), "one page holds this run's incidents: {all}");
    let all_ids: Vec<i64> = all["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert!(mine.iter().all(|id| all_ids.contains(id)), "{mine:?} in {all_ids:?}");
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = format!(
            "/api/incidents?status=open&grid={grid}&from={started}&limit=2{}",
            cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default()
        );
        let (s, page) = app.get(&path, Some(&token)).await;
        assert_eq!(s, 200);
        paged.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, all_ids);
}

/// Every action of the state machine.
const ACTIONS: [&str; 8] = ["assign", "accept", "start", "resolve", "close", "escalate", "reopen", "mark_duplicate"];

/// The state machine below the county level, spelled out here rather than taken from the code
/// under test: per status, each allowed action and the status it leads to.
const TRANSITIONS: &[(&str, &[(&str, &str)])] = &[
    ("new", &[("assign", "assigned"), ("escalate", "new"), ("mark_duplicate", "duplicate")]),
    ("assigned", &[("accept", "accepted"), ("escalate", "assigned"), ("mark_duplicate", "duplicate")]),
    ("accepted", &[("start", "in_progress"), ("escalate", "accepted"), ("mark_duplicate", "duplicate")]),
    ("in_progress", &[("resolve", "resolved"), ("escalate", "in_progress"), ("mark_duplicate", "duplicate")]),
    ("resolved", &[("close", "closed"), ("reopen", "assigned")]),
    ("closed", &[("reopen", "assigned")]),
];

fn allowed_from(status: &str) -> &'static [(&'static str, &'static str)] {
    TRANSITIONS.iter().find(|(s, _)| *s == status).map_or(&[], |(_, a)| a)
}

#[tokio::test]
async fn every_transition_legal_and_illegal() {
    let app = spawn_app().await;
    let token = app.login("dispatcher").await;
    let at = city_point(&app.pool, 23).await;
    let dispatcher: i64 =
        sqlx::query_scalar("select id from users where username = 'dispatcher'").fetch_one(&app.pool).await.unwrap();
    // The original every `mark_duplicate` below points at.
    let (original, _) = report(&app, &token, at, "citizen.environment").await;
    let statuses_reached = ["new", "assigned", "accepted", "in_progress", "resolved", "closed"];
    let path = ["assign", "accept", "start", "resolve", "close"];
    // For each state on the happy path, try every action on a fresh incident brought there.
    for (depth, status) in statuses_reached.iter().enumerate() {
        for action in ACTIONS {
            let (id, _) = report(&app, &token, at, "citizen.environment").await;
            for step in &path[..depth] {
                let (s, b) = app
                    .post(
                        &format!("/api/incidents/{id}/transitions"),
                        Some(&token),
                        &json!({"action": step, "note": "测试"}),
                    )
                    .await;
                assert_eq!(s, 200, "{step}: {b}");
            }
            let mut body = json!({"action": action, "note": "测试"});
            if action == "mark_duplicate" {
                body["duplicate_of"] = json!(original);
            }
            let (s, b) = app.post(&format!("/api/incidents/{id}/transitions"), Some(&token), &body).await;
            let legal = allowed_from(status).iter().find(|(a, _)| *a == action).map(|(_, to)| *to);
            if let Some(to) = legal {
                assert_eq!(s, 200, "{action} from {status}: {b}");
                assert_eq!(b["status"], to);
                assert_eq!(b["escalation_level"], i64::from(action == "escalate"));
                // The same transaction wrote the history event and the audit row.
                let events: i64 = sqlx::query_scalar(
                    "select count(*) from incident_events where incident_id = $1 and action = $2
                       and from_status = $3 and to_status = $4 and actor_id = $5",
                )
                .bind(id)
                .bind(action)
                .bind(status)
                .bind(to)
                .bind(dispatcher)
                .fetch_one(&app.pool)
                .await
                .unwrap();
                assert_eq!(events, 1, "{action} from {status}: incident_events");
                let audits: i64 = sqlx::query_scalar(
                    "select count(*) from audit_log where entity = 'incident' and $1 = any(entity_ids)
                       and action = $2 and user_id = $3",
                )
                .bind(id.to_string())
                .bind(action)
                .bind(dispatcher)
                .fetch_one(&app.pool)
                .await
                .unwrap();
                assert_eq!(audits, 1, "{action} from {status}: audit_log");
            } else {
                assert_error(s, &b, 409, "not allowed");
                let mut expected: Vec<&str> = allowed_from(status).iter().map(|(a, _)| *a).collect();
                let mut got: Vec<&str> = b["error"]["details"]["allowed_actions"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{action} from {status}: no allowed_actions in {b}"))
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                expected.sort_unstable();
                got.sort_unstable();
                assert_eq!(got, expected, "{action} from {status}: {b}");
            }
        }
    }
    // History and side effects on one incident.
    let (id, _) = report(&app, &token, at, "citizen.environment").await;
    for step in ["assign", "escalate", "escalate", "escalate"] {
        let (s, b) = app
            .post(&format!("/api/incidents/{id}/transitions"), Some(&token), &json!({"action": step, "note": "测试"}))
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) =
        app.post(&format!("/api/incidents/{id}/transitions"), Some(&token), &json!({"action": "escalate"})).await;
    assert_error(s, &b, 409, "level 3");
    let (_, d) = app.get(&format!("/api/incidents/{id}"), Some(&token)).await;
    assert!(d["incident"]["assignee"].as_str().is_some_and(|a| !a.is_empty()));
    let actions: Vec<&str> = d["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "assign", "escalate", "escalate", "escalate"]);

    let (s, b) =
        app.post(&format!("/api/incidents/{id}/transitions"), Some(&token), &json!({"action": "mark_duplicate"})).await;
    assert_error(s, &b, 422, "duplicate_of");
    let (s, b) = app
        .post(
            &format!("/api/incidents/{id}/transitions"),
            Some(&token),
            &json!({"action": "mark_duplicate", "duplicate_of": id}),
        )
        .await;
    assert_error(s, &b, 422, "itself");
    let (s, b) = app.post(&format!("/api/incidents/{id}/transitions"), Some(&token), &json!({"action": "fly"})).await;
    assert_error(s, &b, 422, "action");
    let (s, b) = app.post("/api/incidents/999999999/transitions", Some(&token), &json!({"action": "assign"})).await;
    assert_error(s, &b, 404, "999999999");
}

#[tokio::test]
async fn escalation_with_a_fake_clock_never_doubles() {
    let db = common::fresh_database("cg_escalation").await;
    let pool = db.pool.clone();
    let t0: DateTime<Utc> = "2026-06-01T08:00:00Z".parse().unwrap();
    // alarm.fire priority 1: grid 0.25 h, village 0.375 h, township 0.5 h (see the SLA defaults).
    let ids: Vec<i64> = sqlx::query_scalar(
        "insert into incidents (category, source, priority, status, description, reported_at, geom)
         select 'alarm.fire', 'video', 1, 'new', '烟雾报警', $1, st_setsrid(st_point(119, 33.6), 4326)
         from generate_series(1, 40) returning id",
    )
    .bind(t0)
    .fetch_all(&pool)
    .await
    .unwrap();
    let minutes = |m: i64| t0 + chrono::Duration::minutes(m);

    assert_eq!(escalate_due(&pool, minutes(10), 7).await.unwrap(), 0, "not due yet");
    // Two processes race for the same deadline: each incident moves up exactly once.
    let (a, b) = tokio::join!(escalate_due(&pool, minutes(16), 7), escalate_due(&pool, minutes(16), 7));
    assert_eq!(a.unwrap() + b.unwrap(), 40);
    assert_eq!(escalate_due(&pool, minutes(16), 7).await.unwrap(), 0);
    assert_eq!(escalate_due(&pool, minutes(16 + 22), 100).await.unwrap(), 0, "village has 22.5 min");
    assert_eq!(escalate_due(&pool, minutes(16 + 23), 100).await.unwrap(), 40);
    assert_eq!(escalate_due(&pool, minutes(39 + 31), 100).await.unwrap(), 40);
    assert_eq!(escalate_due(&pool, minutes(10_000), 100).await.unwrap(), 0, "the county centre is the top");

    let levels: Vec<i16> =
        sqlx::query_scalar("select escalation_level from incidents order by id").fetch_all(&pool).await.unwrap();
    assert!(levels.iter().all(|l| *l == 3));
    let events: Vec<(i64, i64)> = sqlx::query_as(
        "select incident_id, count(*) from incident_events where action = 'escalate' and actor_id is null
         group by incident_id order by incident_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(events, ids.iter().map(|id| (*id, 3)).collect::<Vec<_>>());
    // Each automatic escalation is audited as the system (no user); a batch may share one row.
    let audited: Vec<(i64, i64)> = sqlx::query_as(
        "select i.id, (select count(*) from audit_log a where a.user_id is null and a.action = 'escalate'
                         and a.entity = 'incident' and i.id::text = any(a.entity_ids))
         from unnest($1::int8[]) i(id) order by i.id",
    )
    .bind(&ids)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited, ids.iter().map(|id| (*id, 3)).collect::<Vec<_>>(), "audit_log rows per incident");
    // Resolved incidents are never escalated (the escalation task only looks at open ones).
    sqlx::query("update incidents set status = 'resolved', resolved_at = $1, escalation_level = 0, level_since = $1")
        .bind(minutes(20_000))
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(escalate_due(&pool, minutes(90_000), 100).await.unwrap(), 0);
}

/// Starts the real `citygrid serve` binary on `url`; returns the child and its base URL.
fn serve_process(url: &str) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_citygrid"))
        .args(["serve", "--demo-accounts"])
        .env("DATABASE_URL", url)
        .env("CITYGRID_LISTEN", format!("127.0.0.1:{port}"))
        .env("CITYGRID_MARTIN_URL", "http://127.0.0.1:9")
        .env("CITYGRID_ESCALATION_SECONDS", "0")
        .env("CITYGRID_DEMO_PASSWORD", common::DEMO_PASSWORD)
        .env_remove("CITYGRID_STATIC_DIR")
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn two_backend_processes_agree_after_a_boundary_edit() {
    let db = common::fresh_database("cg_two_procs").await;
    let (pool, url) = (db.pool.clone(), db.url.clone());
    sqlx::raw_sql(include_str!("fixtures/mini_city.sql")).execute(&pool).await.unwrap();
    let client = reqwest::Client::new();
    let mut procs = Vec::new();
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let (child, base) = serve_process(&url);
        procs.push((Killed(child), base.clone()));
        let token = common::eventually("a backend process accepting logins", Duration::from_mins(1), || async {
            let res = client
                .post(format!("{base}/api/auth/login"))
                .json(&json!({"username": "dispatcher", "password": common::DEMO_PASSWORD}))
                .send()
                .await
                .ok()?;
            if res.status() != 200 {
                return None;
            }
            res.json::<Value>().await.ok()?["token"].as_str().map(str::to_owned)
        })
        .await;
        tokens.push(token);
    }
    let probe = json!({"points": [[119.012, 33.605], [119.005, 33.605], [119.018, 33.605]]});
    let ask = |i: usize| {
        let (client, base, token, probe) = (&client, procs[i].1.clone(), tokens[i].clone(), probe.clone());
        async move {
            let res =
                client.post(format!("{base}/api/route/batch")).bearer_auth(token).json(&probe).send().await.unwrap();
            res.json::<Value>().await.unwrap()["grids"].clone()
        }
    };
    let before = json!(["320812001001002", "320812001001001", "320812001001002"]);
    assert_eq!(ask(0).await, before);
    assert_eq!(ask(1).await, before);

    // The boundary moves east from 119.01 to 119.015: a planner's edit, simulated in SQL.
    sqlx::raw_sql(
        "begin;
         update grid_versions set valid_to = now() where valid_to is null;
         insert into grid_versions (grid_code, version, geom) values
           ('320812001001001', 2, st_multi(st_makeenvelope(119.00, 33.60, 119.015, 33.61, 4326))),
           ('320812001001002', 2, st_multi(st_makeenvelope(119.015, 33.60, 119.02, 33.61, 4326)));
         commit;",
    )
    .execute(&pool)
    .await
    .unwrap();
    let after = json!(["320812001001001", "320812001001001", "320812001001002"]);
    for i in 0..2 {
        common::eventually(&format!("process {i} routing by the new boundary"), Duration::from_secs(30), || async {
            (ask(i).await == after).then_some(())
        })
        .await;
    }
    // The processes go before their database (the guard drops it).
    drop(procs);
}

#[tokio::test]
async fn admins_edit_the_sla_table_and_routing_follows() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let dispatcher = app.login("dispatcher").await;
    let (s, table) = app.get("/api/escalation-sla", Some(&dispatcher)).await;
    assert_eq!(s, 200);
    let categories: i64 =
        sqlx::query_scalar("select count(*) from incident_categories").fetch_one(&app.pool).await.unwrap();
    let rows = table.as_array().unwrap().len() as i64;
    assert_eq!(rows, categories * 4 * 3, "every category × priority × level below the county");
    let row = json!({"category": "alarm.crowd", "priority": 4, "level": 2});
    let original = table
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["category"] == "alarm.crowd" && r["priority"] == 4 && r["level"] == 2)
        .unwrap()["hours"]
        .as_f64()
        .unwrap();

    let put = |token: String, hours: Value| {
        let (client, url, mut body) = (&app.client, app.url("/api/escalation-sla"), row.clone());
        body["hours"] = hours;
        async move {
            let res = client.put(url).bearer_auth(token).json(&body).send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, b) = put(dispatcher.clone(), json!(5.5)).await;
    assert_error(s, &b, 403, "dispatcher");
    let (s, b) = put(admin.clone(), json!(0)).await;
    assert_error(s, &b, 422, "hours");
    let (s, b) = put(admin.clone(), json!(9000)).await;
    assert_error(s, &b, 422, "hours");

    let (s, b) = put(admin.clone(), json!(original + 1.5)).await;
    assert_eq!(s, 200, "{b}");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where entity = 'escalation_sla' and entity_ids = array['alarm.crowd/4/2']",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // The engine learns of the change through NOTIFY and routes with the new deadline.
    let at = city_point(&app.pool, 5).await;
    let route = json!({"lon": at[0], "lat": at[1], "category": "alarm.crowd", "priority": 4});
    common::eventually("routing with the edited SLA", Duration::from_secs(30), || async {
        let (_, r) = app.post("/api/route", Some(&dispatcher), &route).await;
        (r["escalation"][2]["deadline_hours"].as_f64() == Some(original + 1.5)).then_some(())
    })
    .await;
}
