//! Hotspot early warning (`/api/stats/hotspots`): grids or villages whose incidents in a recent
//! window rise significantly above their own baseline, by the method of [`super::surveillance`].
//!
//! Counts come from `stats.hotspot_counts` (migration 0080): whole Asia/Shanghai days from the
//! per-day-and-grid rollup `stats.grid_days`, kept current by triggers, and the partial days at
//! the edges from the raw incidents, so a newly registered incident counts at once; in the unit
//! of the incident's grid; the baseline is the [`BASELINE_DAYS`] before the window.
//! Every unit in scope counts in the false-discovery control, with or without incidents.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use citygrid_api::{AdminLevel, Hotspot, HotspotMethod, Hotspots};
use sqlx::PgPool;

use super::filter::{day_of, Filter, FilterError, Window};
use super::surveillance::{self, Method};
use super::units::StatsResult;
use crate::scope::Scope;

/// The baseline: this many days before the window.
pub const BASELINE_DAYS: i64 = 28;
/// The default window: the last 7 × 24 hours.
pub const DEFAULT_DAYS: i64 = 7;

/// The levels hotspots are looked for at.
pub fn parse_level(s: Option<&str>) -> Result<AdminLevel, FilterError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("grid") => Ok(AdminLevel::Grid),
        Some("village") => Ok(AdminLevel::Village),
        Some(other) => Err(FilterError::new("level", format!("{other:?} is not grid or village"))),
    }
}

/// Checks that the window is no longer than the baseline.
pub fn check_window(window: Window) -> Result<(), FilterError> {
    if window.to - window.from > Duration::days(BASELINE_DAYS) {
        return Err(FilterError::new(
            "from",
            format!("the window is {:.1} days long; hotspots compare at most {BASELINE_DAYS} days with the {BASELINE_DAYS} before", window.days()),
        ));
    }
    Ok(())
}

/// A unit's incidents in 24 hours of the window, and the first of them.
type DayCount = (i64, Option<DateTime<Utc>>);

/// The warnings at `level` (grid or village) in `scope` for the window and filter.
pub async fn hotspots(
    pool: &PgPool,
    scope: &Scope,
    level: AdminLevel,
    window: Window,
    filter: &Filter,
    method: Method,
) -> StatsResult<Hotspots> {
    check_window(window)?;
    let len: i32 = if level == AdminLevel::Village { 12 } else { 15 };
    let prefix = scope.county_code().unwrap_or("");
    let baseline_from = window.from - Duration::days(BASELINE_DAYS);
    let cats = (!filter.categories.is_empty()).then_some(&filter.categories);
    let srcs = (!filter.sources.is_empty()).then_some(&filter.sources);
    let counts = sqlx::query_as::<_, (String, i64, i64)>(
        "select unit, recent, baseline from stats.hotspot_counts($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(len)
    .bind(prefix)
    .bind(baseline_from)
    .bind(window.from)
    .bind(window.to)
    .bind(cats)
    .bind(srcs)
    .fetch_all(pool);
    let units = if level == AdminLevel::Village {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from admin_units where level = 'village' and code >= $1 and code < $1 || '~'",
        )
    } else {
        sqlx::query_scalar("select count(*) from grids where retired_at is null and code >= $1 and code < $1 || '~'")
    }
    .bind(prefix)
    .fetch_one(pool);
    let (counts, units) = tokio::try_join!(counts, units)?;
    let recent_days = window.days();
    let tests: Vec<surveillance::Test> =
        counts.iter().map(|(_, o, b)| surveillance::test(*o, *b, recent_days, BASELINE_DAYS as f64)).collect();
    let flagged = surveillance::flag(&tests, usize::try_from(units).unwrap_or(0).max(counts.len()), method);
    let codes: Vec<String> = flagged.iter().map(|(i, _)| counts[*i].0.clone()).collect();

    // Per flagged unit, its counts per 24 hours of the window, for "since when".
    let buckets = recent_days.ceil() as usize;
    // The unit as the expression the grid and village indexes of `incidents` are built on.
    let unit = if len == 15 { "grid_code" } else { "left(grid_code, 12)" };
    let daily: Vec<(String, i32, i64, DateTime<Utc>)> = sqlx::query_as(&format!(
        "select {unit}, floor(extract(epoch from reported_at - $1) / 86400)::integer, count(*)::bigint,
                min(reported_at)
         from incidents
         where reported_at >= $1 and reported_at < $2 and status <> 'duplicate' and {unit} = any($3)
           and ($4::text[] is null or category = any($4)) and ($5::text[] is null or source = any($5))
         group by 1, 2"
    ))
    .bind(window.from)
    .bind(window.to)
    .bind(&codes)
    .bind(cats)
    .bind(srcs)
    .fetch_all(pool)
    .await?;
    // Per unit: the count and the first incident of each 24 hours.
    let mut per_day: BTreeMap<&str, Vec<DayCount>> =
        codes.iter().map(|c| (c.as_str(), vec![(0, None); buckets.max(1)])).collect();
    for (code, d, n, first) in &daily {
        if let Some(v) = per_day.get_mut(code.as_str()) {
            let i = usize::try_from(*d).unwrap_or(0).min(v.len() - 1);
            v[i].0 += n;
            v[i].1 = Some(v[i].1.map_or(*first, |f| f.min(*first)));
        }
    }
    let info: Vec<(String, String, String, f64, f64, f64, f64)> = if level == AdminLevel::Village {
        sqlx::query_as(
            "select v.code, v.name, t.name, st_xmin(v.geom), st_ymin(v.geom), st_xmax(v.geom), st_ymax(v.geom)
             from admin_units v join admin_units t on t.code = v.parent_code where v.code = any($1)",
        )
    } else {
        sqlx::query_as(
            "select g.code, g.name, v.name, st_xmin(g.geom), st_ymin(g.geom), st_xmax(g.geom), st_ymax(g.geom)
             from current_grids g join admin_units v on v.code = g.village_code where g.code = any($1)",
        )
    }
    .bind(&codes)
    .fetch_all(pool)
    .await?;
    let info: BTreeMap<String, (String, String, [f64; 4])> =
        info.into_iter().map(|(c, n, p, a, b, x, y)| (c, (n, p, [a, b, x, y]))).collect();

    let warnings = flagged
        .iter()
        .map(|(i, q)| {
            let (code, observed, baseline) = &counts[*i];
            let t = tests[*i];
            let days = &per_day[code.as_str()];
            let daily_expected: Vec<f64> = (0..days.len())
                .map(|d| {
                    let covered = (recent_days - d as f64).clamp(0.0, 1.0);
                    t.expected * covered / recent_days
                })
                .collect();
            let counts: Vec<i64> = days.iter().map(|d| d.0).collect();
            let start = surveillance::since(&counts, &daily_expected);
            let since = days[start].1.unwrap_or(window.from + Duration::days(start as i64));
            let (name, parent_name, bbox) = info.get(code).cloned().unwrap_or_default();
            Hotspot {
                level,
                code: code.clone(),
                name,
                parent_name,
                observed: *observed,
                baseline: *baseline,
                expected: t.expected,
                ratio: (t.expected > 0.0).then(|| *observed as f64 / t.expected),
                p_value: t.p_value,
                q_value: *q,
                since: day_of(since.max(window.from)).to_string(),
                bbox,
            }
        })
        .collect();
    Ok(Hotspots {
        level,
        from: window.from.to_rfc3339(),
        to: window.to.to_rfc3339(),
        baseline_from: baseline_from.to_rfc3339(),
        baseline_to: window.from.to_rfc3339(),
        categories: filter.categories.iter().map(|c| (*c).to_owned()).collect(),
        sources: filter.sources.iter().map(|s| (*s).to_owned()).collect(),
        method: HotspotMethod {
            name: "exact conditional binomial test of the window's count against the unit's own baseline \
                   (Poisson rate ratio), Benjamini–Hochberg over all units in scope"
                .into(),
            fdr: method.fdr,
            min_count: method.min_count,
            baseline_days: BASELINE_DAYS,
        },
        units,
        warnings,
    })
}
