//! The Coverage workspace on the map: while the page is open the style's coverage layers replace
//! the plain grid and building fills (the choropleth to zoom 14, covered / uncovered buildings
//! from there, every camera's sector by status), in the occlusion mode of the page. The overlay
//! draws the selected grid's blind spots, the suggested sites and the selected camera's sector.
//! Clicks select features as everywhere (grids, buildings, cameras).
//!
//! A selected camera, for planners and admins, has two handles: dragging the dot moves it,
//! dragging the ring on its heading turns it. While it is dragged the figures of its village
//! follow through `POST /api/coverage/what-if` (one request at a time, the newest position
//! next); the drop saves it with `PATCH /api/cameras/{id}`. Renders nothing itself.

use std::cell::RefCell;
use std::rc::Rc;

use citygrid_api::{CameraInfo, CameraPatch, WhatIfChange, WhatIfRequest};
use serde_json::Value;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::may_edit_cameras;
use super::state::{CoverageAction as A, CoverageState, Placement};
use crate::api;
use crate::hooks::{use_client, use_map_overlay, Client};
use crate::load::next_request;
use crate::map::geometry::bearing;
use crate::map::layers::coverage::{features, style_layers, View, HANDLES, OVERLAY, TURN_HANDLE};
use crate::map::{DragEvent, DragHandler, MapHandle};
use crate::state::{use_app, Notice, Selection};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

/// The area whose figures a camera's what-if shows: its village.
#[must_use]
pub fn what_if_area(c: &CameraInfo) -> String {
    c.grid_code.chars().take(12).collect()
}

/// The camera's field of view at `p`.
fn view_at(c: &CameraInfo, p: Placement) -> View {
    View { lon: p.lon, lat: p.lat, heading_deg: p.heading_deg, fov_deg: c.fov_deg, range_m: c.range_m }
}

/// The placement a drag step gives: the move handle carries the camera, the turn handle aims it.
#[must_use]
pub fn dragged(from: Placement, layer: &str, lon: f64, lat: f64) -> Placement {
    if layer == TURN_HANDLE {
        let h = bearing([from.lon, from.lat], [lon, lat]);
        // Headings are stored to a tenth of a degree; 360.0 is not a heading.
        let h = (h * 10.0).round() / 10.0;
        Placement { heading_deg: if h >= 360.0 { 0.0 } else { h }, ..from }
    } else {
        Placement { lon, lat, ..from }
    }
}

/// The overlay's features for the state and the selected grid.
#[must_use]
pub fn overlay_features(c: &CoverageState, grid: Option<&str>, handles: bool) -> Value {
    let blind: Vec<&Value> = match (&c.grid, grid) {
        (Some((code, load)), Some(sel)) if code == sel => load.done().map_or_else(Vec::new, |g| {
            let fc = if c.occlusion { &g.occluded.blind_spots } else { &g.plain.blind_spots };
            fc.features.iter().map(|f| &f.geometry).collect()
        }),
        _ => Vec::new(),
    };
    let sites = c.suggestion_done().map_or(&[][..], |s| s.result.sites.as_slice());
    let view = c.camera.as_ref().map(|e| view_at(&e.camera, e.placement));
    features(&blind, sites, view.as_ref(), handles)
}

/// One what-if at a time: the newest placement asked meanwhile goes next.
#[derive(Default)]
pub struct Pump {
    busy: bool,
    next: Option<(CameraInfo, Placement, bool)>,
}

/// Asks for the figures of `camera` at `p` (through `pump`), with occlusion or not.
pub fn what_if(client: &Client, pump: &Rc<RefCell<Pump>>, camera: &CameraInfo, p: Placement, occlusion: bool) {
    {
        let mut q = pump.borrow_mut();
        if q.busy {
            q.next = Some((camera.clone(), p, occlusion));
            return;
        }
        q.busy = true;
    }
    let (client, pump) = (client.clone(), pump.clone());
    let mut job = Some((camera.clone(), p, occlusion));
    spawn_local(async move {
        while let Some((c, p, occlusion)) = job.take() {
            let seq = next_request();
            client.send(A::WhatIfStarted(seq));
            let req = WhatIfRequest {
                grid: None,
                area_code: Some(what_if_area(&c)),
                occlusion,
                changes: vec![WhatIfChange {
                    id: Some(c.id),
                    lon: p.lon,
                    lat: p.lat,
                    heading_deg: p.heading_deg,
                    fov_deg: c.fov_deg,
                    range_m: c.range_m,
                }],
            };
            let r = client.check(api::coverage_what_if(client.token(), &req).await).map(Box::new).map_err(Notice::Api);
            client.send(A::WhatIfLoaded(seq, r));
            let mut q = pump.borrow_mut();
            job = q.next.take();
            q.busy = job.is_some();
        }
    });
}

/// Saves camera `id` at `p` (a drop, or an undo when `undo`).
pub fn save(client: &Client, id: i64, p: Placement, undo: bool) {
    let seq = next_request();
    client.send(if undo { A::UndoStarted(seq) } else { A::SaveStarted(seq) });
    let client = client.clone();
    spawn_local(async move {
        let patch = CameraPatch {
            lon: Some(p.lon),
            lat: Some(p.lat),
            heading_deg: Some(p.heading_deg),
            ..CameraPatch::default()
        };
        let r = client
            .check(api::patch_camera(client.token(), id, &patch).await)
            .map(|s| Box::new(s.camera))
            .map_err(Notice::Api);
        client.send(A::SaveDone(seq, r));
    });
}

#[function_component(CoverageMap)]
pub fn coverage_map(props: &Props) -> Html {
    let app = use_app();
    let client = use_client();
    let c = &app.workspaces.coverage;
    let editable = app.session.as_ref().is_some_and(|s| may_edit_cameras(s.user.role));
    let pump = use_mut_ref(Pump::default);

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

    // The selected camera.
    {
        let client = client.clone();
        use_effect_with(app.selection.clone(), move |sel| {
            let Some(Selection::Camera(id)) = sel else {
                client.send(A::Camera(None));
                return;
            };
            let id = *id;
            spawn_local(async move {
                if let Ok(info) = client.check(api::camera(client.token(), id).await) {
                    client.send(A::Camera(Some(Box::new(info))));
                }
            });
        });
    }
    // The figures of its village where it is saved (again after each save or undo): a drag
    // asks for its own.
    {
        let (client, pump) = (client.clone(), pump.clone());
        let saved = c.camera.as_ref().map(|e| e.camera.clone());
        use_effect_with((saved, c.occlusion), move |(saved, occlusion)| {
            if let Some(camera) = saved {
                what_if(&client, &pump, camera, Placement::of(camera), *occlusion);
            }
        });
    }

    // What the drag callbacks read: the camera, where it is drawn now, the occlusion mode.
    let live = use_mut_ref(|| None::<(CameraInfo, Placement, bool)>);
    *live.borrow_mut() = c.camera.as_ref().map(|e| (e.camera.clone(), e.placement, c.occlusion));
    let camera_id = c.camera.as_ref().map(|e| e.camera.id);
    {
        let (client, pump, live) = (client.clone(), pump.clone(), live.clone());
        use_effect_with((props.map.clone(), camera_id, editable), move |(map, id, editable)| {
            if let (Some(map), Some(_), true) = (map, id, *editable) {
                // The placement when the press began: a turn aims from there.
                let start = Rc::new(RefCell::new(None::<Placement>));
                let step = {
                    let (live, start) = (live.clone(), start.clone());
                    move |e: &DragEvent| {
                        let (camera, _, occlusion) = live.borrow().clone()?;
                        let from = (*start.borrow())?;
                        Some((camera, dragged(from, &e.layer, e.lon, e.lat), occlusion))
                    }
                };
                let on_start = {
                    let (live, start) = (live.clone(), start.clone());
                    Callback::from(move |_: DragEvent| *start.borrow_mut() = live.borrow().as_ref().map(|(_, p, _)| *p))
                };
                let on_move = {
                    let (client, pump, step) = (client.clone(), pump.clone(), step.clone());
                    Callback::from(move |e: DragEvent| {
                        if let Some((camera, p, occlusion)) = step(&e) {
                            client.send(A::Drag(p));
                            what_if(&client, &pump, &camera, p, occlusion);
                        }
                    })
                };
                let on_drop = {
                    let (client, pump) = (client.clone(), pump.clone());
                    Callback::from(move |e: DragEvent| {
                        if let Some((camera, p, occlusion)) = step(&e) {
                            client.send(A::Drag(p));
                            what_if(&client, &pump, &camera, p, occlusion);
                            if p != Placement::of(&camera) {
                                save(&client, camera.id, p, false);
                            }
                        }
                    })
                };
                map.set_drag_handler(Some(DragHandler { layers: HANDLES, on_start, on_move, on_drop }));
            }
            let map = map.clone();
            move || {
                if let Some(map) = map {
                    map.set_drag_handler(None);
                }
            }
        });
    }

    let grid = match &app.selection {
        Some(Selection::Grid(code)) => Some(code.as_str()),
        _ => None,
    };
    use_map_overlay(props.map.clone(), &OVERLAY, overlay_features(c, grid, editable));
    html! {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handles_move_and_turn() {
        let from = Placement { lon: 119.0, lat: 33.6, heading_deg: 10.0 };
        let moved = dragged(from, "citygrid-coverage-move", 119.001, 33.601);
        assert_eq!(moved, Placement { lon: 119.001, lat: 33.601, heading_deg: 10.0 });
        // East of the camera: heading 90.
        let turned = dragged(from, TURN_HANDLE, 119.001, 33.6);
        assert_eq!((turned.lon, turned.lat, turned.heading_deg), (119.0, 33.6, 90.0));
        // Just west of north rounds to 359.9, never 360.
        let north = dragged(from, TURN_HANDLE, 119.0 - 1e-9, 33.601);
        assert!(north.heading_deg == 0.0 || north.heading_deg < 360.0, "{}", north.heading_deg);
    }
}
