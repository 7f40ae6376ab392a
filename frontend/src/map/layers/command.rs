//! The Command workspace's drawings: the heatmap on two sources of its own (one shows the
//! current day while the other loads the next, so playback never flickers), copies of the
//! style's `incidents_heat-heatmap`, drawn below every label; and the label layers it keeps
//! visible at every zoom.

use citygrid_api::HeatScale;
use serde_json::{json, Value};

use crate::workspaces::command::state::Mode;

/// The style's heatmap layer and source the copies start from (hidden in the style).
pub const STYLE_HEAT_LAYER: &str = "incidents_heat-heatmap";
pub const STYLE_HEAT_SOURCE: &str = "incidents_heat";

/// The two heat layers, each on the source of the same id.
pub const HEAT: [&str; 2] = ["citygrid-command-heat-a", "citygrid-command-heat-b"];

/// The opacity of the heat layer that is shown (the other is drawn at 0 while it loads).
pub const HEAT_OPACITY: f64 = 0.85;

/// The style's lowest label layer: everything the workspace draws goes below it.
pub const BELOW: &str = "grids-label";

/// The labels that orient a leader over the heatmap: shown at every zoom while the tab is open.
pub const ORIENTATION_LABELS: [&str; 2] = ["townships-label", "counties-label"];

/// The choropleth layers, one per style source of a level (counties, townships, villages,
/// grids).
pub static CHOROPLETH: [&str; 4] = [
    "citygrid-command-choropleth-counties",
    "citygrid-command-choropleth-townships",
    "citygrid-command-choropleth-villages",
    "citygrid-command-choropleth-grids",
];

/// The choropleth goes below the style's outlines (which stay visible) and names.
pub const CHOROPLETH_BELOW: &str = "villages-line";

/// The fill opacity of the choropleth.
pub const CHOROPLETH_OPACITY: f64 = 0.72;

/// The choropleth layer of a style source (`counties` … `grids`): its polygons,
/// painted by `fill-color` (set from the classes).
#[must_use]
pub fn choropleth_layer(source: &str) -> Option<Value> {
    let id = CHOROPLETH.iter().find(|id| id.ends_with(&format!("-{source}")))?;
    Some(json!({
        "id": id, "type": "fill", "source": source, "source-layer": source,
        "filter": ["==", ["geometry-type"], "Polygon"],
        // Shown by the workspace's override while the tab is open ([`shown_layers`]).
        "layout": {"visibility": "none"},
        "paint": {"fill-color": "rgba(0, 0, 0, 0)", "fill-opacity": CHOROPLETH_OPACITY},
    }))
}

/// The style's fill of the grids (their four colours), hidden under a choropleth: from z11 it
/// would be drawn below the classes and change their colours.
pub const GRIDS_FILL: &str = "grids-fill";

/// What the tab shows, as the map's layer override: in `Heat` mode the heat layers, in
/// `Choropleth` mode the choropleth layer `choropleth` (if any) without the grids' fill.
#[must_use]
pub fn shown_layers(mode: Mode, choropleth: Option<&str>) -> Vec<(&'static str, bool)> {
    let heat = mode == Mode::Heat;
    let mut layers: Vec<(&'static str, bool)> = HEAT.iter().map(|id| (*id, heat)).collect();
    layers.extend(CHOROPLETH.iter().map(|id| (*id, !heat && choropleth == Some(*id))));
    if !heat {
        layers.push((GRIDS_FILL, false));
    }
    layers
}

/// A copy of the style's heat source pointing at `tiles`.
#[must_use]
pub fn heat_source(style_source: &Value, tiles: &str) -> Value {
    let mut s = style_source.clone();
    s["tiles"] = json!([tiles]);
    s
}

/// A copy of the style's heatmap layer as layer (and source) `id`, at `opacity`, hidden until
/// the workspace's override shows it ([`shown_layers`]).
#[must_use]
pub fn heat_layer(style_layer: &Value, id: &str, opacity: f64) -> Value {
    let mut l = style_layer.clone();
    if let Some(o) = l.as_object_mut() {
        // Not a member of the style's layer groups: the layer switcher leaves it alone.
        o.remove("metadata");
    }
    l["id"] = json!(id);
    l["source"] = json!(id);
    l["source-layer"] = json!(STYLE_HEAT_SOURCE);
    l["layout"] = json!({"visibility": "none"});
    l["paint"]["heatmap-opacity"] = json!(opacity);
    l
}

/// `heatmap-weight` for a frame of `frame_days` days on the scale of a window of
/// `window_days`: a day's heat is weighed against the window's average day (its references
/// divided by the window's length), so days compare with each other and with the window;
/// a cumulative frame or the whole window uses the window's own scale.
#[must_use]
pub fn weight(scale: &HeatScale, window_days: i64, per_day: bool) -> Value {
    let mut s = scale.clone();
    if per_day && window_days > 1 {
        for b in &mut s.bands {
            b.reference = (b.reference / window_days).max(1);
        }
    }
    s.weight_expression()
}

#[cfg(test)]
mod tests {
    use super::*;
    use citygrid_api::HeatBand;

    #[test]
    fn copies_keep_the_styles_paint_and_draw_their_own_source() {
        let style = json!({"id": STYLE_HEAT_LAYER, "type": "heatmap", "source": STYLE_HEAT_SOURCE,
            "source-layer": STYLE_HEAT_SOURCE, "metadata": {"citygrid:group": "incidents_heat"},
            "layout": {"visibility": "none"}, "paint": {"heatmap-radius": 9, "heatmap-opacity": 0.85}});
        let l = heat_layer(&style, HEAT[1], 0.0);
        assert_eq!((l["id"].clone(), l["source"].clone()), (json!(HEAT[1]), json!(HEAT[1])));
        assert_eq!(l["layout"]["visibility"], "none", "shown by the override");
        assert_eq!(l["paint"]["heatmap-radius"], 9);
        assert_eq!(l["paint"]["heatmap-opacity"], 0.0);
        assert!(l.get("metadata").is_none());
        let s = heat_source(&json!({"type": "vector", "tiles": ["old"], "minzoom": 0}), "new");
        assert_eq!(s, json!({"type": "vector", "tiles": ["new"], "minzoom": 0}));
    }

    #[test]
    fn one_choropleth_layer_per_level_source() {
        for source in ["counties", "townships", "villages", "grids"] {
            let l = choropleth_layer(source).expect(source);
            assert_eq!((l["source"].clone(), l["source-layer"].clone()), (json!(source), json!(source)));
            assert!(CHOROPLETH.contains(&l["id"].as_str().unwrap_or_default()));
        }
        assert_eq!(choropleth_layer("cameras"), None);
    }

    #[test]
    fn a_choropleth_hides_the_heat_and_the_grids_fill() {
        let heat = shown_layers(Mode::Heat, None);
        assert!(HEAT.iter().all(|id| heat.contains(&(*id, true))));
        assert!(CHOROPLETH.iter().all(|id| heat.contains(&(*id, false))));
        assert!(!heat.iter().any(|(id, _)| *id == GRIDS_FILL), "the layer switcher decides");
        let villages = shown_layers(Mode::Choropleth, Some(CHOROPLETH[2]));
        assert!(HEAT.iter().all(|id| villages.contains(&(*id, false))));
        let shown: Vec<_> = villages.iter().filter(|(_, v)| *v).map(|(id, _)| *id).collect();
        assert_eq!(shown, [CHOROPLETH[2]]);
        assert!(villages.contains(&(GRIDS_FILL, false)));
    }

    #[test]
    fn a_day_is_weighed_against_the_windows_average_day() {
        let band = |minzoom, reference| HeatBand {
            minzoom,
            maxzoom: minzoom,
            cell_level: 13,
            cell_m: 1.0,
            reference,
            cells: 1,
            raw: false,
        };
        let scale = HeatScale {
            from: "2026-11-04".into(),
            to: "2026-12-02".into(),
            categories: vec![],
            sources: vec![],
            percentile: 0.99,
            bands: vec![band(0, 280), band(1, 10)],
        };
        let w = weight(&scale, 28, true);
        assert_eq!(w[2], json!(["/", ["get", "count"], 10]));
        assert_eq!(w[4], json!(["/", ["get", "count"], 1]), "never below 1");
        assert_eq!(weight(&scale, 28, false), scale.weight_expression());
    }
}
