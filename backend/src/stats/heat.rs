//! Heat tiles of incidents (layer `incidents_heat`): which cells each zoom draws, the query the
//! proxy sends martin, the freshness token of a window, and the reference scale that makes
//! heat comparable across zooms, windows and filters.
//!
//! The tiles are made by `tiles.incidents_heat` (migration `0050_heat_rollups.sql`) from the
//! rollups that the triggers on `incidents` keep current; this module only reads.

use std::fmt::Write as _;

use anyhow::Context as _;
use chrono::NaiveDate;
use citygrid_api::{HeatBand, HeatScale, HeatTiles};
use sqlx::PgPool;

use super::filter::{DayWindow, Filter, FilterError};

/// The layer name (catalogue, URL, MVT layer, `layer_versions`).
pub const LAYER: &str = "incidents_heat";

/// From this zoom on, cells are counted from the raw incident points.
pub const RAW_ZOOM: u8 = 15;

/// The default window of the map: the last 28 days, today included.
pub const DEFAULT_DAYS: i64 = 28;

/// The side of a cell of level `level` in EPSG:3857 metres.
#[must_use]
pub fn cell_m(level: u8) -> f64 {
    40_075_016.685_578_49 / f64::from(1u32 << level)
}

/// What a tile of zoom `z` reads and draws: the stored rollup level (`None`: raw points) and
/// the level of the cells it draws (32 per tile side = 16 px at 512 px tiles; 16 per side at
/// zooms 9, 11 and 13). The same table as `tiles.incidents_heat`.
#[must_use]
pub fn levels(z: u8) -> (Option<u8>, u8) {
    match z {
        0..=9 => (Some(13), (z + 5).min(13)),
        10 | 11 => (Some(15), 15),
        12 | 13 => (Some(17), 17),
        14 => (Some(19), 19),
        _ => (None, z + 5),
    }
}

/// A heat request: the days, the filter and the county (the caller's scope, never the
/// client's).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeatQuery {
    pub days: DayWindow,
    pub filter: Filter,
    pub county: Option<String>,
}

impl HeatQuery {
    /// From query-string pairs: `from`, `to` (YYYY-MM-DD; absent: the [`DEFAULT_DAYS`] up to
    /// `today`), `category`, `source` (repeated parameters add up). Every other parameter is
    /// ignored (a client cannot choose the county: `county` comes from the caller's scope).
    pub fn parse(pairs: &[(String, String)], today: NaiveDate, county: Option<&str>) -> Result<HeatQuery, FilterError> {
        let joined = |name: &str| -> Option<String> {
            let values: Vec<&str> = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect();
            (!values.is_empty()).then(|| values.join(","))
        };
        let (from, to) = (joined("from"), joined("to"));
        let days = if from.is_none() && to.is_none() {
            DayWindow::ending_today(today, DEFAULT_DAYS)
        } else {
            DayWindow::parse(from.as_deref(), to.as_deref())?
        };
        let filter = Filter::parse(joined("category").as_deref(), joined("source").as_deref())?;
        Ok(HeatQuery { days, filter, county: county.map(str::to_owned) })
    }

    /// The normalised query string of the client's tile URL (without `t` and `v`).
    #[must_use]
    pub fn client_query(&self) -> String {
        let mut q = format!("from={}&to={}", self.days.from, self.days.to);
        if !self.filter.categories.is_empty() {
            let _ = write!(q, "&category={}", self.filter.categories.join(","));
        }
        if !self.filter.sources.is_empty() {
            let _ = write!(q, "&source={}", self.filter.sources.join(","));
        }
        q
    }

    /// The query string sent to martin: the client's, the county, the layer version and the
    /// token. Equal requests give equal strings, so they share one entry of martin's cache.
    #[must_use]
    pub fn martin_query(&self, version: i64, token: i64) -> String {
        let mut q = self.client_query();
        if let Some(c) = &self.county {
            let _ = write!(q, "&county={c}");
        }
        let _ = write!(q, "&v={version}&t={token}");
        q
    }
}

/// The freshness token of a window: the sum of the change counters of its days, which every
/// statement that changes a day's counts bumps. It changes exactly when the window's tiles may
/// have changed, so a tile URL carrying it can be cached forever.
pub async fn token(pool: &PgPool, days: DayWindow) -> sqlx::Result<i64> {
    sqlx::query_scalar("select coalesce(sum(seq), 0)::bigint from stats.heat_changes where day >= $1 and day < $2")
        .bind(days.from)
        .bind(days.to)
        .fetch_one(pool)
        .await
}

/// The tile URL template (under `origin`) and freshness of a heat request.
#[must_use]
pub fn tiles(origin: &str, q: &HeatQuery, version: i64, token: i64) -> HeatTiles {
    HeatTiles {
        tiles: format!("{origin}/tiles/{LAYER}/{{z}}/{{x}}/{{y}}?{}&v={version}&t={token}", q.client_query()),
        from: q.days.from.to_string(),
        to: q.days.to.to_string(),
        categories: q.filter.categories.iter().map(|c| (*c).to_owned()).collect(),
        sources: q.filter.sources.iter().map(|s| (*s).to_owned()).collect(),
        token: token.to_string(),
        version,
    }
}

/// The percentile the reference is taken at.
pub const REFERENCE_PERCENTILE: f64 = 0.99;

/// The reference scale: per zoom band, the 99th-percentile count of the cells with incidents
/// (the cells that band draws, over the caller's county or the city). A style that weighs a
/// feature by `count / reference` gives the same picture for a week and a year. For raw zooms
/// (15+) the reference is the z14 one divided by the cell area ratio (4 per zoom), at least 1.
pub async fn scale(pool: &PgPool, q: &HeatQuery) -> anyhow::Result<HeatScale> {
    let cats = (!q.filter.categories.is_empty()).then(|| q.filter.categories.clone());
    let srcs = (!q.filter.sources.is_empty()).then(|| q.filter.sources.clone());
    // Per drawn level, the percentile of its cells: levels 5..=13 from the level-13 rollup
    // (coarsened), and the other stored levels as they are.
    let rows: Vec<(i16, i64, i64)> = sqlx::query_as(
        "with pairs as (select stats.heat_filter_pairs($3, $4) as p),
              cells as (
                  select s.lvl, t.lvl as target, c.q >> (2 * (s.lvl - t.lvl)) as cell, sum(c.n) as n
                  from (values (13), (15), (17), (19)) s (lvl)
                  cross join lateral stats.heat_cells(s.lvl, $1, $2, (select p from pairs), $5, 0, 9223372036854775807) c
                  cross join lateral generate_series(case when s.lvl = 13 then 5 else s.lvl end, s.lvl) t (lvl)
                  group by 1, 2, 3
              )
         select target::smallint, (percentile_disc($6) within group (order by n))::bigint, count(*)::bigint
         from cells group by target order by target",
    )
    .bind(q.days.from)
    .bind(q.days.to)
    .bind(&cats)
    .bind(&srcs)
    .bind(&q.county)
    .bind(REFERENCE_PERCENTILE)
    .fetch_all(pool)
    .await
    .context("computing the heat scale")?;
    let at = |level: u8| rows.iter().find(|r| r.0 == i16::from(level)).map_or((1, 0), |r| (r.1.max(1), r.2));
    let mut bands: Vec<HeatBand> = Vec::new();
    for z in 0..=22u8 {
        let (stored, level) = levels(z);
        let (reference, cells) = if stored.is_some() {
            at(level)
        } else {
            let (r14, _) = at(levels(14).1);
            ((r14 >> (2 * u32::from(z - 14))).max(1), 0)
        };
        match bands.last_mut() {
            Some(b) if b.cell_level == level && b.reference == reference => b.maxzoom = z,
            Some(b) if stored.is_none() && b.raw && b.reference == reference => b.maxzoom = z,
            _ => bands.push(HeatBand {
                minzoom: z,
                maxzoom: z,
                cell_level: level,
                cell_m: cell_m(level),
                reference,
                cells,
                raw: stored.is_none(),
            }),
        }
    }
    Ok(HeatScale {
        from: q.days.from.to_string(),
        to: q.days.to.to_string(),
        categories: q.filter.categories.iter().map(|c| (*c).to_owned()).collect(),
        sources: q.filter.sources.iter().map(|s| (*s).to_owned()).collect(),
        percentile: REFERENCE_PERCENTILE,
        bands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn levels_follow_the_tile_function() {
        assert_eq!(levels(0), (Some(13), 5));
        assert_eq!(levels(8), (Some(13), 13));
        assert_eq!(levels(9), (Some(13), 13));
        assert_eq!(levels(11), (Some(15), 15));
        assert_eq!(levels(14), (Some(19), 19));
        assert_eq!(levels(15), (None, 20));
        for z in 0..=22u8 {
            let (stored, level) = levels(z);
            assert!(level >= z + 4 && level <= z + 5, "z{z}: 16 or 32 cells per side");
            assert!(stored.is_none_or(|s| s >= level), "z{z}");
        }
        assert!((cell_m(19) - 76.437_028_285_176_25).abs() < 1e-9);
    }

    #[test]
    fn queries_are_normalised_and_the_county_is_never_the_clients() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let q = HeatQuery::parse(
            &pairs(&[
                ("to", "2026-12-02"),
                ("source", "video"),
                ("category", "alarm.fire,dispute.labor"),
                ("county", "320803"),
                ("from", "2026-11-01"),
                ("category", "alarm.fire"),
                ("zzz", "1"),
            ]),
            today,
            Some("320812"),
        )
        .expect("query");
        assert_eq!(q.client_query(), "from=2026-11-01&to=2026-12-02&category=dispute.labor,alarm.fire&source=video");
        assert_eq!(
            q.martin_query(3, 17),
            "from=2026-11-01&to=2026-12-02&category=dispute.labor,alarm.fire&source=video&county=320812&v=3&t=17"
        );
        let d = HeatQuery::parse(&[], today, None).expect("default");
        assert_eq!((d.days.from.to_string(), d.days.to.to_string()), ("2026-11-04".into(), "2026-12-02".into()));
        assert_eq!(d.martin_query(1, 0), "from=2026-11-04&to=2026-12-02&v=1&t=0");
        assert_eq!(HeatQuery::parse(&pairs(&[("from", "2026-11-01")]), today, None).expect_err("to").field, "to");
        assert_eq!(HeatQuery::parse(&pairs(&[("category", "x")]), today, None).expect_err("cat").field, "category");
    }
}
