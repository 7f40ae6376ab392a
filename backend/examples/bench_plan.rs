//! `cargo xtask bench plan`: whole-city partition validation and plan preview/commit latency.
//!
//! Needs `DATABASE_URL` with a loaded city that may be changed (the xtask clones the full-scale
//! bench city for it). Baselines, measured in the same run on the same polygons:
//! - the PostGIS check of the issue (pairwise `ST_Relate(…, '2********')` for overlaps plus the
//!   area of `ST_Difference(city, ST_Union(grids))` for gaps), as prepared statements on a warm
//!   cache (sqlx prepares and caches every statement);
//! - shapely's `coverage_is_valid` (GEOS) when `BENCH_PYTHON` names a Python with shapely 2.1+.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant};

use citygrid::planning::validate::Rules;
use citygrid::routing::Engine;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{json, Value};
use sqlx::PgPool;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(mut v: Vec<Duration>) -> (f64, f64, usize) {
    v.sort_unstable();
    if v.is_empty() {
        return (f64::NAN, f64::NAN, 0);
    }
    (ms(percentile(&v, 0.5)), ms(percentile(&v, 0.95)), v.len())
}

async fn postgis_check(pool: &PgPool) -> anyhow::Result<(i64, f64)> {
    let overlaps: i64 = sqlx::query_scalar(
        "select count(*) from current_grids a join current_grids b on a.code < b.code and a.geom && b.geom
         and st_relate(a.geom, b.geom, '2********')",
    )
    .fetch_one(pool)
    .await?;
    let gap: f64 = sqlx::query_scalar(
        "select st_area(st_difference((select geom from admin_units where level = 'city'),
                                      (select st_union(geom) from current_grids)))",
    )
    .fetch_one(pool)
    .await?;
    Ok((overlaps, gap))
}

/// Times shapely's `coverage_is_valid` on the grids (WKB hex, one per line), best of `runs`.
fn shapely(python: &str, pool_wkb: &[String], runs: usize) -> anyhow::Result<(f64, bool)> {
    let dir = std::env::temp_dir().join(format!("bench_plan_{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let data = dir.join("grids.wkb");
    let mut f = std::fs::File::create(&data)?;
    for w in pool_wkb {
        writeln!(f, "{w}")?;
    }
    let script = format!(
        "import sys, time, shapely\n\
         geoms = shapely.from_wkb([l.strip() for l in open({data:?}) if l.strip()])\n\
         best = None; ok = None\n\
         for _ in range({runs}):\n    t = time.perf_counter(); ok = bool(shapely.coverage_is_valid(geoms)); d = time.perf_counter() - t\n    best = d if best is None or d < best else best\n\
         print(best * 1000.0, ok)\n",
        data = data.display().to_string()
    );
    let out = std::process::Command::new(python).args(["-c", &script]).output()?;
    std::fs::remove_dir_all(&dir).ok();
    anyhow::ensure!(out.status.success(), "shapely: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout)?;
    let mut it = text.split_whitespace();
    Ok((it.next().unwrap_or("nan").parse()?, it.next() == Some("True")))
}

/// Draft and commit one plan over HTTP; the two latencies, or the refusal.
async fn draft_and_commit(b: &common::Backend, body: &Value) -> Result<(Duration, Duration), String> {
    let t = Instant::now();
    let res = b
        .client
        .post(format!("{}/api/plans", b.base))
        .bearer_auth(&b.token)
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let mut draft: Value = res.json().await.map_err(|e| e.to_string())?;
    let mut preview = t.elapsed();
    if status == 409 && draft["error"]["code"] == "missing_base_version" {
        // Name the neighbours the change reaches, as a client would, and draft again.
        let mut body = body.clone();
        if let Some(v) = draft["error"]["details"]["versions"].as_object() {
            for (c, n) in v {
                body["base_versions"][c] = n.clone();
            }
        }
        let t = Instant::now();
        let res = b
            .client
            .post(format!("{}/api/plans", b.base))
            .bearer_auth(&b.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        draft = res.json().await.map_err(|e| e.to_string())?;
        preview = t.elapsed();
    }
    let Some(id) = draft["id"].as_i64() else { return Err(draft["error"]["message"].to_string()) };
    let t = Instant::now();
    let res = b
        .client
        .post(format!("{}/api/plans/{id}/commit", b.base))
        .bearer_auth(&b.token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let commit = t.elapsed();
    if res.status().as_u16() != 200 {
        return Err(res.text().await.unwrap_or_default());
    }
    Ok((preview, commit))
}

async fn pick(
    pool: &PgPool,
    rng: &mut rand_chacha::ChaCha8Rng,
    n: usize,
) -> anyhow::Result<Vec<(String, String, i32, i32)>> {
    let pairs: Vec<(String, String, i32, i32)> = sqlx::query_as(
        "select a.code, b.code, a.version, b.version from current_grids a
         join current_grids b on b.village_code = a.village_code and a.code < b.code and a.geom && b.geom
              and st_relate(a.geom, b.geom, 'F***1****')
         where st_numgeometries(a.geom) = 1 and st_numgeometries(b.geom) = 1
           and st_numgeometries(st_linemerge(st_intersection(st_boundary(a.geom), st_boundary(b.geom)))) = 1",
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    let mut used = std::collections::HashSet::new();
    while out.len() < n && used.len() < pairs.len() {
        let p = &pairs[rng.random_range(0..pairs.len())];
        if used.insert(p.0.clone()) && used.insert(p.1.clone()) {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Per operation: previews, commits, how many were refused, the first refusal.
type Outcome<'a> = (&'a str, Vec<Duration>, Vec<Duration>, usize, Option<String>);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let pool = citygrid::db::connect(&url, 4).await?;
    citygrid::db::migrate(&pool).await?;
    let scale: Option<String> =
        sqlx::query_scalar("select value from dataset_meta where key = 'scale'").fetch_optional(&pool).await?;
    let engine = std::sync::Arc::new(Engine::load(&pool).await?);
    let snap = engine.snapshot();
    println!("dataset: {} · {} grids", scale.as_deref().unwrap_or("?"), snap.grids.len());

    // Whole-city validation: in memory vs PostGIS vs shapely, same polygons.
    let rules = Rules::default();
    let report = citygrid::planning::check_partition(&snap, None, rules);
    let mut mem = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        std::hint::black_box(citygrid::planning::check_partition(&snap, None, rules));
        mem.push(t.elapsed());
    }
    let (mem_p50, mem_p95, _) = summary(mem);
    let (overlaps, gap) = postgis_check(&pool).await?;
    let mut pg = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(postgis_check(&pool).await?);
        pg.push(t.elapsed());
    }
    let (pg_p50, _, _) = summary(pg);
    println!("\nwhole-city validation ({} grids, {} villages)", report.grids, report.villages);
    println!(
        "  in memory (lattice, segment chains)   p50 {mem_p50:8.1} ms  p95 {mem_p95:8.1} ms  issues {}",
        report.issues.len()
    );
    println!("  PostGIS check (prepared, warm)        p50 {pg_p50:8.1} ms  overlaps {overlaps}, gap {gap:.3e} deg²");
    println!("  ratio PostGIS / in memory             {:8.1}×", pg_p50 / mem_p50);
    if let Ok(python) = std::env::var("BENCH_PYTHON") {
        let wkb: Vec<String> =
            sqlx::query_scalar("select encode(st_asbinary(geom), 'hex') from current_grids order by code")
                .fetch_all(&pool)
                .await?;
        match shapely(&python, &wkb, 3) {
            Ok((best, ok)) => println!(
                "  shapely coverage_is_valid (best of 3) {best:8.1} ms  valid {ok}\n  ratio shapely / in memory             {:8.1}×",
                best / mem_p50
            ),
            Err(e) => println!("  shapely: not measured ({e})"),
        }
    } else {
        println!("  shapely: not measured (set BENCH_PYTHON)");
    }
    for kind in ["gap", "overlap", "outside_parent", "unshared_vertex", "invalid", "sliver"] {
        let n = report.issues.iter().filter(|i| i.kind.as_str() == kind).count();
        if n > 0 {
            println!("  stored data: {n} × {kind}");
        }
    }

    // Plan latency over HTTP, per operation, on disjoint grid pairs.
    let backend = common::serve(&pool, engine.clone(), "http://127.0.0.1:9", "planner").await?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let per_op = 30;
    let pairs = pick(&pool, &mut rng, per_op * 3).await?;
    let mut results: Vec<Outcome<'_>> = Vec::new();
    for (k, op) in ["split", "reshape edge", "merge"].into_iter().enumerate() {
        let (mut previews, mut commits, mut refused, mut first_refusal) = (Vec::new(), Vec::new(), 0, None);
        for (a, b, va, vb) in pairs.iter().skip(k * per_op).take(per_op) {
            let body = match op {
                "split" => {
                    let (x0, x1, y): (f64, f64, f64) = sqlx::query_as(
                        "select st_xmin(geom) - 0.0005, st_xmax(geom) + 0.0005, st_y(st_pointonsurface(geom)) from current_grids where code = $1",
                    )
                    .bind(a)
                    .fetch_one(&pool)
                    .await?;
                    json!({"operation": "split", "grids": [a], "base_versions": {a.clone(): va},
                           "geometry": {"type": "LineString", "coordinates": [[x0, y], [x1, y]]}})
                }
                "reshape edge" => {
                    let (edge,): (String,) = sqlx::query_as(
                        "select st_asgeojson(st_linemerge(st_intersection(st_boundary(a.geom), st_boundary(b.geom))), 7)
                         from current_grids a, current_grids b where a.code = $1 and b.code = $2",
                    )
                    .bind(a)
                    .bind(b)
                    .fetch_one(&pool)
                    .await?;
                    let edge: Value = serde_json::from_str(&edge)?;
                    let c = edge["coordinates"].as_array().cloned().unwrap_or_default();
                    let (p, q) = (c[0].clone(), c[c.len() - 1].clone());
                    let (mx, my): (f64, f64) = sqlx::query_as(
                        "select st_x(m), st_y(m) from (select st_lineinterpolatepoint(st_makeline(st_centroid(st_makeline(
                             st_setsrid(st_makepoint($1, $2), 4326), st_setsrid(st_makepoint($3, $4), 4326))), st_pointonsurface(geom)), 0.2) m
                         from current_grids where code = $5) x",
                    )
                    .bind(p[0].as_f64().unwrap_or(0.0))
                    .bind(p[1].as_f64().unwrap_or(0.0))
                    .bind(q[0].as_f64().unwrap_or(0.0))
                    .bind(q[1].as_f64().unwrap_or(0.0))
                    .bind(b)
                    .fetch_one(&pool)
                    .await?;
                    json!({"operation": "reshape", "mode": "edge", "grids": [a], "neighbour": b,
                           "base_versions": {a.clone(): va, b.clone(): vb},
                           "geometry": {"type": "LineString", "coordinates": [p, [mx, my], q]}})
                }
                _ => json!({"operation": "merge", "grids": [a, b], "base_versions": {a.clone(): va, b.clone(): vb}}),
            };
            match draft_and_commit(&backend, &body).await {
                Ok((p, c)) => {
                    previews.push(p);
                    commits.push(c);
                }
                Err(e) => {
                    refused += 1;
                    first_refusal.get_or_insert(e);
                }
            }
        }
        results.push((op, previews, commits, refused, first_refusal));
    }
    println!("\nplans over HTTP ({per_op} per operation, disjoint grids)");
    for (op, previews, commits, refused, first_refusal) in results {
        let (p50, p95, n) = summary(previews);
        let (c50, c95, _) = summary(commits);
        println!("  {op:13} preview p50 {p50:7.1} ms p95 {p95:7.1} ms · commit p50 {c50:7.1} ms p95 {c95:7.1} ms · {n} committed, {refused} refused");
        if let Some(e) = first_refusal {
            println!("                first refusal: {e}");
        }
    }
    Ok(())
}
