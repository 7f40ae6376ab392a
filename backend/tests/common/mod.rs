//! Test harness: every test on a database of its own, the real app on port 0.
//!
//! - [`test_city`]: a clone of this run's template, the `tiny` city (all 5,565 grids, fewer
//!   buildings and a week of incidents) with the demo accounts, loaded once per run — by
//!   `cargo xtask test`, or by the first test that needs it when `cargo test` runs alone — and
//!   cloned in about a second (see `citygrid::db::template`). The clone is dropped with its guard.
//! - [`spawn_app`], [`spawn_app_with_martin`]: the real router on 127.0.0.1:0 over its own clone
//!   (and a martin of its own on a free port).
//! - [`fresh_database`]: an empty, migrated database of its own.
//! - [`demo_city`]: the demo-scale city, for the few tests that need its size (the dataset
//!   checks, tile size budgets). It is shared by them and read-only (the database refuses
//!   writes), so nothing one test does can change what another sees.
//!
//! Names: every database of a run starts with `CITYGRID_TEST_DB_PREFIX` (set by `cargo xtask
//! test`, which drops them all at the start and the end of a run); `cargo test` alone uses a
//! prefix derived from this checkout's path, so two checkouts on one machine never collide.
//! `CITYGRID_TEST_DATABASE_URL` names the database the harness connects to for `CREATE
//! DATABASE` (its name is swapped for each clone's).
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use citygrid::config::Config;
use citygrid::dataset::{LoadOptions, Scale};
use citygrid::db::template::{self, TemplateSpec};
use citygrid::http::{app, AppState};
use sqlx::PgPool;

/// The seed of every city the tests run on.
pub const SEED: u64 = 2019;
pub const DEMO_PASSWORD: &str = citygrid::config::DEFAULT_DEMO_PASSWORD;

/// The database the harness connects to for creating and dropping databases.
#[must_use]
pub fn admin_url() -> String {
    std::env::var("CITYGRID_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://citygrid:citygrid@127.0.0.1:5432/citygrid_test".into())
}

#[must_use]
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The prefix of every database this run creates (see the module docs). Without
/// `CITYGRID_TEST_DB_PREFIX`, `cgt_` and an FNV-1a hash of the checkout's path — the formula
/// `cargo xtask test` uses too.
#[must_use]
pub fn db_prefix() -> String {
    if let Some(p) = std::env::var("CITYGRID_TEST_DB_PREFIX").ok().filter(|p| !p.is_empty()) {
        return p;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in repo_root().to_string_lossy().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("cgt_{:08x}", h >> 32)
}

#[must_use]
pub fn districts_path() -> PathBuf {
    repo_root().join("data/huaian_districts.geojson")
}

/// The options that load the city at `scale` from `seed`.
#[must_use]
pub fn load_options(scale: Scale, seed: u64) -> LoadOptions {
    LoadOptions { scale, seed, districts_path: districts_path(), progress: false }
}

/// Runs `ensure` for `spec` on a thread with its own runtime (tests each have their own
/// runtime, and the template outlives all of them); panics with the reason when it fails.
fn ensure_template(spec: TemplateSpec) -> String {
    let name = spec.name.clone();
    let built = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(template::ensure(&admin_url(), &spec))
    })
    .join()
    .unwrap_or_else(|_| panic!("building template {name} panicked"));
    match built {
        Ok(Some(took)) => eprintln!("test template {name}: built in {:.1} s", took.as_secs_f64()),
        Ok(None) => {}
        Err(e) => panic!("test template {name}: {e:#}"),
    }
    name
}

/// The run's template: the tiny city with the demo accounts (built on first use).
pub fn city_template() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        ensure_template(TemplateSpec {
            name: format!("{}_tpl", db_prefix()),
            load: load_options(Scale::Tiny, SEED),
            demo_password: Some(DEMO_PASSWORD.into()),
            clone_only: true,
        })
    })
}

/// A name no other database of this run has.
fn unique_name(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{}_{tag}_{}_{}", db_prefix(), std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A database of one test. Dropping the guard drops the database (`with (force)`), also when
/// the test panics.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    /// Its connection URL.
    pub url: String,
}

impl TestDb {
    async fn open(name: String) -> TestDb {
        let url = template::url_for(&admin_url(), &name).unwrap();
        let pool = citygrid::db::connect(&url, 8).await.unwrap_or_else(|e| panic!("database {name}: {e:#}"));
        TestDb { pool, name, url }
    }
}

impl Drop for TestDb {
    /// `Drop` cannot await, and the test's runtime may be the one blocked here (or be unwinding):
    /// a thread with its own small runtime drops the database. Never panics (a panic while
    /// unwinding would abort the test binary); a failure is only reported.
    fn drop(&mut self) {
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || -> anyhow::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(template::drop(&admin_url(), &name))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e:#}", self.name),
            Err(_) => eprintln!("could not drop test database {}: the dropping thread panicked", self.name),
        }
    }
}

/// A clone of the run's template (the tiny city, demo accounts included), for this test alone.
pub async fn test_city() -> TestDb {
    let template = city_template();
    let name = unique_name("city");
    template::clone(&admin_url(), template, &name).await.unwrap_or_else(|e| panic!("{e:#}"));
    TestDb::open(name).await
}

/// A new, empty, migrated database of this test's own.
pub async fn fresh_database(tag: &str) -> TestDb {
    let name = unique_name(tag);
    template::clone(&admin_url(), template::EMPTY_TEMPLATE, &name).await.unwrap_or_else(|e| panic!("{e:#}"));
    let db = TestDb::open(name).await;
    citygrid::db::migrate(&db.pool).await.expect("migrations");
    db
}

/// The URL of the demo-scale city, shared read-only by the tests that need its size (built on
/// first use; writes fail, logins included).
pub fn demo_city_url() -> String {
    static NAME: OnceLock<String> = OnceLock::new();
    let name = NAME.get_or_init(|| {
        ensure_template(TemplateSpec {
            name: format!("{}_demo", db_prefix()),
            load: load_options(Scale::Demo, SEED),
            demo_password: None,
            clone_only: false,
        })
    });
    template::url_for(&admin_url(), name).unwrap()
}

/// A pool on the shared, read-only demo city.
pub async fn demo_city() -> PgPool {
    let url = demo_city_url();
    citygrid::db::connect(&url, 8).await.unwrap_or_else(|e| panic!("demo city: {e:#}"))
}

// ---------------------------------------------------------------------------------------------
// martin
// ---------------------------------------------------------------------------------------------

/// A martin process serving one database, on a free port; killed on drop.
pub struct Martin {
    child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl Drop for Martin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// martin from `CITYGRID_MARTIN_BIN` (set by `cargo xtask test`), else on PATH or in
/// `~/.cargo/bin`.
fn martin_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("CITYGRID_MARTIN_BIN").filter(|b| !b.is_empty()) {
        return PathBuf::from(bin);
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join("martin")).find(|c| c.is_file()));
    on_path
        .or_else(|| {
            let home = PathBuf::from(std::env::var_os("HOME")?);
            Some(home.join(".cargo/bin/martin")).filter(|c| c.is_file())
        })
        .expect("martin is not installed: run `cargo xtask setup` or set CITYGRID_MARTIN_BIN")
}

#[must_use]
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts martin with `tiles/martin.yaml` on `database_url`, with its tile cache of `cache_mb`
/// (0: off), and waits until it answers `/health`.
pub async fn start_martin(database_url: &str, cache_mb: u32) -> Martin {
    let port = free_port();
    let log = std::env::temp_dir().join(format!("citygrid-test-martin-{port}.log"));
    let file = std::fs::File::create(&log).unwrap();
    let child = Command::new(martin_bin())
        .arg("--config")
        .arg(repo_root().join("tiles/martin.yaml"))
        .env("CITYGRID_MARTIN_DATABASE_URL", database_url)
        .env("CITYGRID_MARTIN_PORT", port.to_string())
        .env("CITYGRID_MARTIN_CACHE_MB", cache_mb.to_string())
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("starting martin");
    let mut martin = Martin { child, url: format!("http://127.0.0.1:{port}"), log };
    let client = reqwest::Client::new();
    // Bounded, so a martin that never comes up fails the test instead of hanging it.
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        if let Some(status) = martin.child.try_wait().unwrap() {
            panic!("martin exited ({status}):\n{}", std::fs::read_to_string(&martin.log).unwrap_or_default());
        }
        if let Ok(r) = client.get(format!("{}/health", martin.url)).send().await {
            if r.status().is_success() {
                return martin;
            }
        }
        assert!(
            Instant::now() < deadline,
            "martin did not come up:\n{}",
            std::fs::read_to_string(&martin.log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------

/// The app under test. Fields drop in order: martin before the database it reads.
pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    pub client: reqwest::Client,
    pub martin: Option<Martin>,
    pub db: Option<TestDb>,
}

/// The real router on its own clone of the city; martin reads as down (a closed port).
pub async fn spawn_app() -> TestApp {
    let db = test_city().await;
    let mut app = spawn_app_on(db.pool.clone(), "http://127.0.0.1:9".into()).await;
    app.db = Some(db);
    app
}

/// The real router and a martin (cache off) on its own clone of the city.
pub async fn spawn_app_with_martin() -> TestApp {
    let db = test_city().await;
    let martin = start_martin(&db.url, 0).await;
    let mut app = spawn_app_on(db.pool.clone(), martin.url.clone()).await;
    app.martin = Some(martin);
    app.db = Some(db);
    app
}

/// The real router on `pool`, proxying the martin at `martin_url`; escalation off.
pub async fn spawn_app_on(pool: PgPool, martin_url: String) -> TestApp {
    spawn_app_configured(pool, martin_url, |_| {}).await
}

/// [`spawn_app`] with a configuration of the test's own (login thresholds, timeouts, a static
/// directory…), served like `citygrid serve` does.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let db = test_city().await;
    let mut app = spawn_app_configured(db.pool.clone(), "http://127.0.0.1:9".into(), configure).await;
    app.db = Some(db);
    app
}

async fn spawn_app_configured(pool: PgPool, martin_url: String, configure: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config { martin_url, token_hours: 1, escalation_interval: None, ..Config::new(admin_url()) };
    configure(&mut config);
    let header_read = config.timeouts.header_read;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let engine = citygrid::routing::sync::start(&pool).await.expect("routing engine");
    let router = app(AppState::new(pool.clone(), config, engine));
    tokio::spawn(async move {
        citygrid::http::serve_with(listener, router, header_read, std::future::pending()).await.unwrap();
    });
    TestApp { base, pool, client: reqwest::Client::new(), martin: None, db: None }
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

/// Polls `check` every 100 ms until it returns `Some`, for at most `bound` (a bound against a
/// hang, not a speed claim); panics with `what` when it never does.
pub async fn eventually<T, F, Fut>(what: &str, bound: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + bound;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not reached within {} s", bound.as_secs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A horizontal line through the grid's interior point, reaching past its box on both sides.
pub async fn split_line(pool: &PgPool, code: &str) -> serde_json::Value {
    let (x0, x1, y): (f64, f64, f64) = sqlx::query_as(
        "select st_xmin(geom) - 0.0005, st_xmax(geom) + 0.0005, st_y(st_pointonsurface(geom)) from current_grids where code = $1",
    )
    .bind(code)
    .fetch_one(pool)
    .await
    .expect("grid box");
    serde_json::json!({"type": "LineString", "coordinates": [[x0, y], [x1, y]]})
}

/// A draft splitting `code` by [`split_line`]. When the line reaches a neighbour (a node on a
/// shared edge), the 409 names the versions it also needs; the draft is asked again with them.
pub async fn draft_split(app: &TestApp, token: &str, code: &str, note: &str) -> serde_json::Value {
    let version: i32 = sqlx::query_scalar("select version from current_grids where code = $1")
        .bind(code)
        .fetch_one(&app.pool)
        .await
        .expect("version");
    let mut body = serde_json::json!({
        "operation": "split", "grids": [code], "geometry": split_line(&app.pool, code).await,
        "base_versions": {code: version}, "note": note
    });
    let (mut status, mut draft) = app.post("/api/plans", Some(token), &body).await;
    if status == 409 {
        for (c, v) in draft["error"]["details"]["versions"].as_object().expect("versions") {
            body["base_versions"][c] = v.clone();
        }
        (status, draft) = app.post("/api/plans", Some(token), &body).await;
    }
    assert_eq!(status, 201, "{draft}");
    draft
}

/// Asserts the standard error body and that its message mentions `needle`.
pub fn assert_error(status: u16, body: &serde_json::Value, expected: u16, needle: &str) {
    assert_eq!(status, expected, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_else(|| panic!("no error.message in {body}"));
    assert!(body["error"]["code"].is_string(), "{body}");
    assert!(message.contains(needle), "message {message:?} should mention {needle:?}");
}
