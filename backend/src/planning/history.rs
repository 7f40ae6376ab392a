//! Boundary history and time travel: every version of a grid with the plan that made it, and
//! the instant a client means by `as_of`. The partition valid at an instant is `grids_at(t)` in
//! SQL (migration 0031), served by a GiST index over every version and its validity interval.

use anyhow::Context as _;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone as _, Utc};
use citygrid_api::{CurrentGrid, GridHistory, GridVersion, IncidentGrid};
use sqlx::PgPool;

use crate::grids::GridCode;
use crate::scope::{Scope, ScopedResult};

/// Asia/Shanghai (UTC+8 all year): the day a bare date names.
const SHANGHAI_OFFSET_S: i32 = 8 * 3600;

/// The instant an `as_of` (or `at`) value names: an RFC 3339 time as given, or a `YYYY-MM-DD`
/// day in Asia/Shanghai meaning the end of that day (so a plan committed that day is included).
/// The error says what is wrong with the value; the caller names the field.
pub fn parse_as_of(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() {
        return Err(format!("{s:?} is neither an RFC 3339 time nor a YYYY-MM-DD date"));
    }
    parse_day(s)
}

/// The instant a bare `YYYY-MM-DD` names: the last microsecond of that Asia/Shanghai day (the
/// day form of [`parse_as_of`]; the grid tiles take only days, so a day's tiles are one URL).
pub fn parse_day(s: &str) -> Result<DateTime<Utc>, String> {
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a YYYY-MM-DD date"))?;
    let next = day.succ_opt().ok_or_else(|| format!("{s:?} is out of range"))?;
    let offset = FixedOffset::east_opt(SHANGHAI_OFFSET_S).ok_or("bad offset")?;
    let midnight = next.and_hms_opt(0, 0, 0).ok_or("bad time")?;
    let end = offset.from_local_datetime(&midnight).single().ok_or_else(|| format!("{s:?} is out of range"))?;
    Ok(end.with_timezone(&Utc) - Duration::microseconds(1))
}

/// `t` on Asia/Shanghai's clock (how times are shown to people).
#[must_use]
pub fn in_shanghai(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(SHANGHAI_OFFSET_S).map_or_else(|| t.fixed_offset(), |o| t.with_timezone(&o))
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i32,
    valid_from: DateTime<Utc>,
    valid_to: Option<DateTime<Utc>>,
    plan_id: Option<i64>,
    author: Option<String>,
    note: Option<String>,
    area_m2: f64,
    geometry: String,
}

/// Every version of grid `code`, oldest first, retired grids included; `None` if no grid ever
/// had that code. Refused outside `scope`.
pub async fn grid_history(pool: &PgPool, scope: &Scope, code: &GridCode) -> ScopedResult<Option<GridHistory>> {
    scope.check(code.as_str(), || format!("grid {}", code.as_str()))?;
    let grid: Option<(String, Option<DateTime<Utc>>)> =
        sqlx::query_as("select name, retired_at from grids where code = $1")
            .bind(code.as_str())
            .fetch_optional(pool)
            .await
            .context("reading grid")?;
    let Some((name, retired_at)) = grid else { return Ok(None) };
    let rows: Vec<VersionRow> = sqlx::query_as(
        "select v.version, v.valid_from, v.valid_to, v.plan_id, u.username as author, p.note,
                st_area(v.geom::geography) as area_m2, st_asgeojson(st_forcepolygonccw(v.geom), 7) as geometry
         from grid_versions v
         left join plans p on p.id = v.plan_id
         left join users u on u.id = p.author_id
         where v.grid_code = $1 order by v.version",
    )
    .bind(code.as_str())
    .fetch_all(pool)
    .await
    .context("reading grid versions")?;
    let versions = rows
        .into_iter()
        .map(|r| {
            Ok(GridVersion {
                version: r.version,
                valid_from: r.valid_from.to_rfc3339(),
                valid_to: r.valid_to.map(|t| t.to_rfc3339()),
                plan_id: r.plan_id,
                author: r.author,
                note: r.note,
                area_m2: r.area_m2,
                geometry: serde_json::from_str(&r.geometry).context("PostGIS returned bad GeoJSON")?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Some(GridHistory {
        code: code.as_str().to_owned(),
        name,
        retired_at: retired_at.map(|t| t.to_rfc3339()),
        versions,
    }))
}

/// The grid version incident `id` was routed to, and the grid holding its point now if that is
/// not the same version; `None` for an incident outside every grid (or no such incident).
///
/// Derived, not stored: the incident was routed at its report (`reported_at`) or at the last
/// `moved` event into its grid (a plan commit: the instant the plan's versions start); its
/// version is the first of that grid's versions still valid then whose boundary covers the
/// point. The "covers" keeps the answer right for an incident registered while a commit
/// reshaped its grid (routing re-locates it in the new boundary, though its `reported_at` may
/// precede the commit by a moment) and for loaded incidents older than the loaded boundaries.
/// An incident registered with a `reported_at` before a later redraw of its grid counts as
/// routed at `reported_at`.
pub async fn incident_grid(db: &mut sqlx::PgConnection, id: i64) -> anyhow::Result<Option<IncidentGrid>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        code: String,
        version: Option<i32>,
        valid_from: Option<DateTime<Utc>>,
        valid_to: Option<DateTime<Utc>>,
        routed_at: DateTime<Utc>,
        plan_id: Option<i64>,
        current_code: Option<String>,
        current_name: Option<String>,
        current_version: Option<i32>,
    }
    let row: Option<Row> = sqlx::query_as(concat!(
        "with i as (select id, grid_code, geom, reported_at from incidents where id = $1 and grid_code is not null),
              m as (select e.at, e.plan_id from incident_events e, i
                    where e.incident_id = i.id and e.action = 'moved' and e.to_grid = i.grid_code
                    order by e.at desc, e.id desc limit 1),
              r as (select coalesce((select at from m), i.reported_at) as routed_at, (select plan_id from m) as plan_id
                    from i),
              now_in as (",
        crate::locate_sql!("current_grids", "(select geom from i)"),
        ")
         select i.grid_code as code, v.version, v.valid_from, v.valid_to, r.routed_at, r.plan_id,
                c.code as current_code, c.name as current_name, c.version as current_version
         from i cross join r
         left join lateral (select x.version, x.valid_from, x.valid_to from grid_versions x
                            where x.grid_code = i.grid_code and (x.valid_to is null or x.valid_to > r.routed_at)
                              and st_covers(x.geom, i.geom)
                            order by x.version limit 1) v on true
         left join current_grids c on c.code = (select code from now_in)"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
    .context("reading the incident's grid version")?;
    let Some(r) = row else { return Ok(None) };
    let (Some(version), Some(valid_from)) = (r.version, r.valid_from) else {
        // No version of its grid ever held the point (an incident placed by hand-written SQL).
        return Ok(None);
    };
    let current = match (r.current_code, r.current_name, r.current_version) {
        (Some(code), Some(name), Some(v)) if code != r.code || v != version => {
            Some(CurrentGrid { code, name, version: v })
        }
        _ => None,
    };
    Ok(Some(IncidentGrid {
        code: r.code,
        version,
        valid_from: valid_from.to_rfc3339(),
        valid_to: r.valid_to.map(|t| t.to_rfc3339()),
        routed_at: r.routed_at.to_rfc3339(),
        moved_by_plan: r.plan_id,
        current,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_reads_times_and_shanghai_days() {
        let t = parse_as_of("2026-03-05T10:00:00+08:00").expect("time");
        assert_eq!(t.to_rfc3339(), "2026-03-05T02:00:00+00:00");
        // A day ends at 24:00 in Shanghai, 16:00 UTC.
        let d = parse_as_of("2026-03-05").expect("day");
        assert_eq!(d + Duration::microseconds(1), Utc.with_ymd_and_hms(2026, 3, 5, 16, 0, 0).single().expect("t"));
        for bad in ["", "yesterday", "2026-13-01", "2026-03-05T25:00:00Z", "05/03/2026"] {
            let e = parse_as_of(bad).expect_err(bad);
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
        assert_eq!(parse_day("2026-03-05"), Ok(d));
        for bad in ["2026-03-05T10:00:00+08:00", "2026-02-30", "20260305", ""] {
            let e = parse_day(bad).expect_err(bad);
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }
}
