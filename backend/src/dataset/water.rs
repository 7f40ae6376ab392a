//! Water: the lakes of `lakes.geojson` beside the districts file (GSHHG, see `data/README.md`).
//! A village's part of a lake becomes a water grid (one per part of at least
//! [`WATER_GRID_MIN_M2`]); no building, camera or incident is generated on a lake, and seeds of
//! townships, villages and land grids avoid them.

use anyhow::Context as _;
use sqlx::{PgConnection, Row};

use super::geom::Shape;

/// The lakes file, in the directory of the districts file.
pub const LAKES_FILE: &str = "lakes.geojson";

/// A village's part of a lake becomes a water grid from this area on (m²); smaller parts (where a
/// village border grazes a shore) stay in the land grids around them, empty like the rest of
/// the lake.
pub const WATER_GRID_MIN_M2: f64 = 250_000.0;

/// The lakes inside the city.
#[derive(Debug, Clone, Default)]
pub struct Water {
    pub lakes: Vec<Shape>,
}

impl Water {
    /// True when `p` lies on a lake.
    #[must_use]
    pub fn contains(&self, p: [f64; 2]) -> bool {
        self.lakes.iter().any(|l| l.contains(p))
    }

    /// True when `p` lies on the land of `shape` (inside it and on no lake): where a camera or
    /// an incident may be generated.
    #[must_use]
    pub fn on_land_of(&self, shape: &Shape, p: [f64; 2]) -> bool {
        shape.contains(p) && !self.contains(p)
    }

    /// True when the convex quadrilateral `q` touches no lake.
    #[must_use]
    pub fn clear_of(&self, q: &[[f64; 2]; 4]) -> bool {
        self.lakes.iter().all(|l| l.quad_disjoint(q))
    }
}

/// Reads the lakes into the temp table `ds_lakes (name, g)`, cut to the city (which must be in
/// `admin_units`), and returns them.
pub async fn import(conn: &mut PgConnection, path: &std::path::Path) -> anyhow::Result<Water> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let fc: serde_json::Value = serde_json::from_str(&text).context("parsing the lakes GeoJSON")?;
    let features = fc["features"].as_array().context("lakes: no features")?;
    sqlx::query("create temp table ds_lakes (name text primary key, g geometry) on commit drop")
        .execute(&mut *conn)
        .await?;
    for f in features {
        let name = f["properties"]["name"].as_str().context("lake without a name")?;
        sqlx::query(
            "insert into ds_lakes select $1, st_multi(st_collectionextract(st_intersection( \
               st_makevalid(st_setsrid(st_geomfromgeojson($2), 4326)), c.geom), 3)) \
             from admin_units c where c.level = 'city'",
        )
        .bind(name)
        .bind(f["geometry"].to_string())
        .execute(&mut *conn)
        .await
        .with_context(|| format!("lake {name}"))?;
    }
    sqlx::query("delete from ds_lakes where st_isempty(g)").execute(&mut *conn).await?;
    let rows = sqlx::query("select st_asbinary(g) as wkb from ds_lakes order by name").fetch_all(&mut *conn).await?;
    let lakes = rows.iter().map(|r| Shape::from_wkb(r.get::<&[u8], _>("wkb"))).collect::<anyhow::Result<_>>()?;
    Ok(Water { lakes })
}

/// A village's part of a lake that becomes a water grid.
pub struct Piece {
    pub village: String,
    pub lake: String,
    /// Its point on surface (the grid's seed).
    pub p: [f64; 2],
}

/// Writes the water grids' pieces of the villages into the temp table
/// `ds_water (village, k, lake, g)` (`k` numbers a village's pieces from 1, largest first) and
/// returns them in village, `k` order.
pub async fn pieces(conn: &mut PgConnection) -> anyhow::Result<Vec<Piece>> {
    sqlx::query(
        "create temp table ds_water on commit drop as \
         select village, row_number() over (partition by village order by st_area(g) desc, st_xmin(g), st_ymin(g)) as k, \
           lake, g from ( \
             select v.code as village, l.name as lake, d.geom as g \
             from admin_units v join ds_lakes l on v.geom && l.g and st_intersects(v.geom, l.g), \
               st_dump(st_collectionextract(st_intersection(v.geom, l.g), 3)) d \
             where v.level = 'village') x \
         where st_area(g::geography) >= $1",
    )
    .bind(WATER_GRID_MIN_M2)
    .execute(&mut *conn)
    .await
    .context("water pieces of the villages")?;
    let rows = sqlx::query(
        "select village, lake, st_x(p) as x, st_y(p) as y \
         from (select village, k, lake, st_pointonsurface(g) as p from ds_water) w order by village, k",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Piece { village: r.get("village"), lake: r.get("lake"), p: [r.get("x"), r.get("y")] })
        .collect())
}
