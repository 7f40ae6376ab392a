//! The HTTP API against the real demo city in PostGIS: success and error paths of every
//! endpoint (the exact route × role × scope matrix is `tests/access.rs`).
#![allow(clippy::unwrap_used)]

mod common;

use citygrid_api::limits;
use common::{assert_error, spawn_app};
use serde_json::{json, Value};

/// A real grid code, and its village, from the database.
async fn some_grid(app: &common::TestApp) -> (String, String) {
    sqlx::query_as("select code, village_code from current_grids order by code offset 2500 limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn health_reports_db_and_martin() {
    let app = spawn_app().await; // martin at a closed port
    let (status, body) = app.get("/api/health", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["db"], "ok");
    assert_eq!(body["martin"], "down");
    let app = common::spawn_app_with_martin().await;
    let (_, body) = app.get("/api/health", None).await;
    assert_eq!(body["martin"], "ok");
}

#[tokio::test]
async fn login_me_logout() {
    let app = spawn_app().await;
    let token = app.login("planner").await;
    let (status, me) = app.get("/api/auth/me", Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "planner");
    assert_eq!(me["role"], "planner");

    let (status, _) = app.post("/api/auth/logout", Some(&token), &json!({})).await;
    assert_eq!(status, 204);
    let (status, body) = app.get("/api/auth/me", Some(&token)).await;
    assert_error(status, &body, 401, "log in again");
}

#[tokio::test]
async fn login_errors_are_clear() {
    let app = spawn_app().await;
    let (s, b) = app.post("/api/auth/login", None, &json!({"username": "planner", "password": "nope"})).await;
    assert_error(s, &b, 401, "wrong password");
    let (s, b) = app.post("/api/auth/login", None, &json!({"username": "nobody", "password": "x"})).await;
    assert_error(s, &b, 401, "unknown username");
    let (s, b) = app.post("/api/auth/login", None, &json!({"username": "planner", "password": ""})).await;
    assert_error(s, &b, 400, "required");
    let (s, b) = app.post("/api/auth/login", None, &json!({"username": "planner"})).await;
    assert_error(s, &b, 422, "password");
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_error(status, &body, 400, "request body");
    let (s, b) = app.get("/api/auth/me", Some("deadbeef")).await;
    assert_error(s, &b, 401, "unknown or has expired");
    let (s, b) = app.get("/api/auth/me", None).await;
    assert_error(s, &b, 401, "log in first");
}

/// Asserts a grid Feature against the database.
async fn check_grid_feature(app: &common::TestApp, f: &Value) {
    let code = f["id"].as_str().unwrap();
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["properties"]["code"], code);
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    // RFC 7946: exterior rings counter-clockwise (positive shoelace area).
    for polygon in f["geometry"]["coordinates"].as_array().unwrap() {
        let ring = polygon[0].as_array().unwrap();
        let twice_area: f64 = ring
            .windows(2)
            .map(|w| {
                w[0][0].as_f64().unwrap() * w[1][1].as_f64().unwrap()
                    - w[1][0].as_f64().unwrap() * w[0][1].as_f64().unwrap()
            })
            .sum();
        assert!(twice_area > 0.0, "grid {code}: exterior ring is clockwise");
    }
    let (buildings, residents, cameras): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from buildings where grid_code = $1),
                (select coalesce(sum(residents), 0)::bigint from buildings where grid_code = $1),
                (select count(*) from cameras where grid_code = $1)",
    )
    .bind(code)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let p = &f["properties"];
    assert_eq!(p["building_count"], buildings);
    assert_eq!(p["residents"], residents);
    assert_eq!(p["camera_count"], cameras);
    assert!(p["village_code"].as_str().is_some_and(|v| code.starts_with(v) && v.len() == 12));
    assert!(p["township_code"].as_str().is_some_and(|t| code.starts_with(t) && t.len() == 9));
    assert!(p["county_code"].as_str().is_some_and(|c| code.starts_with(c) && c.len() == 6));
    assert!(!p["grid_workers"].as_array().unwrap().is_empty(), "grid {code} has no worker");
    assert!(p["version"].as_i64().unwrap() >= 1);
    assert!(p["area_m2"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn grid_by_code() {
    let app = spawn_app().await;
    let token = app.login("dispatcher").await;
    let (code, _) = some_grid(&app).await;
    let (status, f) = app.get(&format!("/api/grids/{code}"), Some(&token)).await;
    assert_eq!(status, 200, "{f}");
    check_grid_feature(&app, &f).await;

    let (s, b) = app.get("/api/grids/320812999999999", Some(&token)).await;
    assert_error(s, &b, 404, "320812999999999");
    let (s, b) = app.get("/api/grids/32081x", Some(&token)).await;
    assert_error(s, &b, 400, "15 digits");
    let (s, b) = app.get(&format!("/api/grids/{code}"), None).await;
    assert_error(s, &b, 401, "log in");
}

#[tokio::test]
async fn every_grid_answers() {
    let app = spawn_app().await;
    let token = app.login("leader").await;
    let codes: Vec<String> =
        sqlx::query_scalar("select code from current_grids order by code").fetch_all(&app.pool).await.unwrap();
    assert_eq!(codes.len(), citygrid::dataset::GRIDS);
    for chunk in codes.chunks(16) {
        let fetches = chunk.iter().map(|code| {
            let (app, token) = (&app, &token);
            async move { (code, app.get(&format!("/api/grids/{code}"), Some(token)).await) }
        });
        for (code, (status, f)) in futures_util::future::join_all(fetches).await {
            assert_eq!(status, 200, "grid {code}: {f}");
            assert_eq!(f["properties"]["code"], code.as_str());
            assert!(!f["properties"]["grid_workers"].as_array().unwrap().is_empty(), "grid {code} has no worker");
        }
    }
}

#[tokio::test]
async fn grids_in_bbox() {
    let app = spawn_app().await;
    let token = app.login("planner").await;
    let bbox = "118.98,33.56,119.06,33.62";
    let (status, fc) = app.get(&format!("/api/grids?bbox={bbox}&limit=1000"), Some(&token)).await;
    assert_eq!(status, 200, "{fc}");
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    let expected: i64 = sqlx::query_scalar(
        "select count(*) from current_grids where st_intersects(geom, st_makeenvelope(118.98, 33.56, 119.06, 33.62, 4326))",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(expected > 5, "the city centre should have many grids, found {expected}");
    assert_eq!(features.len() as i64, expected.min(1000));
    let codes: Vec<&str> = features.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "ordered by code");
    check_grid_feature(&app, &features[0]).await;

    let (_, fc) = app.get(&format!("/api/grids?bbox={bbox}&limit=3"), Some(&token)).await;
    assert_eq!(fc["features"].as_array().unwrap().len(), 3);
    assert_eq!(fc["truncated"], true);
    let (_, fc) = app.get("/api/grids?bbox=100,0,101,1", Some(&token)).await;
    assert_eq!(fc["features"].as_array().unwrap().len(), 0);
    assert_eq!(fc["truncated"], false);
    let (_, fc) = app.get("/api/grids?bbox=118,32,120,35&limit=100000", Some(&token)).await;
    assert_eq!(fc["features"].as_array().unwrap().len(), 1000, "limit is capped");

    for (query, status, needle) in [
        ("bbox=1,2,3", 400, "4 numbers"),
        ("bbox=a,2,3,4", 400, "minLon"),
        ("bbox=119,33,118,34", 422, "min must be below max"),
        ("bbox=119,33,120,95", 422, "maxLat"),
        ("bbox=118,32,120,35&limit=0", 400, "limit"),
        ("bbox=118,32,120,35&limit=x", 400, "limit"),
        ("limit=3", 400, "bbox"),
    ] {
        let (s, b) = app.get(&format!("/api/grids?{query}"), Some(&token)).await;
        assert_error(s, &b, status, needle);
    }
}

#[tokio::test]
async fn admin_units_chain_and_children() {
    let app = spawn_app().await;
    let token = app.login("leader").await;
    let (s, county) = app.get("/api/admin-units/320812", Some(&token)).await;
    assert_eq!(s, 200, "{county}");
    assert_eq!(county["level"], "county");
    assert_eq!(county["name"], "清江浦区");
    assert_eq!(county["parents"][0]["code"], "320800");
    let children = county["children"].as_array().unwrap();
    assert!(!children.is_empty());
    assert!(children.iter().all(|c| c.as_str().is_some_and(|c| c.len() == 9 && c.starts_with("320812"))));

    let (code, village) = some_grid(&app).await;
    let (s, v) = app.get(&format!("/api/admin-units/{village}"), Some(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(v["level"], "village");
    assert_eq!(v["parents"].as_array().unwrap().len(), 3);
    assert!(v["children"].as_array().unwrap().iter().any(|c| c == code.as_str()));

    let (s, g) = app.get(&format!("/api/admin-units/{code}"), Some(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(g["level"], "grid");
    let levels: Vec<&str> = g["parents"].as_array().unwrap().iter().map(|p| p["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["city", "county", "township", "village"]);

    let (s, city) = app.get("/api/admin-units/320800", Some(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(city["children"].as_array().unwrap().len(), 7);

    let (s, b) = app.get("/api/admin-units/999999", Some(&token)).await;
    assert_error(s, &b, 404, "999999");
    let (s, b) = app.get("/api/admin-units/1234567", Some(&token)).await;
    assert_error(s, &b, 400, "7 digits");
}

#[tokio::test]
async fn buildings_cameras_and_search() {
    let app = spawn_app().await;
    let token = app.login("dispatcher").await;
    let (bid, bgrid): (i64, String) =
        sqlx::query_as("select id, grid_code from buildings order by id limit 1").fetch_one(&app.pool).await.unwrap();
    let (s, b) = app.get(&format!("/api/buildings/{bid}"), Some(&token)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["grid_code"], bgrid.as_str());
    assert_eq!(b["chain"].as_array().unwrap().last().unwrap()["code"], bgrid.as_str());
    assert!(b["footprint_m2"].as_f64().unwrap() > 10.0);

    let (cid, cgrid): (i64, String) =
        sqlx::query_as("select id, grid_code from cameras order by id limit 1").fetch_one(&app.pool).await.unwrap();
    let (s, c) = app.get(&format!("/api/cameras/{cid}"), Some(&token)).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["grid_code"], cgrid.as_str());
    assert_eq!(c["chain"].as_array().unwrap().len(), 5);

    let (s, e) = app.get("/api/buildings/0", Some(&token)).await;
    assert_error(s, &e, 400, "positive integer");
    let (s, e) = app.get("/api/cameras/abc", Some(&token)).await;
    assert_error(s, &e, 400, "positive integer");
    let (s, e) = app.get("/api/cameras/999999999", Some(&token)).await;
    assert_error(s, &e, 404, "999999999");

    let (code, village) = some_grid(&app).await;
    let (s, hits) = app.get(&format!("/api/search?q={}", &code[..14]), Some(&token)).await;
    assert_eq!(s, 200);
    assert!(hits.as_array().unwrap().iter().any(|h| h["code"] == code.as_str() && h["level"] == "grid"));
    let village_name: String = sqlx::query_scalar("select name from admin_units where code = $1")
        .bind(&village)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (_, hits) = app.get(&format!("/api/search?q={village_name}"), Some(&token)).await;
    assert!(
        hits.as_array().unwrap().iter().any(|h| h["code"] == village.as_str() && h["level"] == "village"),
        "{hits}"
    );
    let (s, e) = app.get("/api/search?q=%20", Some(&token)).await;
    assert_error(s, &e, 422, "q");
    // Outside the document's bounds (minLength 1, maxLength 64): malformed, 400.
    for q in [String::new(), "a".repeat(65), format!(" {} ", "a".repeat(63))] {
        let (s, e) = app.get(&format!("/api/search?q={}", q.replace(' ', "%20")), Some(&token)).await;
        assert_error(s, &e, 400, "q");
    }
}

#[tokio::test]
async fn admins_create_users_with_an_audit_record() {
    let app = spawn_app().await;
    let admin = app.login("admin").await;
    let username = "zhangwei";
    let req = json!({"username": username, "password": "s3cret-pass", "display_name": "张伟",
                     "role": "dispatcher", "county_code": "320812"});
    let (s, u) = app.post("/api/users", Some(&admin), &req).await;
    assert_eq!(s, 201, "{u}");
    assert_eq!(u["county_code"], "320812");
    let (action, after): (String, Value) = sqlx::query_as(
        "select a.action, a.after from audit_log a join users u on u.id = a.user_id
         where u.username = 'admin' and a.entity = 'user' and a.after->>'username' = $1",
    )
    .bind(username)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(action, "create");
    assert_eq!(after["role"], "dispatcher");

    let (s, b) = app.post("/api/users", Some(&admin), &req).await;
    assert_error(s, &b, 409, "taken");
    let (s, b) = app
        .post(
            "/api/users",
            Some(&admin),
            &json!({"username": "Bad Name", "password": "s3cret-pass",
        "display_name": "x", "role": "leader", "county_code": null}),
        )
        .await;
    assert_error(s, &b, 422, "username");
    let (s, b) = app
        .post(
            "/api/users",
            Some(&admin),
            &json!({"username": "lisi", "password": "s3cret-pass",
        "display_name": "x", "role": "leader", "county_code": "320899"}),
        )
        .await;
    assert_error(s, &b, 422, "no such county");
    let (s, b) = app
        .post(
            "/api/users",
            Some(&admin),
            &json!({"username": "lisi", "password": "s3cret-pass",
        "display_name": "x", "role": "mayor", "county_code": null}),
        )
        .await;
    assert_error(s, &b, 422, "role");
    let rejected: i64 =
        sqlx::query_scalar("select count(*) from users where username = 'lisi'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(rejected, 0, "a rejected request leaves nothing behind");

    let (s, body) = app.post("/api/auth/login", None, &json!({"username": username, "password": "s3cret-pass"})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["user"]["role"], "dispatcher");
}

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let app = spawn_app().await;
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/health",
        "/api/auth/login",
        "/api/auth/me",
        "/api/users",
        "/api/grids",
        "/api/grids/{code}",
        "/api/search",
        "/api/admin-units/{code}",
        "/api/buildings/{id}",
        "/api/cameras/{id}",
        "/api/route",
        "/api/route/batch",
        "/api/incidents",
        "/api/incidents/{id}",
        "/api/incidents/{id}/transitions",
        "/api/plans",
        "/api/plans/{id}",
        "/api/plans/{id}/commit",
        "/api/plans/{id}/discard",
        "/api/plans/{id}/revert",
        "/api/partition/validate",
        "/api/grids/{code}/workers",
        "/api/grids/{code}/history",
        "/api/grids/{code}/workload",
        "/api/coverage/summary",
        "/api/coverage/grids/{code}",
        "/api/coverage/what-if",
        "/api/coverage/suggest",
        "/api/cameras",
        "/api/cameras/planned",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    for method in ["get", "patch", "delete"] {
        assert!(doc["paths"]["/api/cameras/{id}"][method].is_object(), "{method} /api/cameras/{{id}} missing");
    }
    assert!(doc["components"]["schemas"]["GridProperties"].is_object());
    // utoipa takes only literals for maxima: the document must state the limits the server enforces.
    let schemas = &doc["components"]["schemas"];
    for (schema, property, key, limit) in [
        ("CreateIncidentRequest", "description", "maxLength", limits::MAX_DESCRIPTION_CHARS),
        ("TransitionRequest", "note", "maxLength", limits::MAX_NOTE_CHARS),
        ("LoginRequest", "username", "maxLength", citygrid::accounts::MAX_USERNAME),
        ("LoginRequest", "password", "maxLength", limits::MAX_PASSWORD_CHARS),
        ("CreateUserRequest", "password", "maxLength", limits::MAX_PASSWORD_CHARS),
        ("CreateUserRequest", "password", "minLength", limits::MIN_PASSWORD_CHARS),
        ("CreateUserRequest", "display_name", "maxLength", limits::MAX_DISPLAY_NAME_CHARS),
        ("UpdateUserRequest", "display_name", "maxLength", limits::MAX_DISPLAY_NAME_CHARS),
        ("SuggestRequest", "k", "maximum", usize::from(limits::MAX_SITES)),
    ] {
        let stated = &schemas[schema]["properties"][property][key];
        assert_eq!(
            stated.as_f64(),
            Some(f64::from(u32::try_from(limit).unwrap())),
            "{schema}.{property} {key} in the document: {stated}"
        );
    }
    let (s, b) = app.get("/api/no-such-thing", None).await;
    assert_error(s, &b, 404, "no such API route");
}
