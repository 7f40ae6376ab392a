//! `cargo xtask bench tiles`: tile latency and throughput through the backend proxy vs martin
//! direct, in the same run, for the tiles a person opening the city centre would load.
//!
//! Needs `DATABASE_URL` (a loaded city), `CITYGRID_MARTIN_URL` (a running martin) and
//! `BENCH_LABEL` (`cold` when martin runs without cache, `warm` otherwise).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::time::{Duration, Instant};

const CENTRE: (f64, f64) = (119.02, 33.60);
/// Tiles per side of the block measured around the centre.
const BLOCK: i32 = 4;
const ROUNDS: usize = 3;
const CONCURRENCY: usize = 4;

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

struct Run {
    latencies: Vec<Duration>,
    bytes: Vec<usize>,
    throughput: f64,
}

async fn measure(client: &reqwest::Client, urls: &[String], token: Option<&str>, warm: bool) -> Run {
    let get = |u: String| {
        let mut req = client.get(u).header("accept-encoding", "gzip");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let t = Instant::now();
            let res = req.send().await.unwrap();
            assert!(res.status().is_success(), "{}", res.status());
            let n = res.bytes().await.unwrap().len();
            (t.elapsed(), n)
        }
    };
    if warm {
        for u in urls {
            get(u.clone()).await;
        }
    }
    let mut latencies = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..ROUNDS {
        for u in urls {
            let (d, n) = get(u.clone()).await;
            latencies.push(d);
            bytes.push(n);
        }
    }
    latencies.sort_unstable();
    let t = Instant::now();
    for chunk in urls.chunks(CONCURRENCY) {
        futures_util::future::join_all(chunk.iter().map(|u| get(u.clone()))).await;
    }
    let throughput = urls.len() as f64 / t.elapsed().as_secs_f64();
    Run { latencies, bytes, throughput }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let martin = std::env::var("CITYGRID_MARTIN_URL")?;
    let label = std::env::var("BENCH_LABEL").unwrap_or_else(|_| "warm".into());
    let warm = label == "warm";
    let pool = citygrid::db::connect(&url, 8).await?;
    let engine = citygrid::routing::sync::start(&pool).await?;
    let common::Backend { base, client, token } = common::serve(&pool, engine, &martin, "leader").await?;

    println!(
        "\n{label} (martin cache {}), {BLOCK}×{BLOCK} tiles around the city centre, {ROUNDS} rounds",
        if warm { "on" } else { "off" }
    );
    println!("| layer z | backend p50 / p95 ms | martin p50 / p95 ms | p50 ratio | backend / martin tiles/s (c={CONCURRENCY}) | size avg / max KB |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (layer, z) in [("grids", 12), ("buildings", 14), ("buildings", 16), ("cameras", 13)] {
        let version: i64 = sqlx::query_scalar("select version from layer_versions where layer = $1")
            .bind(layer)
            .fetch_one(&pool)
            .await?;
        let centre = citygrid::tiles::TileCoord::containing(CENTRE.0, CENTRE.1, z);
        let (cx, cy) = (centre.x as i32, centre.y as i32);
        let tiles: Vec<(i32, i32)> =
            (0..BLOCK * BLOCK).map(|i| (cx - BLOCK / 2 + i % BLOCK, cy - BLOCK / 2 + i / BLOCK)).collect();
        let via_backend: Vec<String> =
            tiles.iter().map(|(x, y)| format!("{base}/tiles/{layer}/{z}/{x}/{y}?v={version}")).collect();
        let direct: Vec<String> =
            tiles.iter().map(|(x, y)| format!("{martin}/{layer}/{z}/{x}/{y}?v={version}")).collect();
        let b = measure(&client, &via_backend, Some(&token), warm).await;
        let m = measure(&client, &direct, None, warm).await;
        let avg_kb = b.bytes.iter().sum::<usize>() as f64 / b.bytes.len() as f64 / 1024.0;
        let max_kb = *b.bytes.iter().max().unwrap() as f64 / 1024.0;
        println!(
            "| {layer} z{z} | {:.1} / {:.1} | {:.1} / {:.1} | {:.2}× | {:.0} / {:.0} | {avg_kb:.1} / {max_kb:.1} |",
            pct(&b.latencies, 0.5),
            pct(&b.latencies, 0.95),
            pct(&m.latencies, 0.5),
            pct(&m.latencies, 0.95),
            pct(&b.latencies, 0.5) / pct(&m.latencies, 0.5),
            b.throughput,
            m.throughput,
        );
    }
    Ok(())
}
