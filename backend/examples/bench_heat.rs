//! `cargo xtask bench heat`: heat tiles through the backend (rollups, martin) against the naive
//! `ST_AsMVT` over the raw incident points of the same window and tile, run in PostgreSQL
//! through a prepared statement on a warm cache (the peer at its best), in the same run.
//!
//! Needs `DATABASE_URL` (a loaded city), `CITYGRID_MARTIN_URL` (a running martin) and
//! `BENCH_LABEL` (`cold` when martin runs without cache, `warm` otherwise). With
//! `BENCH_NAIVE_FILE`, the cold pass writes its naive figures there and the warm pass of the same
//! run reuses them instead of repeating the naive tiles (20–90 s each at z8 for a year).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use citygrid::tiles::TileCoord;

/// The city centre (清江浦区).
const CENTRE: (f64, f64) = (119.02, 33.60);
/// Tiles per side of the block measured around the centre at z11 and z14.
const BLOCK: u32 = 3;
/// Rounds over the tiles (heat); the naive baseline, seconds per tile at z8, runs fewer.
const ROUNDS: usize = 3;
const NAIVE_ROUNDS: usize = 2;

const NAIVE: &str = "
    select coalesce(st_asmvt(t, 'incidents', 4096, 'geom'), ''::bytea) from (
        select 1 as count, st_asmvtgeom(st_transform(i.geom, 3857), st_tileenvelope($1, $2, $3), 4096, 64, true) as geom
        from incidents i
        where i.geom && st_transform(st_tileenvelope($1, $2, $3, margin => 64.0 / 4096), 4326)
          and i.reported_at >= $4 and i.reported_at < $5 and i.status <> 'duplicate'
    ) t where t.geom is not null";

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

/// The tiles measured at zoom `z`: the city's z8 tiles, else a block around the centre.
fn tiles_at(z: u8) -> Vec<TileCoord> {
    if z <= 8 {
        let (a, b) = (TileCoord::containing(118.1, 34.2, 8), TileCoord::containing(119.7, 32.6, 8));
        return (a.x..=b.x).flat_map(|x| (a.y..=b.y).map(move |y| TileCoord { z: 8, x, y })).collect();
    }
    let c = TileCoord::containing(CENTRE.0, CENTRE.1, u32::from(z));
    (0..BLOCK * BLOCK)
        .map(|i| TileCoord { z, x: c.x - BLOCK / 2 + i % BLOCK, y: c.y - BLOCK / 2 + i / BLOCK })
        .collect()
}

/// The naive tiles, p50 / p95 ms and the largest size in KB, after a round that warms the
/// cache and the prepared statement.
async fn naive_tiles(
    pool: &sqlx::PgPool,
    tiles: &[TileCoord],
    from_ts: chrono::DateTime<chrono::Utc>,
    to_ts: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(f64, f64, f64)> {
    let (mut lat, mut size) = (Vec::new(), Vec::new());
    let mut conn = pool.acquire().await?;
    for round in 0..=NAIVE_ROUNDS {
        for t in tiles {
            let started = Instant::now();
            let bytes: Vec<u8> = sqlx::query_scalar(NAIVE)
                .bind(i32::from(t.z))
                .bind(t.x as i32)
                .bind(t.y as i32)
                .bind(from_ts)
                .bind(to_ts)
                .fetch_one(&mut *conn)
                .await?;
            if round > 0 {
                lat.push(started.elapsed());
                size.push(bytes.len());
            }
        }
    }
    lat.sort_unstable();
    Ok((pct(&lat, 0.5), pct(&lat, 0.95), *size.iter().max().unwrap() as f64 / 1024.0))
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

    // Windows ending with the dataset's last day (its generated period ends at midnight).
    let until: String =
        sqlx::query_scalar("select value from dataset_meta where key = 'generated_until'").fetch_one(&pool).await?;
    let last = NaiveDate::parse_from_str(&until[..10], "%Y-%m-%d")? - chrono::Duration::days(1);
    let end = last + chrono::Duration::days(1);
    let windows =
        [("one year", end - chrono::Duration::days(365), end), ("one week", end - chrono::Duration::days(7), end)];

    let naive_file = std::env::var_os("BENCH_NAIVE_FILE").map(std::path::PathBuf::from);
    // The naive figures of the cold pass of this run, by "window zN".
    let reused: std::collections::BTreeMap<String, (f64, f64, f64)> = match (&naive_file, warm) {
        (Some(path), true) => std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                Some((
                    (*f.first()?).to_owned(),
                    (f.get(1)?.parse().ok()?, f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?),
                ))
            })
            .collect(),
        _ => std::collections::BTreeMap::new(),
    };
    println!(
        "\n{label} (martin cache {}), heat through the backend vs naive ST_AsMVT of the raw points{}",
        if warm { "on" } else { "off" },
        if reused.is_empty() { "" } else { " (naive: measured once per tile in the cold pass of this run, reused)" }
    );
    println!("| window z | tiles | heat p50 / p95 ms | naive p50 / p95 ms | p50 speed-up | heat size avg / max KB | naive size max KB |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (name, from, to) in windows {
        let info: serde_json::Value = client
            .get(format!("{base}/api/stats/heat-tiles?from={from}&to={to}"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let template = info["tiles"].as_str().unwrap().to_owned();
        let from_ts = citygrid::stats::filter::midnight(from);
        let to_ts = citygrid::stats::filter::midnight(to);
        for z in [8u8, 11, 14] {
            let tiles = tiles_at(z);
            let urls: Vec<String> = tiles
                .iter()
                .map(|t| {
                    template
                        .replace("{z}", &t.z.to_string())
                        .replace("{x}", &t.x.to_string())
                        .replace("{y}", &t.y.to_string())
                })
                .collect();
            let get = |u: String| {
                // Uncompressed, so that sizes are the tiles' own.
                let req = client.get(u).bearer_auth(&token);
                async move {
                    let t = Instant::now();
                    let res = req.send().await.unwrap();
                    assert!(res.status().is_success(), "{}", res.status());
                    (t.elapsed(), res.bytes().await.unwrap().len())
                }
            };
            if warm {
                for u in &urls {
                    get(u.clone()).await;
                }
            }
            let (mut lat, mut raw) = (Vec::new(), Vec::new());
            for _ in 0..ROUNDS {
                for u in &urls {
                    let (d, n) = get(u.clone()).await;
                    lat.push(d);
                    raw.push(n);
                }
            }
            lat.sort_unstable();

            let key = format!("{name} z{z}");
            let naive = if let Some(n) = reused.get(&key) {
                *n
            } else {
                let n = naive_tiles(&pool, &tiles, from_ts, to_ts).await?;
                if let Some(path) = &naive_file {
                    use std::io::Write as _;
                    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
                    writeln!(f, "{key}\t{}\t{}\t{}", n.0, n.1, n.2)?;
                }
                n
            };
            let kb = |n: usize| n as f64 / 1024.0;
            println!(
                "| {name} z{z} | {} | {:.1} / {:.1} | {:.1} / {:.1} | {:.0}× | {:.1} / {:.1} | {:.1} |",
                tiles.len(),
                pct(&lat, 0.5),
                pct(&lat, 0.95),
                naive.0,
                naive.1,
                naive.0 / pct(&lat, 0.5),
                kb(raw.iter().sum::<usize>() / raw.len()),
                kb(*raw.iter().max().unwrap()),
                naive.2,
            );
        }
    }
    Ok(())
}
