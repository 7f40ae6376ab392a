//! `GET /api/grids/{code}/workload` (the Planning page's grid card) against real PostGIS: the
//! figures, the village average per worker and the neighbours, each computed here in SQL; who
//! may read it; bad and unknown codes.

mod common;

use common::{assert_error, spawn_app};
use sqlx::PgPool;

/// A grid with workers and buildings, in a village of several grids.
async fn busy_grid(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "select g.code from current_grids g
         where exists (select 1 from grid_workers w where w.grid_code = g.code)
           and (select count(*) from buildings b where b.grid_code = g.code) >= 3
           and (select count(*) from current_grids x where x.village_code = g.village_code) >= 3
         order by g.code limit 1",
    )
    .fetch_one(pool)
    .await
    .expect("a grid with workers and buildings")
}

fn close(a: &serde_json::Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9 * b.abs().max(1.0))
}

#[tokio::test]
async fn workload_against_the_village_average() {
    let app = spawn_app().await;
    let token = app.login("planner").await;
    let code = busy_grid(&app.pool).await;
    let (status, w) = app.get(&format!("/api/grids/{code}/workload"), Some(&token)).await;
    assert_eq!(status, 200, "{w}");

    let (buildings, households, residents, incidents, workers, version): (i64, i64, i64, i64, i64, i32) =
        sqlx::query_as(
            "select (select count(*) from buildings where grid_code = $1),
                    (select coalesce(sum(households), 0)::int8 from buildings where grid_code = $1),
                    (select coalesce(sum(residents), 0)::int8 from buildings where grid_code = $1),
                    (select count(*) from incidents where grid_code = $1 and reported_at >= now() - interval '90 days'),
                    (select count(*) from grid_workers where grid_code = $1),
                    (select version from current_grids where code = $1)",
        )
        .bind(&code)
        .fetch_one(&app.pool)
        .await
        .expect("figures");
    assert_eq!(w["buildings"], buildings);
    assert_eq!(w["households"], households);
    assert_eq!(w["residents"], residents);
    assert_eq!(w["incidents_90d"], incidents);
    assert_eq!(w["version"], version);
    assert_eq!(w["workers"].as_array().map(Vec::len), Some(usize::try_from(workers).expect("count")));
    let n = workers as f64;
    assert!(close(&w["per_worker"]["households"], households as f64 / n), "{}", w["per_worker"]);
    assert!(close(&w["per_worker"]["buildings"], buildings as f64 / n), "{}", w["per_worker"]);

    let (vb, vh, vr, vi, vw): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "with g as (select code from current_grids where village_code = left($1, 12))
         select (select count(*) from buildings b join g on g.code = b.grid_code),
                (select coalesce(sum(households), 0)::int8 from buildings b join g on g.code = b.grid_code),
                (select coalesce(sum(residents), 0)::int8 from buildings b join g on g.code = b.grid_code),
                (select count(*) from incidents i join g on g.code = i.grid_code
                 where i.reported_at >= now() - interval '90 days'),
                (select count(*) from grid_workers w join g on g.code = w.grid_code)",
    )
    .bind(&code)
    .fetch_one(&app.pool)
    .await
    .expect("village figures");
    let avg = &w["village_average"];
    let vw = vw as f64;
    for (field, total) in [("buildings", vb), ("households", vh), ("residents", vr), ("incidents_90d", vi)] {
        assert!(close(&avg[field], total as f64 / vw), "{field}: {avg}");
    }

    let neighbours: Vec<String> = sqlx::query_scalar(
        "select n.code from current_grids g join current_grids n on n.code <> g.code and st_intersects(n.geom, g.geom)
         where g.code = $1 order by n.code",
    )
    .bind(&code)
    .fetch_all(&app.pool)
    .await
    .expect("neighbours");
    let got: Vec<&str> =
        w["neighbours"].as_array().expect("neighbours").iter().filter_map(|n| n["code"].as_str()).collect();
    assert_eq!(got, neighbours.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!got.is_empty());
    assert_eq!(w["geometry"]["type"], "MultiPolygon");
    assert_eq!(w["village_geometry"]["type"], "MultiPolygon");
}

#[tokio::test]
async fn leaders_read_dispatchers_do_not_and_codes_are_checked() {
    let app = spawn_app().await;
    let code = busy_grid(&app.pool).await;
    let leader = app.login("leader").await;
    let (status, body) = app.get(&format!("/api/grids/{code}/workload"), Some(&leader)).await;
    assert_eq!(status, 200, "{body}");
    let dispatcher = app.login("dispatcher").await;
    let (status, body) = app.get(&format!("/api/grids/{code}/workload"), Some(&dispatcher)).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = app.get("/api/grids/12x/workload", Some(&leader)).await;
    assert_error(status, &body, 400, "12x");
    assert_eq!(body["error"]["field"], "code");
    let (status, body) = app.get("/api/grids/999999999999999/workload", Some(&leader)).await;
    assert_error(status, &body, 404, "999999999999999");
}
