//! Test harness: the real app on port 0 against real PostGIS.
//!
//! `CITYGRID_TEST_DATABASE_URL` names a database (`cargo xtask test` provisions it and loads the
//! demo city). [`spawn_app`] makes sure the demo city and accounts are there, then serves the
//! real router on an ephemeral port. [`fresh_database`] clones `citygrid_template` (empty,
//! PostGIS) into a new database for tests that must start from nothing.
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use std::path::PathBuf;

use citygrid::config::Config;
use citygrid::dataset::{self, LoadOptions, Scale};
use citygrid::http::{app, AppState};
use sqlx::PgPool;

/// The seed of the demo city the tests run on.
pub const SEED: u64 = 2019;
pub const DEMO_PASSWORD: &str = "citygrid-demo";

#[must_use]
pub fn test_database_url() -> String {
    std::env::var("CITYGRID_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://citygrid:citygrid@127.0.0.1:5432/citygrid_test".into())
}

#[must_use]
pub fn districts_path() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/huaian_districts.geojson"))
}

/// A pool on the test database with the demo city loaded (loading it on first use).
pub async fn city() -> PgPool {
    let pool = citygrid::db::connect(&test_database_url(), 8).await.expect("test database (run `cargo xtask test`)");
    citygrid::db::migrate(&pool).await.expect("migrations");
    let opts = LoadOptions { scale: Scale::Demo, seed: SEED, districts_path: districts_path(), progress: false };
    dataset::ensure_loaded(&pool, &opts).await.expect("loading the demo city");
    citygrid::accounts::ensure_demo_accounts(&pool, DEMO_PASSWORD).await.expect("demo accounts");
    pool
}

/// A new, empty, migrated database; dropped by [`drop_database`].
pub async fn fresh_database(prefix: &str) -> (PgPool, String) {
    let admin = citygrid::db::connect(&test_database_url(), 1).await.expect("test database");
    let name = format!("{prefix}_{}_{}", std::process::id(), rand_suffix());
    sqlx::query(&format!("create database {name} template citygrid_template")).execute(&admin).await.expect("create");
    let url = match test_database_url().rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("unexpected database URL"),
    };
    let pool = citygrid::db::connect(&url, 4).await.expect("fresh database");
    citygrid::db::migrate(&pool).await.expect("migrations");
    (pool, name)
}

pub async fn drop_database(pool: PgPool, name: &str) {
    pool.close().await;
    let admin = citygrid::db::connect(&test_database_url(), 1).await.expect("test database");
    sqlx::query(&format!("drop database if exists {name} with (force)")).execute(&admin).await.expect("drop");
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    u64::from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos())
}

/// The app under test.
pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    pub client: reqwest::Client,
}

/// Serves the real router on 127.0.0.1:0 over the demo city. martin is whatever
/// `CITYGRID_TEST_MARTIN_URL` names (default: a closed port, so martin reads as down).
pub async fn spawn_app() -> TestApp {
    let pool = city().await;
    spawn_app_on(pool, std::env::var("CITYGRID_TEST_MARTIN_URL").unwrap_or_else(|_| "http://127.0.0.1:9".into())).await
}

pub async fn spawn_app_on(pool: PgPool, martin_url: String) -> TestApp {
    let config = Config {
        database_url: test_database_url(),
        listen: "127.0.0.1:0".parse().unwrap(),
        martin_url,
        static_dir: None,
        demo_password: DEMO_PASSWORD.into(),
        token_hours: 1,
        escalation_interval: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let engine = citygrid::routing::sync::start(&pool).await.expect("routing engine");
    let router = app(AppState::new(pool.clone(), config, engine));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    TestApp { base, pool, client: reqwest::Client::new() }
}

impl TestApp {
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Logs in as `username` with the demo password; returns the bearer token.
    pub async fn login(&self, username: &str) -> String {
        let res = self
            .client
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({"username": username, "password": DEMO_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login as {username}");
        res.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    }

    /// GET with an optional bearer token; returns status and JSON body (Null if not JSON).
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// POST JSON with an optional bearer token.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// Asserts the standard error body and that its message mentions `needle`.
pub fn assert_error(status: u16, body: &serde_json::Value, expected: u16, needle: &str) {
    assert_eq!(status, expected, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_else(|| panic!("no error.message in {body}"));
    assert!(body["error"]["code"].is_string(), "{body}");
    assert!(message.contains(needle), "message {message:?} should mention {needle:?}");
}
