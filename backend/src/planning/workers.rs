//! Grid workers: who is on duty in a grid, in order (the first is responsible).

use anyhow::Context as _;
use citygrid_api::{GridWorker, GridWorkers, WorkerAssignment};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::PlanError;
use crate::accounts::{audit, AuditEntry};
use crate::scope::Scope;

/// The grid's workers in rank order.
pub async fn list(conn: &mut PgConnection, code: &str) -> anyhow::Result<Vec<GridWorker>> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("select employee_no, name, phone from grid_workers where grid_code = $1 order by rank")
            .bind(code)
            .fetch_all(&mut *conn)
            .await
            .context("reading grid workers")?;
    Ok(rows.into_iter().map(|(employee_no, name, phone)| GridWorker { employee_no, name, phone }).collect())
}

fn check(list: &[WorkerAssignment]) -> Result<(), PlanError> {
    for (i, w) in list.iter().enumerate() {
        let no = w.employee_no.trim();
        if no.is_empty() || no.chars().count() > 32 {
            return Err(PlanError::Invalid(format!("workers[{i}].employee_no: 1 to 32 characters")));
        }
        if list[..i].iter().any(|o| o.employee_no == w.employee_no) {
            return Err(PlanError::Invalid(format!("workers[{i}]: {} is listed twice", w.employee_no)));
        }
        if let Some(name) = &w.name {
            if name.trim().is_empty() || name.chars().count() > 64 {
                return Err(PlanError::Invalid(format!("workers[{i}].name: 1 to 64 characters")));
            }
        }
        if let Some(phone) = &w.phone {
            if !(phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit())) {
                return Err(PlanError::Invalid(format!(
                    "workers[{i}].phone {phone:?}: a mainland mobile number, 11 digits starting with 1"
                )));
            }
        }
    }
    Ok(())
}

/// Sets grid `code`'s workers to `list`, in order, in one transaction: listed workers move here
/// (or are registered, with name and phone), the grid's others become unassigned.
pub async fn set(
    pool: &PgPool,
    code: &str,
    workers: &[WorkerAssignment],
    actor: i64,
    scope: &Scope,
) -> Result<GridWorkers, PlanError> {
    check(workers)?;
    scope.check(code, || format!("grid {code}"))?;
    let mut tx = pool.begin().await?;
    let current: Option<String> =
        sqlx::query_scalar("select g.code from grids g where g.code = $1 and g.retired_at is null for update")
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?;
    if current.is_none() {
        return Err(PlanError::NotFound(format!("no current grid with code {code}")));
    }
    let before: Vec<String> =
        sqlx::query_scalar("select employee_no from grid_workers where grid_code = $1 order by rank")
            .bind(code)
            .fetch_all(&mut *tx)
            .await?;
    let nos: Vec<String> = workers.iter().map(|w| w.employee_no.clone()).collect();
    let known: Vec<(String, Option<String>)> =
        sqlx::query_as("select employee_no, grid_code from grid_workers where employee_no = any($1) for update")
            .bind(&nos)
            .fetch_all(&mut *tx)
            .await?;
    for (i, w) in workers.iter().enumerate() {
        if let Some((_, Some(other))) = known.iter().find(|(n, _)| *n == w.employee_no) {
            scope
                .check(other, || format!("worker {} of grid {other}", w.employee_no))
                .map_err(|e| e.field(format!("workers[{i}]")))?;
        }
        if !known.iter().any(|(n, _)| *n == w.employee_no) && (w.name.is_none() || w.phone.is_none()) {
            return Err(PlanError::Invalid(format!(
                "workers[{i}]: no worker {}; give name and phone to register one",
                w.employee_no
            )));
        }
    }
    sqlx::query("update grid_workers set grid_code = null where grid_code = $1 and employee_no <> all($2)")
        .bind(code)
        .bind(&nos)
        .execute(&mut *tx)
        .await?;
    for (rank, w) in workers.iter().enumerate() {
        let rank = rank as i16 + 1;
        if known.iter().any(|(n, _)| *n == w.employee_no) {
            sqlx::query(
                "update grid_workers set grid_code = $2, rank = $3, name = coalesce($4, name), phone = coalesce($5, phone)
                 where employee_no = $1",
            )
            .bind(&w.employee_no)
            .bind(code)
            .bind(rank)
            .bind(&w.name)
            .bind(&w.phone)
            .execute(&mut *tx)
            .await
            .context("moving a worker")?;
        } else {
            sqlx::query(
                "insert into grid_workers (employee_no, grid_code, rank, name, phone) values ($1, $2, $3, $4, $5)",
            )
            .bind(&w.employee_no)
            .bind(code)
            .bind(rank)
            .bind(&w.name)
            .bind(&w.phone)
            .execute(&mut *tx)
            .await
            .context("registering a worker")?;
        }
    }
    audit(
        &mut *tx,
        AuditEntry {
            user_id: actor,
            action: "update",
            entity: "grid_workers",
            entity_ids: vec![code.to_owned()],
            before: Some(json!({ "workers": before })),
            after: Some(json!({ "workers": nos })),
        },
    )
    .await?;
    let workers = list(&mut tx, code).await?;
    tx.commit().await?;
    Ok(GridWorkers { code: code.to_owned(), workers })
}
