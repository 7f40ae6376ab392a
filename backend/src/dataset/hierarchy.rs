//! Townships, villages and grids: counts by largest remainder over a density integral, seeds by
//! weighted rejection sampling, cells by Voronoi clipped to the parent on a 1e-7° grid and, in
//! towns, cut along the streets (see `streets`); a village's parts of lakes are water grids
//! (see `water`); every level is closed (`closing`).

use std::collections::HashSet;

use anyhow::Context as _;
use rand::Rng;
use sqlx::{PgConnection, Row};

use super::closing::{self, Units};
use super::geom::{allocate, dist_m, rng_for, Density, Shape};
use super::names::place_stem;
use super::{streets, water};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Township,
    Village,
    Grid,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::Township => "township",
            Self::Village => "village",
            Self::Grid => "grid",
        }
    }
    /// Exponent on the density weight when allocating and placing children of this level.
    fn alpha(self) -> f64 {
        match self {
            Self::Township => 0.45,
            Self::Village => 0.7,
            Self::Grid => 1.0,
        }
    }
}

/// A generated unit with its geometry fetched back from PostGIS.
#[derive(Debug, Clone)]
pub struct Unit {
    pub code: String,
    pub parent: String,
    pub name: String,
    pub shape: Shape,
    /// Density weight at the seed (urbanness).
    pub w: f64,
    /// ∫ w over the unit, m² (population mass).
    pub mass: f64,
    pub label: [f64; 2],
    /// A water grid (a village's part of a lake): nothing is generated on it.
    pub water: bool,
    /// Grids: the segments [x1, y1, x2, y2] of the streets on the grid (see `streets`).
    pub streets: Vec<[f64; 4]>,
}

impl Unit {
    /// The roads of a grid, where road cameras and traffic incidents go: its streets, or in
    /// the country (no street) its field edges.
    #[must_use]
    pub fn roads(&self) -> &[[f64; 4]] {
        if self.streets.is_empty() {
            &self.shape.edges
        } else {
            &self.streets
        }
    }
}

struct Seed {
    parent: String,
    code: String,
    p: [f64; 2],
    name: String,
    name_en: String,
    centre: String,
    w: f64,
    water: bool,
}

fn weighted_point(shape: &Shape, d: &Density, alpha: f64, wmax: f64, rng: &mut impl Rng) -> [f64; 2] {
    let mut p = shape.random_point(rng);
    for _ in 0..2_000 {
        if rng.random::<f64>() * wmax <= d.w(p).powf(alpha) {
            return p;
        }
        p = shape.random_point(rng);
    }
    p
}

/// Density integral (m²·w^alpha) and the max of w^alpha seen, by sampling.
#[must_use]
pub fn integrate(shape: &Shape, d: &Density, alpha: f64, rng: &mut impl Rng, samples: usize) -> (f64, f64) {
    let mut sum = 0.0;
    let mut max: f64 = 1.0;
    for _ in 0..samples {
        let v = d.w(shape.random_point(rng)).powf(alpha);
        sum += v;
        max = max.max(v);
    }
    (shape.area_m2() * sum / samples as f64, max)
}

/// Generates children of `parents` at `level`, writes them (admin_units for townships and
/// villages, the temp table `ds_grid` for grids) and returns them with geometry.
pub async fn build_level(
    conn: &mut PgConnection,
    seed: u64,
    density: &Density,
    parents: &[Unit],
    total: usize,
    level: Level,
) -> anyhow::Result<Vec<Unit>> {
    let alpha = level.alpha();
    let tag = level.as_str();
    let mut masses = Vec::with_capacity(parents.len());
    let mut wmaxes = Vec::with_capacity(parents.len());
    for p in parents {
        let mut rng = rng_for(seed, &format!("mass-{tag}"), &p.code);
        let (m, wmax) = integrate(&p.shape, density, alpha, &mut rng, 256);
        masses.push(m);
        wmaxes.push(wmax * 1.5);
    }
    // The villages' parts of lakes are water grids, counted in `total`; the rest of the grids
    // are Voronoi cells of seeds on land.
    let pieces = if level == Level::Grid { water::pieces(conn).await? } else { Vec::new() };
    let counts = allocate(total - pieces.len(), &masses, 1);
    let mut seeds = Vec::with_capacity(total);
    for ((p, &n), &wmax) in parents.iter().zip(&counts).zip(&wmaxes) {
        let mut rng = rng_for(seed, &format!("seeds-{tag}"), &p.code);
        let mut pts: Vec<[f64; 2]> = Vec::with_capacity(n);
        for _ in 0..n {
            let mut best = weighted_point(&p.shape, density, alpha, wmax, &mut rng);
            let mut best_score = f64::MIN;
            for _ in 0..6 {
                let c = weighted_point(&p.shape, density, alpha, wmax, &mut rng);
                let near = pts.iter().map(|q| dist_m(*q, c)).fold(f64::MAX, f64::min);
                let score = near * density.w(c).powf(alpha / 2.0);
                if score > best_score {
                    best_score = score;
                    best = c;
                }
            }
            pts.push(best);
        }
        // Codes in a stable geographic order (north-west first).
        pts.sort_by(|a, b| b[1].total_cmp(&a[1]).then(a[0].total_cmp(&b[0])));
        let mut taken = HashSet::new();
        for (i, pt) in pts.into_iter().enumerate() {
            let code = format!("{}{:03}", p.code, i + 1);
            let w = density.w(pt);
            let (name, name_en, centre) = match level {
                Level::Township => {
                    let (suffix, en) = if w >= 6.0 {
                        ("街道", "Subdistrict")
                    } else if rng.random::<f64>() < 0.85 {
                        ("镇", "Town")
                    } else {
                        ("乡", "Township")
                    };
                    let (zh, py) = place_stem(&mut rng, &mut taken, suffix);
                    let name = format!("{zh}{suffix}");
                    let centre = format!("{name}社会治理网格化联动中心");
                    (name, format!("{py} {en}"), centre)
                }
                Level::Village => {
                    let (suffix, en) = if w >= 4.0 { ("社区", "Community") } else { ("村", "Village") };
                    let (zh, py) = place_stem(&mut rng, &mut taken, suffix);
                    let name = format!("{zh}{suffix}");
                    let centre = format!("{name}网格化服务站");
                    (name, format!("{py} {en}"), centre)
                }
                Level::Grid => (format!("{}第{}网格", p.name, i + 1), String::new(), String::new()),
            };
            seeds.push(Seed { parent: p.code.clone(), code, p: pt, name, name_en, centre, w, water: false });
        }
        let mine: Vec<&water::Piece> = pieces.iter().filter(|w| w.village == p.code).collect();
        for (k, piece) in mine.iter().enumerate() {
            let same_lake = mine.iter().filter(|o| o.lake == piece.lake).count();
            let nth = mine[..k].iter().filter(|o| o.lake == piece.lake).count() + 1;
            let name = if same_lake > 1 {
                format!("{}{}水域第{nth}网格", p.name, piece.lake)
            } else {
                format!("{}{}水域网格", p.name, piece.lake)
            };
            seeds.push(Seed {
                parent: p.code.clone(),
                code: format!("{}{:03}", p.code, n + k + 1),
                p: piece.p,
                name,
                name_en: String::new(),
                centre: String::new(),
                w: 0.0,
                water: true,
            });
        }
    }
    let land: Vec<&Seed> = seeds.iter().filter(|s| !s.water).collect();

    let table = format!("ds_cells_{tag}");
    let sql = format!(
        "create temp table {table} on commit drop as \
         with pts as (select parent, code, st_setsrid(st_makepoint(x, y), 4326) as p \
                      from unnest($1::text[], $2::text[], $3::float8[], $4::float8[]) as s(parent, code, x, y)), \
         par as (select u.code, u.geom, count(*) as n, st_collect(pts.p order by pts.code) as mp \
                 from pts join admin_units u on u.code = pts.parent group by u.code, u.geom), \
         cells as (select par.code as parent, par.geom as pgeom, \
                     st_reduceprecision(st_setsrid((st_dump(st_voronoipolygons(par.mp, 0, st_expand(st_envelope(par.geom), 0.05)))).geom, 4326), 1e-7) as cell \
                   from par where n > 1) \
         select pts.code, pts.parent, st_multi(st_collectionextract(st_intersection(c.cell, c.pgeom, 1e-7), 3)) as g \
           from cells c join pts on pts.parent = c.parent and st_contains(c.cell, pts.p) \
         union all \
         select pts.code, pts.parent, par.geom from pts join par on par.code = pts.parent where par.n = 1"
    );
    sqlx::query(&sql)
        .bind(land.iter().map(|s| s.parent.clone()).collect::<Vec<_>>())
        .bind(land.iter().map(|s| s.code.clone()).collect::<Vec<_>>())
        .bind(land.iter().map(|s| s.p[0]).collect::<Vec<_>>())
        .bind(land.iter().map(|s| s.p[1]).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .with_context(|| format!("voronoi for {tag}"))?;
    sqlx::query(&format!(
        "update {table} set g = st_multi(st_collectionextract(st_makevalid(g), 3)) where not st_isvalid(g)"
    ))
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!("create index on {table} using gist (g)")).execute(&mut *conn).await?;
    let located: Vec<(&str, &str, [f64; 2])> = land.iter().map(|s| (s.parent.as_str(), s.code.as_str(), s.p)).collect();
    streets::follow(conn, &table, &located).await?;
    if !pieces.is_empty() {
        // Land cells give up the village's water pieces, which become cells of their own.
        let water: Vec<&Seed> = seeds.iter().filter(|s| s.water).collect();
        sqlx::query(&format!(
            "update {table} t set g = st_multi(st_collectionextract(st_makevalid(st_difference(t.g, w.g)), 3)) \
             from (select village, st_union(g) as g from ds_water group by village) w where w.village = t.parent"
        ))
        .execute(&mut *conn)
        .await
        .context("land cells without the lakes")?;
        sqlx::query(&format!(
            "insert into {table} (code, parent, g) select n.code, w.village, st_multi(w.g) from ds_water w \
             join (select code, village, row_number() over (partition by village order by code) as k \
                   from unnest($1::text[], $2::text[]) as n(code, village)) n on n.village = w.village and n.k = w.k"
        ))
        .bind(water.iter().map(|s| s.code.clone()).collect::<Vec<_>>())
        .bind(water.iter().map(|s| s.parent.clone()).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .context("water grids")?;
        let empty: Vec<String> =
            sqlx::query_scalar(&format!("select code from {table} where st_isempty(g) order by code"))
                .fetch_all(&mut *conn)
                .await?;
        anyhow::ensure!(empty.is_empty(), "grids left with no land beside the lake: {empty:?}");
    }
    if level == Level::Grid {
        // Per-parent clipping snaps new vertices differently on the two sides of a parent edge,
        // leaving mm-wide slivers. Node all grid boundaries together, polygonize, and give each
        // face to the grid covering its interior point (smallest code) or the nearest grid.
        for sql in [
            format!(
                "create temp table ds_gface on commit drop as \
                 select f, st_pointonsurface(f) as p from (select (st_dump(st_polygonize(l))).geom as f \
                 from (select st_unaryunion(st_collect(st_boundary(g)), 1e-7) as l from {table}) x) y"
            ),
            format!(
                "create temp table ds_gfix on commit drop as select f.f, coalesce( \
                   (select c.code from {table} c where c.g && f.p and st_intersects(c.g, f.p) order by c.code limit 1), \
                   (select c.code from {table} c order by c.g <-> f.p, c.code limit 1)) as code from ds_gface f"
            ),
            format!(
                "update {table} t set g = x.g from (select code, st_multi(st_collectionextract(st_union(f, 1e-7), 3)) as g \
                 from ds_gfix group by code) x where x.code = t.code"
            ),
            format!("update {table} set g = st_multi(st_collectionextract(st_makevalid(g), 3)) where not st_isvalid(g)"),
        ] {
            sqlx::query(&sql).execute(&mut *conn).await.with_context(|| format!("grid noding: {sql}"))?;
        }
    }
    let units = Units { table: &table, code: "code", parent: Some("parent"), geom: "g" };
    if level == Level::Grid {
        closing::fill_holes(conn, &units).await?;
    }
    closing::absorb_parts(conn, &units, false).await?;
    let codes: Vec<String> = seeds.iter().map(|s| s.code.clone()).collect();
    let names: Vec<String> = seeds.iter().map(|s| s.name.clone()).collect();
    if level == Level::Grid {
        sqlx::query(&format!(
            "create temp table ds_grid on commit drop as \
             select c.code, c.parent as village_code, n.name, c.g from {table} c \
             join unnest($1::text[], $2::text[]) as n(code, name) on n.code = c.code"
        ))
        .bind(&codes)
        .bind(&names)
        .execute(&mut *conn)
        .await?;
        sqlx::query("create index on ds_grid using gist (g)").execute(&mut *conn).await?;
    } else {
        sqlx::query(&format!(
            "insert into admin_units (code, level, name, name_en, parent_code, centre, geom, label_point) \
             select c.code, $5, n.name, n.name_en, c.parent, n.centre, c.g, st_pointonsurface(c.g) from {table} c \
             join unnest($1::text[], $2::text[], $3::text[], $4::text[]) as n(code, name, name_en, centre) \
             on n.code = c.code"
        ))
        .bind(&codes)
        .bind(&names)
        .bind(seeds.iter().map(|s| s.name_en.clone()).collect::<Vec<_>>())
        .bind(seeds.iter().map(|s| s.centre.clone()).collect::<Vec<_>>())
        .bind(tag)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("inserting {tag}s"))?;
    }
    let rows = sqlx::query(&format!(
        "select code, st_asbinary(g) as wkb, st_x(l) as lx, st_y(l) as ly \
         from (select code, g, st_pointonsurface(g) as l from {table}) t order by code"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (row, s) in rows.iter().zip(&seeds) {
        let code: String = row.get("code");
        anyhow::ensure!(code == s.code, "cell order mismatch: {code} vs {}", s.code);
        let shape = Shape::from_wkb(row.get::<&[u8], _>("wkb"))?;
        let mut rng = rng_for(seed, &format!("unit-mass-{tag}"), &code);
        let (mass, _) = integrate(&shape, density, 1.0, &mut rng, 24);
        out.push(Unit {
            code,
            parent: s.parent.clone(),
            name: s.name.clone(),
            shape,
            w: s.w,
            mass,
            label: [row.get("lx"), row.get("ly")],
            water: s.water,
            streets: Vec::new(),
        });
    }
    anyhow::ensure!(out.len() == seeds.len(), "{tag}: {} cells for {} seeds", out.len(), seeds.len());
    Ok(out)
}

/// Fetches admin units of a level as parents for the next level.
pub async fn fetch_units(conn: &mut PgConnection, level: &str, density: &Density) -> anyhow::Result<Vec<Unit>> {
    let rows = sqlx::query(
        "select code, coalesce(parent_code, '') as parent, name, st_asbinary(geom) as wkb, \
           st_x(label_point) as lx, st_y(label_point) as ly from admin_units where level = $1 order by code",
    )
    .bind(level)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let shape = Shape::from_wkb(r.get::<&[u8], _>("wkb"))?;
            let label = [r.get("lx"), r.get("ly")];
            Ok(Unit {
                code: r.get("code"),
                parent: r.get("parent"),
                name: r.get("name"),
                mass: shape.area_m2(),
                shape,
                w: density.w(label),
                label,
                water: false,
                streets: Vec::new(),
            })
        })
        .collect()
}
