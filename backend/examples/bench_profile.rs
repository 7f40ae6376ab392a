//! `cargo xtask bench profile`: the backend binary of the dev profile (what `cargo xtask test`
//! serves) against the release profile (what `cargo xtask run` serves), in the same run, on the
//! same database and the same martin: `POST /api/route` and one tile through the proxy.
//!
//! Needs `DATABASE_URL` (the loaded city the two backends serve) and `BENCH_DEV_URL` /
//! `BENCH_RELEASE_URL` (the two running backends). Rounds alternate dev and release so a burst
//! of load from elsewhere on the machine hits both; each build's figure is its best round.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use anyhow::Context as _;
use citygrid::config::DEFAULT_DEMO_PASSWORD;

const ROUNDS: usize = 3;
const CONCURRENCY: usize = 4;
const SECONDS_PER_RUN: u64 = 5;
/// A point in the city centre (Qingjiangpu), and a tile there at z14.
const POINT: (f64, f64) = (119.0201, 33.6003);
const TILE_ZOOM: u32 = 14;

struct Run {
    per_second: f64,
    p50_ms: f64,
    p95_ms: f64,
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

/// `CONCURRENCY` clients in a closed loop for `SECONDS_PER_RUN` seconds.
async fn closed_loop(make: impl Fn() -> reqwest::RequestBuilder) -> Run {
    let until = Instant::now() + Duration::from_secs(SECONDS_PER_RUN);
    let started = Instant::now();
    let clients = (0..CONCURRENCY).map(|_| {
        let make = &make;
        async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                let res = make().send().await.unwrap();
                assert!(res.status().is_success(), "{}", res.status());
                res.bytes().await.unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }
    });
    let mut latencies: Vec<Duration> = futures_util::future::join_all(clients).await.into_iter().flatten().collect();
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    Run { per_second: latencies.len() as f64 / elapsed, p50_ms: pct(&latencies, 0.5), p95_ms: pct(&latencies, 0.95) }
}

async fn login(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let password = std::env::var("CITYGRID_DEMO_PASSWORD").unwrap_or_else(|_| DEFAULT_DEMO_PASSWORD.into());
    let body: serde_json::Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": "dispatcher", "password": password}))
        .send()
        .await?
        .json()
        .await?;
    Ok(body["token"].as_str().with_context(|| format!("login at {base} failed: {body}"))?.to_owned())
}

fn best(runs: &[Run]) -> &Run {
    runs.iter().max_by(|a, b| a.per_second.total_cmp(&b.per_second)).unwrap()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let builds = [("dev", std::env::var("BENCH_DEV_URL")?), ("release", std::env::var("BENCH_RELEASE_URL")?)];
    let pool = citygrid::db::connect(&url, 2).await?;
    let version: i64 =
        sqlx::query_scalar("select version from layer_versions where layer = 'buildings'").fetch_one(&pool).await?;
    let tile = citygrid::tiles::TileCoord::containing(POINT.0, POINT.1, TILE_ZOOM);
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for (_, base) in &builds {
        tokens.push(login(&client, base).await?);
    }
    let route_body = serde_json::json!({"lon": POINT.0, "lat": POINT.1, "category": "dispute.neighbor"});
    // One request of each kind first: martin's cache and the backends' connections warm.
    for ((_, base), token) in builds.iter().zip(&tokens) {
        let tile_url = format!("{base}/tiles/buildings/{TILE_ZOOM}/{}/{}?v={version}", tile.x, tile.y);
        client.get(&tile_url).bearer_auth(token).send().await?.error_for_status()?;
        client
            .post(format!("{base}/api/route"))
            .bearer_auth(token)
            .json(&route_body)
            .send()
            .await?
            .error_for_status()?;
    }

    let mut route: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    let mut tiles: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (i, ((_, base), token)) in builds.iter().zip(&tokens).enumerate() {
            let route_url = format!("{base}/api/route");
            route[i].push(closed_loop(|| client.post(&route_url).bearer_auth(token).json(&route_body)).await);
            let tile_url = format!("{base}/tiles/buildings/{TILE_ZOOM}/{}/{}?v={version}", tile.x, tile.y);
            tiles[i]
                .push(closed_loop(|| client.get(&tile_url).bearer_auth(token).header("accept-encoding", "gzip")).await);
        }
    }

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\ndev vs release backend, same database and martin (cache on), {CONCURRENCY} clients × \
         {SECONDS_PER_RUN} s, best of {ROUNDS} alternating rounds; load average {}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!("| request | dev req/s (p50 / p95 ms) | release req/s (p50 / p95 ms) | release / dev |");
    println!("| --- | --- | --- | --- |");
    let tile_label = format!("GET /tiles/buildings/{TILE_ZOOM}/{}/{}", tile.x, tile.y);
    for (label, runs) in [("POST /api/route", &route), (tile_label.as_str(), &tiles)] {
        let (d, r) = (best(&runs[0]), best(&runs[1]));
        println!(
            "| {label} | {:.0} ({:.2} / {:.2}) | {:.0} ({:.2} / {:.2}) | {:.2}× |",
            d.per_second,
            d.p50_ms,
            d.p95_ms,
            r.per_second,
            r.p50_ms,
            r.p95_ms,
            r.per_second / d.per_second
        );
    }
    Ok(())
}
