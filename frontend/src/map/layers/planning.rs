//! The Planning workspace's drawings, in one GeoJSON source: the selected grid's village
//! outline and neighbours, the grids picked to merge, the split line being drawn, a preview's
//! area gained and lost and the outlines after the plan, where a refused plan breaks a rule, and
//! the shared edge being edited with its handles (vertices to drag, midpoints that add one; the
//! two ends, which stay, drawn apart).
//! Each feature carries a `role` property the layers filter on. Buildings that change grid are
//! highlighted on the style's own building tiles ([`MOVED_BUILDINGS`]).

use citygrid_api::symbology::planning as sym;
use serde_json::{json, Value};

use super::{collection, Overlay};
use crate::components::legend::{Entry, Label, Shape};
use crate::i18n::Text;
use crate::workspaces::planning::PlanningKey;

/// The Planning overlay.
pub const OVERLAY: Overlay = Overlay { source: "citygrid-planning", layers };

const VILLAGE: &str = "citygrid-planning-village";
const NEIGHBOUR: &str = "citygrid-planning-neighbour";
const MERGE: &str = "citygrid-planning-merge";
const GAINED: &str = "citygrid-planning-gained";
const LOST: &str = "citygrid-planning-lost";
const AFTER: &str = "citygrid-planning-after";
const SKETCH: &str = "citygrid-planning-sketch";
const VERTEX: &str = "citygrid-planning-vertex";
const EDGE: &str = "citygrid-planning-edge";
const EDGE_END: &str = "citygrid-planning-edge-end";
/// The shared edge's vertices between its ends (dragged; a double click removes one).
pub const EDGE_VERTEX: &str = "citygrid-planning-edge-vertex";
/// The midpoints of the shared edge's segments (dragged or clicked, they add a vertex).
pub const EDGE_MID: &str = "citygrid-planning-edge-mid";
/// The layers whose features a drag moves.
pub const EDGE_HANDLES: &[&str] = &[EDGE_VERTEX, EDGE_MID];
/// The layers drawing a refused plan's geometry (a browser test looks for them).
pub const ERROR_FILL: &str = "citygrid-planning-error-fill";
pub const ERROR_LINE: &str = "citygrid-planning-error-line";
/// The highlight of buildings that change grid, over the style's `buildings-fill` tiles.
pub const MOVED_BUILDINGS: &str = "citygrid-planning-moved-buildings";
/// The style layer whose source [`MOVED_BUILDINGS`] reads.
pub const BUILDINGS_BASE: &str = "buildings-fill";

/// The paint of [`MOVED_BUILDINGS`].
#[must_use]
pub fn moved_buildings_paint() -> Value {
    json!({"line-color": sym::MOVED_BUILDING, "line-width": 2.5})
}

/// The filter of [`MOVED_BUILDINGS`] for these building ids (`None`: none).
#[must_use]
pub fn moved_buildings_filter(ids: &[i64]) -> Option<Value> {
    (!ids.is_empty()).then(|| json!(["in", ["to-number", ["get", "id"]], ["literal", ids]]))
}

/// The layers drawing [`OVERLAY`], bottom to top; every colour from
/// `citygrid_api::symbology::planning`.
fn layers() -> Vec<Value> {
    let role = |r: &str| json!(["==", ["get", "role"], r]);
    vec![
        json!({"id": MERGE, "type": "fill", "filter": role("merge"),
            "paint": {"fill-color": sym::MERGE, "fill-opacity": 0.35}}),
        json!({"id": GAINED, "type": "fill", "filter": role("gained"),
            "paint": {"fill-color": sym::GAINED, "fill-opacity": 0.55}}),
        json!({"id": LOST, "type": "fill", "filter": role("lost"),
            "paint": {"fill-color": sym::LOST, "fill-opacity": 0.55}}),
        json!({"id": ERROR_FILL, "type": "fill", "filter": ["all", role("error"), ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]]],
            "paint": {"fill-color": sym::ERROR, "fill-opacity": 0.45}}),
        json!({"id": VILLAGE, "type": "line", "filter": role("village"),
            "paint": {"line-color": sym::VILLAGE, "line-width": 2.5, "line-dasharray": [3, 2]}}),
        json!({"id": NEIGHBOUR, "type": "line", "filter": role("neighbour"),
            "paint": {"line-color": sym::NEIGHBOUR, "line-width": 2.5}}),
        json!({"id": "citygrid-planning-merge-line", "type": "line", "filter": role("merge"),
            "paint": {"line-color": sym::MERGE, "line-width": 3}}),
        json!({"id": AFTER, "type": "line", "filter": role("after"),
            "paint": {"line-color": sym::AFTER, "line-width": 2.5}}),
        json!({"id": ERROR_LINE, "type": "line", "filter": role("error"),
            "paint": {"line-color": sym::ERROR, "line-width": 4}}),
        json!({"id": SKETCH, "type": "line", "filter": role("sketch"),
            "paint": {"line-color": sym::SKETCH, "line-width": 2.5, "line-dasharray": [2, 1]}}),
        json!({"id": VERTEX, "type": "circle", "filter": role("vertex"),
            "paint": {"circle-radius": 5, "circle-color": "#ffffff", "circle-stroke-color": sym::SKETCH,
                "circle-stroke-width": 2}}),
        json!({"id": EDGE, "type": "line", "filter": role("edge"),
            "paint": {"line-color": sym::SKETCH, "line-width": 3}}),
        json!({"id": EDGE_MID, "type": "circle", "filter": role("edge-mid"),
            "paint": {"circle-radius": 4, "circle-color": sym::SKETCH, "circle-opacity": 0.45,
                "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}}),
        json!({"id": EDGE_END, "type": "circle", "filter": role("edge-end"),
            "paint": {"circle-radius": 5, "circle-color": sym::SKETCH}}),
        json!({"id": EDGE_VERTEX, "type": "circle", "filter": role("edge-vertex"),
            "paint": {"circle-radius": 6, "circle-color": "#ffffff", "circle-stroke-color": sym::SKETCH,
                "circle-stroke-width": 2.5}}),
    ]
}

/// The overlay's legend entries, each naming the layer and paint property of its colour.
#[must_use]
pub fn legend() -> Vec<Entry> {
    let e = |key: PlanningKey, shape, colour, layer, paint| Entry {
        label: Label::Key(key.phrase()),
        shape,
        colour,
        layer,
        paint,
        value: None,
    };
    vec![
        e(PlanningKey::LegendVillage, Shape::DashedLine, sym::VILLAGE, VILLAGE, "line-color"),
        e(PlanningKey::LegendNeighbour, Shape::ThickLine, sym::NEIGHBOUR, NEIGHBOUR, "line-color"),
        e(PlanningKey::LegendGained, Shape::Fill, sym::GAINED, GAINED, "fill-color"),
        e(PlanningKey::LegendLost, Shape::Fill, sym::LOST, LOST, "fill-color"),
        e(PlanningKey::LegendError, Shape::ThickLine, sym::ERROR, ERROR_LINE, "line-color"),
    ]
}

/// What the overlay shows.
#[derive(Debug, Default)]
pub struct Drawing<'a> {
    pub village: Option<&'a Value>,
    pub neighbours: Vec<&'a Value>,
    pub merge: Vec<&'a Value>,
    /// Area changing hands: (geometry, whether the selected grid gains it).
    pub transfers: Vec<(Value, bool)>,
    pub after: Vec<Value>,
    pub error: Option<&'a Value>,
    pub sketch: &'a [[f64; 2]],
    /// The shared edge being edited, end to end.
    pub edge: &'a [[f64; 2]],
}

fn feature(geometry: &Value, role: &str) -> Value {
    json!({"type": "Feature", "geometry": geometry, "properties": {"role": role}})
}

/// The features of a [`Drawing`].
#[must_use]
pub fn features(d: &Drawing<'_>) -> Value {
    let mut out = Vec::new();
    out.extend(d.village.map(|g| feature(g, "village")));
    out.extend(d.neighbours.iter().map(|g| feature(g, "neighbour")));
    out.extend(d.merge.iter().map(|g| feature(g, "merge")));
    out.extend(d.transfers.iter().map(|(g, gained)| feature(g, if *gained { "gained" } else { "lost" })));
    out.extend(d.after.iter().map(|g| feature(g, "after")));
    out.extend(d.error.map(|g| feature(g, "error")));
    if d.sketch.len() >= 2 {
        out.push(feature(&json!({"type": "LineString", "coordinates": d.sketch}), "sketch"));
    }
    out.extend(d.sketch.iter().map(|p| feature(&json!({"type": "Point", "coordinates": p}), "vertex")));
    if d.edge.len() >= 2 {
        let point = |p: [f64; 2], role: &str, index: usize| {
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": p},
                "properties": {"role": role, "index": index}})
        };
        let last = d.edge.len() - 1;
        out.push(feature(&json!({"type": "LineString", "coordinates": d.edge}), "edge"));
        out.extend(
            d.edge
                .windows(2)
                .enumerate()
                .map(|(i, w)| point([f64::midpoint(w[0][0], w[1][0]), f64::midpoint(w[0][1], w[1][1])], "edge-mid", i)),
        );
        out.extend(
            d.edge
                .iter()
                .enumerate()
                .map(|(i, p)| point(*p, if i == 0 || i == last { "edge-end" } else { "edge-vertex" }, i)),
        );
    }
    collection(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_feature_per_thing() {
        let poly =
            json!({"type": "Polygon", "coordinates": [[[119.0, 33.0], [119.1, 33.0], [119.1, 33.1], [119.0, 33.0]]]});
        let d = Drawing {
            village: Some(&poly),
            neighbours: vec![&poly],
            merge: vec![&poly],
            transfers: vec![(poly.clone(), true), (poly.clone(), false)],
            after: vec![poly.clone()],
            error: Some(&poly),
            sketch: &[[119.0, 33.0], [119.1, 33.0]],
            edge: &[[119.0, 33.0], [119.1, 33.0], [119.1, 33.1]],
        };
        let v = features(&d);
        let roles: Vec<&str> =
            v["features"].as_array().into_iter().flatten().filter_map(|f| f["properties"]["role"].as_str()).collect();
        assert_eq!(
            roles,
            [
                "village",
                "neighbour",
                "merge",
                "gained",
                "lost",
                "after",
                "error",
                "sketch",
                "vertex",
                "vertex",
                "edge",
                "edge-mid",
                "edge-mid",
                "edge-end",
                "edge-vertex",
                "edge-end"
            ]
        );
        assert_eq!(features(&Drawing::default())["features"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn every_role_is_drawn_and_the_legend_names_its_layers() {
        let layers = (OVERLAY.layers)();
        let text = serde_json::to_string(&layers).unwrap_or_default();
        for role in [
            "village",
            "neighbour",
            "merge",
            "gained",
            "lost",
            "after",
            "error",
            "sketch",
            "vertex",
            "edge",
            "edge-mid",
            "edge-end",
            "edge-vertex",
        ] {
            assert!(text.contains(&format!("\"{role}\"")), "{role}");
        }
        for e in legend() {
            let layer = layers.iter().find(|l| l["id"] == e.layer).unwrap_or_else(|| panic!("{}", e.layer));
            assert_eq!(layer["paint"][e.paint], json!(e.colour), "{}", e.layer);
        }
        assert_eq!(moved_buildings_filter(&[]), None);
        assert_eq!(moved_buildings_filter(&[3]).map(|f| f[2][1].clone()), Some(json!([3])));
    }
}
