//! County scope, end to end: a user scoped to one county reads and writes only that county.
//! Expected answers come from SQL written here (the code's prefix rule restated as
//! `left(code, 6)`), never from the code under test.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use citygrid_api::Role;
use common::{assert_error, spawn_app, TestApp};
use serde_json::{json, Value};

const PASSWORD: &str = "scoped-password";

/// Two counties with open incidents: the user's (`home`) and another (`away`).
struct Counties {
    home: String,
    home_name: String,
    away: String,
}

async fn counties(app: &TestApp) -> Counties {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select c.code, c.name from admin_units c
         where c.level = 'county'
           and exists (select 1 from incidents i where left(i.grid_code, 6) = c.code and i.status = 'new')
         order by c.code limit 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2, "the test city has new incidents in two counties");
    Counties { home: rows[0].0.clone(), home_name: rows[0].1.clone(), away: rows[1].0.clone() }
}

/// Creates a user (its own name) with `role` in `county` and logs in; returns the token.
async fn user(app: &TestApp, role: Role, county: Option<&str>) -> String {
    let username = format!("{}_{}_{:08x}", &role.as_str()[..3], county.unwrap_or("city"), rand::random::<u32>());
    let hash = citygrid::accounts::hash_password(PASSWORD).unwrap();
    sqlx::query(
        "insert into users (username, display_name, password_hash, role, county_code) values ($1, $1, $2, $3, $4)",
    )
    .bind(&username)
    .bind(hash)
    .bind(role.as_str())
    .bind(county)
    .execute(&app.pool)
    .await
    .unwrap();
    let (s, b) = app.post("/api/auth/login", None, &json!({"username": username, "password": PASSWORD})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["user"]["county_code"], county.map_or(Value::Null, Value::from));
    b["token"].as_str().unwrap().to_owned()
}

/// A point inside a grid of `county`, and that grid's code.
async fn point_in(app: &TestApp, county: &str) -> (f64, f64, String) {
    sqlx::query_as(
        "select st_x(p), st_y(p), code from (
             select st_pointonsurface(geom) p, code from current_grids where left(code, 6) = $1
             order by code limit 1) s",
    )
    .bind(county)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// A `new` incident of `county`.
async fn incident_in(app: &TestApp, county: &str) -> i64 {
    sqlx::query_scalar("select id from incidents where left(grid_code, 6) = $1 and status = 'new' order by id limit 1")
        .bind(county)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn assert_outside(s: u16, b: &Value, c: &Counties) {
    assert_error(s, b, 403, &c.home_name);
    assert_eq!(b["error"]["code"], "outside_scope", "{b}");
    assert_eq!(b["error"]["details"]["county_code"], c.home.as_str(), "{b}");
}

#[tokio::test]
async fn incident_lists_are_filtered_for_every_reading_role() {
    let app = spawn_app().await;
    let c = counties(&app).await;
    let expected: Vec<i64> = sqlx::query_scalar(
        "select id from incidents where left(grid_code, 6) = $1 order by reported_at desc, id desc limit 200",
    )
    .bind(&c.home)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for role in [Role::Dispatcher, Role::Leader, Role::Admin] {
        let token = user(&app, role, Some(&c.home)).await;
        let (s, b) = app.get("/api/incidents?limit=200", Some(&token)).await;
        assert_eq!(s, 200, "{b}");
        let got: Vec<i64> = b["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
        assert_eq!(got, expected, "{role:?} sees exactly the county's newest incidents");
        // A grid filter outside the county is refused, naming the field.
        let (_, _, away_grid) = point_in(&app, &c.away).await;
        let (s, b) = app.get(&format!("/api/incidents?grid={away_grid}"), Some(&token)).await;
        assert_outside(s, &b, &c);
        assert_eq!(b["error"]["field"], "grid");
    }
    // A city-wide dispatcher sees the other county too.
    let city = user(&app, Role::Dispatcher, None).await;
    let (_, _, away_grid) = point_in(&app, &c.away).await;
    let (s, _) = app.get(&format!("/api/incidents?grid={away_grid}"), Some(&city)).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn incident_reads_and_transitions_stop_at_the_county_border() {
    let app = spawn_app().await;
    let c = counties(&app).await;
    let token = user(&app, Role::Dispatcher, Some(&c.home)).await;
    let home = incident_in(&app, &c.home).await;
    let away = incident_in(&app, &c.away).await;

    let (s, b) = app.get(&format!("/api/incidents/{home}"), Some(&token)).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.get(&format!("/api/incidents/{away}"), Some(&token)).await;
    assert_outside(s, &b, &c);

    let events = |id: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from incident_events where incident_id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let before = events(away).await;
    let (s, b) =
        app.post(&format!("/api/incidents/{away}/transitions"), Some(&token), &json!({"action": "assign"})).await;
    assert_outside(s, &b, &c);
    assert_eq!(events(away).await, before, "a refused transition leaves no event");
    let status: String =
        sqlx::query_scalar("select status from incidents where id = $1").bind(away).fetch_one(&app.pool).await.unwrap();
    assert_eq!(status, "new");

    // Marking a home incident as a duplicate of one across the border is refused too.
    let (s, b) = app
        .post(
            &format!("/api/incidents/{home}/transitions"),
            Some(&token),
            &json!({"action": "mark_duplicate", "duplicate_of": away}),
        )
        .await;
    assert_outside(s, &b, &c);
    assert_eq!(b["error"]["field"], "duplicate_of");

    let (s, b) =
        app.post(&format!("/api/incidents/{home}/transitions"), Some(&token), &json!({"action": "assign"})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "assigned");
}

#[tokio::test]
async fn routing_and_registration_refuse_points_in_another_county() {
    let app = spawn_app().await;
    let c = counties(&app).await;
    let token = user(&app, Role::Dispatcher, Some(&c.home)).await;
    let (hx, hy, home_grid) = point_in(&app, &c.home).await;
    let (ax, ay, away_grid) = point_in(&app, &c.away).await;

    let (s, b) = app.post("/api/route", Some(&token), &json!({"lon": hx, "lat": hy})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["grid"]["code"], home_grid.as_str());
    let (s, b) = app.post("/api/route", Some(&token), &json!({"lon": ax, "lat": ay})).await;
    assert_outside(s, &b, &c);
    assert!(b["error"]["message"].as_str().unwrap().contains(&away_grid), "{b}");

    let (s, b) = app.post("/api/route/batch", Some(&token), &json!({"points": [[hx, hy], [ax, ay]]})).await;
    assert_outside(s, &b, &c);
    assert_eq!(b["error"]["field"], "points[1]");

    let count = || {
        let pool = app.pool.clone();
        async move { sqlx::query_scalar::<_, i64>("select count(*) from incidents").fetch_one(&pool).await.unwrap() }
    };
    let before = count().await;
    let incident = |lon: f64, lat: f64| {
        json!({"lon": lon, "lat": lat, "category": "citizen.environment", "source": "hotline",
               "description": "垃圾堆放"})
    };
    let (s, b) = app.post("/api/incidents", Some(&token), &incident(ax, ay)).await;
    assert_outside(s, &b, &c);
    assert_eq!(count().await, before, "nothing was registered");
    let (s, b) = app.post("/api/incidents", Some(&token), &incident(hx, hy)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(count().await, before + 1);
}

#[tokio::test]
async fn duplicates_across_the_border_are_not_shown() {
    let app = spawn_app().await;
    let c = counties(&app).await;
    // Two open incidents of one category at the same spot of the away county's border grid:
    // one recorded in the away county, one in the home county (as if reported there).
    let (hx, hy, home_grid) = point_in(&app, &c.home).await;
    let (_, _, away_grid) = point_in(&app, &c.away).await;
    let mut ids = Vec::new();
    for grid in [&home_grid, &away_grid] {
        let id: i64 = sqlx::query_scalar(
            "insert into incidents (category, source, priority, status, description, reported_at, grid_code, geom,
                                    level_since, updated_at)
             values ('citizen.environment', 'hotline', 3, 'new', 'x', now(), $1,
                     st_setsrid(st_makepoint($2, $3), 4326), now(), now()) returning id",
        )
        .bind(grid)
        .bind(hx)
        .bind(hy)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        ids.push(id);
    }
    let body = json!({"lon": hx, "lat": hy, "category": "citizen.environment"});
    let city = user(&app, Role::Dispatcher, None).await;
    let scoped = user(&app, Role::Dispatcher, Some(&c.home)).await;
    let dupes = |b: &Value| -> Vec<i64> {
        b["duplicates"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect()
    };
    // The routing engine follows incidents through LISTEN/NOTIFY: wait until it has both.
    let (_, b) = common::eventually("the engine sees both new incidents", std::time::Duration::from_secs(20), || {
        let (app, city, body, ids) = (&app, &city, &body, &ids);
        async move {
            let (s, b) = app.post("/api/route", Some(city), body).await;
            (s == 200 && ids.iter().all(|id| dupes(&b).contains(id))).then_some((s, b))
        }
    })
    .await;
    assert!(dupes(&b).contains(&ids[1]));
    let (s, b) = app.post("/api/route", Some(&scoped), &body).await;
    assert_eq!(s, 200, "{b}");
    assert!(dupes(&b).contains(&ids[0]), "the home incident is a candidate: {b}");
    assert!(!dupes(&b).contains(&ids[1]), "the away incident is not shown: {b}");
}

#[tokio::test]
async fn the_map_api_is_limited_to_the_county() {
    let app = spawn_app().await;
    let c = counties(&app).await;
    let token = user(&app, Role::Planner, Some(&c.home)).await;
    let (_, _, home_grid) = point_in(&app, &c.home).await;
    let (_, _, away_grid) = point_in(&app, &c.away).await;

    let (s, _) = app.get(&format!("/api/grids/{home_grid}"), Some(&token)).await;
    assert_eq!(s, 200);
    let (s, b) = app.get(&format!("/api/grids/{away_grid}"), Some(&token)).await;
    assert_outside(s, &b, &c);

    // A bbox around the whole city: only the county's grids, exactly those SQL finds.
    let (s, b) = app.get("/api/grids?bbox=118,32.5,119.8,34.3&limit=1000", Some(&token)).await;
    assert_eq!(s, 200, "{b}");
    let got: Vec<String> =
        b["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect();
    let expected: Vec<String> =
        sqlx::query_scalar("select code from current_grids where left(code, 6) = $1 order by code limit 1000")
            .bind(&c.home)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(got, expected);

    // Search: every hit in the county; the away county's own unit is not found.
    let (s, b) = app.get("/api/search?q=3208", Some(&token)).await;
    assert_eq!(s, 200, "{b}");
    let hits = b.as_array().unwrap();
    assert!(!hits.is_empty());
    for h in hits {
        assert!(h["code"].as_str().unwrap().starts_with(&c.home), "{h}");
    }
    let (s, b) = app.get(&format!("/api/search?q={}", c.away), Some(&token)).await;
    assert_eq!((s, b.as_array().map(Vec::len)), (200, Some(0)), "{b}");

    // Admin units: the city is readable with only the home county among its children.
    let city_code: String =
        sqlx::query_scalar("select code from admin_units where level = 'city'").fetch_one(&app.pool).await.unwrap();
    let (s, b) = app.get(&format!("/api/admin-units/{city_code}"), Some(&token)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["children"], json!([c.home]));
    let (s, b) = app.get(&format!("/api/admin-units/{}", c.away), Some(&token)).await;
    assert_outside(s, &b, &c);
    let (s, _) = app.get(&format!("/api/admin-units/{}", c.home), Some(&token)).await;
    assert_eq!(s, 200);

    // Buildings and cameras by id.
    for (table, route) in [("buildings", "buildings"), ("cameras", "cameras")] {
        let pick = |county: String| {
            let pool = app.pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(&format!("select min(id) from {table} where left(grid_code, 6) = $1"))
                    .bind(county)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        let (home_id, away_id) = (pick(c.home.clone()).await, pick(c.away.clone()).await);
        let (s, _) = app.get(&format!("/api/{route}/{home_id}"), Some(&token)).await;
        assert_eq!(s, 200, "{route}");
        let (s, b) = app.get(&format!("/api/{route}/{away_id}"), Some(&token)).await;
        assert_outside(s, &b, &c);
    }
}

#[tokio::test]
async fn a_scoped_admin_manages_only_the_county() {
    let app = spawn_app().await;
    let c = counties(&app).await;
    let token = user(&app, Role::Admin, Some(&c.home)).await;
    let away_user = user(&app, Role::Dispatcher, Some(&c.away)).await;
    drop(away_user);

    let (s, b) = app.get("/api/users", Some(&token)).await;
    assert_eq!(s, 200, "{b}");
    for u in b.as_array().unwrap() {
        assert_eq!(u["county_code"], c.home.as_str(), "{u}");
    }
    let new = |county: Option<&str>| {
        json!({"username": format!("u{:08x}", rand::random::<u32>()), "password": "long enough",
               "display_name": "新用户", "role": "dispatcher", "county_code": county})
    };
    let (s, b) = app.post("/api/users", Some(&token), &new(None)).await;
    assert_outside(s, &b, &c);
    assert_eq!(b["error"]["field"], "county_code");
    let (s, b) = app.post("/api/users", Some(&token), &new(Some(&c.away))).await;
    assert_outside(s, &b, &c);
    let (s, b) = app.post("/api/users", Some(&token), &new(Some(&c.home))).await;
    assert_eq!(s, 201, "{b}");

    // The SLA table is the whole city's.
    let (s, b) = app
        .put(
            "/api/escalation-sla",
            Some(&token),
            &json!({"category": "citizen.environment", "priority": 3, "level": 0, "hours": 5.0}),
        )
        .await;
    assert_outside(s, &b, &c);
}
