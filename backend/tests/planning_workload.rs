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

    // The grid's own figures, joined and grouped here (the code uses correlated subqueries).
    #[allow(clippy::type_complexity)]
    let (name, village, village_name, version, area, buildings, households, residents): (
        String,
        String,
        String,
        i32,
        f64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(
        "select g.name, g.village_code, v.name, g.version, st_area(g.geom::geography),
                count(b.id), coalesce(sum(b.households), 0)::int8, coalesce(sum(b.residents), 0)::int8
         from current_grids g join admin_units v on v.code = g.village_code
         left join buildings b on b.grid_code = g.code
         where g.code = $1 group by g.name, g.village_code, v.name, g.version, g.geom",
    )
    .bind(&code)
    .fetch_one(&app.pool)
    .await
    .expect("figures");
    let (cameras, open, incidents, village_grids): (i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from cameras where grid_code = $1),
                (select count(*) from incidents where grid_code = $1
                 and status in ('new', 'assigned', 'accepted', 'in_progress')),
                (select count(*) from incidents where grid_code = $1 and reported_at >= now() - interval '90 days'),
                (select count(*) from grids where village_code = $2 and retired_at is null)",
    )
    .bind(&code)
    .bind(&village)
    .fetch_one(&app.pool)
    .await
    .expect("counts");
    let workers: Vec<(String, String, String)> =
        sqlx::query_as("select employee_no, name, phone from grid_workers where grid_code = $1 order by rank")
            .bind(&code)
            .fetch_all(&app.pool)
            .await
            .expect("workers");
    assert_eq!(w["code"], code.as_str());
    assert_eq!(w["name"], name.as_str());
    assert_eq!(w["village_code"], village.as_str());
    assert_eq!(w["village_name"], village_name.as_str());
    assert_eq!(w["version"], version);
    assert!(close(&w["area_m2"], area), "area {} vs {area}", w["area_m2"]);
    assert_eq!(w["buildings"], buildings);
    assert_eq!(w["households"], households);
    assert_eq!(w["residents"], residents);
    assert_eq!(w["cameras"], cameras);
    assert_eq!(w["open_incidents"], open);
    assert_eq!(w["incidents_90d"], incidents);
    assert_eq!(w["village_grids"], village_grids);
    let got_workers: Vec<(String, String, String)> = w["workers"]
        .as_array()
        .expect("workers")
        .iter()
        .map(|x| {
            let s = |k: &str| x[k].as_str().unwrap_or_default().to_owned();
            (s("employee_no"), s("name"), s("phone"))
        })
        .collect();
    assert_eq!(got_workers, workers);
    assert!(!workers.is_empty());
    let n = workers.len() as f64;
    for (field, total) in
        [("buildings", buildings), ("households", households), ("residents", residents), ("incidents_90d", incidents)]
    {
        assert!(close(&w["per_worker"][field], total as f64 / n), "{field}: {}", w["per_worker"]);
    }

    // The village: every building, incident and worker of a grid of the village, by one join.
    let (vb, vh, vr, vi, vw): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "with g as (select code from grids where village_code = $1 and retired_at is null)
         select (select count(*) from buildings b join g on g.code = b.grid_code),
                (select coalesce(sum(households), 0)::int8 from buildings b join g on g.code = b.grid_code),
                (select coalesce(sum(residents), 0)::int8 from buildings b join g on g.code = b.grid_code),
                (select count(*) from incidents i join g on g.code = i.grid_code
                 where i.reported_at >= now() - interval '90 days'),
                (select count(*) from grid_workers w join g on g.code = w.grid_code)",
    )
    .bind(&village)
    .fetch_one(&app.pool)
    .await
    .expect("village figures");
    let avg = &w["village_average"];
    let vw = vw as f64;
    for (field, total) in [("buildings", vb), ("households", vh), ("residents", vr), ("incidents_90d", vi)] {
        assert!(close(&avg[field], total as f64 / vw), "{field}: {avg}");
    }

    // Neighbours: grids at distance zero (the code asks `&&` and `st_intersects`), with their
    // names, villages and versions.
    let neighbours: Vec<(String, String, String, i32)> = sqlx::query_as(
        "select n.code, n.name, n.village_code, n.version from current_grids g, current_grids n
         where g.code = $1 and n.code <> g.code and st_distance(n.geom, g.geom) = 0 order by n.code",
    )
    .bind(&code)
    .fetch_all(&app.pool)
    .await
    .expect("neighbours");
    let got: Vec<(String, String, String, i32)> = w["neighbours"]
        .as_array()
        .expect("neighbours")
        .iter()
        .map(|n| {
            let s = |k: &str| n[k].as_str().unwrap_or_default().to_owned();
            (
                s("code"),
                s("name"),
                s("village_code"),
                n["version"].as_i64().and_then(|v| i32::try_from(v).ok()).unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(got, neighbours);
    assert!(!got.is_empty());

    // The boundaries drawn are the stored ones (to the API's 7 decimals).
    for (what, geometry, sql) in [
        ("grid", &w["geometry"], "select geom from current_grids where code = $2"),
        ("village", &w["village_geometry"], "select geom from admin_units where code = left($2, 12)"),
    ] {
        assert_eq!(geometry["type"], "MultiPolygon", "{what}");
        let same: bool =
            sqlx::query_scalar(&format!("select st_equals(st_setsrid(st_geomfromgeojson($1), 4326), ({sql}))"))
                .bind(geometry.to_string())
                .bind(&code)
                .fetch_one(&app.pool)
                .await
                .expect("compare");
        assert!(same, "{what} geometry differs from the stored one");
    }
    for n in w["neighbours"].as_array().expect("neighbours") {
        let same: bool = sqlx::query_scalar(
            "select st_equals(st_setsrid(st_geomfromgeojson($1), 4326), (select geom from current_grids where code = $2))",
        )
        .bind(n["geometry"].to_string())
        .bind(n["code"].as_str())
        .fetch_one(&app.pool)
        .await
        .expect("compare");
        assert!(same, "neighbour {} geometry", n["code"]);
    }
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
