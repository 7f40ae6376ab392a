//! The consequences of a plan, computed before anyone commits: per affected grid its area and
//! what lies in it before and after, what changes grid, workload per worker against the
//! village average, colour changes.
//!
//! "After" uses the same point → grid rule as the commit ([`crate::locate_sql`]) over the
//! planned partition (the current grids with the plan's grids replaced), so the preview lists
//! exactly the buildings, cameras and open incidents the commit moves.

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{Duration, Utc};
use citygrid_api::{
    AreaTransfer, ColourChange, GridChange, GridChangeKind, GridFigures, ObjectMove, PlanDiff, VillageAverage, Workload,
};
use sqlx::PgConnection;

use super::lattice::Shape;
use super::plan::{wkb_of, UnitPlan};
use super::shape_geojson;
use crate::incidents::OPEN_STATUSES;

/// Days of incidents that count as workload.
pub const WORKLOAD_DAYS: i64 = 90;

/// One grid as the plan changes it.
#[derive(Debug, Clone)]
pub struct Planned<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub village_code: &'a str,
    pub change: GridChangeKind,
    pub base_version: Option<i32>,
    /// `None`: the grid does not exist before (created) or only its colour changes.
    pub before: Option<&'a Shape>,
    /// `None`: the grid retires (or only its colour changes).
    pub after: Option<&'a Shape>,
    pub colour_before: Option<i16>,
    pub colour: i16,
}

/// The planned partition: current grids, minus those the plan redraws or retires (`$3`), plus
/// their new shapes (`$1` codes, `$2` WKB). `planned` is inlined (`not materialized`) so that
/// each point → grid lookup reaches the current grids through their spatial index instead of
/// scanning a materialised copy of all of them.
macro_rules! planned_cte {
    () => {
        "with changed(code, geom) as (
             select c, st_setsrid(st_geomfromwkb(w), 4326) from unnest($1::text[], $2::bytea[]) as t(c, w)),
         planned as not materialized (
             select code, geom from current_grids where code <> all($3)
             union all select code, geom from changed),
         region as (select st_setsrid(st_extent(geom)::geometry, 4326) as env from changed) "
    };
}

const BUILDINGS_AFTER: &str = concat!(
    planned_cte!(),
    "select b.id, b.grid_code, (",
    crate::locate_sql!("planned", "b.point"),
    ") as after, b.households::int8, b.residents::int8
     from buildings b, region r
     where b.grid_code = any($3) or (b.point && r.env and exists (select 1 from changed c where st_covers(c.geom, b.point)))"
);

const CAMERAS_AFTER: &str = concat!(
    planned_cte!(),
    "select k.id, k.grid_code, (",
    crate::locate_sql!("planned", "k.geom"),
    ") as after
     from cameras k, region r
     where k.grid_code = any($3) or (k.geom && r.env and exists (select 1 from changed c where st_covers(c.geom, k.geom)))"
);

const INCIDENTS_AFTER: &str = concat!(
    planned_cte!(),
    "select i.id, i.grid_code, (",
    crate::locate_sql!("current_grids", "i.geom"),
    ") as before_at, (",
    crate::locate_sql!("planned", "i.geom"),
    ") as after_at, i.status = any($4) as open, i.reported_at >= $5 as recent
     from incidents i, region r
     where (i.status = any($4) or i.reported_at >= $5)
       and (i.grid_code = any($3) or (i.geom && r.env and exists (select 1 from changed c where st_covers(c.geom, i.geom))))"
);

/// (id, stored grid, grid by the rule now, grid by the rule after, open, of the last 90 days).
type IncidentRow = (i64, Option<String>, Option<String>, Option<String>, bool, bool);

/// What is assigned to the grid aliased `g` (by stored `grid_code`), as the columns
/// `buildings, households, residents, cameras, open_incidents, workers`; `$2` binds the open
/// statuses. The one definition of a grid's figures, for the diff's "before" and the grid card.
pub(crate) const GRID_TALLY: &str = "\
    (select count(*) from buildings b where b.grid_code = g.code) as buildings, \
    (select coalesce(sum(b.households), 0)::int8 from buildings b where b.grid_code = g.code) as households, \
    (select coalesce(sum(b.residents), 0)::int8 from buildings b where b.grid_code = g.code) as residents, \
    (select count(*) from cameras k where k.grid_code = g.code) as cameras, \
    (select count(*) from incidents i where i.grid_code = g.code and i.status = any($2)) as open_incidents, \
    (select count(*) from grid_workers w where w.grid_code = g.code) as workers";

/// What lies in a grid (or a village), counted for workload.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tally {
    pub buildings: i64,
    pub households: i64,
    pub residents: i64,
    pub cameras: i64,
    pub open_incidents: i64,
    pub incidents_90d: i64,
    pub workers: i64,
}

/// The workload of one worker: the tally divided by its workers (`None` without workers).
pub(crate) fn per_worker(t: &Tally) -> Option<Workload> {
    (t.workers > 0).then(|| {
        let w = t.workers as f64;
        Workload {
            households: t.households as f64 / w,
            residents: t.residents as f64 / w,
            incidents_90d: t.incidents_90d as f64 / w,
            buildings: t.buildings as f64 / w,
        }
    })
}

async fn areas(conn: &mut PgConnection, shapes: &[(String, &Shape)]) -> anyhow::Result<HashMap<String, f64>> {
    let codes: Vec<String> = shapes.iter().map(|(c, _)| c.clone()).collect();
    let wkbs: Vec<Vec<u8>> = shapes.iter().map(|(_, s)| wkb_of(s)).collect::<anyhow::Result<_>>()?;
    let rows: Vec<(String, f64)> = sqlx::query_as(
        "select c, st_area(st_setsrid(st_geomfromwkb(w), 4326)::geography) from unnest($1::text[], $2::bytea[]) as t(c, w)",
    )
    .bind(&codes)
    .bind(&wkbs)
    .fetch_all(&mut *conn)
    .await
    .context("measuring areas")?;
    Ok(rows.into_iter().collect())
}

/// Computes the diff. `worker_moves` are (from grid, to grid, how many workers).
pub async fn compute(
    conn: &mut PgConnection,
    village: &str,
    planned: &[Planned<'_>],
    transfers: &[(String, String, Shape)],
    units: &[UnitPlan],
    worker_moves: &[(String, String, i64)],
) -> anyhow::Result<PlanDiff> {
    let now = Utc::now();
    let since = now - Duration::days(WORKLOAD_DAYS);
    let shaped: Vec<&Planned<'_>> = planned.iter().filter(|p| p.before.is_some() || p.after.is_some()).collect();
    let gone: Vec<String> = shaped.iter().filter(|p| p.before.is_some()).map(|p| p.code.to_owned()).collect();
    let changed: Vec<(String, &Shape)> = shaped.iter().filter_map(|p| Some((p.code.to_owned(), p.after?))).collect();
    let changed_codes: Vec<String> = changed.iter().map(|(c, _)| c.clone()).collect();
    let changed_wkb: Vec<Vec<u8>> = changed.iter().map(|(_, s)| wkb_of(s)).collect::<anyhow::Result<_>>()?;
    let open: Vec<String> = OPEN_STATUSES.iter().map(|s| (*s).to_owned()).collect();

    // Before: what is stored.
    let mut before: HashMap<String, Tally> = HashMap::new();
    let rows: Vec<(String, i64, i64, i64, i64, i64, i64)> =
        sqlx::query_as(&format!("select g.code, {GRID_TALLY} from unnest($1::text[]) as g(code)"))
            .bind(&gone)
            .bind(&open)
            .fetch_all(&mut *conn)
            .await
            .context("counting before")?;
    for (code, buildings, households, residents, cameras, open_incidents, workers) in rows {
        before.insert(
            code,
            Tally { buildings, households, residents, cameras, open_incidents, incidents_90d: 0, workers },
        );
    }
    let mut after: HashMap<String, Tally> =
        changed_codes.iter().map(|c| (c.clone(), before.get(c).copied().unwrap_or_default())).collect();
    for t in after.values_mut() {
        t.incidents_90d = 0;
    }

    let mut buildings_moved = Vec::new();
    let rows: Vec<(i64, String, Option<String>, i64, i64)> = sqlx::query_as(BUILDINGS_AFTER)
        .bind(&changed_codes)
        .bind(&changed_wkb)
        .bind(&gone)
        .fetch_all(&mut *conn)
        .await
        .context("relocating buildings")?;
    for (id, from, to, hh, res) in rows {
        let Some(to) = to else { continue };
        if to == from {
            continue;
        }
        for (code, sign) in [(&from, -1), (&to, 1)] {
            if let Some(t) = after.get_mut(code) {
                t.buildings += sign;
                t.households += sign * hh;
                t.residents += sign * res;
            }
        }
        buildings_moved.push(ObjectMove { id, from, to });
    }
    let mut cameras_moved = Vec::new();
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(CAMERAS_AFTER)
        .bind(&changed_codes)
        .bind(&changed_wkb)
        .bind(&gone)
        .fetch_all(&mut *conn)
        .await
        .context("relocating cameras")?;
    for (id, from, to) in rows {
        let Some(to) = to else { continue };
        if to != from {
            if let Some(t) = after.get_mut(&from) {
                t.cameras -= 1;
            }
            if let Some(t) = after.get_mut(&to) {
                t.cameras += 1;
            }
            cameras_moved.push(ObjectMove { id, from, to });
        }
    }
    let mut incidents_moved = Vec::new();
    let rows: Vec<IncidentRow> = sqlx::query_as(INCIDENTS_AFTER)
        .bind(&changed_codes)
        .bind(&changed_wkb)
        .bind(&gone)
        .bind(&open)
        .bind(since)
        .fetch_all(&mut *conn)
        .await
        .context("relocating incidents")?;
    for (id, stored, before_at, after_at, is_open, recent) in rows {
        if recent {
            if let Some(t) = before_at.as_ref().and_then(|c| before.get_mut(c)) {
                t.incidents_90d += 1;
            }
            if let Some(t) = after_at.as_ref().and_then(|c| after.get_mut(c)) {
                t.incidents_90d += 1;
            }
        }
        if is_open {
            if let (Some(from), Some(to)) = (stored, after_at) {
                if from != to {
                    if let Some(t) = after.get_mut(&from) {
                        t.open_incidents -= 1;
                    }
                    if let Some(t) = after.get_mut(&to) {
                        t.open_incidents += 1;
                    }
                    incidents_moved.push(ObjectMove { id, from, to });
                }
            }
        }
    }
    for (from, to, n) in worker_moves {
        if let Some(t) = after.get_mut(from) {
            t.workers -= n;
        }
        if let Some(t) = after.get_mut(to) {
            t.workers += n;
        }
    }

    let before_areas = {
        let shapes: Vec<(String, &Shape)> =
            shaped.iter().filter_map(|p| Some((p.code.to_owned(), p.before?))).collect();
        areas(conn, &shapes).await?
    };
    let after_areas = areas(conn, &changed).await?;
    let figures = |t: &Tally, shape: &Shape, area: f64| GridFigures {
        geometry: shape_geojson(shape),
        area_m2: area,
        buildings: t.buildings,
        households: t.households,
        residents: t.residents,
        cameras: t.cameras,
        open_incidents: t.open_incidents,
        incidents_90d: t.incidents_90d,
        workers: t.workers,
        per_worker: per_worker(t),
    };
    let mut grids = Vec::new();
    for p in &shaped {
        let code = p.code.to_owned();
        grids.push(GridChange {
            code: code.clone(),
            name: p.name.to_owned(),
            village_code: p.village_code.to_owned(),
            change: p.change,
            base_version: p.base_version,
            before: p.before.map(|s| {
                figures(
                    &before.get(&code).copied().unwrap_or_default(),
                    s,
                    before_areas.get(&code).copied().unwrap_or(0.0),
                )
            }),
            after: p.after.map(|s| {
                figures(
                    &after.get(&code).copied().unwrap_or_default(),
                    s,
                    after_areas.get(&code).copied().unwrap_or(0.0),
                )
            }),
        });
    }
    let without_worker: Vec<String> =
        grids.iter().filter(|g| g.after.as_ref().is_some_and(|a| a.workers == 0)).map(|g| g.code.clone()).collect();
    let transfer_areas = {
        let keyed: Vec<(String, &Shape)> = transfers.iter().enumerate().map(|(i, t)| (i.to_string(), &t.2)).collect();
        areas(conn, &keyed).await?
    };
    let transfers = transfers
        .iter()
        .enumerate()
        .map(|(i, (from, to, shape))| AreaTransfer {
            from: from.clone(),
            to: to.clone(),
            area_m2: transfer_areas.get(&i.to_string()).copied().unwrap_or(0.0),
            geometry: shape_geojson(shape),
        })
        .collect();
    let colour_changes = planned
        .iter()
        .filter(|p| p.after.is_some() || p.before.is_none())
        .filter(|p| p.colour_before != Some(p.colour))
        .map(|p| ColourChange { code: p.code.to_owned(), from: p.colour_before, to: p.colour })
        .collect();

    // The village average per worker: all its grids, stored assignments.
    let (vname, village_tally) = village_totals(conn, village, since).await?;
    let average = per_worker(&village_tally);
    let mut noded_units: Vec<String> = units.iter().map(|u| u.code.clone()).collect();
    noded_units.sort();
    Ok(PlanDiff {
        grids,
        transfers,
        buildings_moved,
        cameras_moved,
        incidents_moved,
        colour_changes,
        without_worker,
        noded_units,
        village_average: VillageAverage {
            village_code: village.to_owned(),
            village_name: vname,
            before: average,
            after: average,
        },
    })
}

/// A village's name and its totals over its current grids by stored assignment (buildings,
/// households, residents, incidents reported since `since`, workers): the base of the village
/// average per worker.
pub(crate) async fn village_totals(
    conn: &mut PgConnection,
    village: &str,
    since: chrono::DateTime<Utc>,
) -> anyhow::Result<(String, Tally)> {
    let (name, buildings, households, residents, incidents_90d, workers): (String, i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "select v.name,
                    (select count(*) from buildings b join current_grids g on g.code = b.grid_code where g.village_code = v.code),
                    (select coalesce(sum(b.households), 0)::int8 from buildings b join current_grids g on g.code = b.grid_code where g.village_code = v.code),
                    (select coalesce(sum(b.residents), 0)::int8 from buildings b join current_grids g on g.code = b.grid_code where g.village_code = v.code),
                    (select count(*) from incidents i join current_grids g on g.code = i.grid_code where g.village_code = v.code and i.reported_at >= $2),
                    (select count(*) from grid_workers w join current_grids g on g.code = w.grid_code where g.village_code = v.code)
             from admin_units v where v.code = $1",
        )
        .bind(village)
        .bind(since)
        .fetch_one(&mut *conn)
        .await
        .context("village totals")?;
    Ok((name, Tally { buildings, households, residents, incidents_90d, workers, ..Tally::default() }))
}
