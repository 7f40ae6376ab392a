//! Reading grids: one by code, many by bounding box, and search by code or name.
//!
//! Geometries leave as RFC 7946 GeoJSON: WGS84, exterior rings counter-clockwise
//! (`ST_ForcePolygonCCW`), 7 decimals (~1 cm).

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use citygrid_api::{Feature, GridProperties, GridWorker, SearchHit};
use sqlx::PgPool;

use crate::scope::{Scope, ScopedResult, SQL_IN_COUNTY};

/// A grid code: exactly 15 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridCode(String);

impl GridCode {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(GridCode(s.to_owned()))
        } else {
            Err(format!("grid code {s:?} must be exactly 15 digits (village code + 3)"))
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A WGS84 bounding box with `min < max` on both axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

/// Why a bbox was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BBoxError {
    /// It is not four decimal numbers ([`BBOX_PATTERN`]).
    #[error("{0}")]
    Syntax(String),
    /// Four numbers, but out of range or with min ≥ max.
    #[error("{0}")]
    Value(String),
}

/// The syntax [`BBox::parse`] accepts (ECMA-262, for the OpenAPI document): four decimal
/// numbers separated by commas, no exponent, no spaces.
pub const BBOX_PATTERN: &str = r"^-?[0-9]+(\.[0-9]+)?(,-?[0-9]+(\.[0-9]+)?){3}$";

/// `-?[0-9]+(\.[0-9]+)?` as a number; `None` for anything else.
fn decimal(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (all_digits(int) && frac.is_none_or(all_digits)).then(|| s.parse().ok()).flatten().filter(|x: &f64| x.is_finite())
}

impl BBox {
    /// Parses `minLon,minLat,maxLon,maxLat` ([`BBOX_PATTERN`]).
    pub fn parse(s: &str) -> Result<Self, BBoxError> {
        let parts: Vec<&str> = s.split(',').collect();
        if parts.len() != 4 {
            return Err(BBoxError::Syntax(format!(
                "bbox {s:?} must be minLon,minLat,maxLon,maxLat (4 numbers), got {}",
                parts.len()
            )));
        }
        let mut v = [0.0; 4];
        for (i, (p, name)) in parts.iter().zip(["minLon", "minLat", "maxLon", "maxLat"]).enumerate() {
            v[i] = decimal(p).ok_or_else(|| BBoxError::Syntax(format!("bbox {name} {p:?} is not a decimal number")))?;
        }
        let [min_lon, min_lat, max_lon, max_lat] = v;
        for (name, x, lim) in [
            ("minLon", min_lon, 180.0),
            ("maxLon", max_lon, 180.0),
            ("minLat", min_lat, 90.0),
            ("maxLat", max_lat, 90.0),
        ] {
            if x.abs() > lim {
                return Err(BBoxError::Value(format!("bbox {name} {x} is outside [-{lim}, {lim}]")));
            }
        }
        if min_lon >= max_lon || min_lat >= max_lat {
            return Err(BBoxError::Value(format!("bbox {s:?}: min must be below max on both axes")));
        }
        Ok(BBox { min_lon, min_lat, max_lon, max_lat })
    }
}

/// The most grids one bbox request returns.
pub const MAX_LIMIT: i64 = 1000;

/// The grid read query over `$relation` (shaped like `current_grids`, plus `valid_to`), with
/// the building and camera counts and the workers given as SQL.
macro_rules! grid_select {
    ($relation:literal, $valid_to:literal, $buildings:expr, $cameras:expr, $workers:literal) => {
        concat!(
            "select g.code, g.name, g.version, g.valid_from, ",
            $valid_to,
            " as valid_to,
                    st_asgeojson(st_forcepolygonccw(g.geom), 7) as geometry,
                    st_area(g.geom::geography) as area_m2,
                    v.code as village_code, v.name as village_name,
                    t.code as township_code, t.name as township_name,
                    c.code as county_code, c.name as county_name,
                    coalesce(b.households, 0) as households, coalesce(b.residents, 0) as residents,
                    coalesce(b.n, 0) as building_count,
                    (select count(*) from cameras k where ",
            $cameras,
            ") as camera_count,
                    coalesce(",
            $workers,
            ", '[]') as workers
             from ",
            $relation,
            " g
             join admin_units v on v.code = g.village_code
             join admin_units t on t.code = v.parent_code
             join admin_units c on c.code = t.parent_code
             left join lateral (
                 select sum(households)::bigint as households, sum(residents)::bigint as residents, count(*) as n
                 from buildings bd where ",
            $buildings,
            ") b on true
             left join lateral (
                 select json_agg(json_build_object('employee_no', employee_no, 'name', name, 'phone', phone)
                                 order by rank)::text as workers
                 from grid_workers where grid_code = g.code) w on true"
        )
    };
}

/// The current grids, with their assigned buildings, cameras and workers.
const GRID_SELECT: &str =
    grid_select!("current_grids", "null::timestamptz", "bd.grid_code = g.code", "k.grid_code = g.code", "w.workers");

/// The grids valid at `$1` (`grids_at`). Today's buildings and cameras are counted by the point
/// → grid rule applied to that partition; workers are listed only while the version is current
/// (worker assignments keep no history).
const GRID_SELECT_AT: &str = grid_select!(
    "grids_at($1)",
    "g.valid_to",
    concat!("bd.point && g.geom and (", crate::locate_sql!("grids_at($1)", "bd.point"), ") = g.code"),
    concat!("k.geom && g.geom and (", crate::locate_sql!("grids_at($1)", "k.geom"), ") = g.code"),
    "case when g.valid_to is null then w.workers end"
);

#[derive(sqlx::FromRow)]
struct GridRow {
    code: String,
    name: String,
    version: i32,
    valid_from: DateTime<Utc>,
    valid_to: Option<DateTime<Utc>>,
    geometry: String,
    area_m2: f64,
    village_code: String,
    village_name: String,
    township_code: String,
    township_name: String,
    county_code: String,
    county_name: String,
    households: i64,
    residents: i64,
    building_count: i64,
    camera_count: i64,
    workers: String,
}

impl GridRow {
    fn into_feature(self) -> anyhow::Result<Feature<GridProperties>> {
        let geometry = serde_json::from_str(&self.geometry).context("PostGIS returned bad GeoJSON")?;
        let grid_workers: Vec<GridWorker> = serde_json::from_str(&self.workers).context("grid workers")?;
        Ok(Feature {
            kind: "Feature".into(),
            id: self.code.clone(),
            geometry,
            properties: GridProperties {
                code: self.code,
                name: self.name,
                village_code: self.village_code,
                village_name: self.village_name,
                township_code: self.township_code,
                township_name: self.township_name,
                county_code: self.county_code,
                county_name: self.county_name,
                grid_workers,
                households: self.households,
                residents: self.residents,
                building_count: self.building_count,
                camera_count: self.camera_count,
                area_m2: self.area_m2,
                version: self.version,
                valid_from: self.valid_from.to_rfc3339(),
                valid_to: self.valid_to.map(|t| t.to_rfc3339()),
            },
        })
    }
}

/// `GRID_SELECT`, or `GRID_SELECT_AT` when a time is given; either way `$1` is that time.
fn grid_select(at: Option<DateTime<Utc>>) -> &'static str {
    if at.is_some() {
        GRID_SELECT_AT
    } else {
        GRID_SELECT
    }
}

/// One grid: its current version, or the version valid at `at`; refused when it lies outside
/// `scope`.
pub async fn get(
    pool: &PgPool,
    scope: &Scope,
    code: &GridCode,
    at: Option<DateTime<Utc>>,
) -> ScopedResult<Option<Feature<GridProperties>>> {
    scope.check(code.as_str(), || format!("grid {}", code.as_str()))?;
    let row: Option<GridRow> = sqlx::query_as(&format!("{} where g.code = $2", grid_select(at)))
        .bind(at)
        .bind(code.as_str())
        .fetch_optional(pool)
        .await
        .context("reading grid")?;
    Ok(row.map(GridRow::into_feature).transpose()?)
}

/// Grids in `scope` intersecting `bbox` (current, or valid at `at`), by code, at most `limit`;
/// the flag says whether more exist.
pub async fn in_bbox(
    pool: &PgPool,
    scope: &Scope,
    bbox: BBox,
    limit: i64,
    at: Option<DateTime<Utc>>,
) -> anyhow::Result<(Vec<Feature<GridProperties>>, bool)> {
    let relation = if at.is_some() { "grids_at($1)" } else { "current_grids" };
    let rows: Vec<GridRow> = sqlx::query_as(&format!(
        "{} where g.code in (
             select code from {relation}
             where st_intersects(geom, st_makeenvelope($2, $3, $4, $5, 4326))
               and ($7::text is null or {SQL_IN_COUNTY}(code, $7))
             order by code limit $6)
         order by g.code",
        grid_select(at)
    ))
    .bind(at)
    .bind(bbox.min_lon)
    .bind(bbox.min_lat)
    .bind(bbox.max_lon)
    .bind(bbox.max_lat)
    .bind(limit + 1)
    .bind(scope.county_code())
    .fetch_all(pool)
    .await
    .context("reading grids in bbox")?;
    let truncated = rows.len() as i64 > limit;
    let features = rows.into_iter().take(limit as usize).map(GridRow::into_feature).collect::<anyhow::Result<_>>()?;
    Ok((features, truncated))
}

#[derive(sqlx::FromRow)]
struct HitRow {
    level: String,
    code: String,
    name: String,
    parent_name: Option<String>,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// Grids and admin units in `scope` whose code starts with `q` or whose name contains it;
/// grids first.
pub async fn search(pool: &PgPool, scope: &Scope, q: &str, limit: i64) -> anyhow::Result<Vec<SearchHit>> {
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let like = format!("%{escaped}%");
    let prefix = format!("{escaped}%");
    let rows: Vec<HitRow> = sqlx::query_as(&format!(
        "with hits as (
             select 'grid' as level, g.code, g.name, v.name as parent_name, g.geom, 0 as rank
             from current_grids g join admin_units v on v.code = g.village_code
             where g.code like $2 or g.name like $1
             union all
             select a.level, a.code, a.name, p.name, a.geom,
                    case a.level when 'village' then 1 when 'township' then 2 else 3 end
             from admin_units a left join admin_units p on p.code = a.parent_code
             where a.code like $2 or a.name like $1 or a.name_en ilike $1
         )
         select level, code, name, parent_name,
                st_xmin(geom) as x0, st_ymin(geom) as y0, st_xmax(geom) as x1, st_ymax(geom) as y1
         from hits where $4::text is null or {SQL_IN_COUNTY}(code, $4)
         order by rank, length(name), code limit $3",
    ))
    .bind(&like)
    .bind(&prefix)
    .bind(limit)
    .bind(scope.county_code())
    .fetch_all(pool)
    .await
    .context("searching grids and units")?;
    rows.into_iter()
        .map(|r| {
            Ok(SearchHit {
                level: crate::admin_units::parse_level(&r.level)?,
                code: r.code,
                name: r.name,
                parent_name: r.parent_name,
                bbox: [r.x0, r.y0, r.x1, r.y1],
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_codes() {
        assert!(GridCode::parse("320812001001001").is_ok());
        assert!(GridCode::parse("32081200100100").is_err());
        assert!(GridCode::parse("32081200100100x").expect_err("x").contains("15 digits"));
    }

    #[test]
    fn bbox_parsing_names_the_problem() {
        let b = BBox::parse("118.9,33.5,119.1,33.7").expect("valid");
        assert!((b.max_lat - 33.7).abs() < 1e-12);
        assert_eq!(BBox::parse("-1,-2,3,4").map(|b| b.min_lat), Ok(-2.0));
        let syntax = |s: &str| match BBox::parse(s) {
            Err(BBoxError::Syntax(m)) => m,
            other => panic!("{s}: {other:?}"),
        };
        assert!(syntax("1,2,3").contains("4 numbers"));
        assert!(syntax("a,2,3,4").contains("minLon"));
        assert!(syntax("1,2,3,NaN").contains("maxLat"));
        for s in ["1e1,2,3,4", "1, 2,3,4", "+1,2,3,4", ".5,2,3,4", "1.,2,3,4", "inf,2,3,4"] {
            syntax(s);
        }
        let value = |s: &str| match BBox::parse(s) {
            Err(BBoxError::Value(m)) => m,
            other => panic!("{s}: {other:?}"),
        };
        assert!(value("1,95,3,96").contains("minLat"));
        assert!(value("3,2,1,4").contains("min must be below max"));
    }
}
