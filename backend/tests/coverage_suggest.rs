//! Camera placement suggestions (maximal covering location), each test on its own clone of the
//! tiny city. The greedy picks are compared with an exact MCLP solution of the same coverage
//! matrix by an independent solver: PuLP with its bundled CBC, in a Python venv the test creates
//! on first use (`CITYGRID_TEST_PYTHON` names an interpreter that already has `pulp`).
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use citygrid::coverage::suggest::{coverage_matrix, greedy, SuggestQuery};
use citygrid::coverage::{Coverage, DEFAULT_MIN_SHARE};
use rand::seq::SliceRandom as _;
use rand::SeedableRng as _;
use serde_json::{json, Value};

/// A Python with PuLP: `CITYGRID_TEST_PYTHON`, or a venv under the target directory, created
/// (and `tests/mclp/requirements.txt` installed from PyPI) on first use.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("CITYGRID_TEST_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| common::repo_root().join("target"), PathBuf::from);
    let venv = target.join("pyenv-mclp");
    let py = venv.join("bin/python");
    let ready = Command::new(&py).args(["-c", "import pulp"]).status().is_ok_and(|s| s.success());
    if !ready {
        let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "-r"])
                .arg(common::repo_root().join("tests/mclp/requirements.txt"))
                .status()
                .is_ok_and(|s| s.success());
        assert!(ok, "could not create a Python venv with pulp at {}", venv.display());
    }
    py
}

/// The exact MCLP optimum (residents) of choosing `k` of `covers` (buildings per candidate,
/// `weights[b]` residents per building), by PuLP/CBC (`tests/mclp/exact_mclp.py`, which the
/// coverage benchmark uses too); and its solve time in seconds.
fn exact_mclp(covers: &[Vec<u32>], weights: &[i64], k: usize) -> (i64, f64) {
    let mut child = Command::new(python())
        .arg(common::repo_root().join("tests/mclp/exact_mclp.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python");
    let input = json!({"covers": covers, "weights": weights, "k": k, "time_limit_s": null});
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the MCLP solver failed");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["optimal"], true, "no time limit, so CBC proves the optimum: {v}");
    (v["objective"].as_i64().unwrap(), v["seconds"].as_f64().unwrap())
}

#[tokio::test]
async fn greedy_is_near_the_exact_optimum_and_far_above_random() {
    let db = common::test_city().await;
    let pool = &db.pool;
    let cov = Coverage::load(pool, DEFAULT_MIN_SHARE).await.unwrap();
    let engine = citygrid::routing::Engine::load(pool).await.unwrap();
    let snap = engine.snapshot();
    let fp = cov.footprints();
    let townships: Vec<String> =
        sqlx::query_scalar("select code from admin_units where level = 'township' order by md5(code) limit 60")
            .fetch_all(pool)
            .await
            .unwrap();
    let k = 4;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(18);
    let (mut instances, mut sum_greedy, mut sum_exact, mut sum_random) = (0, 0i64, 0i64, 0.0f64);
    for area in &townships {
        let q = SuggestQuery {
            area: area.clone(),
            k,
            fov_deg: 60.0,
            range_m: 60.0,
            min_spacing_m: 0.0,
            occlusion: false,
            max_positions: 25,
        };
        let inside =
            |p: [f64; 2]| snap.grids.locate(p[0], p[1]).is_some_and(|i| snap.grids.get(i).code.starts_with(area));
        let (cands, at, _) = cov.candidates(&q, &inside);
        let buildings = cov.membership().buildings_under(area).count();
        assert!(cands.len() <= 200 && buildings <= 2000, "{area}: {} candidates, {buildings} buildings", cands.len());
        // Renumber the buildings the candidates cover, for the solver.
        let residents = |b: u32| i64::from(fp.residents[b as usize]);
        let (covers, weights) = coverage_matrix(&cands, &residents);
        if weights.iter().sum::<i64>() == 0 {
            continue; // nothing left to cover here
        }
        let picks = greedy(&cands, &at, &residents, k, 0.0);
        let got: i64 = picks.iter().map(|p| p.1).sum();
        let (best, _) = exact_mclp(&covers, &weights, k);
        assert!(got <= best, "{area}: greedy {got} above the optimum {best}");
        assert!(got as f64 >= 0.9 * best as f64, "{area}: greedy {got} < 90 % of the optimum {best}");
        // Random placement: k candidates drawn uniformly, averaged over 200 draws.
        let mut random = 0i64;
        let mut order: Vec<usize> = (0..cands.len()).collect();
        for _ in 0..200 {
            order.shuffle(&mut rng);
            let mut seen = std::collections::HashSet::new();
            random += order[..k.min(order.len())]
                .iter()
                .flat_map(|&c| &cands[c].covers)
                .filter(|b| seen.insert(**b))
                .map(|&b| residents(b))
                .sum::<i64>();
        }
        sum_greedy += got;
        sum_exact += best;
        sum_random += random as f64 / 200.0;
        instances += 1;
        if instances == 20 {
            break;
        }
    }
    assert_eq!(instances, 20, "not enough townships with something to cover");
    let n = f64::from(instances);
    eprintln!(
        "20 instances, k = {k}: greedy {:.0}, exact {:.0}, random {:.0} residents on average (greedy/exact {:.3})",
        sum_greedy as f64 / n,
        sum_exact as f64 / n,
        sum_random / n,
        sum_greedy as f64 / sum_exact as f64
    );
    assert!(sum_greedy as f64 >= 1.5 * sum_random, "greedy is not clearly better than random placement");
}

/// The grid of a point, by PostGIS.
async fn grid_at(pool: &sqlx::PgPool, lon: f64, lat: f64) -> Option<String> {
    sqlx::query_scalar(citygrid::routing::grid_index::POSTGIS_LOCATE)
        .bind(lon)
        .bind(lat)
        .fetch_optional(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn suggestions_over_the_api_and_adding_them_as_planned() {
    let app = common::spawn_app().await;
    let token = app.login("planner").await;
    // The township with the most residents not covered today.
    let township: String = sqlx::query_scalar(
        "select left(b.grid_code, 9) from buildings b join building_coverage c on c.building_id = b.id
         where c.cameras = 0 group by 1 order by sum(b.residents) desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (s, r) = app.post("/api/coverage/suggest", Some(&token), &json!({"area_code": township, "k": 5})).await;
    assert_eq!(s, 200, "{r}");
    let sites = r["sites"].as_array().unwrap();
    assert_eq!(sites.len(), 5, "{r}");
    let gains: Vec<i64> = sites.iter().map(|x| x["gain_residents"].as_i64().unwrap()).collect();
    assert!(gains.windows(2).all(|w| w[0] >= w[1]) && gains[4] > 0, "{gains:?}");
    assert_eq!(
        r["covered_residents_after"].as_i64().unwrap(),
        r["covered_residents_before"].as_i64().unwrap() + gains.iter().sum::<i64>()
    );
    assert!(r["candidates"].as_i64().unwrap() <= 5000 && r["kind"].is_string(), "{r}");
    for (i, a) in sites.iter().enumerate() {
        let (lon, lat) = (a["lon"].as_f64().unwrap(), a["lat"].as_f64().unwrap());
        assert!(grid_at(&app.pool, lon, lat).await.unwrap().starts_with(&township), "site {i} outside the township");
        for b in &sites[..i] {
            let d: f64 =
                sqlx::query_scalar("select st_distance(st_point($1, $2)::geography, st_point($3, $4)::geography)")
                    .bind(lon)
                    .bind(lat)
                    .bind(b["lon"].as_f64().unwrap())
                    .bind(b["lat"].as_f64().unwrap())
                    .fetch_one(&app.pool)
                    .await
                    .unwrap();
            assert!(d >= 29.0, "sites {d:.1} m apart, closer than the default 30 m spacing");
        }
    }

    // As planned cameras: audited, not real coverage, but counted by what-if figures.
    let before: Value = app.get(&format!("/api/coverage/summary?level=township&code={township}"), Some(&token)).await.1;
    let audits: i64 = sqlx::query_scalar("select count(*) from audit_log").fetch_one(&app.pool).await.unwrap();
    let planned = json!({"kind": r["kind"], "sites": sites.iter().map(|x| json!({
        "lon": x["lon"], "lat": x["lat"], "heading_deg": x["heading_deg"], "fov_deg": x["fov_deg"], "range_m": x["range_m"]})).collect::<Vec<_>>()});
    let (s, p) = app.post("/api/cameras/planned", Some(&token), &planned).await;
    assert_eq!(s, 200, "{p}");
    let ids: Vec<i64> = p["ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 5);
    let statuses: Vec<String> = sqlx::query_scalar("select status from cameras where id = any($1)")
        .bind(&ids)
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(statuses.len() == 5 && statuses.iter().all(|s| s == "planned"));
    assert_eq!(
        sqlx::query_scalar::<_, i64>("select count(*) from audit_log").fetch_one(&app.pool).await.unwrap(),
        audits + 1
    );
    let after: Value = app.get(&format!("/api/coverage/summary?level=township&code={township}"), Some(&token)).await.1;
    assert_eq!(
        before["units"][0]["covered_residents"], after["units"][0]["covered_residents"],
        "planned cameras do not see"
    );
    assert_eq!(after["units"][0]["cameras"]["planned"], 5);
    let (s, w) = app.post("/api/coverage/what-if", Some(&token), &json!({"area_code": township, "changes": []})).await;
    assert_eq!(s, 200, "{w}");
    assert_eq!(w["baseline"]["covered_residents"], r["covered_residents_after"], "{w}");
    // A leader may look but not add.
    let leader = app.login("leader").await;
    let (s, _) = app.post("/api/coverage/suggest", Some(&leader), &json!({"area_code": township, "k": 1})).await;
    assert_eq!(s, 200);
    let (s, e) = app.post("/api/cameras/planned", Some(&leader), &planned).await;
    assert_eq!(s, 403, "{e}");
}

#[tokio::test]
async fn more_sites_than_useful_and_bad_requests() {
    let app = common::spawn_app().await;
    let token = app.login("planner").await;
    // A grid with a few uncovered buildings: k = 50 stops when nothing more can be gained.
    let grid: String = sqlx::query_scalar(
        "select b.grid_code from buildings b join building_coverage c on c.building_id = b.id
         where c.cameras = 0 and b.residents > 0 group by 1 having count(*) between 1 and 4 order by 1 limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (s, r) = app
        .post(
            "/api/coverage/suggest",
            Some(&token),
            &json!({"area_code": grid, "k": 50, "camera": {"fov_deg": 90, "range_m": 80}}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let sites = r["sites"].as_array().unwrap();
    assert!(!sites.is_empty() && sites.len() < 50, "{r}");
    assert!(sites.iter().all(|x| x["gain_buildings"].as_i64().unwrap() > 0), "no zero-gain site: {r}");
    for (body, field) in [
        (json!({"area_code": grid, "k": 0}), "k"),
        (json!({"area_code": grid, "k": 51}), "k"),
        (json!({"area_code": "3208", "k": 3}), "area_code"),
        (json!({"area_code": grid, "k": 3, "camera": {"fov_deg": 0, "range_m": 50}}), "camera.fov_deg"),
        (json!({"area_code": grid, "k": 3, "camera": {"fov_deg": 400, "range_m": 50}}), "camera.fov_deg"),
        (json!({"area_code": grid, "k": 3, "camera": {"fov_deg": 60, "range_m": 5000}}), "camera.range_m"),
        (json!({"area_code": grid, "k": 3, "min_spacing_m": -1}), "min_spacing_m"),
    ] {
        let (s, r) = app.post("/api/coverage/suggest", Some(&token), &body).await;
        assert_eq!((s, r["error"]["field"].as_str()), (400, Some(field)), "{body}: {r}");
    }
    // A code of the documented shape that names no area is not found.
    let body = json!({"area_code": "320899999999", "k": 3});
    let (s, r) = app.post("/api/coverage/suggest", Some(&token), &body).await;
    assert_eq!((s, r["error"]["field"].as_str()), (404, Some("area_code")), "{body}: {r}");
    let dispatcher = app.login("dispatcher").await;
    let (s, _) = app.post("/api/coverage/suggest", Some(&dispatcher), &json!({"area_code": grid, "k": 3})).await;
    assert_eq!(s, 403);
}
