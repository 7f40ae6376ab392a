//! Test harness: the real app on port 0 against real PostGIS.
//!
//! `CITYGRID_TEST_DATABASE_URL` names a database (`cargo xtask test` provisions it and loads the
//! demo city). [`spawn_app`] makes sure the demo city and accounts are there, then serves the
//! real router on an ephemeral port. [`fresh_database`] clones `citygrid_template` (empty,
//! PostGIS) into a new database for tests that must start from nothing; its guard drops it.
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
    dataset::ensure_loaded(&pool, &load_options(Scale::Demo, SEED)).await.expect("loading the demo city");
    let throttle = citygrid::login_throttle::LoginThrottle::new(citygrid::login_throttle::ThrottleConfig::default());
    citygrid::accounts::ensure_demo_accounts(&pool, &throttle, DEMO_PASSWORD).await.expect("demo accounts");
    pool
}

/// The options that load the city at `scale` from `seed`.
#[must_use]
pub fn load_options(scale: Scale, seed: u64) -> LoadOptions {
    LoadOptions { scale, seed, districts_path: districts_path(), progress: false }
}

/// A database of its own for one test, cloned from `citygrid_template` (empty, PostGIS) and
/// migrated. Dropping the guard drops the database (`with (force)`), also when the test panics.
pub struct FreshDatabase {
    pub pool: PgPool,
    pub name: String,
    /// Its connection URL (the test database's, with this database's name).
    pub url: String,
}

/// A new, empty, migrated database named `{prefix}_{pid}_{random}`.
pub async fn fresh_database(prefix: &str) -> FreshDatabase {
    let admin = citygrid::db::connect(&test_database_url(), 1).await.expect("test database");
    let name = format!("{prefix}_{}_{}", std::process::id(), rand::random::<u32>());
    sqlx::query(&format!("create database {name} template citygrid_template"))
        .execute(&admin)
        .await
        .expect("create a database from citygrid_template");
    admin.close().await;
    let url = match test_database_url().rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("unexpected database URL"),
    };
    // Guard first: a failing migration still drops the database.
    let pool = citygrid::db::connect(&url, 4).await.expect("fresh database");
    let db = FreshDatabase { pool, name, url };
    citygrid::db::migrate(&db.pool).await.expect("migrations");
    db
}

impl Drop for FreshDatabase {
    /// `Drop` cannot await, and the test's runtime may be the one blocked here (or be unwinding):
    /// a thread with its own small runtime drops the database. Never panics (a panic while
    /// unwinding would abort the test binary); a failure is only reported.
    fn drop(&mut self) {
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let admin = citygrid::db::connect(&test_database_url(), 1).await?;
                sqlx::query(&format!("drop database if exists {name} with (force)")).execute(&admin).await?;
                admin.close().await;
                Ok(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e:#}", self.name),
            Err(_) => eprintln!("could not drop test database {}: the dropping thread panicked", self.name),
        }
    }
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
    let config = Config { martin_url, token_hours: 1, escalation_interval: None, ..Config::new(test_database_url()) };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let engine = citygrid::routing::sync::start(&pool).await.expect("routing engine");
    let router = app(AppState::new(pool.clone(), config, engine));
    tokio::spawn(async move { citygrid::http::serve(listener, router, std::future::pending()).await.unwrap() });
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

impl TestApp {
    /// Any method with an optional JSON body and bearer token; status and JSON body (Null if not
    /// JSON).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// PUT JSON with an optional bearer token.
    pub async fn put(&self, path: &str, token: Option<&str>, body: &serde_json::Value) -> (u16, serde_json::Value) {
        self.send("PUT", path, token, Some(body)).await
    }

    /// PATCH JSON with an optional bearer token.
    pub async fn patch(&self, path: &str, token: Option<&str>, body: &serde_json::Value) -> (u16, serde_json::Value) {
        self.send("PATCH", path, token, Some(body)).await
    }
}

/// Polls `check` until it answers `Some`, for at most `bound`; panics naming `what` otherwise.
pub async fn eventually<T, F, Fut>(what: &str, bound: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < bound, "{what}: not within {bound:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Asserts the standard error body and that its message mentions `needle`.
pub fn assert_error(status: u16, body: &serde_json::Value, expected: u16, needle: &str) {
    assert_eq!(status, expected, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_else(|| panic!("no error.message in {body}"));
    assert!(body["error"]["code"].is_string(), "{body}");
    assert!(message.contains(needle), "message {message:?} should mention {needle:?}");
}
