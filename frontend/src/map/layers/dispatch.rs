//! The Dispatch workspace's drawings: the responsible grid's outline, the camera sectors, the
//! routed point and the open incident, in one GeoJSON source. Each feature carries a `role`
//! property the layers filter on.

use citygrid_api::symbology::dispatch as sym;
use citygrid_api::CameraSight;
use serde_json::{json, Value};

use super::{collection, Overlay};
use crate::components::legend::{Entry, Label, Shape};
use crate::i18n::Text;
use crate::map::geometry::sector_ring;
use crate::workspaces::dispatch::DispatchKey;

/// The Dispatch overlay.
pub const OVERLAY: Overlay = Overlay { source: "citygrid-dispatch", layers };

/// Layer ids, for the legend.
const SECTOR_SEES: &str = "citygrid-dispatch-sector-sees";
const SECTOR_BLIND: &str = "citygrid-dispatch-sector-blind";
const GRID_LINE: &str = "citygrid-dispatch-grid-line";
const POINT: &str = "citygrid-dispatch-point";
const INCIDENT: &str = "citygrid-dispatch-incident";

/// The layers drawing [`OVERLAY`], bottom to top. Every colour comes from
/// `citygrid_api::symbology::dispatch`, as does the legend ([`legend`]).
fn layers() -> Vec<Value> {
    let role = |r: &str| json!(["==", ["get", "role"], r]);
    let role_sees = |r: &str, sees: bool| json!(["all", ["==", ["get", "role"], r], ["==", ["get", "sees"], sees]]);
    vec![
        json!({"id": SECTOR_SEES, "type": "fill", "filter": role_sees("sector", true),
            "paint": {"fill-color": sym::SEES, "fill-opacity": 0.28}}),
        json!({"id": "citygrid-dispatch-sector-sees-line", "type": "line", "filter": role_sees("sector", true),
            "paint": {"line-color": sym::SEES, "line-width": 1.2}}),
        json!({"id": SECTOR_BLIND, "type": "line", "filter": role_sees("sector", false),
            "paint": {"line-color": sym::BLIND, "line-width": 1.2, "line-dasharray": [2, 2]}}),
        json!({"id": "citygrid-dispatch-grid-casing", "type": "line", "filter": role("grid"),
            "layout": {"line-join": "round"}, "paint": {"line-color": "#ffffff", "line-width": 6, "line-opacity": 0.8}}),
        json!({"id": GRID_LINE, "type": "line", "filter": role("grid"),
            "layout": {"line-join": "round"}, "paint": {"line-color": sym::GRID, "line-width": 3}}),
        // A ring around each camera (its own dot, coloured by status, stays visible).
        json!({"id": "citygrid-dispatch-camera", "type": "circle", "filter": role("camera"),
            "paint": {"circle-radius": 7, "circle-color": "rgba(0, 0, 0, 0)", "circle-stroke-width": 2,
                "circle-stroke-color": ["case", ["==", ["get", "sees"], true], sym::SEES, sym::BLIND]}}),
        // A halo around the open incident (its own dot keeps its status colour).
        json!({"id": INCIDENT, "type": "circle", "filter": role("incident"),
            "paint": {"circle-radius": 13, "circle-color": "rgba(0, 0, 0, 0)",
                "circle-stroke-color": sym::OPEN_INCIDENT, "circle-stroke-width": 3}}),
        // The routed location: a white ring around a black dot.
        json!({"id": POINT, "type": "circle", "filter": role("point"),
            "paint": {"circle-radius": 8, "circle-color": "#ffffff",
                "circle-stroke-color": sym::POINT, "circle-stroke-width": 3}}),
        json!({"id": "citygrid-dispatch-point-dot", "type": "circle", "filter": role("point"),
            "paint": {"circle-radius": 2.5, "circle-color": sym::POINT}}),
    ]
}

/// The overlay's legend entries, each naming the layer and paint property of its colour.
#[must_use]
pub fn legend() -> Vec<Entry> {
    let e = |key: DispatchKey, shape, colour, layer, paint| Entry {
        label: Label::Key(key.phrase()),
        shape,
        colour,
        layer,
        paint,
        value: None,
    };
    vec![
        e(DispatchKey::LegendPoint, Shape::Target, sym::POINT, POINT, "circle-stroke-color"),
        e(DispatchKey::LegendGrid, Shape::ThickLine, sym::GRID, GRID_LINE, "line-color"),
        e(DispatchKey::LegendSees, Shape::SectorFill, sym::SEES, SECTOR_SEES, "fill-color"),
        e(DispatchKey::LegendBlind, Shape::SectorOutline, sym::BLIND, SECTOR_BLIND, "line-color"),
        e(DispatchKey::LegendOpenIncident, Shape::Ring, sym::OPEN_INCIDENT, INCIDENT, "circle-stroke-color"),
    ]
}

/// The features: the grid outline, each camera's sector and position, the routed point and the
/// open incident.
#[must_use]
pub fn features(
    point: Option<[f64; 2]>,
    grid_geometry: Option<&Value>,
    cameras: &[CameraSight],
    incident: Option<[f64; 2]>,
) -> Value {
    let mut features = Vec::new();
    if let Some(g) = grid_geometry {
        features.push(json!({"type": "Feature", "geometry": g, "properties": {"role": "grid"}}));
    }
    for c in cameras {
        let ring = sector_ring(c.lon, c.lat, c.heading_deg, c.fov_deg, c.range_m);
        if ring.len() >= 4 {
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"role": "sector", "sees": c.sees_point, "id": c.id},
            }));
        }
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {"role": "camera", "sees": c.sees_point, "id": c.id},
        }));
    }
    if let Some(p) = point {
        features.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": p}, "properties": {"role": "point"}}));
    }
    if let Some(p) = incident {
        features.push(
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": p}, "properties": {"role": "incident"}}),
        );
    }
    collection(features)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera(heading: f64, fov: f64, range: f64) -> CameraSight {
        CameraSight {
            id: 7,
            code: "C7".into(),
            kind: "dome".into(),
            status: "online".into(),
            lon: 119.02,
            lat: 33.60,
            heading_deg: heading,
            fov_deg: fov,
            range_m: range,
            distance_m: 10.0,
            bearing_deg: heading,
            sees_point: true,
        }
    }

    #[test]
    fn one_feature_per_thing() {
        let cams = [camera(10.0, 60.0, 100.0)];
        let grid =
            json!({"type": "Polygon", "coordinates": [[[119.0, 33.0], [119.1, 33.0], [119.1, 33.1], [119.0, 33.0]]]});
        let v = features(Some([119.02, 33.6]), Some(&grid), &cams, Some([119.03, 33.61]));
        let roles: Vec<&str> =
            v["features"].as_array().into_iter().flatten().filter_map(|f| f["properties"]["role"].as_str()).collect();
        assert_eq!(roles, ["grid", "sector", "camera", "point", "incident"]);
        assert_eq!(v["features"][1]["geometry"]["type"], "Polygon");
        let empty = features(None, None, &[], None);
        assert_eq!(empty["features"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn the_legend_names_layers_that_paint_its_colours() {
        let layers = (OVERLAY.layers)();
        for e in legend() {
            let layer = layers.iter().find(|l| l["id"] == e.layer).unwrap_or_else(|| panic!("{}", e.layer));
            assert_eq!(layer["paint"][e.paint], json!(e.colour), "{}", e.layer);
        }
    }

    #[test]
    fn every_role_is_drawn_by_a_layer() {
        let layers = (OVERLAY.layers)();
        let text = serde_json::to_string(&layers).unwrap_or_default();
        for role in ["grid", "sector", "camera", "point", "incident"] {
            assert!(text.contains(&format!("\"{role}\"")), "{role}");
        }
        assert!(layers.iter().all(|l| l.get("source").is_none() && l["id"].as_str().is_some()));
    }
}
