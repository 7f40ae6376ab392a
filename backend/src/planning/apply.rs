//! Applying a plan's stored changes in the caller's transaction: the optimistic-concurrency
//! check, new boundary versions, unit nodes, colours, workers, buildings, cameras, open
//! incidents and layer versions.

use std::collections::BTreeMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use geozero::wkb;
use sqlx::PgConnection;

use super::plan::{check_base, patch_unit, to_shape, wkb_of, Assignments, LAYERS_TOUCHED};
use super::PlanError;

/// Rows of `$table` (alias `t`) whose point `$point` a grid of the plan (`$2`) may now own get
/// the grid the point → grid rule gives them; each move is recorded in `plan_moves` as `$kind`
/// for plan `$1`.
macro_rules! reassign_sql {
    ($table:literal, $point:literal, $kind:literal) => {
        concat!(
            "with region as (select st_setsrid(st_extent(geom)::geometry, 4326) as env from current_grids where code = any($2)),
             cand as (
                 select t.id, t.grid_code as old, (",
            crate::locate_sql!("current_grids", $point),
            ") as new
                 from ", $table, " t, region r
                 where t.grid_code = any($2) or (", $point, " && r.env and exists (
                     select 1 from current_grids g where g.code = any($2) and st_covers(g.geom, ", $point, ")))),
             moved as (
                 update ", $table, " t set grid_code = c.new from cand c
                 where t.id = c.id and c.new is not null and c.new <> c.old
                 returning t.id, c.old, c.new)
             insert into plan_moves (plan_id, kind, object_id, from_grid, to_grid)
             select $1, '", $kind, "', id::text, old, new from moved
             on conflict (plan_id, kind, object_id) do update set to_grid = excluded.to_grid"
        )
    };
}

/// Buildings follow their point; cameras their position.
const REASSIGN_BUILDINGS: &str = reassign_sql!("buildings", "t.point", "building");
const REASSIGN_CAMERAS: &str = reassign_sql!("cameras", "t.geom", "camera");

/// Locks every grid a plan involves, in code order, until the transaction ends: commits,
/// schedulings and the scheduler's applications of plans sharing a grid take turns.
pub(super) async fn lock_grids(
    tx: &mut PgConnection,
    base: &BTreeMap<String, i32>,
    affected: &[String],
) -> Result<(), PlanError> {
    let mut lock: Vec<String> = base.keys().cloned().chain(affected.iter().cloned()).collect();
    lock.sort();
    lock.dedup();
    sqlx::query("select code from grids where code = any($1) order by code for update")
        .bind(&lock)
        .fetch_all(&mut *tx)
        .await?;
    Ok(())
}

/// Applies plan `plan_id`'s stored `plan_grids` and `plan_units`, after checking that nothing
/// moved since the draft. The caller holds [`lock_grids`] over the plan's grids.
pub async fn apply(
    tx: &mut PgConnection,
    plan_id: i64,
    base: &BTreeMap<String, i32>,
    assignments: Assignments,
    actor: i64,
    now: DateTime<Utc>,
) -> Result<(), PlanError> {
    check_base(tx, base).await?;

    // Unit boundaries take (or, for a revert, give back) the plan's nodes.
    let units: Vec<(String, String, serde_json::Value)> = sqlx::query_as(
        "select pu.unit_code, a.level, pu.insertions from plan_units pu join admin_units a on a.code = pu.unit_code
         where pu.plan_id = $1 order by pu.unit_code",
    )
    .bind(plan_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut layers: Vec<String> = LAYERS_TOUCHED.iter().map(|s| (*s).to_owned()).collect();
    for (code, level, stored) in &units {
        let (g,): (wkb::Decode<geo::Geometry<f64>>,) =
            sqlx::query_as("select geom from admin_units where code = $1 for update")
                .bind(code)
                .fetch_one(&mut *tx)
                .await?;
        let mut shape = to_shape(g.geometry)?;
        if !patch_unit(&mut shape, stored)? {
            return Err(PlanError::Conflict(format!(
                "the boundary of {code} no longer has the segment the plan refines; draft the plan again"
            )));
        }
        let updated =
            sqlx::query("update admin_units set geom = st_multi(st_setsrid(st_geomfromwkb($2), 4326)) where code = $1")
                .bind(code)
                .bind(wkb_of(&shape)?)
                .execute(&mut *tx)
                .await;
        match updated {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.constraint() == Some("admin_units_geom_valid") => {
                return Err(PlanError::Geometry {
                    reason: "invalid_geometry",
                    message: format!("the boundary of {code} would become invalid; draft the plan again"),
                    geometry: None,
                })
            }
            Err(e) => {
                return Err(PlanError::Db(anyhow::Error::new(e).context(format!("updating the boundary of {code}"))))
            }
        }
        let layer = match level.as_str() {
            "village" => Some("villages"),
            "township" => Some("townships"),
            "county" => Some("counties"),
            _ => None,
        };
        layers.extend(layer.map(str::to_owned));
    }

    // Grids: close the current version and add the new one, create, retire, recolour.
    let rows: Vec<(String, String, Option<String>, i16)> =
        sqlx::query_as("select grid_code, change, name, colour from plan_grids where plan_id = $1 order by grid_code")
            .bind(plan_id)
            .fetch_all(&mut *tx)
            .await?;
    for (code, change, name, colour) in &rows {
        match change.as_str() {
            "reshaped" | "noded" | "restored" => {
                sqlx::query("update grids set retired_at = null where code = $1 and retired_at is not null")
                    .bind(code)
                    .execute(&mut *tx)
                    .await?;
                new_version(tx, plan_id, code, now).await?;
            }
            "retired" => {
                close_version(tx, code, now).await?;
                sqlx::query("update grids set retired_at = $2 where code = $1")
                    .bind(code)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            "created" => {
                // A new grid is of the kind of the grids the plan reshapes or retires (a split
                // water grid gives two water grids), land when they differ.
                let inserted = sqlx::query(
                    "insert into grids (code, village_code, name, colour, created_at, kind)
                     values ($1, left($1, 12), $2, $3, $4, coalesce(
                       (select min(g.kind) from plan_grids p join grids g on g.code = p.grid_code
                        where p.plan_id = $5 and p.change in ('reshaped', 'retired')
                        having min(g.kind) = max(g.kind)), 'land'))
                     on conflict (code) do nothing",
                )
                .bind(code)
                .bind(name)
                .bind(colour)
                .bind(now)
                .bind(plan_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Err(PlanError::Conflict(format!(
                        "grid code {code} was taken by another plan since this one was drafted; draft it again"
                    )));
                }
                new_version(tx, plan_id, code, now).await?;
            }
            _ => {}
        }
        sqlx::query("update grids set colour = $2 where code = $1").bind(code).bind(colour).execute(&mut *tx).await?;
    }

    // Workers, buildings, cameras.
    match &assignments {
        Assignments::Rules { merge: Some((survivor, retired)) } => {
            sqlx::query(
                "with moving as (
                     select w.employee_no, w.grid_code, w.rank,
                            (select coalesce(max(rank), 0) from grid_workers where grid_code = $2)
                            + row_number() over (order by w.grid_code, w.rank) as new_rank
                     from grid_workers w where w.grid_code = any($3)),
                 moved as (
                     update grid_workers w set grid_code = $2, rank = m.new_rank from moving m
                     where w.employee_no = m.employee_no returning w.employee_no, m.grid_code, m.rank)
                 insert into plan_moves (plan_id, kind, object_id, from_grid, to_grid, from_rank)
                 select $1, 'worker', employee_no, grid_code, $2, rank from moved",
            )
            .bind(plan_id)
            .bind(survivor)
            .bind(retired)
            .execute(&mut *tx)
            .await
            .context("moving workers to the surviving grid")?;
        }
        Assignments::Restore(orig) => {
            sqlx::query(
                "with back as (
                     update grid_workers w set grid_code = m.from_grid, rank = m.from_rank from plan_moves m
                     where m.plan_id = $2 and m.kind = 'worker' and w.employee_no = m.object_id and w.grid_code = m.to_grid
                     returning w.employee_no, m.to_grid, m.from_grid, m.from_rank)
                 insert into plan_moves (plan_id, kind, object_id, from_grid, to_grid, from_rank)
                 select $1, 'worker', employee_no, to_grid, from_grid, from_rank from back",
            )
            .bind(plan_id)
            .bind(orig)
            .execute(&mut *tx)
            .await
            .context("restoring workers")?;
        }
        Assignments::Rules { merge: None } => {}
    }
    let all: Vec<String> = rows.iter().filter(|r| r.1 != "recoloured").map(|r| r.0.clone()).collect();
    sqlx::query(REASSIGN_BUILDINGS)
        .bind(plan_id)
        .bind(&all)
        .execute(&mut *tx)
        .await
        .context("reassigning buildings")?;
    sqlx::query(REASSIGN_CAMERAS).bind(plan_id).bind(&all).execute(&mut *tx).await.context("reassigning cameras")?;
    if let Assignments::Restore(orig) = assignments {
        for (table, kind) in [("buildings", "building"), ("cameras", "camera")] {
            sqlx::query(&format!(
                "with back as (
                     select t.id, t.grid_code as old, m.from_grid as new from {table} t
                     join plan_moves m on m.plan_id = $2 and m.kind = '{kind}' and t.id = m.object_id::bigint
                     where t.grid_code is distinct from m.from_grid),
                 moved as (update {table} t set grid_code = b.new from back b where t.id = b.id returning t.id, b.old, b.new)
                 insert into plan_moves (plan_id, kind, object_id, from_grid, to_grid)
                 select $1, '{kind}', id::text, old, new from moved
                 on conflict (plan_id, kind, object_id) do update set to_grid = excluded.to_grid"
            ))
            .bind(plan_id)
            .bind(orig)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("restoring {table}"))?;
        }
    }
    super::reroute::open_incidents(tx, Some(plan_id), &all, Some(actor), now).await?;
    crate::tiles::follow::bump(&mut *tx, &layers).await?;
    Ok(())
}

async fn close_version(tx: &mut PgConnection, code: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query("update grid_versions set valid_to = $2 where grid_code = $1 and valid_to is null")
        .bind(code)
        .bind(now)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("closing the version of {code}"))?;
    Ok(())
}

/// Closes the current version and adds the plan's geometry as the next one.
async fn new_version(tx: &mut PgConnection, plan_id: i64, code: &str, now: DateTime<Utc>) -> Result<(), PlanError> {
    close_version(tx, code, now).await?;
    let result = sqlx::query(
        "insert into grid_versions (grid_code, version, valid_from, geom, plan_id)
         select $1, coalesce((select max(version) from grid_versions where grid_code = $1), 0) + 1, $2, pg.geom, $3
         from plan_grids pg where pg.plan_id = $3 and pg.grid_code = $1",
    )
    .bind(code)
    .bind(now)
    .bind(plan_id)
    .execute(&mut *tx)
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("grid_versions_geom_valid") => {
            Err(PlanError::Geometry {
                reason: "invalid_geometry",
                message: format!("the new boundary of {code} is not a valid polygon"),
                geometry: None,
            })
        }
        Err(e) => Err(PlanError::Db(anyhow::Error::new(e).context(format!("new version of {code}")))),
    }
}
