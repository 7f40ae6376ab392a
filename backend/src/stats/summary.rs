//! The figures of a unit and of each of its children (`/api/stats/summary`), with the
//! definitions of `citygrid_api::stats`.
//!
//! Counts, closures, escalations, resolution levels and handling-time histograms come from
//! `stats.unit_rows` (the cube for whole months and county days, the raw incidents for the
//! rest), for grids from `stats.grid_rows` (the grid packs, the raw incidents for partial
//! days); overdue incidents are counted live (they depend on the time of the request); the
//! residents from `stats.population`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use citygrid_api::{AdminLevel, StatsSummary, StatsUnits, UnitStats, CATEGORIES, SOURCES};
use sqlx::PgPool;

use super::filter::{Filter, FilterError, Window};
use super::units::{self, StatsResult, Unit};
use crate::incidents::OPEN_STATUSES;
use crate::scope::Scope;

/// Handling-time histogram bins (`stats.handling_bin`): bin 0 under a minute, bin b ≥ 1 holds
/// [2^((b−1)/3), 2^(b/3)) minutes, the last bin everything longer.
pub const BINS: usize = 61;
/// Bins per octave.
pub const BINS_PER_OCTAVE: f64 = 3.0;

/// The value a percentile in `bin` is reported as, in hours: the bin's geometric middle
/// (half a minute for bin 0, the lower edge for the open last bin).
#[must_use]
pub fn bin_hours(bin: usize) -> f64 {
    let minutes = match bin {
        0 => 0.5,
        b if b + 1 >= BINS => 2f64.powf((b as f64 - 1.0) / BINS_PER_OCTAVE),
        b => 2f64.powf((b as f64 - 0.5) / BINS_PER_OCTAVE),
    };
    minutes / 60.0
}

/// The `p` percentile (`percentile_disc`: the smallest value with at least p·N values at or
/// below it) of a histogram, as [`bin_hours`]; `None` when it is empty.
#[must_use]
pub fn percentile_hours(hist: &[i64], p: f64) -> Option<f64> {
    let total: i64 = hist.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = ((p * total as f64).ceil() as i64).max(1);
    let mut seen = 0;
    for (bin, n) in hist.iter().enumerate() {
        seen += n;
        if seen >= rank {
            return Some(bin_hours(bin));
        }
    }
    None
}

/// Additive measures of a set of incidents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measures {
    pub incidents: i64,
    pub escalated: i64,
    /// Resolved or closed, by escalation level 0..=3.
    pub resolved: [i64; 4],
    pub hist: [i64; BINS],
    /// By category × source pair (`stats.heat_pairs`: category index × 5 + source index).
    pub by_pair: [i64; 65],
    pub overdue: i64,
}

impl Default for Measures {
    fn default() -> Self {
        Measures { incidents: 0, escalated: 0, resolved: [0; 4], hist: [0; BINS], by_pair: [0; 65], overdue: 0 }
    }
}

impl Measures {
    fn add(&mut self, o: &Measures) {
        self.incidents += o.incidents;
        self.escalated += o.escalated;
        self.overdue += o.overdue;
        for (a, b) in self.resolved.iter_mut().zip(o.resolved) {
            *a += b;
        }
        for (a, b) in self.hist.iter_mut().zip(o.hist) {
            *a += b;
        }
        for (a, b) in self.by_pair.iter_mut().zip(o.by_pair) {
            *a += b;
        }
    }

    /// The figures of a unit.
    #[must_use]
    pub fn figures(&self, unit: &Unit, residents: i64, filter: &Filter) -> UnitStats {
        let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
        let resolved: i64 = self.resolved.iter().sum();
        let by_category: BTreeMap<String, i64> = filter
            .category_codes()
            .into_iter()
            .map(|c| {
                let ci = CATEGORIES.iter().position(|x| x.code == c).unwrap_or_default();
                (c.to_owned(), (0..SOURCES.len()).map(|si| self.by_pair[ci * SOURCES.len() + si]).sum())
            })
            .collect();
        let by_source: BTreeMap<String, i64> = filter
            .source_codes()
            .into_iter()
            .map(|s| {
                let si = SOURCES.iter().position(|x| x.code == s).unwrap_or_default();
                (s.to_owned(), (0..CATEGORIES.len()).map(|ci| self.by_pair[ci * SOURCES.len() + si]).sum())
            })
            .collect();
        let grid_village = self.resolved[0] + self.resolved[1];
        UnitStats {
            level: unit.level,
            code: unit.code.clone(),
            name: unit.name.clone(),
            residents,
            incidents: self.incidents,
            per_1000_residents: ratio(self.incidents * 1000, residents),
            by_category,
            by_source,
            resolved,
            closure_rate: ratio(resolved, self.incidents),
            handling_median_hours: percentile_hours(&self.hist, 0.5),
            handling_p90_hours: percentile_hours(&self.hist, 0.9),
            resolved_grid_village: grid_village,
            resolved_township: self.resolved[2],
            resolved_county: self.resolved[3],
            share_grid_village: ratio(grid_village, resolved),
            share_township: ratio(self.resolved[2], resolved),
            share_county: ratio(self.resolved[3], resolved),
            overdue: self.overdue,
            escalated: self.escalated,
        }
    }
}

/// The pairs a filter admits (`None`: all), numbered like `stats.heat_pairs`.
#[must_use]
pub fn filter_pairs(filter: &Filter) -> Option<Vec<i16>> {
    if filter.categories.is_empty() && filter.sources.is_empty() {
        return None;
    }
    let mut pairs = Vec::new();
    for (ci, c) in CATEGORIES.iter().enumerate() {
        for (si, s) in SOURCES.iter().enumerate() {
            if filter.admits(c.code, s.code) {
                pairs.push((ci * SOURCES.len() + si) as i16);
            }
        }
    }
    Some(pairs)
}

/// The measures of the units of code length `child_len` under `prefix` ('' for the city) for
/// the window and filter, by unit code, with overdue incidents counted at `now`.
pub async fn measures(
    pool: &PgPool,
    child_len: i32,
    prefix: &str,
    window: Window,
    filter: &Filter,
    now: DateTime<Utc>,
) -> StatsResult<BTreeMap<String, Measures>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        code: String,
        pair: i16,
        n: i64,
        escalated: i64,
        resolved: Vec<i32>,
        hist: Vec<i32>,
    }
    let open = OPEN_STATUSES.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    // Overdue incidents are open ones: `incidents_open_grid_due_idx` holds them.
    let overdue_sql = format!(
        "select left(i.grid_code, $1), count(*) from incidents i
         where i.status in ({open}) and i.reported_at >= $2 and i.reported_at < $3
           and i.grid_code >= $4 and i.grid_code < $4 || '~'
           and ($5::text[] is null or i.category = any($5)) and ($6::text[] is null or i.source = any($6))
           and i.due_at < $7
         group by 1"
    );
    let overdue = sqlx::query_as::<_, (String, i64)>(&overdue_sql)
        .bind(child_len)
        .bind(window.from)
        .bind(window.to)
        .bind(prefix)
        .bind((!filter.categories.is_empty()).then_some(&filter.categories))
        .bind((!filter.sources.is_empty()).then_some(&filter.sources))
        .bind(now)
        .fetch_all(pool);
    let pairs = filter_pairs(filter);
    if child_len == 15 {
        // Grids: their packs, added up here.
        let (mut out, overdue) = tokio::try_join!(grid_measures(pool, prefix, window, pairs.as_deref()), overdue)?;
        for (code, n) in overdue {
            out.entry(code).or_default().overdue += n;
        }
        return Ok(out);
    }
    let rows = sqlx::query_as::<_, Row>(
        "select code, pair, n, escalated, resolved, hist from stats.unit_rows($1, $2, $3, $4, $5)",
    )
    .bind(child_len)
    .bind(prefix)
    .bind(window.from)
    .bind(window.to)
    .bind(&pairs)
    .fetch_all(pool);
    // Two connections: the cube and the open incidents are read at the same time.
    let (rows, overdue) = tokio::try_join!(rows, overdue)?;
    let mut out: BTreeMap<String, Measures> = BTreeMap::new();
    for r in rows {
        let m = out.entry(r.code).or_default();
        m.incidents += r.n;
        m.escalated += r.escalated;
        m.by_pair[usize::try_from(r.pair).unwrap_or_default().min(64)] += r.n;
        for (a, b) in m.resolved.iter_mut().zip(&r.resolved) {
            *a += i64::from(*b);
        }
        for (a, b) in m.hist.iter_mut().zip(&r.hist) {
            *a += i64::from(*b);
        }
    }
    for (code, n) in overdue {
        out.entry(code).or_default().overdue += n;
    }
    Ok(out)
}

/// The measures of every grid under `prefix` ('' for the city, or a grid's own code) for the
/// window and the pairs admitted (`None`: all), from the packs of `stats.grid_rows` (overdue
/// left at 0).
async fn grid_measures(
    pool: &PgPool,
    prefix: &str,
    window: Window,
    pairs: Option<&[i16]>,
) -> Result<BTreeMap<String, Measures>, sqlx::Error> {
    let mut admitted = [pairs.is_none(); 65];
    for p in pairs.unwrap_or_default() {
        if let Some(a) = usize::try_from(*p).ok().and_then(|p| admitted.get_mut(p)) {
            *a = true;
        }
    }
    let rows = sqlx::query_as::<_, (String, Vec<i32>, Vec<i32>, Vec<i32>)>(
        "select code, keys, n, escalated from stats.grid_rows($1, $2, $3)",
    )
    .bind(prefix)
    .bind(window.from)
    .bind(window.to)
    .fetch_all(pool)
    .await?;
    let mut out: BTreeMap<String, Measures> = BTreeMap::new();
    for (code, keys, ns, escalated) in rows {
        let m = out.entry(code).or_default();
        for ((key, n), e) in keys.into_iter().zip(ns).zip(escalated) {
            // `stats.grid_fact_key`: (pair × 5 + res_level + 1) × 62 + bin + 1.
            let key = usize::try_from(key).unwrap_or_default();
            let (pair, res_level, bin) = (key / 310, (key / 62) % 5, key % 62);
            if !admitted.get(pair).copied().unwrap_or(false) {
                continue;
            }
            let (n, e) = (i64::from(n), i64::from(e));
            m.incidents += n;
            m.escalated += e;
            m.by_pair[pair] += n;
            if res_level > 0 {
                m.resolved[res_level - 1] += n;
            }
            if bin > 0 {
                m.hist[bin - 1] += n;
            }
        }
    }
    // A grid whose admitted pairs had no incidents has none.
    out.retain(|_, m| m.incidents > 0);
    Ok(out)
}

/// Residents per unit code.
pub async fn residents(pool: &PgPool, codes: &[String]) -> StatsResult<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = sqlx::query_as("select code, residents from stats.population where code = any($1)")
        .bind(codes)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The figures of the unit `code` (`None`: the city, or the caller's county) and of each of its
/// children.
pub async fn summary(
    pool: &PgPool,
    scope: &Scope,
    code: Option<&str>,
    window: Window,
    filter: &Filter,
    now: DateTime<Utc>,
) -> StatsResult<StatsSummary> {
    let unit = units::resolve(pool, scope, code).await?;
    let (by_child, mut children) = match unit.child_len() {
        Some(len) => {
            tokio::try_join!(measures(pool, len, unit.prefix(), window, filter, now), units::children(pool, &unit))?
        }
        None => (measures(pool, 15, &unit.code, window, filter, now).await?, Vec::new()),
    };
    // Units with incidents but no longer in the hierarchy (a grid retired by a plan keeps its
    // closed incidents) are children too, so that the children add up to the unit.
    if unit.level != AdminLevel::Grid {
        let missing: Vec<String> =
            by_child.keys().filter(|c| !children.iter().any(|(k, _)| k == *c)).cloned().collect();
        if !missing.is_empty() {
            children.extend(units::names(pool, &missing).await?);
            children.sort();
        }
    }
    let mut codes: Vec<String> = children.iter().map(|(c, _)| c.clone()).collect();
    codes.push(unit.code.clone());
    let residents = residents(pool, &codes).await?;
    let mut total = Measures::default();
    for m in by_child.values() {
        total.add(m);
    }
    let unit_residents = if unit.level == AdminLevel::City {
        children.iter().map(|(c, _)| residents.get(c).copied().unwrap_or(0)).sum()
    } else {
        residents.get(&unit.code).copied().unwrap_or(0)
    };
    let child_level = units::level_of_len(unit.child_len().unwrap_or(15) as usize).unwrap_or(AdminLevel::Grid);
    let children = figures_of(child_level, children, &by_child, &residents, filter);
    Ok(StatsSummary {
        from: window.from.to_rfc3339(),
        to: window.to.to_rfc3339(),
        categories: filter.categories.iter().map(|c| (*c).to_owned()).collect(),
        sources: filter.sources.iter().map(|s| (*s).to_owned()).collect(),
        unit: total.figures(&unit, unit_residents, filter),
        children,
    })
}

/// The figures of the units `named` (code, name) of `level` from their measures (zeros for a
/// unit without incidents) and residents.
fn figures_of(
    level: AdminLevel,
    named: Vec<(String, String)>,
    measures: &BTreeMap<String, Measures>,
    residents: &BTreeMap<String, i64>,
    filter: &Filter,
) -> Vec<UnitStats> {
    let empty = Measures::default();
    named
        .into_iter()
        .map(|(code, name)| {
            let r = residents.get(&code).copied().unwrap_or(0);
            let m = measures.get(&code).unwrap_or(&empty);
            m.figures(&Unit { level, code, name }, r, filter)
        })
        .collect()
}

/// The figures of every current unit of `level` (grids that are not retired) inside the unit
/// `within` (`None`: the city, or the caller's county), zeros included, with the measures
/// and definitions of the summary's children: what a choropleth of the whole city colours.
pub async fn level_units(
    pool: &PgPool,
    scope: &Scope,
    level: AdminLevel,
    within: Option<&str>,
    window: Window,
    filter: &Filter,
    now: DateTime<Utc>,
) -> StatsResult<StatsUnits> {
    let parent = units::resolve(pool, scope, within).await?;
    let len: i32 = match level {
        AdminLevel::City => 0,
        AdminLevel::County => 6,
        AdminLevel::Township => 9,
        AdminLevel::Village => 12,
        AdminLevel::Grid => 15,
    };
    if len as usize <= parent.prefix().len() {
        return Err(FilterError::new(
            "level",
            format!("{} {} holds no {} units", units::level_name(parent.level), parent.code, units::level_name(level)),
        )
        .into());
    }
    let named = units::of_level(pool, level, parent.prefix()).await?;
    let codes: Vec<String> = named.iter().map(|(c, _)| c.clone()).collect();
    let residents = residents(pool, &codes).await?;
    let by_unit = measures(pool, len, parent.prefix(), window, filter, now).await?;
    Ok(StatsUnits {
        from: window.from.to_rfc3339(),
        to: window.to.to_rfc3339(),
        categories: filter.categories.iter().map(|c| (*c).to_owned()).collect(),
        sources: filter.sources.iter().map(|s| (*s).to_owned()).collect(),
        within: parent.code,
        level,
        units: figures_of(level, named, &by_unit, &residents, filter),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_bin_of_the_exact_rank() {
        let mut hist = [0i64; BINS];
        assert_eq!(percentile_hours(&hist, 0.5), None);
        hist[4] = 3; // [2, 2.52) minutes
        hist[10] = 1; // [8, 10.08) minutes
        let median = percentile_hours(&hist, 0.5).expect("median");
        assert!((median * 60.0 - 2f64.powf(3.5 / 3.0)).abs() < 1e-12);
        // The 90th percentile of 4 values is the 4th (ceil(3.6)).
        let p90 = percentile_hours(&hist, 0.9).expect("p90") * 60.0;
        assert!(p90 > 8.0 && p90 < 10.08, "{p90}");
        // The middle of a bin is within 2^(1/6) of its edges.
        for b in 1..BINS - 1 {
            let mid = bin_hours(b) * 60.0;
            let (lo, hi) = (2f64.powf((b as f64 - 1.0) / 3.0), 2f64.powf(b as f64 / 3.0));
            assert!((mid / lo - 2f64.powf(1.0 / 6.0)).abs() < 1e-9 && (hi / mid - 2f64.powf(1.0 / 6.0)).abs() < 1e-9);
        }
    }

    #[test]
    fn filters_map_to_pairs() {
        assert_eq!(filter_pairs(&Filter::default()), None);
        let f = Filter::parse(Some("dispute.family"), Some("patrol,video")).expect("filter");
        assert_eq!(filter_pairs(&f), Some(vec![6, 8]));
        let m = Measures { by_pair: std::array::from_fn(|i| i as i64), incidents: 1, ..Measures::default() };
        let unit = Unit { level: AdminLevel::Grid, code: "1".into(), name: "g".into() };
        let s = m.figures(&unit, 0, &f);
        assert_eq!(s.by_category, BTreeMap::from([("dispute.family".into(), 5 + 6 + 7 + 8 + 9)]));
        assert_eq!(s.by_source["video"], (0..13).map(|c| c * 5 + 3).sum::<i64>());
        assert_eq!(s.per_1000_residents, None);
    }
}
