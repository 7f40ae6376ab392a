//! The Coverage workspace's drawings on top of the style's coverage layers: the selected grid's
//! blind spots, the suggested sites (sectors numbered in pick order) and the selected camera's
//! field of view, in one GeoJSON source. Each feature carries a `role` property the layers
//! filter on. The sectors of every camera, the covered buildings and the per-grid choropleth are
//! the style's own layers (`coverage`, `coverage_buildings`, `coverage_grids`), switched on by
//! [`style_layers`].

use citygrid_api::symbology::FONT;
use citygrid_api::{symbols as sym, SuggestedSite};
use serde_json::{json, Value};

use super::{collection, Overlay};
use crate::components::legend::{Entry, Label, Shape};
use crate::i18n::Text;
use crate::map::geometry::{offset, sector_ring};
use crate::workspaces::coverage::CoverageKey;

/// The Coverage overlay.
pub const OVERLAY: Overlay = Overlay { source: "citygrid-coverage", layers };

const BLIND: &str = "citygrid-coverage-blind";
const SITE: &str = "citygrid-coverage-site";
const SITE_NUMBER: &str = "citygrid-coverage-site-number";
const CAMERA: &str = "citygrid-coverage-camera";
/// The selected camera's handles: drag the dot to move it, the ring on its heading to turn it.
pub const MOVE_HANDLE: &str = "citygrid-coverage-move";
pub const TURN_HANDLE: &str = "citygrid-coverage-turn";
/// The handles' layers, for the drag handler.
pub const HANDLES: &[&str] = &[MOVE_HANDLE, TURN_HANDLE];
/// Where the turn handle sits along the heading, as a share of the range.
const TURN_HANDLE_AT: f64 = 0.75;

/// The style's coverage layers and the base fills they replace while the page is open:
/// `(layer id, visible)` for `occlusion` off or on. The choropleth ends at zoom 14, where the
/// buildings take over.
#[must_use]
pub fn style_layers(occlusion: bool) -> Vec<(&'static str, bool)> {
    vec![
        ("grids-fill", false),
        ("buildings-fill", false),
        ("coverage_grids-fill", !occlusion),
        ("coverage_grids-fill-occluded", occlusion),
        ("coverage_buildings-fill", !occlusion),
        ("coverage_buildings-fill-occluded", occlusion),
        ("coverage-fill", true),
        ("coverage-line", true),
        ("coverage-line-dashed", true),
    ]
}

/// The layers drawing [`OVERLAY`], bottom to top (colours: `citygrid_api::symbols`).
fn layers() -> Vec<Value> {
    let role = |r: &str| json!(["==", ["get", "role"], r]);
    vec![
        json!({"id": BLIND, "type": "fill", "filter": role("blind"),
            "paint": {"fill-color": sym::BLIND_SPOT, "fill-opacity": 0.45}}),
        json!({"id": "citygrid-coverage-blind-line", "type": "line", "filter": role("blind"),
            "paint": {"line-color": sym::BLIND_SPOT, "line-width": 1.5}}),
        json!({"id": SITE, "type": "fill", "filter": role("site"),
            "paint": {"fill-color": sym::SITE, "fill-opacity": 0.35}}),
        json!({"id": "citygrid-coverage-site-line", "type": "line", "filter": role("site"),
            "paint": {"line-color": sym::SITE, "line-width": 2}}),
        json!({"id": CAMERA, "type": "line", "filter": role("camera"),
            "layout": {"line-join": "round"}, "paint": {"line-color": sym::SELECTED_CAMERA, "line-width": 3}}),
        json!({"id": "citygrid-coverage-site-point", "type": "circle", "filter": role("site-point"),
            "paint": {"circle-radius": 9, "circle-color": sym::SITE, "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 2}}),
        json!({"id": TURN_HANDLE, "type": "circle", "filter": role("turn"),
            "paint": {"circle-radius": 7, "circle-color": "#ffffff", "circle-stroke-color": sym::SELECTED_CAMERA,
                "circle-stroke-width": 3}}),
        json!({"id": MOVE_HANDLE, "type": "circle", "filter": role("move"),
            "paint": {"circle-radius": 8, "circle-color": sym::SELECTED_CAMERA, "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 2}}),
        json!({"id": SITE_NUMBER, "type": "symbol", "filter": role("site-point"),
            "layout": {"text-field": ["to-string", ["get", "n"]], "text-font": [FONT], "text-size": 12,
                "text-allow-overlap": true, "text-ignore-placement": true},
            "paint": {"text-color": "#ffffff"}}),
    ]
}

/// The overlay's legend entries, each naming the layer and paint property of its colour; the
/// sectors by status are the style's `coverage` layers.
#[must_use]
pub fn legend() -> Vec<Entry> {
    let e = |label: Label, shape, colour, layer, paint, value| Entry { label, shape, colour, layer, paint, value };
    let key = |k: CoverageKey| Label::Key(k.phrase());
    let status = |s: &'static str| Label::Status(CoverageKey::LegendSector.phrase(), s);
    let colour = |s: &str| sym::SECTOR_STATUS.iter().find(|(v, _)| *v == s).map_or("#4d4d4d", |(_, c)| *c);
    vec![
        e(status("online"), Shape::SectorFill, colour("online"), "coverage-fill", "fill-color", Some("online")),
        e(status("planned"), Shape::SectorFill, colour("planned"), "coverage-fill", "fill-color", Some("planned")),
        e(
            status("offline"),
            Shape::SectorOutline,
            colour("offline"),
            "coverage-line-dashed",
            "line-color",
            Some("offline"),
        ),
        e(
            status("maintenance"),
            Shape::SectorOutline,
            colour("maintenance"),
            "coverage-line-dashed",
            "line-color",
            Some("maintenance"),
        ),
        e(key(CoverageKey::LegendCovered), Shape::Fill, sym::COVERED, "coverage_buildings-fill", "fill-color", None),
        e(
            key(CoverageKey::LegendUncovered),
            Shape::Fill,
            sym::UNCOVERED,
            "coverage_buildings-fill",
            "fill-color",
            None,
        ),
        e(key(CoverageKey::LegendBlindSpot), Shape::Fill, sym::BLIND_SPOT, BLIND, "fill-color", None),
        e(key(CoverageKey::LegendSite), Shape::SectorFill, sym::SITE, SITE, "fill-color", None),
        e(
            key(CoverageKey::LegendSelectedCamera),
            Shape::SectorOutline,
            sym::SELECTED_CAMERA,
            CAMERA,
            "line-color",
            None,
        ),
    ]
}

/// The legend's percent labels of the choropleth: `(label, colour)` per step, lowest first, and
/// the colour of a grid without residents.
#[must_use]
pub fn share_steps() -> Vec<(String, &'static str)> {
    let steps = &sym::SHARE_RAMP;
    steps
        .iter()
        .enumerate()
        .map(|(i, (from, colour))| {
            let to = steps.get(i + 1).map_or(1.0, |s| s.0);
            (format!("{:.0}–{:.0} %", from * 100.0, to * 100.0), *colour)
        })
        .collect()
}

/// A camera's field of view for [`features`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub lon: f64,
    pub lat: f64,
    pub heading_deg: f64,
    pub fov_deg: f64,
    pub range_m: f64,
}

fn sector(v: &View, properties: &Value) -> Option<Value> {
    let ring = sector_ring(v.lon, v.lat, v.heading_deg, v.fov_deg, v.range_m);
    (ring.len() >= 4).then(
        || json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": properties}),
    )
}

/// Where the turn handle of a camera is drawn.
#[must_use]
pub fn turn_handle(v: &View) -> [f64; 2] {
    offset(v.lon, v.lat, v.heading_deg, v.range_m * TURN_HANDLE_AT)
}

/// The features: the blind spots (GeoJSON geometries), the suggested sites numbered from 1 in
/// pick order, and the selected camera's sector (with its move and turn handles when it may be
/// edited).
#[must_use]
pub fn features(blind_spots: &[&Value], sites: &[SuggestedSite], camera: Option<&View>, handles: bool) -> Value {
    let mut out = Vec::new();
    for g in blind_spots {
        out.push(json!({"type": "Feature", "geometry": g, "properties": {"role": "blind"}}));
    }
    for (i, s) in sites.iter().enumerate() {
        let n = i + 1;
        let view = View { lon: s.lon, lat: s.lat, heading_deg: s.heading_deg, fov_deg: s.fov_deg, range_m: s.range_m };
        out.extend(sector(&view, &json!({"role": "site", "n": n})));
    }
    // The numbered dots above every sector.
    for (i, s) in sites.iter().enumerate() {
        out.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
            "properties": {"role": "site-point", "n": i + 1, "gain_residents": s.gain_residents}}));
    }
    if let Some(v) = camera {
        out.extend(sector(v, &json!({"role": "camera"})));
        if handles {
            out.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": turn_handle(v)},
                "properties": {"role": "turn"}}));
            out.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [v.lon, v.lat]},
                "properties": {"role": "move"}}));
        }
    }
    collection(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(lon: f64) -> SuggestedSite {
        SuggestedSite {
            lon,
            lat: 33.6,
            heading_deg: 90.0,
            fov_deg: 90.0,
            range_m: 50.0,
            gain_residents: 10,
            gain_buildings: 2,
        }
    }

    #[test]
    fn sites_are_numbered_in_pick_order() {
        let blind = json!({"type": "Polygon",
            "coordinates": [[[119.0, 33.6], [119.001, 33.6], [119.001, 33.601], [119.0, 33.6]]]});
        let cam = View { lon: 119.0, lat: 33.6, heading_deg: 0.0, fov_deg: 60.0, range_m: 80.0 };
        let v = features(&[&blind], &[site(119.01), site(119.02)], Some(&cam), false);
        let f = v["features"].as_array().cloned().unwrap_or_default();
        let roles: Vec<&str> = f.iter().filter_map(|f| f["properties"]["role"].as_str()).collect();
        assert_eq!(roles, ["blind", "site", "site", "site-point", "site-point", "camera"]);
        assert_eq!(f[3]["properties"]["n"], 1);
        assert_eq!(f[4]["properties"]["n"], 2);
        assert_eq!(f[4]["geometry"]["coordinates"][0], 119.02);
        let v = features(&[], &[], Some(&cam), true);
        let roles: Vec<&str> =
            v["features"].as_array().into_iter().flatten().filter_map(|f| f["properties"]["role"].as_str()).collect();
        assert_eq!(roles, ["camera", "turn", "move"]);
        let turn = &v["features"][1]["geometry"]["coordinates"];
        assert!(turn[1].as_f64().is_some_and(|lat| lat > 33.6), "heading 0 puts the turn handle north: {turn}");
    }

    #[test]
    fn the_legend_names_layers_that_paint_its_colours() {
        let layers = (OVERLAY.layers)();
        for e in legend().iter().filter(|e| e.layer.starts_with("citygrid-")) {
            let layer = layers.iter().find(|l| l["id"] == e.layer).unwrap_or_else(|| panic!("{}", e.layer));
            assert_eq!(layer["paint"][e.paint], json!(e.colour), "{}", e.layer);
        }
        assert!(layers.iter().all(|l| l.get("source").is_none()));
    }

    #[test]
    fn occlusion_switches_each_pair() {
        for occ in [false, true] {
            let l = style_layers(occ);
            let on = |id: &str| l.iter().find(|(i, _)| *i == id).map(|(_, v)| *v);
            assert_eq!(on("coverage_grids-fill"), Some(!occ));
            assert_eq!(on("coverage_grids-fill-occluded"), Some(occ));
            assert_eq!(on("coverage_buildings-fill-occluded"), Some(occ));
            assert_eq!(on("grids-fill"), Some(false));
        }
        let steps = share_steps();
        assert_eq!(steps.len(), sym::SHARE_RAMP.len());
        assert_eq!(steps[0].0, "0–20 %");
        assert_eq!(steps[4].0, "80–100 %");
    }
}
