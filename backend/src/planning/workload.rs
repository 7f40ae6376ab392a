//! A grid's workload against its village's average, with its neighbours and the village
//! outline: what a planner weighs before redrawing it (`GET /api/grids/{code}/workload`).
//!
//! The figures count what is assigned to the grid, as the village average does
//! ([`super::diff::village_totals`]), over the same 90 days as a plan's diff.

use anyhow::Context as _;
use chrono::{Duration, Utc};
use citygrid_api::{GridWorkload, NeighbourGrid};
use sqlx::PgPool;

use super::diff::{per_worker, village_totals, Tally, GRID_TALLY, WORKLOAD_DAYS};
use crate::grids::GridCode;
use crate::incidents::OPEN_STATUSES;
use crate::scope::{Scope, ScopedResult};

#[derive(sqlx::FromRow)]
struct Row {
    name: String,
    village_code: String,
    version: i32,
    area_m2: f64,
    buildings: i64,
    households: i64,
    residents: i64,
    cameras: i64,
    open_incidents: i64,
    workers: i64,
    incidents_90d: i64,
    village_grids: i64,
    geometry: String,
    village_geometry: String,
}

fn geojson(s: &str) -> anyhow::Result<serde_json::Value> {
    serde_json::from_str(s).context("GeoJSON from PostGIS")
}

/// The workload of current grid `code`; `None` if it is not a current grid. Refused outside
/// `scope`.
pub async fn grid_workload(pool: &PgPool, scope: &Scope, code: &GridCode) -> ScopedResult<Option<GridWorkload>> {
    scope.check(code.as_str(), || format!("grid {}", code.as_str()))?;
    let since = Utc::now() - Duration::days(WORKLOAD_DAYS);
    let open: Vec<String> = OPEN_STATUSES.iter().map(|s| (*s).to_owned()).collect();
    // One snapshot for every figure: the tally's worker count and the worker list must agree
    // even while a `PUT …/workers` commits between the statements.
    let mut conn = pool.begin().await.context("connecting")?;
    sqlx::query("set transaction isolation level repeatable read, read only")
        .execute(&mut *conn)
        .await
        .context("starting a snapshot")?;
    let row: Option<Row> = sqlx::query_as(&format!(
        "select g.name, g.village_code, g.version, st_area(g.geom::geography) as area_m2, {GRID_TALLY},
                (select count(*) from incidents i where i.grid_code = g.code and i.reported_at >= $3) as incidents_90d,
                (select count(*) from current_grids x where x.village_code = g.village_code) as village_grids,
                st_asgeojson(st_forcepolygonccw(g.geom), 7) as geometry,
                st_asgeojson(st_forcepolygonccw(v.geom), 7) as village_geometry
         from current_grids g join admin_units v on v.code = g.village_code
         where g.code = $1"
    ))
    .bind(code.as_str())
    .bind(&open)
    .bind(since)
    .fetch_optional(&mut *conn)
    .await
    .context("reading the grid's workload")?;
    let Some(row) = row else { return Ok(None) };
    let neighbours: Vec<(String, String, String, i32, String)> = sqlx::query_as(
        "select n.code, n.name, n.village_code, n.version, st_asgeojson(st_forcepolygonccw(n.geom), 7)
         from current_grids g join current_grids n on n.code <> g.code and n.geom && g.geom and st_intersects(n.geom, g.geom)
         where g.code = $1 order by n.code",
    )
    .bind(code.as_str())
    .fetch_all(&mut *conn)
    .await
    .context("reading the neighbours")?;
    let workers = super::workers::list(&mut conn, code.as_str()).await?;
    let (village_name, village) = village_totals(&mut conn, &row.village_code, since).await?;
    conn.commit().await.context("ending the snapshot")?;
    let tally = Tally {
        buildings: row.buildings,
        households: row.households,
        residents: row.residents,
        cameras: row.cameras,
        open_incidents: row.open_incidents,
        incidents_90d: row.incidents_90d,
        workers: row.workers,
    };
    Ok(Some(GridWorkload {
        code: code.as_str().to_owned(),
        name: row.name,
        village_code: row.village_code,
        village_name,
        version: row.version,
        area_m2: row.area_m2,
        buildings: row.buildings,
        households: row.households,
        residents: row.residents,
        cameras: row.cameras,
        open_incidents: row.open_incidents,
        incidents_90d: row.incidents_90d,
        per_worker: per_worker(&tally),
        workers,
        village_grids: row.village_grids,
        village_average: per_worker(&village),
        geometry: geojson(&row.geometry)?,
        village_geometry: geojson(&row.village_geometry)?,
        neighbours: neighbours
            .into_iter()
            .map(|(code, name, village_code, version, g)| {
                Ok(NeighbourGrid { code, name, village_code, version, geometry: geojson(&g)? })
            })
            .collect::<anyhow::Result<_>>()?,
    }))
}
