//! Statistics for the command view: heat tiles of incidents and their reference scale.
//!
//! Definitions shared by every statistic: a **window** `[from, to)` counts incidents by
//! `reported_at`, days being Asia/Shanghai days; `from`/`to` are `YYYY-MM-DD` (midnight,
//! Asia/Shanghai), `to` exclusive. **Duplicates** (status `duplicate`) are never counted.
//! **Filters**: `category` is a comma-separated list of category codes or families (`dispute`,
//! `alarm`, `citizen`), `source` of source codes; absent means all. A county-scoped user always
//! gets their county's figures.

use serde::{Deserialize, Serialize};

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

/// The heat colour ramp (MapLibre `heatmap-color` stops of `heatmap-density`), transparent to
/// dark red; the legend of the command view draws the same stops.
pub const HEAT_COLOURS: [(f64, &str); 6] = [
    (0.0, "rgba(255, 255, 178, 0)"),
    (0.15, "rgba(254, 217, 118, 0.55)"),
    (0.35, "rgba(254, 178, 76, 0.75)"),
    (0.55, "rgba(253, 141, 60, 0.85)"),
    (0.8, "rgba(240, 59, 32, 0.9)"),
    (1.0, "rgba(189, 0, 38, 0.95)"),
];

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
        let mut stops = vec![serde_json::json!("interpolate"), serde_json::json!(["exponential", 2]), serde_json::json!(["zoom"])];
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

    /// MapLibre `heatmap-color`.
    #[must_use]
    pub fn colour_expression() -> serde_json::Value {
        let mut expr = vec![serde_json::json!("interpolate"), serde_json::json!(["linear"]), serde_json::json!(["heatmap-density"])];
        for (at, colour) in HEAT_COLOURS {
            expr.push(serde_json::json!(at));
            expr.push(serde_json::json!(colour));
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
        assert_eq!((w[3].clone(), w[4].clone()), (serde_json::json!(8), serde_json::json!(["/", ["get", "count"], 25])));
        assert_eq!(w[5], 10);
        let r = scale.radius_expression();
        // z8 draws level 13: 32 cells per side, 16 px apart at z8, 32 px at z9 (still level 13).
        let at = |zoom: f64| {
            let stops = r.as_array().expect("stops");
            let i = stops.iter().position(|s| s.as_f64() == Some(zoom)).expect("stop");
            stops[i + 1].as_f64().expect("radius")
        };
        assert_eq!(at(8.0), 24.0);
        assert_eq!(at(9.0), 48.0);
        assert_eq!(at(10.0), 24.0);
        assert_eq!(HeatScale::colour_expression()[2], serde_json::json!(["heatmap-density"]));
    }
}
