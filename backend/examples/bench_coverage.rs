//! `cargo xtask bench coverage`: camera coverage in memory against the equivalent PostGIS join,
//! measured in the same run on the full-scale city.
//!
//! - Full recompute (every camera × the buildings in its range), without and with occlusion,
//!   against PostGIS computing the same covered set: the same sector polygons (drawn at 1° arc
//!   steps, uploaded as WKB) joined with `buildings` through its GiST index, `ST_Area(
//!   ST_Intersection)` against `min_share · ST_Area(footprint)`, on two connections at once (one
//!   per core, as the in-memory side uses both cores).
//! - One camera move (the whole PATCH transaction: row, audit, persisted coverage, layer
//!   versions, then the model), p50/p95, on a clone of the city (`DATABASE_URL` is never
//!   written).
//! - What-if latency, p50/p95, for one camera change in its township.
//! - Placement suggestions at k = 20 for the township with the most buildings: time and
//!   candidate count, against an exact MCLP solution of the same instance (PuLP/CBC, when
//!   `BENCH_PYTHON` has it; `BENCH_MCLP_SCRIPT` is `tests/mclp/exact_mclp.py`).
//!
//! Needs `DATABASE_URL` with the loaded city; `BENCH_CLONE_URL` names the database to clone it
//! into for the mutating part (the xtask creates it).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use citygrid::coverage::model::{covered_sets, CameraView, Status, Work};
use citygrid::coverage::sector::Sector;
use citygrid::coverage::store;
use citygrid::coverage::suggest::{coverage_matrix, greedy, SuggestQuery, MAX_POSITIONS};
use citygrid::coverage::{register, Change, Coverage, DEFAULT_MIN_SHARE};
use citygrid::scope::Scope;
use rand::{Rng as _, SeedableRng as _};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Every camera's covered set in one mode, on all cores; returns the number of covered buildings.
fn covered_buildings(cov: &Coverage, cameras: &[CameraView], occlusion: bool) -> usize {
    let fp = cov.footprints();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = cameras.len().div_ceil(threads);
    let mut covered = vec![false; fp.len()];
    let parts: Vec<Vec<u32>> = std::thread::scope(|s| {
        let hs: Vec<_> = cameras
            .chunks(chunk)
            .map(|part| {
                let fp = &fp;
                s.spawn(move || {
                    let mut work = Work::default();
                    part.iter()
                        .filter(|c| c.status == Status::Online)
                        .flat_map(|c| fp.covered(&c.sector, occlusion, DEFAULT_MIN_SHARE, &mut work))
                        .collect()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for b in parts.into_iter().flatten() {
        covered[b as usize] = true;
    }
    covered.iter().filter(|c| **c).count()
}

/// The sector as WKB (1° arc steps), for PostGIS.
fn sector_wkb(s: &Sector) -> Vec<u8> {
    let frame = s.frame();
    let full = s.fov_deg >= 360.0;
    let steps = s.fov_deg.ceil().max(2.0) as usize;
    let start = if full { 0.0 } else { s.heading_deg - s.fov_deg / 2.0 };
    let mut ring = Vec::new();
    if !full {
        ring.push([s.lon, s.lat]);
    }
    for i in 0..=steps {
        let b = (start + s.fov_deg * i as f64 / steps as f64).to_radians();
        ring.push(frame.unproject([b.sin() * s.range_m, b.cos() * s.range_m]));
    }
    if full {
        ring.push(ring[0]);
    } else {
        ring.push([s.lon, s.lat]);
    }
    let mut w = vec![1u8];
    w.extend(3u32.to_le_bytes());
    w.extend(1u32.to_le_bytes());
    w.extend((ring.len() as u32).to_le_bytes());
    for p in ring {
        w.extend(p[0].to_le_bytes());
        w.extend(p[1].to_le_bytes());
    }
    w
}

const PG_JOIN: &str = "
    select b.id
    from unnest($1::bytea[]) w(wkb)
    cross join lateral (select st_geomfromwkb(w.wkb, 4326) as g) s
    join buildings b on b.footprint && s.g and st_intersects(b.footprint, s.g)
    where st_area(st_intersection(b.footprint, s.g)) >= $2 * st_area(b.footprint)";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let pool = citygrid::db::connect(&url, 4).await?;
    let scale: Option<String> =
        sqlx::query_scalar("select value from dataset_meta where key = 'scale'").fetch_optional(&pool).await?;
    let t = Instant::now();
    let cov = Coverage::load(&pool, DEFAULT_MIN_SHARE).await?;
    let load = t.elapsed();
    let fp = cov.footprints();
    let cameras = cov.cameras();
    println!(
        "dataset: {} · {} buildings, {} cameras · model loaded and computed (both modes) in {:.2} s",
        scale.as_deref().unwrap_or("?"),
        fp.len(),
        cameras.len(),
        load.as_secs_f64()
    );

    // Full recompute, in memory (best of 3), both modes.
    let mut best = [Duration::MAX; 2];
    let mut counts = [0usize; 2];
    for _ in 0..3 {
        for (k, occlusion) in [false, true].into_iter().enumerate() {
            let t = Instant::now();
            counts[k] = covered_buildings(&cov, &cameras, occlusion);
            best[k] = best[k].min(t.elapsed());
        }
    }

    // The same covered set in PostGIS: two connections, half the cameras each.
    let online: Vec<&CameraView> = cameras.iter().filter(|c| c.status == Status::Online).collect();
    let wkbs: Vec<Vec<u8>> = online.iter().map(|c| sector_wkb(&c.sector)).collect();
    let half = wkbs.len() / 2;
    let t = Instant::now();
    let (a, b) = tokio::join!(
        sqlx::query_scalar::<_, i64>(PG_JOIN).bind(&wkbs[..half]).bind(DEFAULT_MIN_SHARE).fetch_all(&pool),
        sqlx::query_scalar::<_, i64>(PG_JOIN).bind(&wkbs[half..]).bind(DEFAULT_MIN_SHARE).fetch_all(&pool),
    );
    let pg_time = t.elapsed();
    let mut pg_ids: Vec<i64> = a?.into_iter().chain(b?).collect();
    pg_ids.sort_unstable();
    pg_ids.dedup();

    println!(
        "\nfull recompute ({} online cameras × {} buildings, min_share {DEFAULT_MIN_SHARE})",
        online.len(),
        fp.len()
    );
    println!("| measure | in memory (rstar, 2 threads) | PostGIS join (2 connections) | ratio |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| occlusion off | {:.2} s, {} covered | {:.2} s, {} covered | {:.0}× |",
        best[0].as_secs_f64(),
        counts[0],
        pg_time.as_secs_f64(),
        pg_ids.len(),
        pg_time.as_secs_f64() / best[0].as_secs_f64()
    );
    println!("| occlusion on | {:.2} s, {} covered | (no PostGIS equivalent) | |", best[1].as_secs_f64(), counts[1]);

    // What-if: one camera moved 10–30 m and re-aimed, figures of its township.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    let grid_of: std::collections::HashMap<i64, String> =
        sqlx::query_as::<_, (i64, String)>("select id, grid_code from cameras")
            .fetch_all(&pool)
            .await?
            .into_iter()
            .collect();
    let mut whatif = Vec::new();
    for _ in 0..300 {
        let c = cameras[rng.random_range(0..cameras.len())];
        let grid = &grid_of[&c.id];
        let township = &grid[..9];
        let frame = c.sector.frame();
        let d = rng.random_range(10.0..30.0);
        let a: f64 = rng.random_range(0.0..std::f64::consts::TAU);
        let [lon, lat] = frame.unproject([d * a.sin(), d * a.cos()]);
        let change = Change {
            id: Some(c.id),
            sector: Sector { lon, lat, heading_deg: rng.random_range(0.0..360.0), ..c.sector },
            status: None,
        };
        let t = Instant::now();
        std::hint::black_box(cov.what_if(township, false, &[change]).unwrap());
        whatif.push(t.elapsed());
    }
    whatif.sort_unstable();

    let placement = placement(&pool, &cov).await?;

    // One camera's covered sets alone (what an edit recomputes twice: old and new).
    let mut work = Work::default();
    let mut one = Vec::new();
    for c in cameras.iter().step_by(37) {
        let t = Instant::now();
        std::hint::black_box(covered_sets(&fp, c, DEFAULT_MIN_SHARE, &mut work));
        one.push(t.elapsed());
    }
    one.sort_unstable();

    // Camera moves through the register, on a clone.
    let clone_url = std::env::var("BENCH_CLONE_URL")?;
    let clone = citygrid::db::connect(&clone_url, 4).await?;
    citygrid::db::migrate(&clone).await?;
    let t = Instant::now();
    let live = citygrid::coverage::sync::start(&clone, DEFAULT_MIN_SHARE).await?;
    println!("\nclone: model loaded and persisted coverage made current in {:.1} s", t.elapsed().as_secs_f64());
    // The edits are audited: by a user of the clone's own.
    let user: i64 = sqlx::query_scalar(
        "insert into users (username, display_name, password_hash, role) values ('bench', 'bench', '!', 'admin')
         on conflict (username) do update set role = excluded.role returning id",
    )
    .fetch_one(&clone)
    .await?;
    let mut moves = Vec::new();
    for _ in 0..200 {
        let c = cameras[rng.random_range(0..cameras.len())];
        let frame = c.sector.frame();
        let a: f64 = rng.random_range(0.0..std::f64::consts::TAU);
        let [lon, lat] = frame.unproject([15.0 * a.sin(), 15.0 * a.cos()]);
        let patch = citygrid_api::CameraPatch {
            lon: Some(lon),
            lat: Some(lat),
            heading_deg: Some(rng.random_range(0.0..360.0)),
            ..Default::default()
        };
        let t = Instant::now();
        match register::update(&clone, &live, &Scope::City, user, c.id, &patch).await {
            Ok(_) => moves.push(t.elapsed()),
            Err(register::RegisterError::OutsideCity { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    moves.sort_unstable();

    println!("\nlatency");
    println!("| measure | p50 | p95 | n |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| one camera's covered sets (both modes) | {:.2} ms | {:.2} ms | {} |",
        ms(percentile(&one, 0.5)),
        ms(percentile(&one, 0.95)),
        one.len()
    );
    println!(
        "| camera move (PATCH transaction + model) | {:.1} ms | {:.1} ms | {} |",
        ms(percentile(&moves, 0.5)),
        ms(percentile(&moves, 0.95)),
        moves.len()
    );
    println!(
        "| what-if, one change, township figures | {:.2} ms | {:.2} ms | {} |",
        ms(percentile(&whatif, 0.5)),
        ms(percentile(&whatif, 0.95)),
        whatif.len()
    );
    println!("{placement}");
    Ok(())
}

/// Placement suggestions (#18) for the township with the most buildings, k = 20, the page's
/// defaults (the typical installed camera, 30 m spacing): the greedy's time (best and median of
/// 3) and candidate count, and an exact MCLP solution of the same coverage matrix (without
/// spacing, which the exact model has no notion of) by PuLP/CBC when `BENCH_PYTHON` has it,
/// stopped after `EXACT_LIMIT_S`.
async fn placement(pool: &sqlx::PgPool, cov: &Coverage) -> anyhow::Result<String> {
    const K: usize = 20;
    const EXACT_LIMIT_S: u32 = 600;
    let membership = cov.membership();
    let townships: Vec<String> =
        sqlx::query_scalar("select code from admin_units where level = 'township'").fetch_all(pool).await?;
    let township = townships.iter().max_by_key(|t| membership.buildings_under(t).count()).unwrap().clone();
    let buildings = membership.buildings_under(&township).count();
    let (_, fov_deg, range_m) = store::typical_camera(pool).await?;
    let engine = citygrid::routing::Engine::load(pool).await?;
    let snap = engine.snapshot();
    let inside =
        |p: [f64; 2]| snap.grids.locate(p[0], p[1]).is_some_and(|i| snap.grids.get(i).code.starts_with(&township));
    let q = SuggestQuery {
        area: township.clone(),
        k: K,
        fov_deg,
        range_m,
        min_spacing_m: 30.0,
        occlusion: false,
        max_positions: MAX_POSITIONS,
    };
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        last = Some(cov.suggest(&q, &inside));
        times.push(t.elapsed());
    }
    times.sort_unstable();
    let s = last.unwrap();
    let gained = s.covered_residents_after - s.covered_residents_before;
    let mut out = format!(
        "\nplacement (#18): township {township} ({buildings} buildings), k = {K}, FOV {fov_deg}°, range {range_m} m, \
         spacing 30 m\n| measure | value |\n| --- | --- |\n\
         | greedy suggestion time, best / median of 3 | {:.0} ms / {:.0} ms |\n\
         | positions × headings = candidates | {} → {} |\n\
         | sites picked, residents gained | {}, {gained} |\n",
        ms(times[0]),
        ms(times[1]),
        s.positions,
        s.candidates,
        s.sites.len()
    );
    // The exact optimum of the same candidates (spacing 0 on both sides: the exact model has none).
    let (Ok(python), Ok(script)) = (std::env::var("BENCH_PYTHON"), std::env::var("BENCH_MCLP_SCRIPT")) else {
        out.push_str("| exact MCLP (PuLP/CBC) | not run: no BENCH_PYTHON |\n");
        return Ok(out);
    };
    let (cands, at, _) = cov.candidates(&q, &inside);
    let fp = cov.footprints();
    let residents = |b: u32| i64::from(fp.residents[b as usize]);
    let t = Instant::now();
    let picks = greedy(&cands, &at, &residents, K, 0.0);
    let greedy_time = t.elapsed();
    let got: i64 = picks.iter().map(|p| p.1).sum();
    let (covers, weights) = coverage_matrix(&cands, &residents);
    let input = serde_json::json!({"covers": covers, "weights": weights, "k": K, "time_limit_s": EXACT_LIMIT_S});
    let mut child = std::process::Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.to_string().as_bytes())?;
    let exact: serde_json::Value = serde_json::from_slice(&child.wait_with_output()?.stdout)?;
    let best = exact["objective"].as_i64().unwrap_or(0);
    let optimal = exact["optimal"].as_bool().unwrap_or(false);
    let _ = write!(
        out,
        "| without spacing: greedy time, residents | {:.0} ms, {got} |\n\
         | without spacing: exact MCLP (PuLP/CBC) time, residents | {:.1} s, {best} ({}) |\n\
         | greedy / exact | {:.3} |\n",
        ms(greedy_time),
        exact["seconds"].as_f64().unwrap_or(f64::NAN),
        if optimal { "optimal" } else { "time limit: best found, not proven optimal" },
        got as f64 / best.max(1) as f64
    );
    Ok(out)
}
