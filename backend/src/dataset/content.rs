//! Grids (colouring), grid workers, buildings, cameras and mediation, generated in Rust and
//! COPYed into PostGIS.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write as _;

use rand::Rng;
use rand_distr::{Distribution, Normal};
use sqlx::{PgConnection, Row};

use super::geom::{
    allocate, along, bearing, cumulative, dist_m, draw, ewkb_point, ewkb_quad, offset, quad_clear_of, rect, rng_for,
};
use super::hierarchy::Unit;
use super::names::{person, phone};
use super::water::Water;
use super::{Copier, FIXED_START};
use crate::planning::colour::recolour;

pub const KINDS: [&str; 7] = ["residential", "commercial", "industrial", "public", "school", "hospital", "rural_house"];
const RESIDENTIAL: u8 = 0;
const RURAL_HOUSE: u8 = 6;

/// Real Huai'an's residents (the `full` city is built for them).
pub const TOTAL_RESIDENTS: i64 = 5_590_000;

/// Residents per m² of gross floor area, by kind ([`KINDS`] order): an urban residential block
/// houses one person per 60 m² (flats of ~90 m² for 2.6 people, plus stairs, walls, shared space
/// and the flats that stand empty), a village house one per 70 m² (larger houses, part storage
/// and workshop). Shops, factories, public buildings, schools and hospitals house nobody.
pub const RESIDENTS_PER_M2: [f64; 7] = [1.0 / 60.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0 / 70.0];

/// People per household (Huai'an's 2020 census: 2.6).
pub const HOUSEHOLD_SIZE: f64 = 2.6;

#[derive(Debug, Clone)]
pub struct Building {
    pub grid: u32,
    pub kind: u8,
    pub floors: i16,
    pub centre: [f64; 2],
    pub theta: f64,
    pub w: f64,
    pub h: f64,
    pub residents: i32,
    pub households: i32,
}

impl Building {
    #[must_use]
    pub fn quad(&self) -> [[f64; 2]; 4] {
        rect(self.centre, self.w, self.h, self.theta)
    }
}

/// Greedy four-colouring of grid adjacency (largest degree first); returns colour per grid.
pub async fn colour_grids(conn: &mut PgConnection, grids: &[Unit]) -> anyhow::Result<Vec<i16>> {
    let rows = sqlx::query(
        "select a.code as a, b.code as b from ds_grid a join ds_grid b \
         on a.code < b.code and a.g && b.g and st_relate(a.g, b.g, 'F***1****') order by 1, 2",
    )
    .fetch_all(&mut *conn)
    .await?;
    let index: HashMap<&str, usize> = grids.iter().enumerate().map(|(i, g)| (g.code.as_str(), i)).collect();
    let mut adj = vec![Vec::new(); grids.len()];
    for r in &rows {
        let a = index[r.get::<&str, _>("a")];
        let b = index[r.get::<&str, _>("b")];
        adj[a].push(b);
        adj[b].push(a);
    }
    Ok(greedy_colour(&adj))
}

/// DSatur colouring with 4 colours (fewest-used colour among neighbours when 4 do not suffice),
/// then deterministic Kempe chain repairs of the nodes that still clash.
#[must_use]
pub fn greedy_colour(adj: &[Vec<usize>]) -> Vec<i16> {
    let n = adj.len();
    let mut colour = vec![-1i16; n];
    let mut seen = vec![[false; 4]; n];
    let mut sat = vec![0usize; n];
    for _ in 0..n {
        let mut best = usize::MAX;
        for i in 0..n {
            if colour[i] >= 0 {
                continue;
            }
            if best == usize::MAX || (sat[i], adj[i].len()) > (sat[best], adj[best].len()) {
                best = i;
            }
        }
        let i = best;
        let mut used = [0usize; 4];
        for &j in &adj[i] {
            if colour[j] >= 0 {
                used[colour[j] as usize] += 1;
            }
        }
        let c = (0..4).find(|&c| used[c] == 0).unwrap_or_else(|| (0..4).min_by_key(|&c| (used[c], c)).unwrap_or(0));
        colour[i] = c as i16;
        for &j in &adj[i] {
            if !seen[j][c] {
                seen[j][c] = true;
                sat[j] += 1;
            }
        }
    }
    // Conflicts left by the greedy order are repaired by Kempe chain swaps (the planning
    // engine's own recolouring), a few passes while they still help.
    let graph: BTreeMap<usize, BTreeSet<usize>> =
        adj.iter().enumerate().map(|(i, ns)| (i, ns.iter().copied().collect())).collect();
    let mut colours: BTreeMap<usize, i16> = colour.iter().copied().enumerate().collect();
    for _ in 0..4 {
        let conflicting: Vec<usize> = (0..n).filter(|&i| adj[i].iter().any(|&j| colours[&j] == colours[&i])).collect();
        if conflicting.is_empty() {
            break;
        }
        recolour(&mut colours, &graph, &conflicting, &|_| true);
    }
    colours.into_values().collect()
}

pub async fn insert_grids(conn: &mut PgConnection, grids: &[Unit], colours: &[i16]) -> anyhow::Result<()> {
    let codes: Vec<String> = grids.iter().map(|g| g.code.clone()).collect();
    sqlx::query(
        "insert into grids (code, village_code, name, colour, created_at, kind) \
         select g.code, g.village_code, g.name, c.colour, $3::timestamptz, c.kind from ds_grid g \
         join unnest($1::text[], $2::int2[], $4::text[]) as c(code, colour, kind) on c.code = g.code order by g.code",
    )
    .bind(&codes)
    .bind(colours)
    .bind(FIXED_START)
    .bind(grids.iter().map(|g| if g.water { "water" } else { "land" }).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into grid_versions (grid_code, version, valid_from, geom) \
         select code, 1, $1::timestamptz, g from ds_grid order by code",
    )
    .bind(FIXED_START)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Grid workers: one per grid, two in busy grids (top quarter by population mass).
pub async fn write_workers(conn: &mut PgConnection, seed: u64, grids: &[Unit]) -> anyhow::Result<u64> {
    let mut masses: Vec<f64> = grids.iter().map(|g| g.mass * g.w.sqrt()).collect();
    masses.sort_by(f64::total_cmp);
    let busy = masses.get(masses.len() * 3 / 4).copied().unwrap_or(f64::MAX);
    let mut c = Copier::start(conn, "COPY grid_workers (employee_no, grid_code, rank, name, phone) FROM STDIN").await?;
    let mut seq = 0u32;
    for g in grids {
        let mut rng = rng_for(seed, "worker", &g.code);
        let n = if g.mass * g.w.sqrt() >= busy { 2 } else { 1 };
        for rank in 1..=n {
            seq += 1;
            writeln!(c.text(), "HA{seq:08}\t{}\t{rank}\t{}\t{}", g.code, person(&mut rng), phone(&mut rng))?;
            c.row().await?;
        }
    }
    c.finish().await
}

struct Dims {
    kind: u8,
    w: (f64, f64),
    h: (f64, f64),
    /// Lowest and highest floor count, and the mean number of floors above the lowest
    /// (see [`floors`]).
    floors: (i16, i16, f64),
}

/// A floor count from `lo` to `hi`: `lo` plus an exponential number of extra floors of mean
/// `scale`, truncated at `hi` (one draw, by the inverse distribution). Most buildings are low,
/// few are towers: urban blocks (2, 33, 5.0) are 70% at 2–7 floors and 3% above 18.
fn floors((lo, hi, scale): (i16, i16, f64), rng: &mut impl Rng) -> i16 {
    let span = f64::from(hi - lo + 1);
    let u: f64 = rng.random();
    let x = -scale * (-u * (-(-span / scale).exp_m1())).ln_1p();
    (lo + x.floor() as i16).min(hi)
}

/// Residents and households of a building of `kind` with `floors` floors on a `w` × `h` m
/// footprint: gross floor area × [`RESIDENTS_PER_M2`], households of [`HOUSEHOLD_SIZE`].
fn people(kind: u8, floors: i16, w: f64, h: f64) -> (i32, i32) {
    let residents = (f64::from(floors) * w * h * RESIDENTS_PER_M2[usize::from(kind)]).round() as i32;
    let households = if residents > 0 { ((f64::from(residents) / HOUSEHOLD_SIZE).round() as i32).max(1) } else { 0 };
    (residents, households)
}

const RURAL_MIX: [(f64, Dims); 5] = [
    (0.90, Dims { kind: RURAL_HOUSE, w: (9.0, 14.0), h: (7.0, 10.0), floors: (1, 3, 2.0) }),
    (0.05, Dims { kind: 1, w: (10.0, 15.0), h: (8.0, 11.0), floors: (1, 2, 0.5) }),
    (0.03, Dims { kind: 3, w: (12.0, 16.0), h: (9.0, 12.0), floors: (1, 2, 0.5) }),
    (0.015, Dims { kind: 4, w: (14.0, 17.0), h: (10.0, 12.0), floors: (2, 3, 0.7) }),
    (0.005, Dims { kind: 5, w: (12.0, 16.0), h: (9.0, 12.0), floors: (1, 2, 0.7) }),
];
const URBAN_MIX: [(f64, Dims); 5] = [
    (0.72, Dims { kind: RESIDENTIAL, w: (30.0, 55.0), h: (12.0, 18.0), floors: (2, 33, 5.0) }),
    (0.14, Dims { kind: 1, w: (30.0, 60.0), h: (20.0, 35.0), floors: (2, 20, 3.0) }),
    (0.07, Dims { kind: 3, w: (30.0, 50.0), h: (20.0, 30.0), floors: (2, 8, 1.5) }),
    (0.045, Dims { kind: 4, w: (50.0, 64.0), h: (25.0, 35.0), floors: (3, 6, 1.0) }),
    (0.025, Dims { kind: 5, w: (50.0, 64.0), h: (25.0, 37.0), floors: (5, 20, 4.0) }),
];
const INDUSTRIAL: Dims = Dims { kind: 2, w: (30.0, 70.0), h: (20.0, 50.0), floors: (1, 4, 1.0) };

fn pick(mix: &'static [(f64, Dims); 5], rng: &mut impl Rng) -> &'static Dims {
    let mut r = rng.random::<f64>();
    for (p, d) in mix {
        if r < *p {
            return d;
        }
        r -= p;
    }
    &mix[0].1
}

pub struct BuildingSet {
    pub buildings: Vec<Building>,
    /// Cluster centres per grid (squares, settlements).
    pub clusters: Vec<Vec<[f64; 2]>>,
    /// Building indices per grid.
    pub by_grid: Vec<Vec<u32>>,
}

/// Allocates `total` among the land grids by `weight` (at least one each); water grids get none.
fn allocate_on_land(total: usize, grids: &[Unit], weight: impl Fn(&Unit) -> f64) -> Vec<usize> {
    let land: Vec<f64> = grids.iter().filter(|g| !g.water).map(weight).collect();
    let mut counts = allocate(total, &land, 1).into_iter();
    grids.iter().map(|g| if g.water { 0 } else { counts.next().unwrap_or(0) }).collect()
}

/// Share of the building clusters of a grid with streets that line a street.
const ALONG_STREETS: f64 = 0.8;
/// A building keeps this far from the centre line of every street (half a street's width).
const STREET_CLEAR_M: f64 = 6.0;

/// Generates `target` buildings clustered in the land grids, each strictly inside its grid
/// (1 m clear), off the lakes and off the streets.
#[must_use]
pub fn generate_buildings(seed: u64, grids: &[Unit], water: &Water, target: usize) -> BuildingSet {
    let counts = allocate_on_land(target, grids, |g| g.mass / (1.0 + 0.6 * (g.w - 1.0).max(0.0)));
    let mut buildings = Vec::with_capacity(target);
    let mut clusters = Vec::with_capacity(grids.len());
    let mut by_grid = Vec::with_capacity(grids.len());
    for (gi, (g, &count)) in grids.iter().zip(&counts).enumerate() {
        let mut rng = rng_for(seed, "buildings", &g.code);
        let p_urban = ((g.w - 2.0) / 4.0).clamp(0.0, 1.0);
        let mut centres = Vec::new();
        let mut mine = Vec::with_capacity(count);
        let mut placed = 0;
        let mut budget = count * 80 + 200;
        let (street_cum, street_len) = cumulative(g.streets.iter().map(|e| dist_m([e[0], e[1]], [e[2], e[3]])));
        while placed < count && budget > 0 {
            let industrial = rng.random::<f64>() < 0.05;
            let urban = rng.random::<f64>() < p_urban;
            let (sx, sy, size) = if industrial {
                (90.0, 70.0, 6)
            } else if urban {
                (70.0, 45.0, 8)
            } else {
                (22.0, 18.0, 40)
            };
            // Most clusters line a street (set back from it, rows parallel to it); the others,
            // and every cluster of a grid without streets, sit anywhere, turned at random.
            let (centre, theta) = if street_len > 0.0 && rng.random::<f64>() < ALONG_STREETS {
                let e = g.streets[draw(&street_cum, street_len, rng.random())];
                let f = rng.random::<f64>();
                let (p0, (ex, ey)) = along(e, f);
                let len = ex.hypot(ey).max(1e-9);
                let d = (STREET_CLEAR_M + 2.0 * sy) * if rng.random::<bool>() { 1.0 } else { -1.0 };
                (offset(p0, -ey / len * d, ex / len * d), ey.atan2(ex))
            } else {
                (g.shape.random_point(&mut rng), rng.random_range(0.0..std::f64::consts::PI))
            };
            centres.push(centre);
            let sigma = f64::from(size).sqrt() / 1.5;
            let normal = Normal::new(0.0, sigma).unwrap_or_else(|_| unreachable!());
            let mut occupied = HashSet::new();
            let mut fails = 0;
            let mut in_cluster = 0;
            while in_cluster < size && placed < count && fails < size * 3 && budget > 0 {
                budget -= 1;
                let i = normal.sample(&mut rng).round() as i32;
                let j = normal.sample(&mut rng).round() as i32;
                if occupied.contains(&(i, j)) {
                    fails += 1;
                    continue;
                }
                let d = if industrial {
                    &INDUSTRIAL
                } else if urban {
                    pick(&URBAN_MIX, &mut rng)
                } else {
                    pick(&RURAL_MIX, &mut rng)
                };
                let (s, co) = theta.sin_cos();
                let (lx, ly) = (f64::from(i) * sx, f64::from(j) * sy);
                let c = offset(centre, lx * co - ly * s, lx * s + ly * co);
                let w = rng.random_range(d.w.0..=d.w.1);
                let h = rng.random_range(d.h.0..=d.h.1);
                let th = theta + rng.random_range(-0.02..0.02);
                let clear = rect(c, w + 2.0, h + 2.0, th);
                let off_street = rect(c, w + 2.0 * STREET_CLEAR_M, h + 2.0 * STREET_CLEAR_M, th);
                if !g.shape.quad_inside(&clear) || !water.clear_of(&clear) || !quad_clear_of(&g.streets, &off_street) {
                    fails += 1;
                    continue;
                }
                occupied.insert((i, j));
                let floors = floors(d.floors, &mut rng);
                let (residents, households) = people(d.kind, floors, w, h);
                mine.push(buildings.len() as u32);
                buildings.push(Building {
                    grid: gi as u32,
                    kind: d.kind,
                    floors,
                    centre: c,
                    theta: th,
                    w,
                    h,
                    residents,
                    households,
                });
                placed += 1;
                in_cluster += 1;
            }
        }
        clusters.push(centres);
        by_grid.push(mine);
    }
    BuildingSet { buildings, clusters, by_grid }
}

pub async fn write_buildings(conn: &mut PgConnection, grids: &[Unit], set: &BuildingSet) -> anyhow::Result<u64> {
    let mut c = Copier::start(
        conn,
        "COPY buildings (id, grid_code, kind, floors, households, residents, footprint) FROM STDIN",
    )
    .await?;
    for (i, b) in set.buildings.iter().enumerate() {
        let t = c.text();
        write!(
            t,
            "{}\t{}\t{}\t{}\t{}\t{}\t",
            i + 1,
            grids[b.grid as usize].code,
            KINDS[b.kind as usize],
            b.floors,
            b.households,
            b.residents
        )?;
        ewkb_quad(t, &b.quad());
        t.push(b'\n');
        c.row().await?;
    }
    c.finish().await
}

pub const CAMERAS: usize = 10_766;

/// Exactly [`CAMERAS`] cameras at building entrances, along the roads (a grid's streets, or its
/// field edges in the country) and on squares.
pub async fn write_cameras(
    conn: &mut PgConnection,
    seed: u64,
    grids: &[Unit],
    water: &Water,
    set: &BuildingSet,
) -> anyhow::Result<u64> {
    let counts = allocate_on_land(CAMERAS, grids, |g| g.mass * (1.0 + 0.1 * g.w));
    let mut c = Copier::start(
        conn,
        "COPY cameras (id, code, grid_code, kind, owner, status, heading_deg, fov_deg, range_m, installed_on, geom) FROM STDIN",
    )
    .await?;
    let mut id = 0u64;
    let base = chrono::NaiveDate::from_ymd_opt(2016, 1, 1).unwrap_or_default();
    for (gi, (g, &n)) in grids.iter().zip(&counts).enumerate() {
        let mut rng = rng_for(seed, "cameras", &g.code);
        let roads = g.roads();
        let lengths: Vec<f64> = roads.iter().map(|e| dist_m([e[0], e[1]], [e[2], e[3]])).collect();
        let total_len: f64 = lengths.iter().sum();
        for k in 0..n {
            let r = rng.random::<f64>();
            let mut placed: Option<([f64; 2], &str, &str, f64)> = None;
            if r < 0.45 && !set.by_grid[gi].is_empty() {
                let b = &set.buildings[set.by_grid[gi][rng.random_range(0..set.by_grid[gi].len())] as usize];
                let (s, co) = b.theta.sin_cos();
                // Front façade: local +y axis.
                let (ux, uy) = (-s, co);
                for d in [b.h / 2.0 + 1.5, b.h / 2.0 - 0.5] {
                    let p = offset(b.centre, ux * d, uy * d);
                    if water.on_land_of(&g.shape, p) {
                        let kind = ["face", "bullet", "dome"][rng.random_range(0..3)];
                        let owner = if rng.random::<f64>() < 0.6 { "community" } else { "public_security" };
                        placed = Some((p, kind, owner, bearing(ux, uy)));
                        break;
                    }
                }
            } else if r < 0.85 && total_len > 0.0 {
                let mut t = rng.random::<f64>() * total_len;
                let mut ei = 0;
                while ei + 1 < lengths.len() && t > lengths[ei] {
                    t -= lengths[ei];
                    ei += 1;
                }
                let e = roads[ei];
                let f = rng.random_range(0.1..0.9);
                let (p0, (ex, ey)) = along(e, f);
                let len = ex.hypot(ey);
                if len > 0.0 {
                    let (nx, ny) = (-ey / len * 4.0, ex / len * 4.0);
                    for sgn in [1.0, -1.0] {
                        let p = offset(p0, nx * sgn, ny * sgn);
                        if water.on_land_of(&g.shape, p) {
                            let kind = ["bullet", "anpr", "panoramic"][rng.random_range(0..3)];
                            let owner = if rng.random::<f64>() < 0.5 { "transport" } else { "public_security" };
                            let along = if rng.random::<bool>() { bearing(ex, ey) } else { bearing(-ex, -ey) };
                            placed = Some((p, kind, owner, along));
                            break;
                        }
                    }
                }
            } else if let Some(&centre) = set.clusters[gi].get(rng.random_range(0..set.clusters[gi].len().max(1))) {
                let p = offset(centre, rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0));
                if water.on_land_of(&g.shape, p) {
                    let kind = if rng.random::<f64>() < 0.7 { "dome" } else { "panoramic" };
                    let owner = if rng.random::<f64>() < 0.5 { "urban_management" } else { "public_security" };
                    placed = Some((p, kind, owner, rng.random_range(0.0..360.0)));
                }
            }
            let (p, kind, owner, heading) = placed.unwrap_or_else(|| {
                let mut p = g.shape.random_point(&mut rng);
                for _ in 0..100 {
                    if !water.contains(p) {
                        break;
                    }
                    p = g.shape.random_point(&mut rng);
                }
                (p, "dome", "public_security", 0.0)
            });
            let (fov, range, heading) = match kind {
                "dome" => (360.0, rng.random_range(30.0..=50.0), 0.0),
                "bullet" => (rng.random_range(60.0..=90.0), rng.random_range(50.0..=120.0), heading),
                "face" => (rng.random_range(40.0..=60.0), rng.random_range(15.0..=30.0), heading),
                "anpr" => (rng.random_range(30.0..=45.0), rng.random_range(30.0..=60.0), heading),
                _ => (180.0, rng.random_range(80.0..=150.0), heading),
            };
            let s = rng.random::<f64>();
            let status = if s < 0.93 {
                "online"
            } else if s < 0.98 {
                "offline"
            } else {
                "maintenance"
            };
            let installed = base + chrono::Days::new(rng.random_range(0..3_950));
            id += 1;
            let heading = (heading * 10.0).round() / 10.0 % 360.0;
            let t = c.text();
            write!(
                t,
                "{id}\tC{}{:03}\t{}\t{kind}\t{owner}\t{status}\t{heading:.1}\t{fov:.1}\t{range:.1}\t{installed}\t",
                g.code,
                k + 1,
                g.code
            )?;
            ewkb_point(t, p);
            t.push(b'\n');
            c.row().await?;
        }
    }
    c.finish().await
}

pub const MEDIATORS: usize = 529;
/// Mediation rooms in villages (the largest ones), besides one in every township.
pub const VILLAGE_MEDIATION_ROOMS: usize = 250;
const DISPUTES: [&str; 6] =
    ["dispute.neighbor", "dispute.family", "dispute.property", "dispute.labor", "dispute.land", "dispute.medical"];

/// Mediation rooms (one per township, plus [`VILLAGE_MEDIATION_ROOMS`] in the largest villages)
/// and [`MEDIATORS`] mediators.
pub async fn write_mediation(
    conn: &mut PgConnection,
    seed: u64,
    names: &HashMap<String, String>,
    townships: &[Unit],
    villages: &[Unit],
) -> anyhow::Result<(u64, u64)> {
    let mut big: Vec<&Unit> = villages.iter().collect();
    big.sort_by(|a, b| b.mass.total_cmp(&a.mass).then(a.code.cmp(&b.code)));
    big.truncate(VILLAGE_MEDIATION_ROOMS);
    big.sort_by(|a, b| a.code.cmp(&b.code));
    let rooms: Vec<&Unit> = townships.iter().chain(big).collect();
    let mut c = Copier::start(conn, "COPY mediation_rooms (id, name, admin_code, address, geom) FROM STDIN").await?;
    for (i, u) in rooms.iter().enumerate() {
        let county = names.get(&u.code[..6]).map_or("", String::as_str);
        let township = names.get(&u.code[..9]).map_or("", String::as_str);
        let village = if u.code.len() == 12 { u.name.as_str() } else { "" };
        let name = format!("{}人民调解委员会调解室", u.name);
        let road = (rng_for(seed, "room", &u.code).random_range(1..300u32)).to_string();
        let t = c.text();
        write!(t, "{}\t{name}\t{}\t淮安市{county}{township}{village}综治中心({road}号)\t", i + 1, u.code)?;
        ewkb_point(t, u.label);
        t.push(b'\n');
        c.row().await?;
    }
    let nrooms = c.finish().await?;
    let mut by_mass: Vec<usize> = (0..rooms.len()).collect();
    by_mass.sort_by(|&a, &b| rooms[b].mass.total_cmp(&rooms[a].mass).then(a.cmp(&b)));
    let mut c = Copier::start(conn, "COPY mediators (id, name, phone, room_id, specialties) FROM STDIN").await?;
    for m in 0..MEDIATORS {
        let room = if m < rooms.len() { m } else { by_mass[(m - rooms.len()) % rooms.len()] };
        let mut rng = rng_for(seed, "mediator", &m.to_string());
        let k = rng.random_range(1..=3usize);
        let mut spec: Vec<&str> = Vec::new();
        while spec.len() < k {
            let s = DISPUTES[rng.random_range(0..DISPUTES.len())];
            if !spec.contains(&s) {
                spec.push(s);
            }
        }
        writeln!(
            c.text(),
            "{}\t{}\t{}\t{}\t{{{}}}",
            m + 1,
            person(&mut rng),
            phone(&mut rng),
            room + 1,
            spec.join(",")
        )?;
        c.row().await?;
    }
    let nmed = c.finish().await?;
    Ok((nrooms, nmed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colouring_is_proper_on_planar_grid() {
        // 10x10 lattice with 8-neighbourhood: 4 colours suffice with a good order? Greedy may
        // not, but it must never fail and a 4-neighbour lattice must be proper.
        let n = 10;
        let mut adj = vec![Vec::new(); n * n];
        for y in 0..n {
            for x in 0..n {
                let i = y * n + x;
                if x + 1 < n {
                    adj[i].push(i + 1);
                    adj[i + 1].push(i);
                }
                if y + 1 < n {
                    adj[i].push(i + n);
                    adj[i + n].push(i);
                }
            }
        }
        let c = greedy_colour(&adj);
        for (i, a) in adj.iter().enumerate() {
            assert!(a.iter().all(|&j| c[j] != c[i]));
        }
    }

    #[test]
    fn floors_are_skewed_to_low_buildings() {
        let mut rng = rng_for(1, "floors", "test");
        let f: Vec<i16> = (0..20_000).map(|_| floors((2, 33, 5.0), &mut rng)).collect();
        assert!(f.iter().all(|x| (2..=33).contains(x)));
        let share = |p: &dyn Fn(i16) -> bool| f.iter().filter(|x| p(**x)).count() as f64 / f.len() as f64;
        assert!((share(&|x| x <= 7) - 0.70).abs() < 0.02, "{}", share(&|x| x <= 7));
        assert!((share(&|x| x > 18) - 0.033).abs() < 0.01, "{}", share(&|x| x > 18));
        assert!(f.contains(&33), "towers reach the top floor");
    }

    #[test]
    fn people_follow_floor_area() {
        // A 6-floor 40 × 14 m block: 3,360 m² gross, 56 residents in 22 households.
        assert_eq!(people(RESIDENTIAL, 6, 40.0, 14.0), (56, 22));
        assert_eq!(people(RURAL_HOUSE, 2, 12.0, 9.0), (3, 1));
        assert_eq!(people(1, 10, 50.0, 30.0), (0, 0));
    }
}
