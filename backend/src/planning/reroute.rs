//! Moving open incidents to the grid that owns their point now. This is the one place an
//! incident changes grid after it was registered (a plan's commit or revert calls it); modules
//! that keep per-grid figures of incidents (rollups) follow the [`IncidentMove`]s it returns.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::incidents::OPEN_STATUSES;

/// One re-routed incident.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentMove {
    pub id: i64,
    pub from_grid: Option<String>,
    pub to_grid: String,
    /// The new grid's first worker; `None` when it has none (the incident is unassigned).
    pub assignee: Option<String>,
    pub category: String,
    pub status: String,
    pub reported_at: DateTime<Utc>,
}

/// The marker note of an incident moved into a grid without a worker.
pub const UNASSIGNED_NOTE: &str = "网格调整：新网格暂无网格员，待分派 (grid changed; the new grid has no worker)";
/// The note of every other move.
pub const MOVED_NOTE: &str = "网格调整 (grid changed)";

const REROUTE: &str = concat!(
    "with region as (select st_setsrid(st_extent(geom)::geometry, 4326) as env from current_grids where code = any($1)),
     cand as (
         select i.id, i.grid_code as old, i.assignee as old_assignee, (",
    crate::locate_sql!("current_grids", "i.geom"),
    ") as new
         from incidents i, region r
         where i.status = any($2) and (i.grid_code = any($1) or (i.geom && r.env and exists (
             select 1 from current_grids g where g.code = any($1) and st_covers(g.geom, i.geom))))
         for update of i),
     moved as (
         update incidents i set grid_code = c.new, updated_at = $3,
             assignee = (select w.employee_no from grid_workers w where w.grid_code = c.new order by w.rank limit 1)
         from cand c
         where i.id = c.id and c.new is not null and c.new is distinct from c.old
         returning i.id, c.old as from_grid, c.new as to_grid, c.old_assignee, i.assignee, i.category, i.status,
                   i.escalation_level, i.reported_at),
     events as (
         insert into incident_events (incident_id, at, actor_id, action, from_status, to_status, from_level, to_level,
                                      note, plan_id, from_grid, to_grid)
         select id, $3, $4, 'moved', status, status, escalation_level, escalation_level,
                case when assignee is null then $6 else $7 end, $5, from_grid, to_grid from moved),
     recorded as (
         insert into plan_moves (plan_id, kind, object_id, from_grid, to_grid, from_assignee)
         select $5, 'incident', id::text, from_grid, to_grid, old_assignee from moved where $5 is not null
         on conflict (plan_id, kind, object_id) do update set to_grid = excluded.to_grid)
     select id, from_grid, to_grid, assignee, category, status, reported_at from moved order by id"
);

/// Re-routes every open incident stored in, or lying inside, `grids` (current versions) by the
/// point → grid rule. Each incident that changes grid gets a `moved` event (from/to grid, the
/// plan) and the new grid's first worker as assignee, or none with [`UNASSIGNED_NOTE`]. Closed
/// incidents keep the grid that handled them. Runs in the caller's transaction.
pub async fn open_incidents(
    conn: &mut PgConnection,
    plan_id: Option<i64>,
    grids: &[String],
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<IncidentMove>> {
    let open: Vec<String> = OPEN_STATUSES.iter().map(|s| (*s).to_owned()).collect();
    sqlx::query_as(REROUTE)
        .bind(grids)
        .bind(&open)
        .bind(now)
        .bind(actor)
        .bind(plan_id)
        .bind(UNASSIGNED_NOTE)
        .bind(MOVED_NOTE)
        .fetch_all(&mut *conn)
        .await
        .context("re-routing open incidents")
}
