//! `cargo xtask bench route`: point → grid and full routing, in memory vs PostGIS, same run.
//!
//! Needs `DATABASE_URL` with a loaded city (the xtask loads the full-scale one). Prints a table;
//! every figure is paired with its PostGIS baseline measured moments before or after.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use citygrid::routing::grid_index::POSTGIS_LOCATE;
use citygrid::routing::{Engine, RouteQuery};
use rand::{Rng as _, SeedableRng as _};

const POINTS: usize = 100_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let pool = citygrid::db::connect(&url, 4).await?;
    let scale: Option<String> =
        sqlx::query_scalar("select value from dataset_meta where key = 'scale'").fetch_optional(&pool).await?;
    let t = Instant::now();
    let engine = std::sync::Arc::new(Engine::load(&pool).await?);
    println!("dataset: {} · engine loaded in {:.2} s", scale.as_deref().unwrap_or("?"), t.elapsed().as_secs_f64());

    let snap = engine.snapshot();
    let [x0, y0, x1, y1] = snap.grids.extent().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let points: Vec<[f64; 2]> = (0..POINTS).map(|_| [rng.random_range(x0..x1), rng.random_range(y0..y1)]).collect();

    // In process, one lookup at a time.
    let mut lat = Vec::with_capacity(POINTS);
    let t_all = Instant::now();
    let mut found = 0usize;
    for p in &points {
        let t = Instant::now();
        found += usize::from(std::hint::black_box(snap.grids.locate(p[0], p[1])).is_some());
        lat.push(t.elapsed());
    }
    let mem_total = t_all.elapsed();
    lat.sort_unstable();
    let mem_rate = rate(POINTS, mem_total);

    // PostGIS, one indexed query per point (a sample, sequential).
    let sample = 2_000;
    let mut pg_lat = Vec::with_capacity(sample);
    let t_pg = Instant::now();
    for p in &points[..sample] {
        let t = Instant::now();
        let _: Option<String> = sqlx::query_scalar(POSTGIS_LOCATE).bind(p[0]).bind(p[1]).fetch_optional(&pool).await?;
        pg_lat.push(t.elapsed());
    }
    let pg_total = t_pg.elapsed();
    pg_lat.sort_unstable();
    let pg_rate = rate(sample, pg_total);

    // PostGIS, all points in one statement.
    let xs: Vec<f64> = points.iter().map(|p| p[0]).collect();
    let ys: Vec<f64> = points.iter().map(|p| p[1]).collect();
    let t = Instant::now();
    let _: Vec<Option<String>> = sqlx::query_scalar(
        "select g.code from unnest($1::float8[], $2::float8[]) with ordinality p(x, y, i)
         left join lateral (select code from current_grids
                            where st_covers(geom, st_setsrid(st_makepoint(p.x, p.y), 4326)) order by code limit 1) g on true
         order by p.i",
    )
    .bind(&xs)
    .bind(&ys)
    .fetch_all(&pool)
    .await?;
    let pg_bulk_rate = rate(POINTS, t.elapsed());

    // The batch endpoint over HTTP (the real router on loopback).
    let common::Backend { base, client, token } =
        common::serve(&pool, engine.clone(), "http://127.0.0.1:9", "dispatcher").await?;
    let body = serde_json::to_vec(&serde_json::json!({ "points": points }))?;
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let res = client
            .post(format!("{base}/api/route/batch"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await?;
        assert!(res.status().is_success());
        let _ = res.bytes().await?;
        best = best.min(t.elapsed());
    }
    let batch_rate = rate(POINTS, best);

    // Full routing results, in process.
    let inside: Vec<[f64; 2]> =
        points.iter().copied().filter(|p| snap.grids.locate(p[0], p[1]).is_some()).take(20_000).collect();
    let now = Utc::now();
    let t = Instant::now();
    for p in &inside {
        let q = RouteQuery {
            lon: p[0],
            lat: p[1],
            category: Some("dispute.neighbor"),
            priority: None,
            now,
            scope: &citygrid::scope::Scope::City,
        };
        std::hint::black_box(engine.route(&q).ok());
    }
    let route_rate = rate(inside.len(), t.elapsed());

    // Full routing results over HTTP, one request at a time.
    let http_n = 2_000.min(inside.len());
    let t = Instant::now();
    for p in &inside[..http_n] {
        let res = client
            .post(format!("{base}/api/route"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"lon": p[0], "lat": p[1], "category": "dispute.neighbor"}))
            .send()
            .await?;
        assert!(res.status().is_success());
        let _ = res.bytes().await?;
    }
    let route_http_rate = rate(http_n, t.elapsed());

    println!("\npoint → grid ({POINTS} random points over the city's extent, {found} inside a grid)");
    println!("| measure | in memory (rstar) | PostGIS | ratio |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| one lookup, p50 / p99 | {:.0} ns / {:.0} ns | {:.0} µs / {:.0} µs | {:.0}× at p50 |",
        percentile(&lat, 0.5).as_nanos(),
        percentile(&lat, 0.99).as_nanos(),
        percentile(&pg_lat, 0.5).as_secs_f64() * 1e6,
        percentile(&pg_lat, 0.99).as_secs_f64() * 1e6,
        percentile(&pg_lat, 0.5).as_secs_f64() / percentile(&lat, 0.5).as_secs_f64().max(1e-9)
    );
    println!("| sequential lookups/s | {mem_rate:.0} | {pg_rate:.0} (per query) | {:.0}× |", mem_rate / pg_rate);
    println!(
        "| 100,000 points at once | batch endpoint over HTTP: {batch_rate:.0} points/s | one statement: {pg_bulk_rate:.0} points/s | {:.1}× |",
        batch_rate / pg_bulk_rate
    );
    println!("| full routing results/s | in process {route_rate:.0}; over HTTP, sequential {route_http_rate:.0} | | |");
    Ok(())
}
