//! The incident list: filters, sort orders and keyset paging, each answered by an index
//! (`migrations/0060_incident_lists.sql`; `backend/tests/incident_lists.rs` runs `EXPLAIN` on
//! every filter and sort and fails on a sequential scan of `incidents`).
//!
//! | filter / sort | index |
//! | --- | --- |
//! | none (newest first), `from`/`to` | `incidents_newest_idx` (reported_at desc, id desc) |
//! | one `status` | `incidents_status_newest_idx` |
//! | `status=open` (or a subset), `overdue`, `unassigned`, `priority` | `incidents_open_newest_idx` (partial) |
//! | `category` | `incidents_category_newest_idx` |
//! | `grid` | `incidents_grid_newest_idx` |
//! | `unit` (village, township, county: a code prefix), a county-scoped user | `incidents_{village,township}_newest_idx`, `incidents_county_idx` (migration 0010) |
//! | `bbox` | `incidents_geom_idx` (GiST) or one of the above |
//! | `sort=deadline` | `incidents_open_due_idx` (due_at, id) |
//! | `sort=priority` | `incidents_open_priority_idx` (priority, due_at, id) |

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use citygrid_api::Incident;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::{Row, OPEN_STATUSES, SELECT, STATUSES};
use crate::grids::BBox;
use crate::scope::{Scope, ScopedResult};

/// The SQL predicate "the incident is open", exactly as the partial indexes of migration 0060
/// spell it (the planner matches a partial index by its predicate, and cannot see through a
/// bound array): it must list [`OPEN_STATUSES`] (checked by a test).
pub const OPEN_SQL: &str = "i.status in ('new', 'assigned', 'accepted', 'in_progress')";

/// The most incidents one page may hold.
pub const MAX_LIMIT: i64 = 500;
/// The page size without `limit`.
pub const DEFAULT_LIMIT: i64 = 50;

/// The order of a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest report first (any status).
    #[default]
    Newest,
    /// Open incidents with a deadline, the one that runs out first first.
    Deadline,
    /// Open incidents, most urgent priority first, then by deadline (none last).
    Priority,
}

impl Sort {
    /// Parses `newest`, `deadline` or `priority`.
    pub fn parse(s: &str) -> Result<Sort, String> {
        match s {
            "newest" => Ok(Sort::Newest),
            "deadline" => Ok(Sort::Deadline),
            "priority" => Ok(Sort::Priority),
            other => Err(format!("sort {other:?} is not one of newest, deadline, priority")),
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Sort::Newest => "n",
            Sort::Deadline => "d",
            Sort::Priority => "p",
        }
    }
}

/// The syntax of a [`Cursor`] (ECMA-262, for the OpenAPI document): every string that matches
/// parses, and nothing else does.
pub const CURSOR_PATTERN: &str = "^([nd][.][0-9]{1,16}|p[.][1-4][.]([0-9]{1,16}|-))[.][1-9][0-9]{0,17}$";

/// Where the previous page ended, in the page's own order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// (reported_at, id) of the last item.
    Newest(DateTime<Utc>, i64),
    /// (due_at, id).
    Deadline(DateTime<Utc>, i64),
    /// (priority, due_at or none, id).
    Priority(i16, Option<DateTime<Utc>>, i64),
}

impl Cursor {
    fn sort(self) -> Sort {
        match self {
            Cursor::Newest(..) => Sort::Newest,
            Cursor::Deadline(..) => Sort::Deadline,
            Cursor::Priority(..) => Sort::Priority,
        }
    }

    /// The opaque text handed to clients: `n.<µs>.<id>`, `d.<µs>.<id>`, `p.<priority>.<µs|->.<id>`.
    #[must_use]
    pub fn encode(self) -> String {
        let tag = self.sort().tag();
        match self {
            Cursor::Newest(t, id) | Cursor::Deadline(t, id) => format!("{tag}.{}.{id}", t.timestamp_micros()),
            Cursor::Priority(p, t, id) => {
                let t = t.map_or_else(|| "-".to_owned(), |t| t.timestamp_micros().to_string());
                format!("{tag}.{p}.{t}.{id}")
            }
        }
    }

    /// Parses [`Cursor::encode`]'s output: exactly the strings of [`CURSOR_PATTERN`], so only
    /// values PostgreSQL can compare with stored rows parse (times from 1970 to 2286, positive
    /// ids of at most 18 digits, priorities 1–4).
    pub fn parse(s: &str) -> Result<Cursor, String> {
        let bad = |why: &str| format!("cursor {s:?} is not one this API handed out ({why})");
        let digits = |p: &str, max: usize| !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit());
        let time = |t: &str| {
            Some(t)
                .filter(|t| digits(t, 16))
                .and_then(|t| t.parse::<i64>().ok())
                .and_then(DateTime::from_timestamp_micros)
                .ok_or_else(|| bad("the time is not 1 to 16 digits of microseconds"))
        };
        let id = |id: &str| {
            Some(id)
                .filter(|id| digits(id, 18) && !id.starts_with('0'))
                .and_then(|id| id.parse::<i64>().ok())
                .ok_or_else(|| bad("the id is not a positive integer of at most 18 digits"))
        };
        let parts: Vec<&str> = s.split('.').collect();
        match parts.as_slice() {
            ["n", t, i] => Ok(Cursor::Newest(time(t)?, id(i)?)),
            ["d", t, i] => Ok(Cursor::Deadline(time(t)?, id(i)?)),
            ["p", p, t, i] => {
                let p = Some(*p)
                    .filter(|p| matches!(*p, "1" | "2" | "3" | "4"))
                    .and_then(|p| p.parse::<i16>().ok())
                    .ok_or_else(|| bad("no priority"))?;
                let t = if *t == "-" { None } else { Some(time(t)?) };
                Ok(Cursor::Priority(p, t, id(i)?))
            }
            _ => Err(bad("not n.…, d.… or p.…")),
        }
    }
}

/// Filters of the incident list; every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub bbox: Option<BBox>,
    /// Exact statuses (from [`STATUSES`]); empty means any.
    pub statuses: Vec<&'static str>,
    pub category: Option<String>,
    pub priority: Option<i16>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// A 15-digit grid code.
    pub grid: Option<String>,
    /// A village (12 digits), township (9) or county (6) code: its incidents.
    pub unit: Option<String>,
    /// Only open incidents whose current deadline has passed.
    pub overdue: bool,
    /// Only open incidents that nobody is assigned to.
    pub unassigned: bool,
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// Parses `status=`: a status, a comma-separated list, or `open`.
pub fn parse_statuses(s: &str) -> Result<Vec<&'static str>, String> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if s == "open" {
            out.extend(OPEN_STATUSES);
        } else if let Some(known) = STATUSES.into_iter().find(|k| *k == s) {
            out.push(known);
        } else {
            return Err(format!("status {s:?} is not one of open, {}", STATUSES.join(", ")));
        }
    }
    if out.is_empty() {
        return Err(format!("status {s:?} names no status; use open or one of {}", STATUSES.join(", ")));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Parses `unit=`: a county (6 digits), township (9) or village (12) code.
pub fn parse_unit(s: &str) -> Result<String, String> {
    if matches!(s.len(), 6 | 9 | 12) && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(format!("unit {s:?} is not a county (6 digits), township (9) or village (12) code"))
    }
}

impl ListFilter {
    /// Checks that the parts fit together (the sort and the cursor, a deadline or priority
    /// order and the statuses); the error names the parameter at fault.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.limit < 1 {
            return Err(("limit", format!("limit {} must be at least 1", self.limit)));
        }
        if let Some(c) = self.after {
            if c.sort() != self.sort {
                return Err(("cursor", "cursor: it belongs to a list in another order; start again without it".into()));
            }
        }
        if self.sort != Sort::Newest && !self.only_open_statuses() {
            return Err((
                "sort",
                format!(
                    "sort: deadline and priority order open incidents only; drop status or use status=open (or {})",
                    OPEN_STATUSES.join(", ")
                ),
            ));
        }
        if let Some(p) = self.priority {
            if !(1..=4).contains(&p) {
                return Err(("priority", format!("priority {p} must be 1 (most urgent) to 4")));
            }
        }
        Ok(())
    }

    /// No status filter, or only open statuses.
    fn only_open_statuses(&self) -> bool {
        self.statuses.iter().all(|s| OPEN_STATUSES.contains(s))
    }

    /// Whether the list holds open incidents only.
    fn open_only(&self) -> bool {
        self.sort != Sort::Newest
            || self.overdue
            || self.unassigned
            || (!self.statuses.is_empty() && self.only_open_statuses())
    }

    /// The query of one page in `scope` (one more row than the limit, to know whether a next
    /// page exists).
    fn query(&self, scope: &Scope, now: DateTime<Utc>) -> QueryBuilder<'static, Postgres> {
        self.query_after("", scope, now)
    }

    /// [`ListFilter::query`] behind `prefix` (such as `EXPLAIN`).
    fn query_after(&self, prefix: &str, scope: &Scope, now: DateTime<Utc>) -> QueryBuilder<'static, Postgres> {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!("{prefix}{SELECT}"));
        q.push(" where true");
        scope.push_filter(&mut q, "i.grid_code");
        if self.open_only() {
            q.push(" and ").push(OPEN_SQL);
        }
        let all_open = {
            let mut s = self.statuses.clone();
            s.sort_unstable();
            let mut open = OPEN_STATUSES.to_vec();
            open.sort_unstable();
            s == open
        };
        match self.statuses.as_slice() {
            [] => {}
            _ if all_open => {}
            [one] => {
                q.push(" and i.status = ").push_bind(*one);
            }
            many => {
                q.push(" and i.status = any(")
                    .push_bind(many.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                    .push(")");
            }
        }
        if let Some(b) = self.bbox {
            q.push(" and i.geom && st_makeenvelope(")
                .push_bind(b.min_lon)
                .push(", ")
                .push_bind(b.min_lat)
                .push(", ")
                .push_bind(b.max_lon)
                .push(", ")
                .push_bind(b.max_lat)
                .push(", 4326)");
        }
        if let Some(c) = &self.category {
            q.push(" and i.category = ").push_bind(c.clone());
        }
        if let Some(p) = self.priority {
            q.push(" and i.priority = ").push_bind(p);
        }
        if let Some(t) = self.from {
            q.push(" and i.reported_at >= ").push_bind(t);
        }
        if let Some(t) = self.to {
            q.push(" and i.reported_at < ").push_bind(t);
        }
        if let Some(g) = &self.grid {
            q.push(" and i.grid_code = ").push_bind(g.clone());
        }
        if let Some(u) = &self.unit {
            // The expression must read exactly as in the index: left(grid_code, <length>).
            q.push(format_args!(" and left(i.grid_code, {}) = ", u.len())).push_bind(u.clone());
        }
        if self.overdue {
            q.push(" and i.due_at < ").push_bind(now);
        }
        if self.unassigned {
            q.push(" and i.assignee is null");
        }
        match self.after {
            None => {}
            Some(Cursor::Newest(t, id)) => {
                q.push(" and (i.reported_at, i.id) < (").push_bind(t).push(", ").push_bind(id).push(")");
            }
            Some(Cursor::Deadline(t, id)) => {
                q.push(" and (i.due_at, i.id) > (").push_bind(t).push(", ").push_bind(id).push(")");
            }
            Some(Cursor::Priority(p, t, id)) => {
                q.push(" and (i.priority, coalesce(i.due_at, 'infinity'::timestamptz), i.id) > (")
                    .push_bind(p)
                    .push(", coalesce(")
                    .push_bind(t)
                    .push("::timestamptz, 'infinity'::timestamptz), ")
                    .push_bind(id)
                    .push(")");
            }
        }
        q.push(match self.sort {
            Sort::Newest => " order by i.reported_at desc, i.id desc",
            Sort::Deadline => " and i.due_at is not null order by i.due_at, i.id",
            Sort::Priority => " order by i.priority, coalesce(i.due_at, 'infinity'::timestamptz), i.id",
        });
        q.push(" limit ").push_bind(self.limit + 1);
        q
    }
}

/// A page of incidents in `scope`, in the filter's order, and the cursor of the next page. A
/// `grid` or `unit` filter outside the scope is refused (naming the field).
pub async fn list(
    pool: &PgPool,
    scope: &Scope,
    f: &ListFilter,
    now: DateTime<Utc>,
) -> ScopedResult<(Vec<Incident>, Option<String>)> {
    if let Some(g) = &f.grid {
        scope.check(g, || format!("grid {g}")).map_err(|e| e.field("grid"))?;
    }
    if let Some(u) = &f.unit {
        scope.check(u, || format!("unit {u}")).map_err(|e| e.field("unit"))?;
    }
    let mut rows: Vec<Row> = f.query(scope, now).build_query_as().fetch_all(pool).await.context("listing incidents")?;
    let limit = usize::try_from(f.limit).unwrap_or(0);
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().and_then(|r| {
            Some(match f.sort {
                Sort::Newest => Cursor::Newest(r.reported_at, r.id),
                Sort::Deadline => Cursor::Deadline(r.step_deadline?, r.id),
                Sort::Priority => Cursor::Priority(r.priority, r.step_deadline, r.id),
            })
        })
    } else {
        None
    };
    Ok((rows.into_iter().map(|r| r.into_api(now)).collect(), next.map(Cursor::encode)))
}

/// The plan of [`list`]'s query for `f` in `scope` (`EXPLAIN (FORMAT JSON)`) on `conn`
/// (whose session settings apply), for tests and diagnosis.
pub async fn explain(
    conn: &mut sqlx::PgConnection,
    scope: &Scope,
    f: &ListFilter,
    now: DateTime<Utc>,
) -> anyhow::Result<serde_json::Value> {
    let plan: serde_json::Value = f
        .query_after("explain (format json) ", scope, now)
        .build_query_scalar()
        .fetch_one(conn)
        .await
        .context("explaining the incident list")?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_predicate_lists_the_open_statuses() {
        let listed = format!("({})", OPEN_STATUSES.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", "));
        assert_eq!(OPEN_SQL, format!("i.status in {listed}"));
    }

    #[test]
    fn cursors_round_trip() {
        let t = DateTime::from_timestamp_micros(1_764_547_200_123_456).expect("time");
        for c in [
            Cursor::Newest(t, 42),
            Cursor::Deadline(t, 7),
            Cursor::Priority(2, Some(t), 9),
            Cursor::Priority(4, None, 1),
        ] {
            assert_eq!(Cursor::parse(&c.encode()), Ok(c), "{}", c.encode());
        }
        for bad in [
            "x_1",
            "12",
            "n.x.1",
            "p.1.2",
            "q.1.2",
            "d.1.x",
            "",
            "n.-210866803200000001.1",
            "n.1.0",
            "n.1.-5",
            "n.99999999999999999999.1",
            "p.5.-.1",
            "p.0.1.1",
        ] {
            assert!(Cursor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses_and_units_parse() {
        assert_eq!(parse_statuses("open"), Ok(vec!["accepted", "assigned", "in_progress", "new"]));
        assert_eq!(parse_statuses("closed, new,closed"), Ok(vec!["closed", "new"]));
        assert!(parse_statuses("done").is_err());
        assert!(parse_statuses("").is_err(), "an empty status filter is a client mistake");
        assert!(parse_statuses(" , ").is_err());
        assert_eq!(parse_unit("320812"), Ok("320812".into()));
        assert!(parse_unit("3208121").is_err());
        assert!(parse_unit("32081200100x").is_err());
    }

    #[test]
    fn orders_and_cursors_fit_together() {
        let base = ListFilter { limit: 50, ..ListFilter::default() };
        assert!(base.check().is_ok());
        assert!(ListFilter { limit: 0, ..base.clone() }.check().is_err());
        let deadline = ListFilter { sort: Sort::Deadline, ..base.clone() };
        assert!(deadline.check().is_ok());
        assert!(ListFilter { statuses: vec!["closed"], ..deadline.clone() }.check().is_err());
        assert!(ListFilter { statuses: vec!["new"], ..deadline.clone() }.check().is_ok());
        let t = DateTime::from_timestamp_micros(0).expect("time");
        assert!(ListFilter { after: Some(Cursor::Newest(t, 1)), ..deadline }.check().is_err());
        assert!(ListFilter { priority: Some(5), ..base }.check().is_err());
    }

    #[test]
    fn open_only_lists_use_the_open_predicate() {
        let now = Utc::now();
        let sql = |f: ListFilter| f.query(&Scope::City, now).into_sql();
        let base = ListFilter { limit: 50, ..ListFilter::default() };
        assert!(!sql(base.clone()).contains(OPEN_SQL));
        for f in [
            ListFilter { statuses: OPEN_STATUSES.to_vec(), ..base.clone() },
            ListFilter { statuses: vec!["new"], ..base.clone() },
            ListFilter { overdue: true, ..base.clone() },
            ListFilter { unassigned: true, ..base.clone() },
            ListFilter { sort: Sort::Priority, ..base.clone() },
        ] {
            assert!(sql(f.clone()).contains(OPEN_SQL), "{f:?}");
        }
        assert!(sql(ListFilter { unit: Some("320812001".into()), ..base }).contains("left(i.grid_code, 9) = $"));
    }
}
