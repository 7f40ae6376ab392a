//! Statistics for the command view: figures per unit, time series, hotspot warnings, and heat
//! tiles of incidents with their reference scale.
//!
//! Definitions shared by every statistic:
//! - **Window** `[from, to)`: incidents by `reported_at`, days being Asia/Shanghai days;
//!   `from`/`to` are `YYYY-MM-DD` (midnight, Asia/Shanghai) or RFC 3339 date-times, `to`
//!   exclusive, at most three years apart.
//! - **Counted incidents**: every incident except duplicates (status `duplicate`), in the unit
//!   of the grid it belongs to (`grid_code`: where it was reported, or where a boundary plan
//!   re-routed it).
//! - **Filters**: `category` is a comma-separated list of category codes or families
//!   (`dispute`, `alarm`, `citizen`), `source` of source codes; absent means all.
//! - **Scope**: a county-scoped user gets their county's figures; asking for the city gives
//!   their county, asking for a unit of another county is `403 outside_scope`.
//!
//! Figures of a unit ([`UnitStats`]):
//! - `incidents`, `by_category`, `by_source`: counted incidents of the window;
//!   `per_1000_residents` = incidents / residents × 1000 (residents: the sum over the unit's
//!   buildings).
//! - `closure_rate` (办结率) = incidents of the window now resolved or closed / incidents of the
//!   window.
//! - Handling time = `resolved_at − reported_at` of the resolved and closed incidents of the
//!   window: `handling_median_hours`, `handling_p90_hours`, from a histogram with bins a third of
//!   an octave wide (bin b ≥ 1 holds [2^((b−1)/3), 2^(b/3)) minutes, bin 0 under a minute): the
//!   figure is the geometric middle of the bin holding the exact percentile (the
//!   `percentile_disc` value), so it is within 12.2 % of it.
//! - Level of resolution: shares of the resolved and closed incidents whose escalation level
//!   at resolution was grid or village (0–1), township (2) or county (3) — "小事不出村、大事不出镇".
//! - `overdue`: incidents of the window still open past their current step's SLA deadline (the
//!   SLA as it is now, at the time of the request); `escalated`: incidents of the window that
//!   reached level 1 or higher.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::AdminLevel;

/// The figures of one unit (see the module docs for the definitions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitStats {
    pub level: AdminLevel,
    /// Statistical code: 6 digits for the city (320800) and counties, 9 townships, 12 villages,
    /// 15 grids.
    pub code: String,
    pub name: String,
    pub residents: i64,
    pub incidents: i64,
    /// Incidents per 1,000 residents; `null` without residents.
    pub per_1000_residents: Option<f64>,
    /// Every category of the filter (zeros included), by code.
    pub by_category: BTreeMap<String, i64>,
    /// Every source of the filter (zeros included), by code.
    pub by_source: BTreeMap<String, i64>,
    /// Resolved or closed now.
    pub resolved: i64,
    /// `resolved / incidents`; `null` without incidents.
    pub closure_rate: Option<f64>,
    pub handling_median_hours: Option<f64>,
    pub handling_p90_hours: Option<f64>,
    /// Resolved at escalation level 0 (grid) or 1 (village).
    pub resolved_grid_village: i64,
    /// Resolved at level 2 (township).
    pub resolved_township: i64,
    /// Resolved at level 3 (county centre).
    pub resolved_county: i64,
    /// Shares of `resolved` (`null` when nothing was resolved).
    pub share_grid_village: Option<f64>,
    pub share_township: Option<f64>,
    pub share_county: Option<f64>,
    pub overdue: i64,
    pub escalated: i64,
}

/// `GET /api/stats/summary`: a unit and each of its children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatsSummary {
    /// RFC 3339.
    pub from: String,
    pub to: String,
    pub categories: Vec<String>,
    pub sources: Vec<String>,
    pub unit: UnitStats,
    /// Counties of the city, townships of a county, villages of a township, grids of a village;
    /// empty for a grid. Ordered by code.
    pub children: Vec<UnitStats>,
}

/// `GET /api/stats/units`: every current unit of one level (grids that are not retired) inside
/// a unit (the city, or the caller's county, by default), zeros included, each with the
/// figures of [`UnitStats`]: what a choropleth of the whole city colours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatsUnits {
    /// RFC 3339.
    pub from: String,
    pub to: String,
    pub categories: Vec<String>,
    pub sources: Vec<String>,
    /// The code of the unit they lie in (the city's `320800`, or a county's, township's…).
    pub within: String,
    pub level: AdminLevel,
    /// Ordered by code.
    pub units: Vec<UnitStats>,
}

/// One interval of a time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeriesPoint {
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// The day after the last (exclusive).
    pub end: String,
    pub total: i64,
    /// Every category of the filter, by code.
    pub by_category: BTreeMap<String, i64>,
    /// The same days a year earlier (`start` and `end` minus one calendar year); `null` when the
    /// data does not cover them.
    pub last_year_total: Option<i64>,
    pub last_year_by_category: Option<BTreeMap<String, i64>>,
}

/// `GET /api/stats/timeseries`: counts per day or week (7-day intervals from `from`; the last
/// one may be shorter) of one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeSeries {
    pub level: AdminLevel,
    pub code: String,
    pub name: String,
    /// `day` or `week`.
    pub interval: String,
    /// `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub categories: Vec<String>,
    pub sources: Vec<String>,
    /// The first day with data (`null` for an empty database): last year's figures exist from
    /// here on.
    pub data_from: Option<String>,
    pub points: Vec<SeriesPoint>,
}

/// How hotspots are found (the parameters of [`Hotspots`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HotspotMethod {
    /// A description of the test.
    pub name: String,
    /// The false discovery rate of the Benjamini–Hochberg procedure over all units in scope.
    pub fdr: f64,
    /// The fewest recent incidents a warning needs.
    pub min_count: i64,
    /// The baseline: this many days before `from`.
    pub baseline_days: i64,
}

/// One early warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hotspot {
    pub level: AdminLevel,
    pub code: String,
    pub name: String,
    /// The village (for a grid) or township (for a village).
    pub parent_name: String,
    /// Incidents in the window.
    pub observed: i64,
    /// Incidents in the baseline.
    pub baseline: i64,
    /// What the baseline rate predicts for the window: `baseline × window / baseline length`.
    pub expected: f64,
    /// `observed / expected` (`null` when nothing was expected).
    pub ratio: Option<f64>,
    /// One-sided exact p-value of the rise.
    pub p_value: f64,
    /// Benjamini–Hochberg adjusted p-value (≤ the method's `fdr`).
    pub q_value: f64,
    /// The day (`YYYY-MM-DD`, Asia/Shanghai) the excess began: the window is cut into 24-hour
    /// stretches from its start; of the stretches from which on observed exceeds expected the
    /// most (the CUSUM change point), the day of its first incident.
    pub since: String,
    /// `[minLon, minLat, maxLon, maxLat]` of the unit, to fly to.
    pub bbox: [f64; 4],
}

/// `GET /api/stats/hotspots`: units whose recent count rises significantly above their own
/// baseline, most significant first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hotspots {
    pub level: AdminLevel,
    /// RFC 3339.
    pub from: String,
    pub to: String,
    pub baseline_from: String,
    pub baseline_to: String,
    pub categories: Vec<String>,
    pub sources: Vec<String>,
    pub method: HotspotMethod,
    /// Units in scope (all of them count in the false-discovery control).
    pub units: i64,
    pub warnings: Vec<Hotspot>,
}

/// `GET /api/stats/heat-tiles`: where the heat tiles of a window and filter are, and their
/// freshness token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeatTiles {
    /// The tile URL template (MapLibre `tiles`): the normalised filter, the layer version `v`
    /// and the token `t`. A tile fetched with the current `v` and `t` never changes
    /// (`Cache-Control: immutable`); when either is stale the tile is fresh but must be
    /// revalidated.
    pub tiles: String,
    /// The window's first day, `YYYY-MM-DD`.
    pub from: String,
    /// The day after the window's last, `YYYY-MM-DD`.
    pub to: String,
    /// The categories counted (empty: all), sorted and without duplicates.
    pub categories: Vec<String>,
    /// The sources counted (empty: all).
    pub sources: Vec<String>,
    /// Changes exactly when an incident of the window is added, removed, marked duplicate or
    /// moved: poll this endpoint (every 30 s is plenty) and swap the tile URL when it changes.
    pub token: String,
    /// The layer version (bumped by a rollup rebuild).
    pub version: i64,
}

/// One zoom band of the heat scale: the zooms that draw cells of the same size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeatBand {
    pub minzoom: u8,
    pub maxzoom: u8,
    /// The cells drawn are the XYZ tiles of this level (EPSG:3857 squares).
    pub cell_level: u8,
    /// Their side in EPSG:3857 metres (on the ground, times cos(latitude): ×0.83 in Huai'an).
    pub cell_m: f64,
    /// The 99th-percentile `count` of the cells with incidents in this band (at least 1): weigh
    /// a feature by `count / reference`. For raw bands (zoom 15 and up) the z14 reference
    /// divided by 4 per zoom (cells a quarter the area), at least 1.
    pub reference: i64,
    /// How many cells had incidents (0 for raw bands, which are not counted).
    pub cells: i64,
    /// True where cells are counted from the raw incident points (zoom 15 and up).
    pub raw: bool,
}

/// `GET /api/stats/heat-scale`: the reference counts that make heat comparable across zooms,
/// windows and filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeatScale {
    pub from: String,
    pub to: String,
    pub categories: Vec<String>,
    pub sources: Vec<String>,
    /// The percentile of the references (0.99).
    pub percentile: f64,
    /// Zoom 0 to 22, in order.
    pub bands: Vec<HeatBand>,
}

impl HeatScale {
    /// MapLibre `heatmap-weight`: each feature's `count` over its band's reference, switching
    /// at integer zooms (where the map switches tiles).
    #[must_use]
    pub fn weight_expression(&self) -> serde_json::Value {
        let weight = |b: &HeatBand| serde_json::json!(["/", ["get", "count"], b.reference]);
        let mut expr = vec![serde_json::json!("step"), serde_json::json!(["zoom"])];
        for (i, b) in self.bands.iter().enumerate() {
            if i > 0 {
                expr.push(serde_json::json!(b.minzoom));
            }
            expr.push(weight(b));
        }
        if self.bands.is_empty() {
            expr.push(serde_json::json!(["get", "count"]));
        }
        serde_json::Value::Array(expr)
    }

    /// MapLibre `heatmap-radius`: 1.5 times the on-screen spacing of the cells (512 px tiles),
    /// which doubles from one integer zoom to the next and resets where finer cells take over.
    #[must_use]
    pub fn radius_expression(&self) -> serde_json::Value {
        let mut stops =
            vec![serde_json::json!("interpolate"), serde_json::json!(["exponential", 2]), serde_json::json!(["zoom"])];
        for b in &self.bands {
            for z in b.minzoom..=b.maxzoom {
                let spacing = 512.0 / f64::from(1u32 << (b.cell_level.saturating_sub(z)).min(30));
                stops.push(serde_json::json!(z));
                stops.push(serde_json::json!(1.5 * spacing));
                stops.push(serde_json::json!(f64::from(z) + 0.999));
                stops.push(serde_json::json!(3.0 * spacing));
            }
        }
        serde_json::Value::Array(stops)
    }

    /// MapLibre `heatmap-color` ([`crate::symbology::HEAT`]'s stops).
    #[must_use]
    pub fn colour_expression() -> serde_json::Value {
        let mut expr = vec![
            serde_json::json!("interpolate"),
            serde_json::json!(["linear"]),
            serde_json::json!(["heatmap-density"]),
        ];
        for (at, colour, opacity) in crate::symbology::HEAT {
            expr.push(serde_json::json!(at));
            expr.push(serde_json::json!(crate::symbology::rgba(colour, opacity)));
        }
        serde_json::Value::Array(expr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(minzoom: u8, maxzoom: u8, cell_level: u8, reference: i64) -> HeatBand {
        HeatBand { minzoom, maxzoom, cell_level, cell_m: 1.0, reference, cells: 1, raw: false }
    }

    #[test]
    fn expressions_follow_the_bands() {
        let scale = HeatScale {
            from: "2026-11-01".into(),
            to: "2026-12-01".into(),
            categories: vec![],
            sources: vec![],
            percentile: 0.99,
            bands: vec![band(0, 7, 12, 40), band(8, 9, 13, 25), band(10, 11, 15, 9)],
        };
        let w = scale.weight_expression();
        assert_eq!(w[0], "step");
        assert_eq!(w[2], serde_json::json!(["/", ["get", "count"], 40]));
        assert_eq!(
            (w[3].clone(), w[4].clone()),
            (serde_json::json!(8), serde_json::json!(["/", ["get", "count"], 25]))
        );
        assert_eq!(w[5], 10);
        let r = scale.radius_expression();
        // z8 draws level 13: 32 cells per side, 16 px apart at z8, 32 px at z9 (still level 13).
        let at = |zoom: f64| {
            let stops = r.as_array().expect("stops");
            let i = stops.iter().position(|s| s.as_f64().is_some_and(|v| (v - zoom).abs() < 1e-9)).expect("stop");
            stops[i + 1].as_f64().expect("radius")
        };
        for (zoom, radius) in [(8.0, 24.0), (9.0, 48.0), (10.0, 24.0)] {
            assert!((at(zoom) - radius).abs() < 1e-9, "radius at z{zoom}: {}", at(zoom));
        }
        assert_eq!(HeatScale::colour_expression()[2], serde_json::json!(["heatmap-density"]));
    }
}
