//! Incident routing: point → grid → grid worker → escalation chain, cameras that see the spot,
//! possible duplicates and the nearest mediation.
//!
//! Everything answers from memory. [`Engine`] holds a [`Snapshot`] (grids, admin units,
//! workers, cameras, mediation, SLA — rebuilt from PostGIS when one of them changes) and the
//! open incidents (patched row by row). [`sync`] keeps both current through LISTEN/NOTIFY, so
//! several backend processes on one database answer the same within moments of a commit.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use citygrid_api::{
    AdminLevel, CameraSight, DuplicateCandidate, EscalationStep, GridRef, GridWorker, MediationSuggestion, MediatorRef,
    RouteResult,
};
use geozero::wkb;
use sqlx::PgPool;

pub mod grid_index;
pub mod points;
pub mod sync;

use grid_index::{GridIndex, IndexedGrid};
use points::{distance_m, PointIndex};

use crate::coverage::model::Status;
use crate::coverage::sector::Sector;

use crate::scope::{OutsideScope, Scope};

/// How many cameras to list when none sees the point.
const NEAREST_CAMERAS: usize = 5;

/// An administrative unit above a grid.
#[derive(Debug, Clone)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub level: AdminLevel,
    pub parent: Option<String>,
    pub centre: Option<String>,
}

/// A camera as routing sees it.
#[derive(Debug, Clone)]
pub struct Camera {
    pub id: i64,
    pub code: String,
    pub kind: String,
    pub status: String,
    pub at: [f64; 2],
    pub heading_deg: f64,
    pub fov_deg: f64,
    pub range_m: f64,
}

impl Camera {
    /// The camera's field of view.
    #[must_use]
    pub fn sector(&self) -> Sector {
        Sector {
            lon: self.at[0],
            lat: self.at[1],
            heading_deg: self.heading_deg,
            fov_deg: self.fov_deg,
            range_m: self.range_m,
        }
    }

    /// Only online cameras see (the coverage rule, [`Status::sees`]).
    #[must_use]
    pub fn online(&self) -> bool {
        Status::parse(&self.status).is_some_and(Status::sees)
    }
}

/// A mediation room and its mediators.
#[derive(Debug, Clone)]
pub struct Room {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub at: [f64; 2],
    pub mediators: Vec<MediatorRef>,
}

/// Per-category settings from `incident_categories`.
#[derive(Debug, Clone)]
pub struct CategorySettings {
    pub default_priority: i16,
    pub duplicate_radius_m: f64,
    pub duplicate_window_hours: f64,
}

/// Everything but the open incidents: rebuilt as a whole part when its tables change.
#[derive(Debug)]
pub struct Snapshot {
    pub grids: GridIndex,
    /// Boundaries of the villages and of the city, by code (for the partition check).
    pub outlines: HashMap<String, geo::MultiPolygon<f64>>,
    /// The city's code.
    pub city: Option<String>,
    /// The grids and outlines on the planning lattice (for the partition check).
    pub partition: crate::planning::PartitionShapes,
    pub units: HashMap<String, Unit>,
    pub workers: HashMap<String, GridWorker>,
    pub cameras: Vec<Camera>,
    pub camera_index: PointIndex,
    pub max_camera_range_m: f64,
    pub rooms: Vec<Room>,
    pub room_index: PointIndex,
    pub categories: HashMap<String, CategorySettings>,
    /// (category, priority, level) → hours.
    pub sla: HashMap<(String, i16, i16), f64>,
}

/// An open incident in the duplicate index.
#[derive(Debug, Clone)]
pub struct OpenIncident {
    pub id: i64,
    pub category: String,
    pub status: String,
    pub reported_at: DateTime<Utc>,
    pub at: [f64; 2],
    /// The grid it was reported in (its county decides who may see it).
    pub grid_code: Option<String>,
}

/// Open incidents, indexed by place; patched in place as incidents change.
#[derive(Debug, Default)]
pub struct OpenIncidents {
    slots: Vec<Option<OpenIncident>>,
    by_id: HashMap<i64, u32>,
    free: Vec<u32>,
    index: PointIndex,
}

impl OpenIncidents {
    /// Inserts or replaces an incident.
    pub fn upsert(&mut self, inc: OpenIncident) {
        self.remove(inc.id);
        let slot = if let Some(s) = self.free.pop() {
            s
        } else {
            self.slots.push(None);
            (self.slots.len() - 1) as u32
        };
        self.index.insert(inc.at[0], inc.at[1], slot);
        self.by_id.insert(inc.id, slot);
        self.slots[slot as usize] = Some(inc);
    }

    /// Forgets an incident (closed, resolved, duplicate…).
    pub fn remove(&mut self, id: i64) {
        if let Some(slot) = self.by_id.remove(&id) {
            if let Some(old) = self.slots[slot as usize].take() {
                self.index.remove(old.at[0], old.at[1], slot);
            }
            self.free.push(slot);
        }
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Open incidents of `category` within `radius_m` reported in `[since, until]` and in
    /// `scope`, nearest first.
    #[must_use]
    pub fn near(
        &self,
        at: [f64; 2],
        category: &str,
        radius_m: f64,
        (since, until): (DateTime<Utc>, DateTime<Utc>),
        scope: &Scope,
    ) -> Vec<DuplicateCandidate> {
        let mut out: Vec<DuplicateCandidate> = self
            .index
            .within(at[0], at[1], radius_m)
            .filter_map(|slot| self.slots[slot as usize].as_ref())
            .filter(|i| i.category == category && i.reported_at >= since && i.reported_at <= until)
            .filter(|i| scope.contains_some(i.grid_code.as_deref()))
            .filter_map(|i| {
                let d = distance_m(at, i.at);
                (d <= radius_m).then(|| DuplicateCandidate {
                    id: i.id,
                    category: i.category.clone(),
                    status: i.status.clone(),
                    reported_at: i.reported_at.to_rfc3339(),
                    distance_m: d,
                })
            })
            .collect();
        out.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id)));
        out
    }
}

/// Why a point could not be routed.
#[derive(Debug, Clone, PartialEq)]
pub enum RouteError {
    /// The point is in no grid; the nearest grid and its distance in metres.
    OutsideCity { nearest: Option<GridRef>, distance_m: f64 },
    /// The point's grid lies outside the caller's county.
    OutsideScope(OutsideScope),
}

/// The routing engine shared by every request.
#[derive(Debug)]
pub struct Engine {
    snapshot: RwLock<Arc<Snapshot>>,
    open: RwLock<OpenIncidents>,
}

/// A routing question, already validated.
#[derive(Debug, Clone, Copy)]
pub struct RouteQuery<'a> {
    pub lon: f64,
    pub lat: f64,
    pub category: Option<&'a str>,
    pub priority: Option<i16>,
    /// The instant routed at: duplicates are those reported in the category's window before
    /// it, and [`Engine::route_at`] uses the partition valid then.
    pub now: DateTime<Utc>,
    /// Where the caller works: a point outside it is refused, duplicates outside it are not
    /// shown.
    pub scope: &'a Scope,
}

impl Engine {
    /// Loads everything from PostGIS.
    pub async fn load(pool: &PgPool) -> anyhow::Result<Self> {
        let snapshot = load_snapshot(pool).await?;
        let open = load_open_incidents(pool).await?;
        Ok(Engine { snapshot: RwLock::new(Arc::new(snapshot)), open: RwLock::new(open) })
    }

    /// The current snapshot (cheap: an `Arc` clone).
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Rebuilds the snapshot from PostGIS and swaps it in.
    pub async fn reload_snapshot(&self, pool: &PgPool) -> anyhow::Result<()> {
        let fresh = Arc::new(load_snapshot(pool).await?);
        *self.snapshot.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// Re-reads the given incidents (all open ones for `None`).
    pub async fn reload_incidents(&self, pool: &PgPool, ids: Option<&[i64]>) -> anyhow::Result<()> {
        match ids {
            None => {
                let fresh = load_open_incidents(pool).await?;
                *self.open.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
            }
            Some(ids) => {
                let rows = fetch_incidents(pool, ids).await?;
                let mut open = self.open.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                for id in ids {
                    open.remove(*id);
                }
                for inc in rows {
                    if crate::incidents::OPEN_STATUSES.contains(&inc.status.as_str()) {
                        open.upsert(inc);
                    }
                }
            }
        }
        Ok(())
    }

    /// How many open incidents the duplicate index holds.
    #[must_use]
    pub fn open_incident_count(&self) -> usize {
        self.open.read().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// The grid code for each point, in order (`None` outside every grid).
    #[must_use]
    pub fn locate_batch(&self, points: &[[f64; 2]]) -> Vec<Option<String>> {
        let snap = self.snapshot();
        points.iter().map(|p| snap.grids.locate(p[0], p[1]).map(|i| snap.grids.get(i).code.clone())).collect()
    }

    /// The full routing answer for one point, from memory (the current partition).
    pub fn route(&self, q: &RouteQuery<'_>) -> Result<RouteResult, RouteError> {
        let snap = self.snapshot();
        let Some(gi) = snap.grids.locate(q.lon, q.lat) else {
            let nearest = snap.grids.nearest(q.lon, q.lat);
            return Err(RouteError::OutsideCity {
                nearest: nearest.map(|(i, _)| grid_ref(snap.grids.get(i))),
                distance_m: nearest.map_or(f64::INFINITY, |(_, d)| d),
            });
        };
        let grid = snap.grids.get(gi);
        let worker = snap.workers.get(&grid.code).cloned();
        self.answer(&snap, q, grid_ref(grid), &grid.village_code, worker)
    }

    /// The routing answer against the partition valid at `q.now`, asked of PostGIS
    /// (`grids_at`, index-backed over every version) with the same point → grid rule as the
    /// in-memory index. No grid worker is named: assignments keep no history. Cameras,
    /// mediation and the open incidents are today's.
    pub async fn route_at(&self, pool: &PgPool, q: &RouteQuery<'_>) -> anyhow::Result<Result<RouteResult, RouteError>> {
        let snap = self.snapshot();
        let owner: Option<(String, String, i32, String)> = sqlx::query_as(concat!(
            "select code, name, version, village_code from grids_at($3) where code = (",
            crate::locate_sql!("grids_at($3)", "st_setsrid(st_makepoint($1, $2), 4326)"),
            ")"
        ))
        .bind(q.lon)
        .bind(q.lat)
        .bind(q.now)
        .fetch_optional(pool)
        .await
        .context("locating a point in the partition of an instant")?;
        if let Some((code, name, version, village_code)) = owner {
            return Ok(self.answer(&snap, q, GridRef { code, name, version }, &village_code, None));
        }
        let nearest: Option<(String, String, i32, f64)> = sqlx::query_as(
            "with p as (select st_setsrid(st_makepoint($1, $2), 4326) as pt)
             select code, name, version, st_distance(geom::geography, p.pt::geography)
             from grids_at($3), p order by geom <-> p.pt limit 1",
        )
        .bind(q.lon)
        .bind(q.lat)
        .bind(q.now)
        .fetch_optional(pool)
        .await
        .context("finding the nearest grid of an instant")?;
        Ok(Err(RouteError::OutsideCity {
            distance_m: nearest.as_ref().map_or(f64::INFINITY, |n| n.3),
            nearest: nearest.map(|(code, name, version, _)| GridRef { code, name, version }),
        }))
    }

    /// Everything about a point once its grid is known: the scope check, the escalation
    /// chain, cameras, duplicates (reported in the category's window before `q.now`) and
    /// mediation.
    fn answer(
        &self,
        snap: &Snapshot,
        q: &RouteQuery<'_>,
        grid: GridRef,
        village_code: &str,
        worker: Option<GridWorker>,
    ) -> Result<RouteResult, RouteError> {
        let at = [q.lon, q.lat];
        q.scope
            .check(&grid.code, || format!("point ({}, {}) in grid {}", q.lon, q.lat, grid.code))
            .map_err(RouteError::OutsideScope)?;
        let settings = q.category.and_then(|c| snap.categories.get(c));
        let priority = q.priority.or(settings.map(|s| s.default_priority));

        let escalation = escalation_chain(snap, &grid, village_code, worker.as_ref(), q.category, priority);
        let (cameras_seeing, cameras_not_online, nearest_cameras) = cameras_for(snap, at);
        let duplicates = match (q.category, settings) {
            (Some(c), Some(s)) => {
                let since = q.now - chrono::Duration::seconds((s.duplicate_window_hours * 3600.0) as i64);
                self.open.read().unwrap_or_else(std::sync::PoisonError::into_inner).near(
                    at,
                    c,
                    s.duplicate_radius_m,
                    (since, q.now),
                    q.scope,
                )
            }
            _ => Vec::new(),
        };
        let mediation = q.category.filter(|c| c.starts_with("dispute.")).and_then(|c| mediation_for(snap, at, c));
        Ok(RouteResult {
            lon: q.lon,
            lat: q.lat,
            grid,
            grid_worker: worker,
            escalation,
            cameras_seeing,
            cameras_not_online,
            nearest_cameras,
            duplicates,
            mediation,
        })
    }
}

/// Re-checks, in the caller's transaction, which grid owns a point: locks the grids whose
/// current boundary may cover it (a plan commit changing any of them waits for this
/// transaction, or this one for the commit) and asks PostGIS with the same rule as the engine.
/// Returns the owner and its first worker when that is not `routed` at its version (the engine
/// had not yet caught up with a commit), `None` when the engine's answer stands.
pub async fn confirm_in_db(
    conn: &mut sqlx::PgConnection,
    lon: f64,
    lat: f64,
    routed: &GridRef,
) -> anyhow::Result<Option<(GridRef, Option<GridWorker>)>> {
    sqlx::query(
        "select code from grids where code in (
             select code from current_grids where geom && st_setsrid(st_makepoint($1, $2), 4326))
         order by code for share",
    )
    .bind(lon)
    .bind(lat)
    .fetch_all(&mut *conn)
    .await
    .context("locking the grids around a point")?;
    let owner: Option<(String, String, i32)> = sqlx::query_as(concat!(
        "select code, name, version from current_grids where code = (",
        crate::locate_sql!("current_grids", "st_setsrid(st_makepoint($1, $2), 4326)"),
        ")"
    ))
    .bind(lon)
    .bind(lat)
    .fetch_optional(&mut *conn)
    .await
    .context("locating a point in PostGIS")?;
    let Some((code, name, version)) = owner else { return Ok(None) };
    if code == routed.code && version == routed.version {
        return Ok(None);
    }
    let worker: Option<(String, String, String)> =
        sqlx::query_as("select employee_no, name, phone from grid_workers where grid_code = $1 order by rank limit 1")
            .bind(&code)
            .fetch_optional(&mut *conn)
            .await
            .context("reading the grid's worker")?;
    Ok(Some((
        GridRef { code, name, version },
        worker.map(|(employee_no, name, phone)| GridWorker { employee_no, name, phone }),
    )))
}

fn grid_ref(g: &IndexedGrid) -> GridRef {
    GridRef { code: g.code.clone(), name: g.name.clone(), version: g.version }
}

fn escalation_chain(
    snap: &Snapshot,
    grid: &GridRef,
    village_code: &str,
    worker: Option<&GridWorker>,
    category: Option<&str>,
    priority: Option<i16>,
) -> Vec<EscalationStep> {
    let hours = |level: i16| match (category, priority) {
        (Some(c), Some(p)) => snap.sla.get(&(c.to_owned(), p, level)).copied(),
        _ => None,
    };
    let mut steps = vec![EscalationStep {
        step: 0,
        level: AdminLevel::Grid,
        code: grid.code.clone(),
        name: grid.name.clone(),
        responsible: worker.map_or_else(|| "网格员".to_owned(), |w| w.name.clone()),
        deadline_hours: hours(0),
    }];
    let mut next = Some(village_code);
    while let Some(code) = next {
        let Some(unit) = snap.units.get(code) else { break };
        if unit.level == AdminLevel::City {
            break;
        }
        let step = steps.len() as i16;
        steps.push(EscalationStep {
            step,
            level: unit.level,
            code: unit.code.clone(),
            name: unit.name.clone(),
            responsible: unit.centre.clone().unwrap_or_else(|| format!("{}指挥中心", unit.name)),
            deadline_hours: if step < 3 { hours(step) } else { None },
        });
        next = unit.parent.as_deref();
    }
    steps
}

fn sight(c: &Camera, at: [f64; 2]) -> (CameraSight, bool) {
    let sector = c.sector();
    let (distance_m, bearing_deg) = sector.distance_bearing(at[0], at[1]);
    let in_view = sector.contains(at[0], at[1]);
    let sight = CameraSight {
        id: c.id,
        code: c.code.clone(),
        kind: c.kind.clone(),
        status: c.status.clone(),
        lon: c.at[0],
        lat: c.at[1],
        heading_deg: c.heading_deg,
        fov_deg: c.fov_deg,
        range_m: c.range_m,
        distance_m,
        bearing_deg,
        sees_point: in_view && c.online(),
    };
    (sight, in_view)
}

/// Online cameras whose sector holds the point (nearest first); cameras whose sector holds it
/// but that are not online; and when no camera sees it, the nearest few installed cameras.
fn cameras_for(snap: &Snapshot, at: [f64; 2]) -> (Vec<CameraSight>, Vec<CameraSight>, Vec<CameraSight>) {
    let (mut seeing, mut not_online) = (Vec::new(), Vec::new());
    for i in snap.camera_index.within(at[0], at[1], snap.max_camera_range_m) {
        let (s, in_view) = sight(&snap.cameras[i as usize], at);
        match (in_view, s.sees_point) {
            (true, true) => seeing.push(s),
            (true, false) => not_online.push(s),
            _ => {}
        }
    }
    let by_distance = |a: &CameraSight, b: &CameraSight| a.distance_m.total_cmp(&b.distance_m).then(a.id.cmp(&b.id));
    seeing.sort_by(by_distance);
    not_online.sort_by(by_distance);
    if !seeing.is_empty() {
        return (seeing, not_online, Vec::new());
    }
    let nearest = snap
        .camera_index
        .nearest(at[0], at[1])
        .map(|i| &snap.cameras[i as usize])
        .filter(|c| c.status != Status::Planned.as_str())
        .take(NEAREST_CAMERAS)
        .map(|c| sight(c, at).0);
    (seeing, not_online, nearest.collect())
}

/// The nearest room with a mediator for `category` (or the nearest room at all).
fn mediation_for(snap: &Snapshot, at: [f64; 2], category: &str) -> Option<MediationSuggestion> {
    let suggestion = |room: &Room, mediators: Vec<MediatorRef>| MediationSuggestion {
        room_id: room.id,
        room_name: room.name.clone(),
        address: room.address.clone(),
        lon: room.at[0],
        lat: room.at[1],
        distance_m: distance_m(at, room.at),
        mediators,
    };
    for i in snap.room_index.nearest(at[0], at[1]).take(64) {
        let room = &snap.rooms[i as usize];
        let matching: Vec<MediatorRef> =
            room.mediators.iter().filter(|m| m.specialties.iter().any(|s| s == category)).cloned().collect();
        if !matching.is_empty() {
            return Some(suggestion(room, matching));
        }
    }
    let room = &snap.rooms[snap.room_index.nearest(at[0], at[1]).next()? as usize];
    Some(suggestion(room, room.mediators.clone()))
}

fn level_of(s: &str) -> anyhow::Result<AdminLevel> {
    crate::admin_units::parse_level(s)
}

async fn load_snapshot(pool: &PgPool) -> anyhow::Result<Snapshot> {
    type GridRow = (String, String, i32, String, wkb::Decode<geo::Geometry<f64>>);
    let grid_rows: Vec<GridRow> = sqlx::query_as("select code, name, version, village_code, geom from current_grids")
        .fetch_all(pool)
        .await
        .context("loading grids")?;
    let mut grids = Vec::with_capacity(grid_rows.len());
    for (code, name, version, village_code, geom) in grid_rows {
        let shape = match geom.geometry {
            Some(geo::Geometry::MultiPolygon(mp)) => mp,
            Some(geo::Geometry::Polygon(p)) => geo::MultiPolygon(vec![p]),
            _ => anyhow::bail!("grid {code} has no polygon geometry"),
        };
        grids.push(IndexedGrid { code, name, version, village_code, shape });
    }

    let mut outlines = HashMap::new();
    let mut city = None;
    for (code, level, geom) in sqlx::query_as::<_, (String, String, wkb::Decode<geo::Geometry<f64>>)>(
        "select code, level, geom from admin_units where level in ('village', 'city')",
    )
    .fetch_all(pool)
    .await
    .context("loading village outlines")?
    {
        let shape = match geom.geometry {
            Some(geo::Geometry::MultiPolygon(mp)) => mp,
            Some(geo::Geometry::Polygon(p)) => geo::MultiPolygon(vec![p]),
            _ => anyhow::bail!("unit {code} has no polygon geometry"),
        };
        if level == "city" {
            city = Some(code.clone());
        }
        outlines.insert(code, shape);
    }

    let units = sqlx::query_as::<_, (String, String, String, Option<String>, Option<String>)>(
        "select code, name, level, parent_code, centre from admin_units",
    )
    .fetch_all(pool)
    .await
    .context("loading admin units")?
    .into_iter()
    .map(|(code, name, level, parent, centre)| {
        Ok((code.clone(), Unit { code, name, level: level_of(&level)?, parent, centre }))
    })
    .collect::<anyhow::Result<HashMap<_, _>>>()?;

    let workers = sqlx::query_as::<_, (String, String, String, String)>(
        "select distinct on (grid_code) grid_code, employee_no, name, phone from grid_workers
         where grid_code is not null order by grid_code, rank",
    )
    .fetch_all(pool)
    .await
    .context("loading grid workers")?
    .into_iter()
    .map(|(grid, employee_no, name, phone)| (grid, GridWorker { employee_no, name, phone }))
    .collect();

    let cameras: Vec<Camera> = sqlx::query_as::<_, (i64, String, String, String, f64, f64, f64, f64, f64)>(
        "select id, code, kind, status, st_x(geom), st_y(geom), heading_deg, fov_deg, range_m from cameras order by id",
    )
    .fetch_all(pool)
    .await
    .context("loading cameras")?
    .into_iter()
    .map(|(id, code, kind, status, lon, lat, heading_deg, fov_deg, range_m)| Camera {
        id,
        code,
        kind,
        status,
        at: [lon, lat],
        heading_deg,
        fov_deg,
        range_m,
    })
    .collect();
    let camera_index = PointIndex::new(cameras.iter().map(|c| c.at));
    let max_camera_range_m = cameras.iter().map(|c| c.range_m).fold(0.0, f64::max);

    let mut mediators: HashMap<i64, Vec<MediatorRef>> = HashMap::new();
    for (room, id, name, specialties) in sqlx::query_as::<_, (i64, i64, String, Vec<String>)>(
        "select room_id, id, name, specialties from mediators order by id",
    )
    .fetch_all(pool)
    .await
    .context("loading mediators")?
    {
        mediators.entry(room).or_default().push(MediatorRef { id, name, specialties });
    }
    let rooms: Vec<Room> = sqlx::query_as::<_, (i64, String, String, f64, f64)>(
        "select id, name, address, st_x(geom), st_y(geom) from mediation_rooms order by id",
    )
    .fetch_all(pool)
    .await
    .context("loading mediation rooms")?
    .into_iter()
    .map(|(id, name, address, lon, lat)| Room {
        mediators: mediators.remove(&id).unwrap_or_default(),
        id,
        name,
        address,
        at: [lon, lat],
    })
    .collect();
    let room_index = PointIndex::new(rooms.iter().map(|r| r.at));

    let categories = sqlx::query_as::<_, (String, i16, f64, f64)>(
        "select code, default_priority, duplicate_radius_m, duplicate_window_hours from incident_categories",
    )
    .fetch_all(pool)
    .await
    .context("loading categories")?
    .into_iter()
    .map(|(code, default_priority, duplicate_radius_m, duplicate_window_hours)| {
        (code, CategorySettings { default_priority, duplicate_radius_m, duplicate_window_hours })
    })
    .collect();
    let sla =
        sqlx::query_as::<_, (String, i16, i16, f64)>("select category, priority, level, hours from escalation_sla")
            .fetch_all(pool)
            .await
            .context("loading the SLA table")?
            .into_iter()
            .map(|(c, p, l, h)| ((c, p, l), h))
            .collect();

    let grids = GridIndex::new(grids);
    let partition = crate::planning::PartitionShapes::new(&grids, &outlines, city.as_deref());
    Ok(Snapshot {
        grids,
        outlines,
        city,
        partition,
        units,
        workers,
        cameras,
        camera_index,
        max_camera_range_m,
        rooms,
        room_index,
        categories,
        sla,
    })
}

type IncidentRow = (i64, String, String, DateTime<Utc>, f64, f64, Option<String>);

fn to_open(r: IncidentRow) -> OpenIncident {
    OpenIncident { id: r.0, category: r.1, status: r.2, reported_at: r.3, at: [r.4, r.5], grid_code: r.6 }
}

async fn load_open_incidents(pool: &PgPool) -> anyhow::Result<OpenIncidents> {
    let rows: Vec<IncidentRow> = sqlx::query_as(&format!(
        "select i.id, i.category, i.status, i.reported_at, st_x(i.geom), st_y(i.geom), i.grid_code from incidents i
         where {}",
        crate::incidents::list::OPEN_SQL
    ))
    .fetch_all(pool)
    .await
    .context("loading open incidents")?;
    let mut open = OpenIncidents::default();
    for r in rows {
        open.upsert(to_open(r));
    }
    Ok(open)
}

async fn fetch_incidents(pool: &PgPool, ids: &[i64]) -> anyhow::Result<Vec<OpenIncident>> {
    let rows: Vec<IncidentRow> = sqlx::query_as(
        "select id, category, status, reported_at, st_x(geom), st_y(geom), grid_code from incidents where id = any($1)",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
    .context("reading changed incidents")?;
    Ok(rows.into_iter().map(to_open).collect())
}
