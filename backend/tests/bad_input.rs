//! Bad input never reaches a 500, a hang or the frontend's `index.html`: each case here used to.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::time::Duration;

use citygrid::config::Timeouts;
use common::assert_error;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn assert_code(status: u16, body: &Value, expected: u16, code: &str, field: Option<&str>) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["field"].as_str(), field, "{body}");
}

#[tokio::test]
async fn nul_characters_are_refused_naming_the_field() {
    let app = common::spawn_app().await;
    // Without a token: the login itself.
    let (s, b) = app.post("/api/auth/login", None, &json!({"username": "adm\u{0}in", "password": "x"})).await;
    assert_code(s, &b, 400, "invalid_character", Some("username"));

    let dispatcher = app.login("dispatcher").await;
    let (s, b) = app.get("/api/search?q=%E6%B8%85%00", Some(&dispatcher)).await;
    assert_code(s, &b, 400, "invalid_character", Some("q"));
    let (s, b) = app.get("/api/grids/3208%0001", Some(&dispatcher)).await;
    assert_code(s, &b, 400, "invalid_character", Some("code"));

    let incidents =
        || async { sqlx::query_scalar::<_, i64>("select count(*) from incidents").fetch_one(&app.pool).await.unwrap() };
    let before = incidents().await;
    let (lon, lat): (f64, f64) = sqlx::query_as(
        "select st_x(p), st_y(p) from (select st_pointonsurface(geom) p from current_grids order by code limit 1) s",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let body = json!({"lon": lon, "lat": lat, "category": "citizen.environment", "source": "hotline",
                      "description": "垃圾\u{0}堆放"});
    let (s, b) = app.post("/api/incidents", Some(&dispatcher), &body).await;
    assert_code(s, &b, 400, "invalid_character", Some("description"));
    assert_eq!(incidents().await, before, "nothing was stored");

    let id: i64 = sqlx::query_scalar("select id from incidents where status = 'new' order by id limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (s, b) = app
        .post(
            &format!("/api/incidents/{id}/transitions"),
            Some(&dispatcher),
            &json!({"action": "assign", "note": "a\u{0}"}),
        )
        .await;
    assert_code(s, &b, 400, "invalid_character", Some("note"));
    let status: String =
        sqlx::query_scalar("select status from incidents where id = $1").bind(id).fetch_one(&app.pool).await.unwrap();
    assert_eq!(status, "new");

    let admin = app.login("admin").await;
    let (s, b) = app
        .post(
            "/api/users",
            Some(&admin),
            &json!({"username": "nul.user", "password": "long enough", "display_name": "王\u{0}丽", "role": "leader"}),
        )
        .await;
    assert_code(s, &b, 400, "invalid_character", Some("display_name"));
}

#[tokio::test]
async fn cursors_out_of_range_are_a_400() {
    let app = common::spawn_app().await;
    let token = app.login("dispatcher").await;
    for cursor in ["n.-210866803200000001.1", "n.25340230080000000.1", "n.1.0", "x.1.1", "p.5.1.1", "n.1.01"] {
        let (s, b) = app.get(&format!("/api/incidents?cursor={cursor}"), Some(&token)).await;
        assert_code(s, &b, 400, "invalid_parameter", Some("cursor"));
    }
    // A real cursor still pages.
    let (s, b) = app.get("/api/incidents?limit=2", Some(&token)).await;
    assert_eq!(s, 200);
    let next = b["next_cursor"].as_str().unwrap();
    let (s, _) = app.get(&format!("/api/incidents?limit=2&cursor={next}"), Some(&token)).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn glyph_ranges_must_be_256_blocks() {
    let app = common::spawn_app().await;
    for range in ["0-254", "1-256", "65536-65791", "0-255-511"] {
        let (s, b) = app.get(&format!("/tiles/font/Noto%20Sans%20CJK%20SC%20Regular/{range}.pbf"), None).await;
        assert_code(s, &b, 400, "invalid_parameter", Some("range"));
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json_not_the_frontend() {
    let dir = std::env::temp_dir().join(format!("citygrid-static-{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>CityGrid</title>").unwrap();
    let app = common::spawn_app_with(|c| c.static_dir = Some(dir.clone())).await;
    for path in ["/api", "/api/", "/api/nope", "/tiles", "/tiles/grids/0/0", "/tiles/a/b/c/d/e", "/style.json/x"] {
        let (s, b) = app.get(path, None).await;
        assert_code(s, &b, 404, "not_found", None);
    }
    // Pages of the client still get index.html.
    let res = app.client.get(app.url("/some/page")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("CityGrid"));
    // A known path with another method: JSON 405 naming the path.
    for (method, path) in [("DELETE", "/api/grids"), ("PUT", "/api/auth/login"), ("POST", "/style.json")] {
        let (s, b) = app.send(method, path, None, None).await;
        assert_error(s, &b, 405, path);
        assert_eq!(b["error"]["code"], "method_not_allowed");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn oversized_targets_and_headers_are_json_errors() {
    let app = common::spawn_app().await;
    let (s, b) = app.get(&format!("/api/search?q={}", "a".repeat(9000)), None).await;
    assert_code(s, &b, 414, "uri_too_long", None);
    let res = app.client.get(app.url("/api/health")).header("x-filler", "b".repeat(40_000)).send().await.unwrap();
    assert_eq!(res.status(), 431);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["error"]["code"], "headers_too_large");
}

/// Reads from `stream` until the server closes it or answers; `None` if neither happens within
/// `bound`.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, bound: Duration) -> Option<String> {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(bound, stream.read_to_end(&mut buf)).await;
    read.ok().map(|_| String::from_utf8_lossy(&buf).into_owned())
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    let timeouts = Timeouts {
        header_read: Duration::from_secs(1),
        body_read: Duration::from_secs(1),
        request: Duration::from_secs(30),
    };
    let app = common::spawn_app_with(|c| c.timeouts = timeouts).await;
    let addr = app.base.trim_start_matches("http://").to_owned();

    // Headers that never end: the connection is closed, without an answer.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let got = read_until_closed(&mut s, Duration::from_secs(20)).await;
    assert_eq!(got.as_deref(), Some(""), "the server closed the connection");

    // A body shorter than announced: 408 with our body.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
    )
    .await
    .unwrap();
    let got = read_until_closed(&mut s, Duration::from_secs(20)).await.expect("an answer");
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("\"request_timeout\""), "{got}");
}

/// Every parameter the document puts in a path is a `{name}` of that path, and the reverse: a
/// query parameter declared `in: path, required` (utoipa's default without `parameter_in`) is
/// never sent by a client that trusts the document.
#[test]
fn path_parameters_are_in_their_paths() {
    let doc = citygrid::http::openapi::document_json();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let in_template: Vec<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for (method, op) in item.as_object().unwrap() {
            let mut declared: Vec<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            declared.sort_unstable();
            let mut wanted = in_template.clone();
            wanted.sort_unstable();
            assert_eq!(declared, wanted, "{method} {path}: path parameters");
        }
    }
}

/// What the document says about a few parameters is what the server does (each was a
/// schemathesis finding): a value of the documented shape that names nothing is 422 or 404,
/// never the 400 of a malformed one; a NUL in a JSON key is not echoed into the error.
#[tokio::test]
async fn documented_shapes_decide_400_or_422() {
    let app = common::spawn_app().await;
    let admin = app.login("admin").await;
    let code: String =
        sqlx::query_scalar("select code from current_grids order by code limit 1").fetch_one(&app.pool).await.unwrap();
    let (s, b) = app.get(&format!("/api/grids/{code}?as_of=2026-02-30"), Some(&admin)).await;
    assert_code(s, &b, 422, "invalid_value", Some("as_of"));
    let (s, b) = app.get(&format!("/api/grids/{code}?as_of=yesterday"), Some(&admin)).await;
    assert_code(s, &b, 400, "invalid_parameter", Some("as_of"));
    let (s, b) = app.get("/tiles/grids/10/853/408?as_of=2026-02-30", Some(&admin)).await;
    assert_code(s, &b, 422, "invalid_value", Some("as_of"));
    for path in ["/api/plans/-5", "/api/plans/0"] {
        let (s, b) = app.get(path, Some(&admin)).await;
        assert_code(s, &b, 400, "invalid_parameter", Some("id"));
    }
    let (s, b) = app.get("/api/plans?limit=0", Some(&admin)).await;
    assert_eq!(s, 400, "{b}");
    let (s, b) = app.get("/api/coverage/summary", Some(&admin)).await;
    assert_code(s, &b, 400, "invalid_parameter", Some("level"));
    let (s, b) = app.get("/api/partition/validate?township=320812001&county=320812", Some(&admin)).await;
    assert_code(s, &b, 422, "invalid_value", Some("village"));

    let (s, b) = app.post("/api/plans", Some(&admin), &json!({"base_versions": {"k\u{0}": 1.5}})).await;
    assert_eq!(s, 422, "{b}");
    assert!(!b.to_string().contains("\\u0000"), "the error echoes no NUL: {b}");
    assert!(b["error"]["field"].as_str().unwrap().starts_with("base_versions."), "{b}");
}
