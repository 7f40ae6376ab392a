//! Reading the persisted coverage: per-unit summaries and one grid's figures with its blind
//! spots. Everything is limited to the caller's scope.

use anyhow::Context as _;
use citygrid_api::{
    AdminLevel, BlindSpotProperties, CameraCounts, CoverageSummary, Feature, FeatureCollection, GridCoverage,
    UnitCoverage,
};
use sqlx::PgPool;

use super::store;
use crate::grids::BBox;
use crate::scope::Scope;

/// The most units one summary lists.
pub const MAX_UNITS: i64 = 6_000;

/// The length of the codes of a level (county 6, township 9, village 12, grid 15).
#[must_use]
pub fn code_len(level: AdminLevel) -> Option<i32> {
    match level {
        AdminLevel::County => Some(6),
        AdminLevel::Township => Some(9),
        AdminLevel::Village => Some(12),
        AdminLevel::Grid => Some(15),
        AdminLevel::City => None,
    }
}

/// What a summary asks for.
#[derive(Debug, Clone)]
pub struct SummaryQuery {
    pub level: AdminLevel,
    /// Only units under (or equal to) this code.
    pub code: Option<String>,
    /// Only units whose area meets this box.
    pub bbox: Option<BBox>,
    pub occlusion: bool,
    /// Worst covered (by covered residents share) first, instead of by code.
    pub worst_first: bool,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    code: String,
    name: String,
    buildings: i64,
    covered_buildings: i64,
    residents: i64,
    covered_residents: i64,
    blind_spot_area_m2: f64,
    blind_spots_pending: i64,
    online: i64,
    offline: i64,
    maintenance: i64,
    planned: i64,
}

/// Per-unit coverage at one level.
pub async fn summary(
    pool: &PgPool,
    scope: &Scope,
    q: &SummaryQuery,
    min_share: f64,
) -> anyhow::Result<CoverageSummary> {
    let len = code_len(q.level).context("a summary is per county, township, village or grid")?;
    let envelope = q.bbox.map(|b| [b.min_lon, b.min_lat, b.max_lon, b.max_lat]);
    let rows: Vec<UnitRow> = sqlx::query_as(
        "with f as (
             select left(c.grid_code, $1) as code,
                    sum(c.buildings)::bigint as buildings, sum(c.residents)::bigint as residents,
                    sum(case when $2 then c.covered_buildings_occluded else c.covered_buildings end)::bigint as covered_buildings,
                    sum(case when $2 then c.covered_residents_occluded else c.covered_residents end)::bigint as covered_residents,
                    coalesce(sum(case when $2 then c.blind_spot_area_occluded_m2 else c.blind_spot_area_m2 end), 0)::float8
                        as blind_spot_area_m2,
                    count(*) filter (where c.blind_spots_dirty <> c.blind_spots_done) as blind_spots_pending
             from coverage_grids c
             where ($3::text is null or left(c.grid_code, length($3)) = $3)
               and ($4::text is null or in_county(c.grid_code, $4))
             group by 1
         ),
         cams as (
             select left(grid_code, $1) as code,
                    count(*) filter (where status = 'online') as online,
                    count(*) filter (where status = 'offline') as offline,
                    count(*) filter (where status = 'maintenance') as maintenance,
                    count(*) filter (where status = 'planned') as planned
             from cameras
             where ($3::text is null or left(grid_code, length($3)) = $3)
               and ($4::text is null or in_county(grid_code, $4))
             group by 1
         ),
         named as (
             select f.*, coalesce(g.name, a.name, f.code) as name, coalesce(g.geom, a.geom) as geom
             from f
             left join current_grids g on $1 = 15 and g.code = f.code
             left join admin_units a on $1 < 15 and a.code = f.code
         )
         select n.code, n.name, n.buildings, n.covered_buildings, n.residents, n.covered_residents,
                n.blind_spot_area_m2, n.blind_spots_pending,
                coalesce(k.online, 0) as online, coalesce(k.offline, 0) as offline,
                coalesce(k.maintenance, 0) as maintenance, coalesce(k.planned, 0) as planned
         from named n left join cams k on k.code = n.code
         where $5::float8[] is null
            or n.geom && st_makeenvelope($5[1], $5[2], $5[3], $5[4], 4326)
               and st_intersects(n.geom, st_makeenvelope($5[1], $5[2], $5[3], $5[4], 4326))
         order by case when $6 then n.covered_residents::float8 / nullif(n.residents, 0) end asc nulls last, n.code
         limit $7",
    )
    .bind(len)
    .bind(q.occlusion)
    .bind(q.code.as_deref())
    .bind(scope.county_code())
    .bind(envelope.map(Vec::from))
    .bind(q.worst_first)
    .bind(q.limit + 1)
    .fetch_all(pool)
    .await
    .context("reading the coverage summary")?;
    let truncated = rows.len() as i64 > q.limit;
    let units = rows
        .into_iter()
        .take(q.limit as usize)
        .map(|r| UnitCoverage {
            covered_residents_share: (r.residents > 0).then(|| r.covered_residents as f64 / r.residents as f64),
            code: r.code,
            name: r.name,
            level: q.level,
            buildings: r.buildings,
            covered_buildings: r.covered_buildings,
            residents: r.residents,
            covered_residents: r.covered_residents,
            cameras: CameraCounts {
                online: r.online,
                offline: r.offline,
                maintenance: r.maintenance,
                planned: r.planned,
            },
            blind_spot_area_m2: r.blind_spot_area_m2,
            blind_spots_pending: r.blind_spots_pending,
        })
        .collect();
    Ok(CoverageSummary { level: q.level, code: q.code.clone(), occlusion: q.occlusion, min_share, units, truncated })
}

#[derive(sqlx::FromRow)]
struct GridRow {
    name: String,
    buildings: i32,
    covered_buildings: i32,
    residents: i64,
    covered_residents: i64,
    stale: bool,
}

/// One grid's figures and blind spots (recomputed first when a change made them stale), or
/// `None` for an unknown grid.
pub async fn grid(pool: &PgPool, code: &str, occlusion: bool, min_share: f64) -> anyhow::Result<Option<GridCoverage>> {
    let read = || {
        sqlx::query_as::<_, GridRow>(
            "select g.name,
                    c.buildings, case when $2 then c.covered_buildings_occluded else c.covered_buildings end as covered_buildings,
                    c.residents, case when $2 then c.covered_residents_occluded else c.covered_residents end as covered_residents,
                    c.blind_spots_dirty <> c.blind_spots_done as stale
             from current_grids g join coverage_grids c on c.grid_code = g.code
             where g.code = $1",
        )
        .bind(code)
        .bind(occlusion)
        .fetch_optional(pool)
    };
    let Some(mut row) = read().await.context("reading grid coverage")? else { return Ok(None) };
    if row.stale {
        store::refresh_blind_spots(pool, code).await?;
        row = read().await?.context("the grid vanished")?;
    }
    let parts: Vec<(String, f64)> = sqlx::query_as(
        "select st_asgeojson(st_forcepolygonccw(d.geom), 7), st_area(d.geom::geography)
         from coverage_grids c, st_dump(case when $2 then c.blind_spots_occluded else c.blind_spots end) d
         where c.grid_code = $1
         order by st_area(d.geom::geography) desc",
    )
    .bind(code)
    .bind(occlusion)
    .fetch_all(pool)
    .await
    .context("reading blind spots")?;
    let cams: (i64, i64, i64, i64) = sqlx::query_as(
        "select count(*) filter (where status = 'online'), count(*) filter (where status = 'offline'),
                count(*) filter (where status = 'maintenance'), count(*) filter (where status = 'planned')
         from cameras where grid_code = $1",
    )
    .bind(code)
    .fetch_one(pool)
    .await?;
    let mut features = Vec::with_capacity(parts.len());
    let mut area = 0.0;
    for (i, (geojson, area_m2)) in parts.into_iter().enumerate() {
        area += area_m2;
        features.push(Feature {
            kind: "Feature".into(),
            id: format!("{code}-{}", i + 1),
            geometry: serde_json::from_str(&geojson).context("PostGIS GeoJSON")?,
            properties: BlindSpotProperties { area_m2 },
        });
    }
    Ok(Some(GridCoverage {
        code: code.to_owned(),
        name: row.name,
        buildings: i64::from(row.buildings),
        covered_buildings: i64::from(row.covered_buildings),
        residents: row.residents,
        covered_residents: row.covered_residents,
        cameras: CameraCounts { online: cams.0, offline: cams.1, maintenance: cams.2, planned: cams.3 },
        occlusion,
        min_share,
        blind_spot_area_m2: area,
        blind_spots: FeatureCollection { kind: "FeatureCollection".into(), features, truncated: false },
    }))
}
