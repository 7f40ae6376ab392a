//! Effective dates: a plan committed for a later instant is `scheduled` and changes nothing
//! until then; `grids_at(t)` (migration 0071) already answers its versions for t ≥ its
//! `effective_from`. At that time [`run`] (a task in every backend, with an injected clock)
//! applies it through the ordinary commit path ([`super::plan::commit_from`]) with
//! `now = effective_from`, so the new versions start exactly then. Several backends may run the
//! task on one database: a due plan is claimed with `for update skip locked` in the transaction
//! that commits it, so it is applied once. When the commit is refused (a grid moved meanwhile)
//! (or the database refuses it for good) the plan becomes `failed` with the reason and an
//! audit row; nothing of it is applied.
//!
//! While a plan is scheduled, no other draft or commit may touch its grids ([`refuse_pending`],
//! 409 naming the grid and the plan); a revert is not checked, so a revert that moves one of its
//! grids makes it fail visibly at its time. Discarding it (`plan::discard`) cancels it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::apply::lock_grids;
use super::history::in_shanghai;
use super::plan::{self, check_base, lock_plan, Decision};
use super::PlanError;
use crate::scope::Scope;

/// An `effective_from` this far in the past (clock skew between client and server) commits at
/// once; earlier is refused.
pub const PAST_TOLERANCE: TimeDelta = TimeDelta::minutes(5);
/// The latest `effective_from` accepted, from now.
pub const MAX_AHEAD: TimeDelta = TimeDelta::days(366);
/// How often [`run`] looks for due plans: a plan takes effect at most this long after its time
/// (its versions still start exactly at `effective_from`).
pub const EVERY: Duration = Duration::from_secs(10);

/// The clock [`run`] reads (tests inject their own).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Checks a requested `effective_from` against `now`: `Ok(None)` means commit now, `Ok(Some(t))`
/// schedule for `t`; the error says what is wrong (the caller names the field).
pub fn effective_from(s: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|_| format!("{s:?} is not an RFC 3339 time such as 2027-01-01T00:00:00+08:00"))?
        .with_timezone(&Utc);
    if t < now - PAST_TOLERANCE {
        return Err(format!(
            "{s} is in the past (now is {}); a plan can take effect now or later",
            in_shanghai(now).format("%Y-%m-%d %H:%M:%S%:z")
        ));
    }
    if t > now + MAX_AHEAD {
        return Err(format!("{s} is more than {} days ahead", MAX_AHEAD.num_days()));
    }
    Ok((t > now).then_some(t))
}

/// Commits draft `id` now (`at` = `None`) or schedules it for `at`.
pub async fn commit(
    pool: &PgPool,
    id: i64,
    actor: i64,
    scope: &Scope,
    now: DateTime<Utc>,
    at: Option<DateTime<Utc>>,
) -> Result<citygrid_api::Plan, PlanError> {
    let Some(at) = at else { return plan::commit(pool, id, actor, scope, now).await };
    let mut tx = pool.begin().await?;
    // Scheduling is serialised, so two plans scheduled at once cannot both claim a grid.
    sqlx::query("select pg_advisory_xact_lock(hashtext('citygrid.plans.schedule'))").execute(&mut *tx).await?;
    let locked = lock_plan(&mut tx, id, scope).await?;
    if locked.status != "draft" {
        return Err(PlanError::Conflict(format!("plan {id} is {}; only a draft can be committed", locked.status)));
    }
    // Refuse now what would certainly fail at its time, under the grids' locks: an immediate
    // commit of one of them either went first (then this is stale) or waits and sees this plan.
    let base: std::collections::BTreeMap<String, i32> =
        serde_json::from_value(locked.base_versions).context("base versions")?;
    lock_grids(&mut tx, &base, &locked.affected).await?;
    check_base(&mut tx, &base).await?;
    refuse_pending_for(&mut tx, id).await?;
    plan::decide(
        &mut tx,
        Decision {
            id,
            action: "schedule",
            status: "scheduled",
            actor,
            decided_by: Some(actor),
            now,
            effective_from: Some(at),
            failure: None,
            bump_grids: true,
            before: json!({"status": "draft", "base_versions": base}),
            after: json!({"status": "scheduled", "effective_from": at.to_rfc3339()}),
        },
    )
    .await?;
    tx.commit().await?;
    plan::get(pool, id, scope).await
}

/// Does a scheduled plan take effect at or before `t`? (Then the partition of `t` is not
/// today's: ask `grids_at`.)
pub async fn any_by(pool: &PgPool, t: DateTime<Utc>) -> anyhow::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from plans where status = 'scheduled' and effective_from <= $1)")
        .bind(t)
        .fetch_one(pool)
        .await
        .context("looking for scheduled plans")
}

/// 409 when a scheduled plan other than `except` changes one of `codes`.
pub async fn refuse_pending(conn: &mut PgConnection, codes: &[String], except: Option<i64>) -> Result<(), PlanError> {
    let hit: Option<(String, i64, DateTime<Utc>)> = sqlx::query_as(
        "select pg.grid_code, p.id, p.effective_from from plan_grids pg join plans p on p.id = pg.plan_id
         where p.status = 'scheduled' and pg.grid_code = any($1) and p.id is distinct from $2
         order by p.effective_from, pg.grid_code limit 1",
    )
    .bind(codes)
    .bind(except)
    .fetch_optional(&mut *conn)
    .await?;
    match hit {
        None => Ok(()),
        Some((grid, plan_id, t)) => {
            Err(PlanError::Scheduled { grid, plan_id, effective_from: in_shanghai(t).to_rfc3339() })
        }
    }
}

/// [`refuse_pending`] for every grid plan `id` changes.
pub(super) async fn refuse_pending_for(conn: &mut PgConnection, id: i64) -> Result<(), PlanError> {
    let codes: Vec<String> = sqlx::query_scalar("select grid_code from plan_grids where plan_id = $1")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    refuse_pending(conn, &codes, Some(id)).await
}

/// What [`apply_due`] did with one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Committed(i64),
    /// Refused; the reason is stored in `plans.failure`.
    Failed(i64, String),
}

/// Whether a database error may pass on its own: a lost connection, a serialisation failure
/// or deadlock (class 40), too few resources (53), a cancelled statement or shutdown (57).
/// The plan is then tried again next round; any other error is the plan's own and fails it.
fn transient(e: &anyhow::Error) -> bool {
    match e.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(d)) => d.code().is_some_and(|c| ["40", "53", "57"].iter().any(|k| c.starts_with(k))),
        Some(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed) => {
            true
        }
        _ => false,
    }
}

/// Applies every scheduled plan due at `now`, oldest first, each in its own transaction.
/// A transient database error ([`transient`]) stops the round (the plan stays scheduled for
/// the next one); any other refusal, the database's included, fails that plan and the round
/// goes on, so one broken plan never holds back the plans after it.
pub async fn apply_due(pool: &PgPool, now: DateTime<Utc>) -> anyhow::Result<Vec<Applied>> {
    let mut done = Vec::new();
    loop {
        let mut tx = pool.begin().await?;
        let due: Option<(i64, DateTime<Utc>, i64)> = sqlx::query_as(
            "select id, effective_from, decided_by from plans
             where status = 'scheduled' and effective_from <= $1
             order by effective_from, id limit 1 for update skip locked",
        )
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, at, actor)) = due else { break };
        // The commit runs in a savepoint: when it is refused, none of it stays.
        let mut attempt = sqlx::Connection::begin(&mut *tx).await?;
        match plan::commit_from(&mut attempt, id, "scheduled", actor, &Scope::City, at).await {
            Ok(()) => {
                attempt.commit().await?;
                done.push(Applied::Committed(id));
            }
            Err(PlanError::Db(e)) if transient(&e) => return Err(e.context(format!("applying scheduled plan {id}"))),
            Err(refused) => {
                attempt.rollback().await?;
                let reason = match refused {
                    PlanError::Db(e) => format!("the database refused it: {e:#}"),
                    other => other.to_string(),
                };
                plan::decide(
                    &mut tx,
                    Decision {
                        id,
                        action: "fail",
                        status: "failed",
                        actor,
                        decided_by: None,
                        now,
                        effective_from: None,
                        failure: Some(&reason),
                        bump_grids: true,
                        before: json!({"status": "scheduled", "effective_from": at.to_rfc3339()}),
                        after: json!({"status": "failed", "reason": reason}),
                    },
                )
                .await?;
                done.push(Applied::Failed(id, reason));
            }
        }
        tx.commit().await?;
    }
    Ok(done)
}

/// Runs [`apply_due`] every `every` (forever), at the time `clock` says.
pub async fn run(pool: PgPool, every: Duration, clock: Clock) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match apply_due(&pool, clock()).await {
            Ok(done) => {
                for a in done {
                    match a {
                        Applied::Committed(id) => tracing::info!(plan = id, "scheduled plan took effect"),
                        Applied::Failed(id, reason) => tracing::warn!(plan = id, %reason, "scheduled plan refused"),
                    }
                }
            }
            Err(e) => tracing::error!(error = ?e, "scheduled plans"),
        }
    }
}
