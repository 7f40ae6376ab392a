//! Incidents: registration, the follow-up state machine, history and automatic escalation.
//!
//! ```text
//!   new --assign--> assigned --accept--> accepted --start--> in_progress --resolve--> resolved --close--> closed
//!    \________________\_______________________\___________________/  escalate (level +1, same status)
//!     \________________\_______________________\_________________/   mark_duplicate --> duplicate
//!                                       resolved, closed --reopen--> assigned
//! ```
//! Escalation moves responsibility up one level (grid → village → township → county centre)
//! without changing the status; the county centre is the last level.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use citygrid_api::limits::MAX_NOTE_CHARS;
use citygrid_api::{
    allows, Action, GridWorker, Incident, IncidentDetail, IncidentEvent, Role, SlaEntry, SlaUpdate, NOTE_REQUIRED,
    WORKER_STEPS,
};
use sqlx::{PgConnection, PgPool};

pub mod list;

use crate::scope::{OutsideScope, Scope, ScopedResult};

/// Every action of the state machine.
pub const ACTIONS: [&str; 8] =
    ["assign", "accept", "start", "resolve", "close", "escalate", "reopen", "mark_duplicate"];

/// Every incident status, in the order of the follow-up.
pub const STATUSES: [&str; 7] = ["new", "assigned", "accepted", "in_progress", "resolved", "closed", "duplicate"];
/// The statuses of incidents that are still open.
pub const OPEN_STATUSES: [&str; 4] = ["new", "assigned", "accepted", "in_progress"];

/// The highest escalation level (the county centre).
pub const TOP_LEVEL: i16 = 3;

/// The escalation rule on an `incidents i` row: open, below the county centre, and its level's
/// deadline (`due_at`, kept by the trigger of migration 0060) before the instant `$1`.
/// [`escalate_due`] escalates exactly these; the dataset tests count them at the generated
/// city's end.
#[must_use]
pub fn due_sql() -> String {
    format!("{} and i.escalation_level < {TOP_LEVEL} and i.due_at < $1", list::OPEN_SQL)
}

/// The note of an automatic escalation's event.
pub const ESCALATION_NOTE: &str = "超时自动升级";

/// The status an action leads to from `status` at `level`, or `None` when it is not allowed.
#[must_use]
pub fn next_status(status: &str, level: i16, action: &str) -> Option<&'static str> {
    let open = OPEN_STATUSES.contains(&status);
    Some(match (action, status) {
        ("assign", "new") | ("reopen", "resolved" | "closed") => "assigned",
        ("accept", "assigned") => "accepted",
        ("start", "accepted") => "in_progress",
        ("resolve", "in_progress") => "resolved",
        ("close", "resolved") => "closed",
        ("escalate", s) if open && level < TOP_LEVEL => static_status(s)?,
        ("mark_duplicate", _) if open => "duplicate",
        _ => return None,
    })
}

fn static_status(s: &str) -> Option<&'static str> {
    STATUSES.into_iter().find(|x| *x == s)
}

/// The actions allowed from a state.
#[must_use]
pub fn allowed_actions(status: &str, level: i16) -> Vec<String> {
    ACTIONS.iter().filter(|a| next_status(status, level, a).is_some()).map(|a| (*a).to_owned()).collect()
}

/// The actions `role` may take from a state: those of the state machine, for a role that may
/// handle incidents (the matrix's `incidents.write`), none for the others.
#[must_use]
pub fn allowed_actions_for(role: Role, status: &str, level: i16) -> Vec<String> {
    if allows(role, Action::IncidentsWrite) {
        allowed_actions(status, level)
    } else {
        Vec::new()
    }
}

/// Why a transition was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    #[error("no incident with id {0}")]
    NotFound(i64),
    #[error("action {action:?} is not allowed for an incident that is {status} at level {level}; allowed: {}", allowed.join(", "))]
    NotAllowed { action: String, status: String, level: i16, allowed: Vec<String> },
    /// The request cannot be carried out; `field` names the input at fault.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// The incident (or the original it would duplicate) lies outside the caller's county.
    #[error(transparent)]
    OutsideScope(#[from] OutsideScope),
    #[error(transparent)]
    Db(#[from] anyhow::Error),
}

impl From<sqlx::Error> for TransitionError {
    fn from(e: sqlx::Error) -> Self {
        TransitionError::Db(e.into())
    }
}

/// A validated new incident.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub lon: f64,
    pub lat: f64,
    pub category: String,
    pub source: String,
    pub priority: i16,
    pub description: String,
    pub reported_at: DateTime<Utc>,
    pub grid_code: String,
}

/// The columns every incident query selects: the current step's deadline is `due_at` (kept by
/// the triggers of migration 0060), the assignee's name comes from the grid workers.
const SELECT: &str = "
    select i.id, i.category, i.source, i.priority, i.status, i.escalation_level, i.description,
           i.reported_at, i.resolved_at, i.closed_at, i.grid_code, i.duplicate_of, i.assignee,
           w.name as assignee_name, st_x(i.geom) as lon, st_y(i.geom) as lat, i.due_at as step_deadline
    from incidents i
    left join grid_workers w on w.employee_no = i.assignee";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    category: String,
    source: String,
    priority: i16,
    status: String,
    escalation_level: i16,
    description: String,
    reported_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    grid_code: Option<String>,
    duplicate_of: Option<i64>,
    assignee: Option<String>,
    assignee_name: Option<String>,
    lon: f64,
    lat: f64,
    step_deadline: Option<DateTime<Utc>>,
}

impl Row {
    fn into_api(self, now: DateTime<Utc>) -> Incident {
        Incident {
            id: self.id,
            category: self.category,
            source: self.source,
            priority: self.priority,
            status: self.status,
            escalation_level: self.escalation_level,
            description: self.description,
            reported_at: self.reported_at.to_rfc3339(),
            resolved_at: self.resolved_at.map(|t| t.to_rfc3339()),
            closed_at: self.closed_at.map(|t| t.to_rfc3339()),
            grid_code: self.grid_code,
            duplicate_of: self.duplicate_of,
            assignee: self.assignee,
            assignee_name: self.assignee_name,
            lon: self.lon,
            lat: self.lat,
            overdue: self.step_deadline.is_some_and(|d| d < now),
            step_deadline: self.step_deadline.map(|t| t.to_rfc3339()),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> TransitionError {
    TransitionError::Invalid { field, message: message.into() }
}

/// Stores a new incident with its `report` event; returns its id. Runs in the caller's transaction.
pub async fn create(conn: &mut PgConnection, inc: &NewIncident, actor_id: i64) -> anyhow::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "insert into incidents (category, source, priority, status, description, reported_at, grid_code, geom,
                                level_since, updated_at)
         values ($1, $2, $3, 'new', $4, $5, $6, st_setsrid(st_makepoint($7, $8), 4326), $5, now())
         returning id",
    )
    .bind(&inc.category)
    .bind(&inc.source)
    .bind(inc.priority)
    .bind(&inc.description)
    .bind(inc.reported_at)
    .bind(&inc.grid_code)
    .bind(inc.lon)
    .bind(inc.lat)
    .fetch_one(&mut *conn)
    .await
    .context("inserting incident")?;
    sqlx::query(
        "insert into incident_events (incident_id, at, actor_id, action, to_status, to_level)
         values ($1, $2, $3, 'report', 'new', 0)",
    )
    .bind(id)
    .bind(inc.reported_at)
    .bind(actor_id)
    .execute(&mut *conn)
    .await
    .context("recording report event")?;
    Ok(id)
}

/// One incident.
pub async fn get(db: &mut PgConnection, id: i64, now: DateTime<Utc>) -> anyhow::Result<Option<Incident>> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} where i.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
        .context("reading incident")?;
    Ok(row.map(|r| r.into_api(now)))
}

/// `Ok` when incident `id`, reported in `grid_code`, lies in `scope`.
fn check_scope(scope: &Scope, id: i64, grid_code: Option<&str>) -> Result<(), OutsideScope> {
    match grid_code {
        Some(g) => scope.check(g, || format!("incident {id} (grid {g})")),
        None => scope.check_city_wide(|| format!("incident {id} (outside every grid)")),
    }
}

/// One incident with its timeline and the actions `role` may take next, when it exists;
/// refused when it lies outside `scope`.
pub async fn read(
    pool: &PgPool,
    scope: &Scope,
    role: Role,
    id: i64,
    now: DateTime<Utc>,
) -> ScopedResult<Option<IncidentDetail>> {
    let mut conn = pool.acquire().await.context("connecting")?;
    let Some(incident) = get(&mut conn, id, now).await? else { return Ok(None) };
    check_scope(scope, id, incident.grid_code.as_deref())?;
    let grid = crate::planning::history::incident_grid(&mut conn, id).await?;
    drop(conn);
    let timeline = timeline(pool, id).await?;
    let allowed_actions = allowed_actions_for(role, &incident.status, incident.escalation_level);
    Ok(Some(IncidentDetail { incident, timeline, allowed_actions, grid }))
}

/// An incident's history, oldest first.
pub async fn timeline(pool: &PgPool, id: i64) -> anyhow::Result<Vec<IncidentEvent>> {
    #[derive(sqlx::FromRow)]
    struct EventRow {
        at: DateTime<Utc>,
        actor: Option<String>,
        actor_name: Option<String>,
        worker_no: Option<String>,
        worker_name: Option<String>,
        worker_phone: Option<String>,
        action: String,
        from_status: Option<String>,
        to_status: String,
        from_level: Option<i16>,
        to_level: i16,
        note: Option<String>,
    }
    let rows: Vec<EventRow> = sqlx::query_as(
        "select e.at, u.username as actor, u.display_name as actor_name, w.employee_no as worker_no,
                w.name as worker_name, w.phone as worker_phone,
                e.action, e.from_status, e.to_status, e.from_level, e.to_level, e.note
             from incident_events e
             left join users u on u.id = e.actor_id
             left join grid_workers w on w.employee_no = e.on_behalf_of
             where e.incident_id = $1 order by e.at, e.id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .context("reading incident history")?;
    Ok(rows
        .into_iter()
        .map(|r| IncidentEvent {
            at: r.at.to_rfc3339(),
            actor: r.actor.unwrap_or_else(|| "system".into()),
            actor_name: r.actor_name,
            on_behalf_of: match (r.worker_no, r.worker_name, r.worker_phone) {
                (Some(employee_no), Some(name), Some(phone)) => Some(GridWorker { employee_no, name, phone }),
                _ => None,
            },
            action: r.action,
            from_status: r.from_status,
            to_status: r.to_status,
            from_level: r.from_level,
            to_level: r.to_level,
            note: r.note,
        })
        .collect())
}

/// Applies `action` to incident `id` in one transaction: checks the state machine, updates the
/// incident, records the event and the audit entry.
#[allow(clippy::too_many_arguments)]
pub async fn transition(
    pool: &PgPool,
    scope: &Scope,
    id: i64,
    action: &str,
    note: Option<&str>,
    duplicate_of: Option<i64>,
    actor_id: i64,
    now: DateTime<Utc>,
) -> Result<Incident, TransitionError> {
    if !ACTIONS.contains(&action) {
        return Err(invalid("action", format!("action {action:?} is not one of {}", ACTIONS.join(", "))));
    }
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(invalid("note", format!("note: at most {MAX_NOTE_CHARS} characters")));
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if NOTE_REQUIRED.contains(&action) && note.is_none() {
        return Err(invalid("note", format!("note: {action} needs a note saying what was done")));
    }
    let mut tx = pool.begin().await?;
    // Lock the incident, and the original of a duplicate, in id order: two crossed
    // mark_duplicate calls then serialise instead of both succeeding into a cycle.
    let mut locked = vec![id];
    locked.extend(duplicate_of.filter(|o| *o != id));
    locked.sort_unstable();
    sqlx::query("select id from incidents where id = any($1) order by id for update")
        .bind(&locked)
        .fetch_all(&mut *tx)
        .await?;
    let cur: Option<(String, i16, Option<String>)> =
        sqlx::query_as("select status, escalation_level, grid_code from incidents where id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((status, level, grid_code)) = cur else { return Err(TransitionError::NotFound(id)) };
    check_scope(scope, id, grid_code.as_deref())?;
    let Some(to) = next_status(&status, level, action) else {
        return Err(TransitionError::NotAllowed {
            action: action.to_owned(),
            allowed: allowed_actions(&status, level),
            status,
            level,
        });
    };
    let to_level = if action == "escalate" { level + 1 } else { level };
    match (action, duplicate_of) {
        ("mark_duplicate", None) => {
            return Err(invalid("duplicate_of", "duplicate_of: mark_duplicate needs the id of the original"))
        }
        ("mark_duplicate", Some(orig)) => {
            if orig == id {
                return Err(invalid("duplicate_of", "duplicate_of: an incident cannot duplicate itself"));
            }
            let orig_row: Option<(String, Option<String>)> =
                sqlx::query_as("select status, grid_code from incidents where id = $1")
                    .bind(orig)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((_, orig_grid)) = &orig_row {
                check_scope(scope, orig, orig_grid.as_deref()).map_err(|e| e.field("duplicate_of"))?;
            }
            match orig_row.as_ref().map(|(s, _)| s.as_str()) {
                None => return Err(invalid("duplicate_of", format!("duplicate_of: no incident with id {orig}"))),
                Some("duplicate") => {
                    return Err(invalid(
                        "duplicate_of",
                        format!("duplicate_of: incident {orig} is itself a duplicate; point at its original"),
                    ))
                }
                Some(_) => {}
            }
        }
        (_, Some(_)) => return Err(invalid("duplicate_of", "duplicate_of: only for mark_duplicate")),
        _ => {}
    }
    let first_worker = || {
        sqlx::query_scalar::<_, String>(
            "select employee_no from grid_workers where grid_code = $1 order by rank limit 1",
        )
        .bind(&grid_code)
    };
    let assignee: Option<String> =
        if action == "assign" || action == "reopen" { first_worker().fetch_optional(&mut *tx).await? } else { None };
    // A worker's own step, recorded by the dispatcher: on behalf of the assigned worker (the
    // grid's first worker when nobody is assigned, who then is).
    let (on_behalf_of, assignee) = if WORKER_STEPS.contains(&action) {
        let current: Option<String> =
            sqlx::query_scalar("select assignee from incidents where id = $1").bind(id).fetch_one(&mut *tx).await?;
        let worker = match current {
            Some(w) => w,
            None => first_worker().fetch_optional(&mut *tx).await?.ok_or_else(|| {
                let grid = grid_code.as_deref().unwrap_or("-");
                invalid(
                    "action",
                    format!("{action}: grid {grid} has no grid worker to record it for; escalate instead"),
                )
            })?,
        };
        (Some(worker.clone()), Some(worker))
    } else {
        (None, assignee)
    };
    sqlx::query(
        "update incidents set status = $2, escalation_level = $3, updated_at = $4,
             level_since = case when $3 <> escalation_level then $4 else level_since end,
             resolved_at = case when $2 = 'resolved' then $4 when $2 in ('closed') then resolved_at end,
             closed_at = case when $2 = 'closed' then $4 end,
             duplicate_of = case when $2 = 'duplicate' then $5 else duplicate_of end,
             assignee = coalesce($6, assignee)
         where id = $1",
    )
    .bind(id)
    .bind(to)
    .bind(to_level)
    .bind(now)
    .bind(duplicate_of)
    .bind(&assignee)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into incident_events (incident_id, at, actor_id, action, from_status, to_status, from_level, to_level, note,
                                      on_behalf_of)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(now)
    .bind(actor_id)
    .bind(action)
    .bind(&status)
    .bind(to)
    .bind(level)
    .bind(to_level)
    .bind(note)
    .bind(&on_behalf_of)
    .execute(&mut *tx)
    .await?;
    crate::accounts::audit(
        &mut *tx,
        crate::accounts::AuditEntry {
            user_id: actor_id,
            action,
            entity: "incident",
            entity_ids: vec![id.to_string()],
            before: Some(serde_json::json!({"status": status, "escalation_level": level})),
            after: Some(serde_json::json!({"status": to, "escalation_level": to_level, "on_behalf_of": on_behalf_of})),
        },
    )
    .await?;
    let incident = get(&mut tx, id, now).await?.ok_or(TransitionError::NotFound(id))?;
    tx.commit().await?;
    Ok(incident)
}

/// Escalates every open incident whose current level's deadline passed before `now`, one level
/// each, with a `system` event. Safe to run from several processes at once: rows are claimed
/// with `FOR UPDATE SKIP LOCKED` and the deadline is re-checked under the lock, so no incident
/// is escalated twice for the same deadline. Returns how many were escalated.
pub async fn escalate_due(pool: &PgPool, now: DateTime<Utc>, batch: i64) -> anyhow::Result<u64> {
    let mut total = 0;
    let due = due_sql();
    loop {
        let mut tx = pool.begin().await?;
        let n = sqlx::query(&format!(
            "with due as (
                 select i.id from incidents i
                 where {due}
                 order by i.due_at, i.id limit $2
                 for update of i skip locked
             ), moved as (
                 update incidents i set escalation_level = i.escalation_level + 1, level_since = $1, updated_at = $1
                 from due where i.id = due.id
                 returning i.id, i.status, i.escalation_level
             ), audited as (
                 insert into audit_log (at, user_id, action, entity, entity_ids, after)
                 select $1, null, 'escalate', 'incident', array_agg(id::text order by id),
                        jsonb_build_object('reason', 'deadline passed')
                 from moved having count(*) > 0
             )
             insert into incident_events (incident_id, at, actor_id, action, from_status, to_status, from_level, to_level, note)
             select id, $1, null, 'escalate', status, status, escalation_level - 1, escalation_level, $3
             from moved"
        ))
        .bind(now)
        .bind(batch)
        .bind(ESCALATION_NOTE)
        .execute(&mut *tx)
        .await
        .context("escalating overdue incidents")?
        .rows_affected();
        tx.commit().await?;
        total += n;
        if n < batch as u64 {
            return Ok(total);
        }
    }
}

/// The SLA table, ordered by category, priority and level.
pub async fn sla_table(pool: &PgPool) -> anyhow::Result<Vec<SlaEntry>> {
    let rows: Vec<(String, i16, i16, f64)> = sqlx::query_as(
        "select category, priority, level, hours from escalation_sla order by category, priority, level",
    )
    .fetch_all(pool)
    .await
    .context("reading the SLA table")?;
    Ok(rows
        .into_iter()
        .map(|(category, priority, level, hours)| SlaEntry { category, priority, level, hours })
        .collect())
}

/// Sets the hours of one SLA row, with its audit record, in one transaction; `None` when the
/// row does not exist.
pub async fn update_sla(pool: &PgPool, req: &SlaUpdate, actor_id: i64) -> anyhow::Result<Option<SlaEntry>> {
    let mut tx = pool.begin().await?;
    let before: Option<f64> = sqlx::query_scalar(
        "select hours from escalation_sla where category = $1 and priority = $2 and level = $3 for update",
    )
    .bind(&req.category)
    .bind(req.priority)
    .bind(req.level)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(before) = before else { return Ok(None) };
    sqlx::query("update escalation_sla set hours = $4 where category = $1 and priority = $2 and level = $3")
        .bind(&req.category)
        .bind(req.priority)
        .bind(req.level)
        .bind(req.hours)
        .execute(&mut *tx)
        .await?;
    let key = format!("{}/{}/{}", req.category, req.priority, req.level);
    crate::accounts::audit(
        &mut *tx,
        crate::accounts::AuditEntry {
            user_id: actor_id,
            action: "update",
            entity: "escalation_sla",
            entity_ids: vec![key],
            before: Some(serde_json::json!({ "hours": before })),
            after: Some(serde_json::json!({ "hours": req.hours })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(SlaEntry { category: req.category.clone(), priority: req.priority, level: req.level, hours: req.hours }))
}

/// Runs [`escalate_due`] every `interval` (forever); `None` does nothing.
pub async fn escalation_loop(pool: PgPool, interval: Option<std::time::Duration>) {
    let Some(interval) = interval else { return };
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        match escalate_due(&pool, Utc::now(), 1000).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("escalated {n} overdue incidents"),
            Err(e) => tracing::error!(error = ?e, "escalation task"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path() {
        let mut s = "new";
        for (action, to) in [
            ("assign", "assigned"),
            ("accept", "accepted"),
            ("start", "in_progress"),
            ("resolve", "resolved"),
            ("close", "closed"),
            ("reopen", "assigned"),
        ] {
            assert_eq!(next_status(s, 0, action), Some(to), "{action} from {s}");
            s = to;
        }
    }

    #[test]
    fn every_pair_is_decided() {
        // The full table: which (status, action) pairs are legal at level 0.
        let legal = [
            ("new", "assign"),
            ("new", "escalate"),
            ("new", "mark_duplicate"),
            ("assigned", "accept"),
            ("assigned", "escalate"),
            ("assigned", "mark_duplicate"),
            ("accepted", "start"),
            ("accepted", "escalate"),
            ("accepted", "mark_duplicate"),
            ("in_progress", "resolve"),
            ("in_progress", "escalate"),
            ("in_progress", "mark_duplicate"),
            ("resolved", "close"),
            ("resolved", "reopen"),
            ("closed", "reopen"),
        ];
        for s in STATUSES {
            for a in ACTIONS {
                assert_eq!(next_status(s, 0, a).is_some(), legal.contains(&(s, a)), "{a} from {s}");
            }
        }
    }

    #[test]
    fn escalation_keeps_the_status_and_stops_at_the_county() {
        assert_eq!(next_status("accepted", 2, "escalate"), Some("accepted"));
        assert_eq!(next_status("accepted", 3, "escalate"), None);
        assert!(!allowed_actions("new", 3).contains(&"escalate".to_owned()));
        assert_eq!(allowed_actions("duplicate", 0), Vec::<String>::new());
    }
}
