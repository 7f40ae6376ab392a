//! Logins under attack: backoff per (username, client address), the bounded pool of password
//! checks, and authenticated traffic that keeps flowing while eight clients flood the login.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use citygrid::login_throttle::{LoginThrottle, ThrottleConfig};
use serde_json::json;

/// A client whose connections come from `addr` (any 127.x address reaches the loopback server).
fn client_from(addr: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::V4(addr)).build().unwrap()
}

async fn login(client: &reqwest::Client, base: &str, username: &str, password: &str) -> reqwest::Response {
    client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn failures_back_off_per_username_and_address() {
    let app = common::spawn_app_with(|c| {
        c.login = ThrottleConfig { free_failures: 3, backoff: Duration::from_mins(10), ..ThrottleConfig::default() };
    })
    .await;
    let (pool, base) = (app.pool.clone(), app.base.clone());
    let username = format!("victim{:08x}", rand::random::<u32>());
    let password = "the right one";
    sqlx::query("insert into users (username, display_name, password_hash, role) values ($1, $1, $2, 'admin')")
        .bind(&username)
        .bind(citygrid::accounts::hash_password(password).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    let attacker = client_from(Ipv4Addr::new(127, 0, 0, 2));
    for i in 1..=3 {
        let res = login(&attacker, &base, &username, "guess").await;
        assert_eq!(res.status(), 401, "failure {i} is an ordinary 401");
    }
    // Blocked now: even the right password is not checked from this address.
    let res = login(&attacker, &base, &username, password).await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "Retry-After {retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");

    // The real user, elsewhere, is not locked out; their success forgets only their own pair.
    let user = client_from(Ipv4Addr::new(127, 0, 0, 3));
    assert_eq!(login(&user, &base, &username, password).await.status(), 200);
    assert_eq!(login(&attacker, &base, &username, password).await.status(), 429);
    let rows: Vec<(String, i32)> =
        sqlx::query_as("select host(client_addr), failures from login_failures where username = $1")
            .bind(&username)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows, [("127.0.0.2".to_owned(), 3)]);
}

#[tokio::test]
async fn backoff_doubles_with_the_clock_and_is_forgotten() {
    let db = common::test_city().await;
    let pool = db.pool.clone();
    let throttle = LoginThrottle::new(ThrottleConfig {
        free_failures: 2,
        backoff: Duration::from_secs(10),
        max_backoff: Duration::from_secs(35),
        forget_after: Duration::from_hours(1),
        ..ThrottleConfig::default()
    });
    let user = format!("clock{:08x}", rand::random::<u32>());
    let addr = IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3));
    let t0 = Utc::now();
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    assert_eq!(throttle.failed(&pool, &user, addr, at(0)).await.unwrap(), None);
    assert_eq!(throttle.failed(&pool, &user, addr, at(1)).await.unwrap(), Some(Duration::from_secs(10)));
    assert!(throttle.check(&pool, &user, addr, at(5)).await.unwrap().is_err(), "blocked until 11 s");
    assert!(throttle.check(&pool, &user, addr, at(12)).await.unwrap().is_ok(), "free again after 11 s");
    assert_eq!(throttle.failed(&pool, &user, addr, at(12)).await.unwrap(), Some(Duration::from_secs(20)));
    assert_eq!(throttle.failed(&pool, &user, addr, at(40)).await.unwrap(), Some(Duration::from_secs(35)), "capped");
    // Another address is a different pair.
    let other = IpAddr::V4(Ipv4Addr::new(10, 1, 2, 4));
    assert!(throttle.check(&pool, &user, other, at(41)).await.unwrap().is_ok());
    // An hour without failures: the count starts again, and the purge removes the pair.
    assert_eq!(throttle.failed(&pool, &user, addr, at(40 + 3601)).await.unwrap(), None);
    assert!(throttle.purge(&pool, at(40 + 3601 + 3601)).await.unwrap() >= 1);
    let left: i64 = sqlx::query_scalar("select count(*) from login_failures where username = $1")
        .bind(&user)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

/// `GET /api/auth/me` requests answered by `clients` concurrent clients in `window`.
async fn me_rate(base: &str, token: &str, clients: usize, window: Duration) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + window;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, token, done) = (reqwest::Client::new(), base.to_owned(), token.to_owned(), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let res = client.get(format!("{base}/api/auth/me")).bearer_auth(&token).send().await.unwrap();
                assert_eq!(res.status(), 200);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / window.as_secs_f64()
}

/// Eight clients sending wrong passwords for ever new usernames (the worst case: backoff never
/// applies) must not stall logged-in users. Both rates are measured in this run; the ratio is
/// printed and asserted generously.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_flood_leaves_authenticated_requests_a_clear_majority() {
    let app = common::spawn_app_with(|_| {}).await;
    let base = app.base.clone();
    let client = reqwest::Client::new();
    let res = login(&client, &base, "dispatcher", common::DEMO_PASSWORD).await;
    let token = res.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let window = Duration::from_secs(3);
    let unloaded = me_rate(&base, &token, 4, window).await;

    let stop = Arc::new(AtomicBool::new(false));
    let (refused, attempts) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut attackers = Vec::new();
    for a in 0..8u8 {
        let (stop, refused, attempts, base) = (stop.clone(), refused.clone(), attempts.clone(), base.clone());
        attackers.push(tokio::spawn(async move {
            let client = client_from(Ipv4Addr::new(127, 0, 1, a + 1));
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let res = login(&client, &base, &format!("nobody{a}x{n}"), "wrong password").await;
                let s = res.status().as_u16();
                assert!(matches!(s, 401 | 503), "a bad login answers 401 or 503, not {s}");
                attempts.fetch_add(1, Ordering::Relaxed);
                if s == 503 {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // Let the flood build up before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded = me_rate(&base, &token, 4, window).await;
    // A real user can still log in during the flood (retrying a 503 as told).
    let mut logged_in = false;
    for _ in 0..20 {
        let res = login(&client, &base, "leader", common::DEMO_PASSWORD).await;
        if res.status() == 200 {
            logged_in = true;
            break;
        }
        assert_eq!(res.status(), 503);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        a.await.unwrap();
    }
    let ratio = loaded / unloaded;
    println!(
        "login flood: GET /api/auth/me {unloaded:.0} req/s unloaded, {loaded:.0} req/s under 8 bad-login clients \
         (ratio {ratio:.2}); {} bad logins, {} answered 503",
        attempts.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed)
    );
    assert!(logged_in, "a real login got through during the flood");
    assert!(ratio >= 0.3, "authenticated requests kept {ratio:.2} of their unloaded rate");
}
