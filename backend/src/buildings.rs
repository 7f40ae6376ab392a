//! Reading buildings and cameras for the inspector.

use anyhow::Context as _;
use citygrid_api::{BuildingInfo, CameraInfo};
use sqlx::PgPool;

use crate::admin_units::chain;
use crate::scope::{Scope, ScopedResult};

/// One building with its admin chain, or `None`; refused outside `scope`.
pub async fn building(pool: &PgPool, scope: &Scope, id: i64) -> ScopedResult<Option<BuildingInfo>> {
    let row: Option<(i64, String, i16, i32, i32, f64, String)> = sqlx::query_as(
        "select id, kind, floors, households, residents, st_area(footprint::geography), grid_code
         from buildings where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .context("reading building")?;
    let Some((id, kind, floors, households, residents, footprint_m2, grid_code)) = row else { return Ok(None) };
    scope.check(&grid_code, || format!("building {id} (grid {grid_code})"))?;
    Ok(Some(BuildingInfo {
        id,
        kind,
        floors: i32::from(floors),
        households,
        residents,
        footprint_m2,
        chain: chain(pool, &grid_code).await?,
        grid_code,
    }))
}

#[derive(sqlx::FromRow)]
struct CameraRow {
    id: i64,
    code: String,
    kind: String,
    owner: String,
    status: String,
    heading_deg: f64,
    fov_deg: f64,
    range_m: f64,
    installed_on: chrono::NaiveDate,
    lon: f64,
    lat: f64,
    grid_code: String,
}

/// One camera with its admin chain, or `None`; refused outside `scope`.
pub async fn camera(pool: &PgPool, scope: &Scope, id: i64) -> ScopedResult<Option<CameraInfo>> {
    let row: Option<CameraRow> = sqlx::query_as(
        "select id, code, kind, owner, status, heading_deg, fov_deg, range_m, installed_on,
                st_x(geom) as lon, st_y(geom) as lat, grid_code
         from cameras where id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .context("reading camera")?;
    let Some(r) = row else { return Ok(None) };
    scope.check(&r.grid_code, || format!("camera {} (grid {})", r.id, r.grid_code))?;
    Ok(Some(CameraInfo {
        chain: chain(pool, &r.grid_code).await?,
        id: r.id,
        code: r.code,
        kind: r.kind,
        owner: r.owner,
        status: r.status,
        heading_deg: r.heading_deg,
        fov_deg: r.fov_deg,
        range_m: r.range_m,
        installed_on: r.installed_on.to_string(),
        lon: r.lon,
        lat: r.lat,
        grid_code: r.grid_code,
    }))
}
