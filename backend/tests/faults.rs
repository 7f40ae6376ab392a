//! Faults survived, each on a private PostgreSQL cluster of its own (`initdb` in a temporary
//! directory, its own port), never the shared one: PostgreSQL stopped and started again under a
//! running backend, martin killed and restarted, and `kill -9` of the backend in the middle of
//! registrations. The backend is the real `citygrid serve` binary.
//!
//! Latencies are printed for the record, never asserted (shared machines are noisy); every wait
//! has a bound so a regression fails instead of hanging.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A PostgreSQL 15 cluster of this test alone; stopped and deleted on drop.
struct Cluster {
    dir: PathBuf,
    port: u16,
}

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `bin args…` as the `postgres` user when we are root (initdb refuses root), else as ourselves.
fn pg_command(bin: &str) -> Command {
    let exe = Path::new(PG_BIN).join(bin);
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(exe);
        c
    } else {
        Command::new(exe)
    }
}

fn run_ok(cmd: &mut Command, what: &str) {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Cluster {
    fn init() -> Cluster {
        let dir =
            std::env::temp_dir().join(format!("citygrid-faults-{}-{}", std::process::id(), rand::random::<u32>()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            run_ok(Command::new("chown").arg("postgres").arg(&dir), "chown");
        }
        let port = common::free_port();
        run_ok(
            pg_command("initdb").arg("-D").arg(dir.join("data")).args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]),
            "initdb",
        );
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{}'\n\
             fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 100\n",
            dir.display()
        );
        let conf_path = dir.join("data/postgresql.auto.conf");
        let mut existing = std::fs::read_to_string(&conf_path).unwrap_or_default();
        existing.push_str(&conf);
        std::fs::write(&conf_path, existing).unwrap();
        let cluster = Cluster { dir, port };
        cluster.start();
        cluster
    }

    fn start(&self) {
        run_ok(
            pg_command("pg_ctl")
                .arg("-D")
                .arg(self.dir.join("data"))
                .arg("-l")
                .arg(self.dir.join("log"))
                .args(["-w", "-t", "60", "start"]),
            "pg_ctl start",
        );
    }

    fn stop(&self) {
        run_ok(
            pg_command("pg_ctl").arg("-D").arg(self.dir.join("data")).args(["-m", "fast", "-w", "-t", "60", "stop"]),
            "pg_ctl stop",
        );
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A migrated database `citygrid` with PostGIS, the two-grid mini city and the demo accounts.
    async fn city(&self) -> String {
        let admin = citygrid::db::connect(&self.url("postgres"), 1).await.unwrap();
        sqlx::query("create database citygrid").execute(&admin).await.unwrap();
        admin.close().await;
        let url = self.url("citygrid");
        let pool = citygrid::db::connect(&url, 2).await.unwrap();
        sqlx::query("create extension postgis").execute(&pool).await.unwrap();
        citygrid::db::migrate(&pool).await.unwrap();
        sqlx::raw_sql(include_str!("fixtures/mini_city.sql")).execute(&pool).await.unwrap();
        let throttle =
            citygrid::login_throttle::LoginThrottle::new(citygrid::login_throttle::ThrottleConfig::default());
        citygrid::accounts::ensure_demo_accounts(&pool, &throttle, common::DEMO_PASSWORD).await.unwrap();
        pool.close().await;
        url
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg_command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The real `citygrid serve` on a free port; killed on drop.
struct Backend {
    child: Child,
    base: String,
}

impl Backend {
    async fn start(database_url: &str, martin_url: &str) -> Backend {
        let port = common::free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_citygrid"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("CITYGRID_LISTEN", format!("127.0.0.1:{port}"))
            .env("CITYGRID_MARTIN_URL", martin_url)
            .env("CITYGRID_ESCALATION_SECONDS", "0")
            .env("CITYGRID_DEMO_PASSWORD", common::DEMO_PASSWORD)
            .env_remove("CITYGRID_STATIC_DIR")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let backend = Backend { child, base: format!("http://127.0.0.1:{port}") };
        let client = reqwest::Client::new();
        common::eventually("the backend answering /api/health", Duration::from_mins(1), || async {
            client.get(format!("{}/api/health", backend.base)).send().await.ok().filter(|r| r.status() == 200)
        })
        .await;
        backend
    }

    fn kill9(&mut self) {
        let _ = Command::new("kill").arg("-9").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client whose every request gives up after 10 s: a hang fails the test.
fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

async fn login(client: &reqwest::Client, base: &str) -> String {
    let res = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "dispatcher", "password": common::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// GET with a token; status, body, and how long it took.
async fn timed_get(client: &reqwest::Client, url: &str, token: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let res = client.get(url).bearer_auth(token).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body, started.elapsed())
}

const PROBE: [[f64; 2]; 3] = [[119.012, 33.605], [119.005, 33.605], [119.018, 33.605]];

async fn grids_of_probe(client: &reqwest::Client, base: &str, token: &str) -> Value {
    let res = client
        .post(format!("{base}/api/route/batch"))
        .bearer_auth(token)
        .json(&json!({ "points": PROBE }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "routing answers from memory");
    res.json::<Value>().await.unwrap()["grids"].clone()
}

#[tokio::test]
async fn postgres_down_and_back() {
    let cluster = Cluster::init();
    let url = cluster.city().await;
    let martin = common::start_martin(&url, 0).await;
    let backend = Backend::start(&url, &martin.url).await;
    let (client, base) = (client(), backend.base.clone());
    let token = login(&client, &base).await;
    let (s, _, _) = timed_get(&client, &format!("{base}/api/ready"), &token).await;
    assert_eq!(s, 200, "ready with PostgreSQL and martin up");
    assert_eq!(
        grids_of_probe(&client, &base, &token).await,
        json!(["320812001001002", "320812001001001", "320812001001002"])
    );

    cluster.stop();
    let (s, body, took) = timed_get(&client, &format!("{base}/api/ready"), &token).await;
    println!("PostgreSQL down: /api/ready answered {s} in {} ms: {body}", took.as_millis());
    assert_eq!(s, 503, "{body}");
    assert_eq!((body["db"].as_str(), body["martin"].as_str()), (Some("down"), Some("ok")), "{body}");
    let (s, body, took) = timed_get(&client, &format!("{base}/api/incidents?limit=1"), &token).await;
    println!("PostgreSQL down: /api/incidents answered {s} in {} ms: {body}", took.as_millis());
    assert_eq!(s, 503, "{body}");
    assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "a JSON error: {body}");
    // Routing keeps answering from memory, for a user whose login was checked before the outage.
    assert_eq!(
        grids_of_probe(&client, &base, &token).await,
        json!(["320812001001002", "320812001001001", "320812001001002"])
    );

    // PostgreSQL comes back, and a boundary edit lands at once: before the backend's listener has
    // reconnected, so its notification is lost to it; the resync after the reconnect must see it.
    cluster.start();
    let back = Instant::now();
    let edit = citygrid::db::connect(&url, 1).await.unwrap();
    sqlx::raw_sql(
        "begin;
         update grid_versions set valid_to = now() where valid_to is null;
         insert into grid_versions (grid_code, version, geom) values
           ('320812001001001', 2, st_multi(st_makeenvelope(119.00, 33.60, 119.015, 33.61, 4326))),
           ('320812001001002', 2, st_multi(st_makeenvelope(119.015, 33.60, 119.02, 33.61, 4326)));
         commit;",
    )
    .execute(&edit)
    .await
    .unwrap();
    edit.close().await;
    common::eventually("full service after PostgreSQL restarted", Duration::from_mins(1), || async {
        let ready = timed_get(&client, &format!("{base}/api/ready"), &token).await.0 == 200;
        let list = timed_get(&client, &format!("{base}/api/incidents?limit=1"), &token).await.0 == 200;
        let moved = grids_of_probe(&client, &base, &token).await
            == json!(["320812001001001", "320812001001001", "320812001001002"]);
        (ready && list && moved).then_some(())
    })
    .await;
    println!(
        "PostgreSQL back: full service (ready, lists, the edit routed) {} ms after the restart",
        back.elapsed().as_millis()
    );
}

#[tokio::test]
async fn martin_down_and_back() {
    let cluster = Cluster::init();
    let url = cluster.city().await;
    let martin = common::start_martin(&url, 0).await;
    let martin_url = martin.url.clone();
    let backend = Backend::start(&url, &martin_url).await;
    let (client, base) = (client(), backend.base.clone());
    let token = login(&client, &base).await;
    let tile = format!("{base}/tiles/counties/0/0/0");
    let (s, _, _) = timed_get(&client, &tile, &token).await;
    assert!(s == 200 || s == 204, "tile with martin up: {s}");

    drop(martin);
    let (s, body, took) = timed_get(&client, &tile, &token).await;
    println!("martin down: a tile answered {s} in {} ms", took.as_millis());
    assert_eq!(s, 502, "{body}");
    assert_eq!(body["error"]["code"], "bad_gateway", "{body}");
    let (s, body, _) = timed_get(&client, &format!("{base}/api/ready"), &token).await;
    assert_eq!((s, body["martin"].as_str(), body["db"].as_str()), (503, Some("down"), Some("ok")), "{body}");
    let (s, body, _) = timed_get(&client, &format!("{base}/api/grids/320812001001001"), &token).await;
    assert_eq!(s, 200, "the API keeps working without martin: {body}");

    // martin again on the same port (as `xtask run` restarts it): tiles come back.
    let port: u16 = martin_url.rsplit(':').next().unwrap().parse().unwrap();
    let _martin = restart_martin_on(&url, port);
    common::eventually("tiles back with martin", Duration::from_mins(1), || async {
        let s = timed_get(&client, &tile, &token).await.0;
        (s == 200 || s == 204).then_some(())
    })
    .await;
}

/// martin on a given port (the port a backend already points at); killed on drop.
fn restart_martin_on(database_url: &str, port: u16) -> KilledOnDrop {
    let bin = std::env::var_os("CITYGRID_MARTIN_BIN").map_or_else(|| PathBuf::from("martin"), PathBuf::from);
    let child = Command::new(bin)
        .arg("--config")
        .arg(common::repo_root().join("tiles/martin.yaml"))
        .env("CITYGRID_MARTIN_DATABASE_URL", database_url)
        .env("CITYGRID_MARTIN_PORT", port.to_string())
        .env("CITYGRID_MARTIN_CACHE_MB", "0")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting martin");
    KilledOnDrop(child)
}

struct KilledOnDrop(Child);
impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn kill_9_during_registrations_loses_no_acknowledged_incident() {
    let cluster = Cluster::init();
    let url = cluster.city().await;
    let mut backend = Backend::start(&url, "http://127.0.0.1:9").await;
    let (client, base) = (client(), backend.base.clone());
    let token = login(&client, &base).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Option<i64>)>();
    for n in 0..200 {
        let (client, base, token, tx) = (client.clone(), base.clone(), token.clone(), tx.clone());
        tokio::spawn(async move {
            let body = json!({"lon": 119.005 + (n as f64) * 1e-5, "lat": 33.605, "category": "citizen.environment",
                              "source": "hotline", "description": format!("kill-9 probe {n}")});
            // A client retries a 503 (the pool had no free connection within its acquire
            // timeout, a burst of 200 is shed that way) as the answer's Retry-After asks.
            let mut id = None;
            for _ in 0..100 {
                let res = client.post(format!("{base}/api/incidents")).bearer_auth(&token).json(&body).send().await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        id = r.json::<Value>().await.ok().and_then(|b| b["incident"]["id"].as_i64());
                        break;
                    }
                    Ok(r) if r.status() == 503 => tokio::time::sleep(Duration::from_millis(100)).await,
                    _ => break,
                }
            }
            let _ = tx.send((n, id));
        });
    }
    drop(tx);
    // Kill the backend once a quarter of the registrations were acknowledged.
    let mut acknowledged: Vec<(usize, i64)> = Vec::new();
    let mut answered = 0;
    while let Some((n, id)) = rx.recv().await {
        answered += 1;
        if let Some(id) = id {
            acknowledged.push((n, id));
        }
        if acknowledged.len() == 50 {
            backend.kill9();
        }
    }
    assert_eq!(answered, 200);
    println!("kill -9: {} of 200 registrations acknowledged before and while the backend died", acknowledged.len());
    assert!(acknowledged.len() >= 50, "the kill came after 50 acknowledgements");
    let pool = citygrid::db::connect(&url, 2).await.unwrap();
    let stored: Vec<(i64, String)> =
        sqlx::query_as("select id, description from incidents where description like 'kill-9 probe %' order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (n, id) in &acknowledged {
        let copies: Vec<&(i64, String)> = stored.iter().filter(|(_, d)| *d == format!("kill-9 probe {n}")).collect();
        assert_eq!(copies.len(), 1, "registration {n} (acknowledged as incident {id}) is stored exactly once");
        assert_eq!(copies[0].0, *id, "registration {n}: the acknowledged id");
    }
    let mut descriptions: Vec<&String> = stored.iter().map(|(_, d)| d).collect();
    descriptions.sort();
    descriptions.dedup();
    assert_eq!(descriptions.len(), stored.len(), "no registration is stored twice");
    let events: i64 = sqlx::query_scalar(
        "select count(*) from incidents i where i.description like 'kill-9 probe %'
           and (select count(*) from incident_events e where e.incident_id = i.id and e.action = 'report') <> 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(events, 0, "every stored incident has exactly one report event (same transaction)");
}
