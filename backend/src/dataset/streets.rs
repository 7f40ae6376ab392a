//! Streets: a generated network per town, which the boundaries inside towns follow.
//!
//! The model (all lengths in metres, every draw keyed by (seed, "streets", town key)):
//! - **Towns.** The urban core is a disc of [`CORE_RADIUS_M`] around the city centre; every
//!   district seat farther out is the centre of a town of [`SEAT_RADIUS_M`]; every township
//!   whose label point lies outside those has a market town (集镇) of [`MARKET_RADIUS_M`]
//!   around it. A town's extent (`towns.geom`) is its disc cut to its clip unit (the city for
//!   urban towns, its township for a market town), to the Voronoi cell of its centre among the
//!   towns laid with it, off earlier towns and off the lakes.
//! - **Streets.** Two perpendicular families of straight streets at a town's spacing
//!   ([`URBAN_SPACING_M`], [`MARKET_SPACING_M`]), turned by a random angle per town; each street
//!   is moved by up to 15% of the spacing and turned by at most `0.3 · spacing / radius`, so
//!   streets of one family never cross inside the town. Every fourth street of an urban town
//!   and the central street of each family of a market town is an arterial (路); the others are
//!   local streets (街). Streets are cut to their town's extent.
//! - **Boundaries.** Where streets cross a parent unit, its children are cut from the faces of
//!   the parent's boundary and its streets (see [`follow`]): a face holding one seed goes to
//!   it, a face holding several is split between them by their Voronoi cells, and a face
//!   holding none goes to the child whose plain Voronoi cell holds its interior point. Away
//!   from the streets a face is the whole parent, so rural boundaries stay field lines.

use std::collections::HashSet;
use std::f64::consts::FRAC_PI_2;

use anyhow::Context as _;
use rand::Rng;
use sqlx::{PgConnection, Row};

use super::geom::{dist_m, offset, rng_for, CITY_CENTRE};
use super::hierarchy::Unit;
use super::names::place_stem;

/// Radius of the urban core's street network.
pub const CORE_RADIUS_M: f64 = 8_000.0;
/// Radius of the town of a district seat outside the core.
pub const SEAT_RADIUS_M: f64 = 2_500.0;
/// Radius of a township's market town.
pub const MARKET_RADIUS_M: f64 = 700.0;
/// Street spacing in urban towns and in market towns.
pub const URBAN_SPACING_M: f64 = 220.0;
pub const MARKET_SPACING_M: f64 = 170.0;
/// Every n-th street of an urban town is an arterial.
const URBAN_ARTERIAL_EVERY: i32 = 4;

/// A town to lay streets in.
#[derive(Debug, Clone)]
pub struct Town {
    pub key: String,
    pub name: String,
    pub urban: bool,
    pub centre: [f64; 2],
    pub radius_m: f64,
    /// The admin unit the town is cut to.
    pub clip: String,
}

impl Town {
    fn spacing_m(&self) -> f64 {
        if self.urban {
            URBAN_SPACING_M
        } else {
            MARKET_SPACING_M
        }
    }
    fn is_arterial(&self, k: i32) -> bool {
        if self.urban {
            k % URBAN_ARTERIAL_EVERY == 0
        } else {
            k == 0
        }
    }
}

/// The urban core (named after the county holding the city centre) and the towns of the
/// district seats (county label points) outside it.
#[must_use]
pub fn urban_towns(counties: &[Unit], city: &str) -> Vec<Town> {
    let mut towns = vec![Town {
        key: "core".to_owned(),
        name: "淮安中心城区".to_owned(),
        urban: true,
        centre: CITY_CENTRE,
        radius_m: CORE_RADIUS_M,
        clip: city.to_owned(),
    }];
    for c in counties {
        if dist_m(c.label, CITY_CENTRE) > CORE_RADIUS_M {
            towns.push(Town {
                key: c.code.clone(),
                name: format!("{}城区", c.name),
                urban: true,
                centre: c.label,
                radius_m: SEAT_RADIUS_M,
                clip: city.to_owned(),
            });
        }
    }
    towns
}

/// A market town for every township whose label point lies in no town of `urban`.
#[must_use]
pub fn market_towns(townships: &[Unit], urban: &[Town]) -> Vec<Town> {
    townships
        .iter()
        .filter(|t| urban.iter().all(|u| dist_m(t.label, u.centre) > u.radius_m))
        .map(|t| Town {
            key: t.code.clone(),
            name: format!(
                "{}集镇",
                ["街道", "镇", "乡"].iter().find_map(|x| t.name.strip_suffix(x)).unwrap_or(&t.name)
            ),
            urban: false,
            centre: t.label,
            radius_m: MARKET_RADIUS_M,
            clip: t.code.clone(),
        })
        .collect()
}

struct Line {
    town: usize,
    arterial: bool,
    name: String,
    a: [f64; 2],
    b: [f64; 2],
}

/// The raw (uncut) streets of a town.
fn lines(seed: u64, ti: usize, town: &Town, taken: &mut HashSet<String>) -> Vec<Line> {
    let mut rng = rng_for(seed, "streets", &town.key);
    let theta = rng.random_range(0.0..FRAC_PI_2);
    let spacing = town.spacing_m();
    let k_max = (town.radius_m / spacing).ceil() as i32;
    let max_turn = 0.3 * spacing / town.radius_m;
    let half = town.radius_m * 1.1;
    let mut out = Vec::new();
    for family in 0..2 {
        let th = theta + f64::from(family) * FRAC_PI_2;
        let (s0, c0) = th.sin_cos();
        for k in -k_max..=k_max {
            let o = f64::from(k) * spacing + rng.random_range(-0.15..0.15) * spacing;
            let (s, c) = (th + rng.random_range(-max_turn..max_turn)).sin_cos();
            let mid = (-o * s0, o * c0);
            let arterial = town.is_arterial(k);
            let (zh, _) = place_stem(&mut rng, taken, if arterial { "路" } else { "街" });
            out.push(Line {
                town: ti,
                arterial,
                name: format!("{zh}{}", if arterial { "路" } else { "街" }),
                a: offset(town.centre, mid.0 - c * half, mid.1 - s * half),
                b: offset(town.centre, mid.0 + c * half, mid.1 + s * half),
            });
        }
    }
    out
}

/// Writes `towns` (their extents) and their streets; returns the streets written. Street names
/// are unique in the city through `taken`.
pub async fn lay(
    conn: &mut PgConnection,
    seed: u64,
    towns: &[Town],
    taken: &mut HashSet<String>,
) -> anyhow::Result<u64> {
    sqlx::query(
        "with t as (select * from unnest($1::text[], $2::text[], $3::bool[], $4::float8[], $5::float8[], \
                      $6::float8[], $7::text[]) as t(key, name, urban, x, y, r, clip)), \
         c as (select t.*, st_setsrid(st_makepoint(x, y), 4326) as p from t), \
         v as (select (st_dump(st_voronoipolygons(st_collect(p), 0, \
                 (select st_expand(st_envelope(geom), 0.5) from admin_units where level = 'city')))).geom as cell from c), \
         d as (select c.key, c.name, c.urban, u.geom as clip, \
                 st_intersection(st_buffer(c.p::geography, c.r)::geometry, \
                   coalesce((select v.cell from v where st_contains(v.cell, c.p) limit 1), st_buffer(c.p::geography, c.r)::geometry)) as disc \
               from c join admin_units u on u.code = c.clip), \
         e as (select key, name, urban, st_difference(st_intersection(disc, clip), \
                 coalesce((select st_union(geom) from towns), 'SRID=4326;POLYGON EMPTY'::geometry), 1e-7) as g from d) \
         insert into towns (key, name, kind, geom) \
         select key, name, case when urban then 'urban' else 'town' end, g from ( \
           select key, name, urban, st_multi(st_collectionextract(st_makevalid(st_reduceprecision( \
             st_difference(e.g, coalesce((select st_union(l.g) from ds_lakes l), 'SRID=4326;POLYGON EMPTY'::geometry)), 1e-7)), 3)) as g \
           from e) x where not st_isempty(g)",
    )
    .bind(towns.iter().map(|t| t.key.clone()).collect::<Vec<_>>())
    .bind(towns.iter().map(|t| t.name.clone()).collect::<Vec<_>>())
    .bind(towns.iter().map(|t| t.urban).collect::<Vec<_>>())
    .bind(towns.iter().map(|t| t.centre[0]).collect::<Vec<_>>())
    .bind(towns.iter().map(|t| t.centre[1]).collect::<Vec<_>>())
    .bind(towns.iter().map(|t| t.radius_m).collect::<Vec<_>>())
    .bind(towns.iter().map(|t| t.clip.clone()).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .context("town extents")?;
    let lines: Vec<Line> = towns.iter().enumerate().flat_map(|(i, t)| lines(seed, i, t, taken)).collect();
    let n = sqlx::query(
        "insert into streets (id, town_key, kind, name, geom) \
         select (select coalesce(max(id), 0) from streets) + row_number() over (order by ord), key, kind, name, g from ( \
           select l.ord, l.key, case when l.arterial then 'arterial' else 'local' end as kind, l.name, \
             st_multi(st_collectionextract(st_reduceprecision(st_intersection( \
               st_makeline(st_setsrid(st_makepoint(l.x1, l.y1), 4326), st_setsrid(st_makepoint(l.x2, l.y2), 4326)), t.geom), 1e-7), 2)) as g \
           from unnest($1::text[], $2::bool[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::float8[]) \
             with ordinality as l(key, arterial, name, x1, y1, x2, y2, ord) \
           join towns t on t.key = l.key) x \
         where not st_isempty(g) and st_length(g::geography) > 20",
    )
    .bind(lines.iter().map(|l| towns[l.town].key.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.arterial).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.name.clone()).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.a[0]).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.a[1]).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.b[0]).collect::<Vec<_>>())
    .bind(lines.iter().map(|l| l.b[1]).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .context("streets")?
    .rows_affected();
    Ok(n)
}

/// Re-cuts the Voronoi cells in `table (code, parent, g)` of every parent that streets cross
/// along the streets (the rule in the module doc). `seeds` are (parent, code, lon, lat); the
/// table has a spatial index on `g`.
pub async fn follow(conn: &mut PgConnection, table: &str, seeds: &[(&str, &str, [f64; 2])]) -> anyhow::Result<()> {
    sqlx::query(&format!(
        "create temp table {table}_seeds on commit drop as \
         select parent, code, st_setsrid(st_makepoint(x, y), 4326) as p \
         from unnest($1::text[], $2::text[], $3::float8[], $4::float8[]) as s(parent, code, x, y)"
    ))
    .bind(seeds.iter().map(|s| s.0).collect::<Vec<_>>())
    .bind(seeds.iter().map(|s| s.1).collect::<Vec<_>>())
    .bind(seeds.iter().map(|s| s.2[0]).collect::<Vec<_>>())
    .bind(seeds.iter().map(|s| s.2[1]).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    for sql in [
        // The faces of every parent that streets cross (holes of the parent left out), each
        // with an interior point and the seeds inside it (a seed on a street: the first face).
        format!(
            "create temp table {table}_faces on commit drop as \
             with par as (select u.code, u.geom from admin_units u \
                          where u.code in (select distinct parent from {table}_seeds) \
                            and exists (select 1 from streets s where s.geom && u.geom and st_intersects(s.geom, u.geom))), \
             segs as (select par.code as parent, st_collectionextract(st_collect(st_intersection(s.geom, par.geom)), 2) as sl \
                      from par join streets s on s.geom && par.geom and st_intersects(s.geom, par.geom) group by par.code), \
             lines as (select par.code as parent, st_unaryunion(st_collect(st_boundary(par.geom), segs.sl), 1e-7) as l \
                       from par join segs on segs.parent = par.code), \
             raw as (select parent, (st_dump(st_polygonize(l))).geom as f from lines group by parent) \
             select row_number() over (order by r.parent, st_xmin(r.f), st_ymin(r.f), st_area(r.f)) as fid, \
                    r.parent, r.f, st_pointonsurface(r.f) as inner_p \
             from raw r join par on par.code = r.parent where st_intersects(par.geom, st_pointonsurface(r.f))"
        ),
        format!("create index on {table}_faces using gist (f)"),
        format!(
            "create temp table {table}_own on commit drop as \
             select distinct on (s.code) f.fid, s.code, s.p from {table}_seeds s \
             join {table}_faces f on f.parent = s.parent and f.f && s.p and st_intersects(f.f, s.p) order by s.code, f.fid"
        ),
        format!("analyze {table}_faces"),
        format!("analyze {table}_own"),
        // A face with one seed goes to it, one with several is split by their Voronoi cells,
        // one with none goes to the cell holding its interior point.
        format!(
            "with n as materialized (select fid, count(*) as n, st_collect(p order by code) as mp from {table}_own group by fid), \
             vor as materialized (select f.fid, f.f, (st_dump(st_voronoipolygons(n.mp, 0, st_expand(st_envelope(f.f), 0.01)))).geom as cell \
                                  from {table}_faces f join n using (fid) where n.n > 1), \
             pieces as ( \
               select o.code, f.f as g from {table}_faces f join n using (fid) join {table}_own o using (fid) where n.n = 1 \
               union all \
               select o.code, st_intersection(v.cell, v.f, 1e-7) from vor v join {table}_own o on o.fid = v.fid and st_contains(v.cell, o.p) \
               union all \
               select coalesce( \
                   (select c.code from {table} c where c.g && f.inner_p and st_intersects(c.g, f.inner_p) \
                      and c.parent = f.parent order by c.code limit 1), \
                   (select c.code from {table} c where c.parent = f.parent order by c.g <-> f.inner_p, c.code limit 1)), f.f \
                 from {table}_faces f where not exists (select 1 from {table}_own o where o.fid = f.fid)) \
             update {table} t set g = x.g from ( \
               select code, st_multi(st_collectionextract(st_makevalid(st_union(g, 1e-7)), 3)) as g from pieces group by code) x \
             where x.code = t.code"
        ),
    ] {
        sqlx::query(&sql).execute(&mut *conn).await.with_context(|| format!("cells along the streets: {sql}"))?;
    }
    Ok(())
}

/// Fills every grid's `streets` with the segments of the streets on it (its boundary
/// included), read from the final grids in `ds_grid`.
pub async fn of_grids(conn: &mut PgConnection, grids: &mut [Unit]) -> anyhow::Result<()> {
    let index: std::collections::HashMap<String, usize> =
        grids.iter().enumerate().map(|(i, g)| (g.code.clone(), i)).collect();
    let rows = sqlx::query(
        "select g.code, st_x(st_startpoint(d.geom)) as x1, st_y(st_startpoint(d.geom)) as y1, \
           st_x(st_endpoint(d.geom)) as x2, st_y(st_endpoint(d.geom)) as y2 \
         from ds_grid g join streets s on s.geom && g.g and st_intersects(s.geom, g.g) \
         cross join lateral st_dumpsegments(st_collectionextract(st_intersection(s.geom, g.g), 2)) d \
         order by g.code, s.id, d.path",
    )
    .fetch_all(&mut *conn)
    .await
    .context("the streets of each grid")?;
    for r in rows {
        let code: String = r.get("code");
        if let Some(&i) = index.get(&code) {
            grids[i].streets.push([r.get("x1"), r.get("y1"), r.get("x2"), r.get("y2")]);
        }
    }
    Ok(())
}
