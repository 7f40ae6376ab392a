//! Counts of one unit per day or week and category (`/api/stats/timeseries`), with the same
//! period a year earlier where the data covers it.

use std::collections::BTreeMap;

use chrono::{Duration, Months, NaiveDate};
use citygrid_api::{SeriesPoint, TimeSeries, CATEGORIES, SOURCES};
use sqlx::PgPool;

use super::filter::{DayWindow, Filter, FilterError};
use super::summary::filter_pairs;
use super::units::{self, StatsResult};
use crate::scope::Scope;

/// The length of the intervals of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    /// Seven days from the window's start (the last interval may be shorter).
    Week,
}

impl Interval {
    pub fn parse(s: Option<&str>) -> Result<Interval, FilterError> {
        match s.map(str::trim).filter(|s| !s.is_empty()) {
            None | Some("day") => Ok(Interval::Day),
            Some("week") => Ok(Interval::Week),
            Some(other) => Err(FilterError::new("interval", format!("{other:?} is not day or week"))),
        }
    }

    fn days(self) -> i64 {
        match self {
            Interval::Day => 1,
            Interval::Week => 7,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
        }
    }
}

/// The same day a calendar year earlier (29 February → 28 February).
#[must_use]
pub fn year_before(d: NaiveDate) -> NaiveDate {
    d.checked_sub_months(Months::new(12)).unwrap_or(d - Duration::days(365))
}

/// Counts per day and category code of a unit.
async fn daily(
    pool: &PgPool,
    prefix: &str,
    days: DayWindow,
    filter: &Filter,
) -> StatsResult<BTreeMap<NaiveDate, BTreeMap<&'static str, i64>>> {
    let rows: Vec<(NaiveDate, i16, i64)> = sqlx::query_as("select day, pair, n from stats.unit_daily($1, $2, $3, $4)")
        .bind(prefix)
        .bind(days.from)
        .bind(days.to)
        .bind(filter_pairs(filter))
        .fetch_all(pool)
        .await?;
    let mut out: BTreeMap<NaiveDate, BTreeMap<&'static str, i64>> = BTreeMap::new();
    for (day, pair, n) in rows {
        let category = CATEGORIES[usize::try_from(pair).unwrap_or_default() / SOURCES.len()].code;
        *out.entry(day).or_default().entry(category).or_default() += n;
    }
    Ok(out)
}

/// The series of the unit `code` (`None`: the city, or the caller's county).
pub async fn timeseries(
    pool: &PgPool,
    scope: &Scope,
    code: Option<&str>,
    days: DayWindow,
    interval: Interval,
    filter: &Filter,
) -> StatsResult<TimeSeries> {
    let unit = units::resolve(pool, scope, code).await?;
    let data_from: Option<NaiveDate> = sqlx::query_scalar("select stats.data_from()").fetch_one(pool).await?;
    let now = daily(pool, unit.prefix(), days, filter).await?;
    let last_days = DayWindow { from: year_before(days.from), to: year_before(days.to) };
    let then = daily(pool, unit.prefix(), last_days, filter).await?;
    let codes = filter.category_codes();
    let sum = |m: &BTreeMap<NaiveDate, BTreeMap<&'static str, i64>>, a: NaiveDate, b: NaiveDate| {
        let mut by: BTreeMap<String, i64> = codes.iter().map(|c| ((*c).to_owned(), 0)).collect();
        for (_, cats) in m.range(a..b) {
            for (c, n) in cats {
                *by.entry((*c).to_owned()).or_default() += n;
            }
        }
        let total = by.values().sum();
        (total, by)
    };
    let mut points = Vec::new();
    let mut start = days.from;
    while start < days.to {
        let end = (start + Duration::days(interval.days())).min(days.to);
        let (total, by_category) = sum(&now, start, end);
        let (ly_from, ly_to) = (year_before(start), year_before(end));
        let covered = data_from.is_some_and(|d| d <= ly_from);
        let (ly_total, ly_by) = if covered {
            let (t, by) = sum(&then, ly_from, ly_to);
            (Some(t), Some(by))
        } else {
            (None, None)
        };
        points.push(SeriesPoint {
            start: start.to_string(),
            end: end.to_string(),
            total,
            by_category,
            last_year_total: ly_total,
            last_year_by_category: ly_by,
        });
        start = end;
    }
    Ok(TimeSeries {
        level: unit.level,
        code: unit.code.clone(),
        name: unit.name,
        interval: interval.name().to_owned(),
        from: days.from.to_string(),
        to: days.to.to_string(),
        categories: filter.categories.iter().map(|c| (*c).to_owned()).collect(),
        sources: filter.sources.iter().map(|s| (*s).to_owned()).collect(),
        data_from: data_from.map(|d| d.to_string()),
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_before_is_a_calendar_year() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(year_before(d(2026, 12, 1)), d(2025, 12, 1));
        assert_eq!(year_before(d(2028, 2, 29)), d(2027, 2, 28));
        assert_eq!(Interval::parse(None), Ok(Interval::Day));
        assert_eq!(Interval::parse(Some("week")), Ok(Interval::Week));
        assert_eq!(Interval::parse(Some("month")).expect_err("month").field, "interval");
    }
}
