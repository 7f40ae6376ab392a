//! The Coverage workspace on the map: while the page is open the style's coverage layers replace
//! the plain grid and building fills (the choropleth to zoom 14, covered / uncovered buildings
//! from there, every camera's sector by status), in the occlusion mode of the page. The overlay
//! draws the selected grid's blind spots, the suggested sites and the selected camera's sector.
//! Clicks select features as everywhere (grids, buildings, cameras). Renders nothing itself.

use citygrid_api::CameraInfo;
use serde_json::Value;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::state::CoverageState;
use crate::api;
use crate::hooks::{use_client, use_map_overlay};
use crate::map::layers::coverage::{features, style_layers, View, OVERLAY};
use crate::map::MapHandle;
use crate::state::{use_app, Selection};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

/// The overlay's features for the state, the selected grid and the selected camera.
#[must_use]
pub fn overlay_features(c: &CoverageState, grid: Option<&str>, camera: Option<&CameraInfo>) -> Value {
    let blind: Vec<&Value> = match (&c.grid, grid) {
        (Some((code, load)), Some(sel)) if code == sel => load.done().map_or_else(Vec::new, |g| {
            let fc = if c.occlusion { &g.occluded.blind_spots } else { &g.plain.blind_spots };
            fc.features.iter().map(|f| &f.geometry).collect()
        }),
        _ => Vec::new(),
    };
    let sites = c.suggestion_done().map_or(&[][..], |s| s.result.sites.as_slice());
    let view = camera.map(|k| View {
        lon: k.lon,
        lat: k.lat,
        heading_deg: k.heading_deg,
        fov_deg: k.fov_deg,
        range_m: k.range_m,
    });
    features(&blind, sites, view.as_ref())
}

#[function_component(CoverageMap)]
pub fn coverage_map(props: &Props) -> Html {
    let app = use_app();
    let client = use_client();
    let c = &app.workspaces.coverage;

    use_effect_with((props.map.clone(), c.occlusion), |(map, occlusion)| {
        if let Some(map) = map {
            map.override_layers(&style_layers(*occlusion));
        }
        let map = map.clone();
        move || {
            if let Some(map) = map {
                map.override_layers(&[]);
            }
        }
    });

    // The selected camera, for its sector.
    let camera = use_state(|| None::<CameraInfo>);
    {
        let camera = camera.clone();
        use_effect_with(app.selection.clone(), move |sel| {
            camera.set(None);
            if let Some(Selection::Camera(id)) = sel {
                let id = *id;
                spawn_local(async move {
                    if let Ok(info) = client.check(api::camera(client.token(), id).await) {
                        camera.set(Some(info));
                    }
                });
            }
        });
    }
    let grid = match &app.selection {
        Some(Selection::Grid(code)) => Some(code.as_str()),
        _ => None,
    };
    let selected_camera = match &app.selection {
        Some(Selection::Camera(id)) => (*camera).as_ref().filter(|k| k.id == *id),
        _ => None,
    };
    use_map_overlay(props.map.clone(), &OVERLAY, overlay_features(c, grid, selected_camera));
    html! {}
}
