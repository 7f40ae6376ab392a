//! The Dispatch workspace's drawings: the responsible grid's outline, the camera sectors, the
//! routed point and the open incident, in one GeoJSON source. Each feature carries a `role`
//! property the layers filter on.

use citygrid_api::CameraSight;
use serde_json::{json, Value};

use super::{collection, Overlay};
use crate::map::geometry::sector_ring;

/// The Dispatch overlay.
pub const OVERLAY: Overlay = Overlay { source: "citygrid-dispatch", layers };

const BLUE: &str = "#1f5fd1";

/// The layers drawing [`OVERLAY`], bottom to top.
fn layers() -> Vec<Value> {
    let role = |r: &str| json!(["==", ["get", "role"], r]);
    let sees = |yes: &str, no: &str| json!(["case", ["==", ["get", "sees"], true], yes, no]);
    vec![
        json!({"id": "citygrid-dispatch-sector-fill", "type": "fill", "filter": role("sector"),
            "paint": {"fill-color": sees("#2e9d4f", "#6b7f99"), "fill-opacity": 0.28}}),
        json!({"id": "citygrid-dispatch-sector-line", "type": "line", "filter": role("sector"),
            "paint": {"line-color": sees("#1e7a3a", "#56657a"), "line-width": 1.2}}),
        json!({"id": "citygrid-dispatch-grid-casing", "type": "line", "filter": role("grid"),
            "layout": {"line-join": "round"}, "paint": {"line-color": "#ffffff", "line-width": 6, "line-opacity": 0.8}}),
        json!({"id": "citygrid-dispatch-grid-line", "type": "line", "filter": role("grid"),
            "layout": {"line-join": "round"}, "paint": {"line-color": BLUE, "line-width": 3}}),
        json!({"id": "citygrid-dispatch-camera", "type": "circle", "filter": role("camera"),
            "paint": {"circle-radius": 4.5, "circle-color": sees("#2e9d4f", "#6b7f99"),
                "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5}}),
        json!({"id": "citygrid-dispatch-point", "type": "circle",
            "filter": ["in", ["get", "role"], ["literal", ["point", "incident"]]],
            "paint": {"circle-radius": 7,
                "circle-color": ["match", ["get", "role"], "incident", "#7d4bd1", "#d64545"],
                "circle-stroke-color": "#ffffff", "circle-stroke-width": 2.5}}),
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
    fn every_role_is_drawn_by_a_layer() {
        let layers = (OVERLAY.layers)();
        let text = serde_json::to_string(&layers).unwrap_or_default();
        for role in ["grid", "sector", "camera", "point", "incident"] {
            assert!(text.contains(&format!("\"{role}\"")), "{role}");
        }
        assert!(layers.iter().all(|l| l.get("source").is_none() && l["id"].as_str().is_some()));
    }
}
