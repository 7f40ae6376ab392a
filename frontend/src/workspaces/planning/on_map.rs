//! The Planning workspace on the map. A click selects the grid under it (the app's selection,
//! so the search and the inspector agree); a shift-click adds an adjacent grid to the merge;
//! while a split line is drawn, clicks add its vertices and a double click or Enter finishes
//! it, Esc cancels, Ctrl+Z removes the last vertex. While a shared edge is edited, its vertices
//! are dragged (snapped to the vertices and edges of the grid, its neighbours and the village
//! within [`SNAP_PX`] pixels), a midpoint dragged or clicked adds a vertex, a double click on a
//! vertex removes it, Ctrl+Z undoes the last of these and Esc drops the edit; other clicks do
//! nothing then. The overlay shows the village outline and the neighbours, the merge, the
//! sketch, the edge and its handles, a preview's area gained and lost and the outlines after
//! it, a refusal's geometry in red; buildings that change grid are outlined on the building
//! tiles. "View as of" a day points the grid tiles at that day (`as_of=` on the `grids`
//! source) until the view ends or the page is left. Renders nothing itself.

use std::rc::Rc;

use serde_json::Value;
use yew::prelude::*;

use super::edge::{rings, snap, SNAP_PX};
use super::state::{reversed, PlanningAction as A, PlanningState, Preview, Tool};
use crate::hooks::{use_client, use_map_overlay};
use crate::map::bindings::{KeyListener, KeyPress};
use crate::map::layers::planning::{
    features, moved_buildings_filter, moved_buildings_paint, Drawing, BUILDINGS_BASE, EDGE_HANDLES, EDGE_MID,
    EDGE_VERTEX, MOVED_BUILDINGS, OVERLAY,
};
use crate::map::{ClickHandler, DragEvent, DragHandler, MapClick, MapHandle};
use crate::state::{use_app, Action, Selection};
use citygrid_api::PlanStatus;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
    /// The user may edit (shift-click merges, the split tool).
    pub editor: bool,
}

/// The style layer whose features a click picks.
const GRID_LAYERS: &[&str] = &["grids-fill"];
/// The style's grid source, whose tiles take `as_of`.
const GRID_SOURCE: &str = "grids";
/// What a click reports: the grids, and the edge's vertices (a double click removes one).
const CLICK_LAYERS: &[&str] = &["grids-fill", EDGE_VERTEX];

/// What the map's clicks, drags and keys do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Select,
    /// A split line is being drawn.
    Split,
    /// The neighbour across the edge to edit is picked.
    PickEdge,
    /// A shared edge is edited.
    Edge,
}

impl Mode {
    #[must_use]
    pub fn of(tool: &Tool) -> Mode {
        match tool {
            Tool::Split { finished: false, .. } => Mode::Split,
            Tool::Split { .. } | Tool::Select => Mode::Select,
            Tool::PickEdge { .. } => Mode::PickEdge,
            Tool::Edge(_) => Mode::Edge,
        }
    }
}

/// The grid under a click: its code and the version the tiles show.
#[must_use]
pub fn grid_at(click: &MapClick) -> Option<(String, i32)> {
    click.features.iter().find_map(|(layer, props)| {
        if !GRID_LAYERS.contains(&layer.as_str()) {
            return None;
        }
        let code = props.get("code")?.as_str()?.to_owned();
        let version = props.get("version").and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))?;
        Some((code, i32::try_from(version).ok()?))
    })
}

/// What a click does in `mode`, when the user may edit or not (`None`: nothing).
#[must_use]
pub fn click_action(click: &MapClick, mode: Mode, editor: bool) -> Option<Action> {
    match mode {
        Mode::Split => return Some(A::AddVertex([click.lon, click.lat]).into()),
        Mode::PickEdge => return grid_at(click).map(|(code, _)| A::PickNeighbour(code).into()),
        Mode::Edge => return None,
        Mode::Select => {}
    }
    Some(match grid_at(click) {
        Some((code, version)) if click.shift && editor => A::ToggleMerge { code, version }.into(),
        Some((code, _)) => Action::Select { selection: Some(Selection::Grid(code)), fly: false },
        None => Action::Select { selection: None, fly: false },
    })
}

/// What a double click does in `mode` (`None`: nothing, and the map does not zoom either).
#[must_use]
pub fn double_click_action(click: &MapClick, mode: Mode) -> Option<A> {
    match mode {
        Mode::Split => Some(A::FinishLine),
        Mode::Edge => click
            .features
            .iter()
            .find(|(layer, _)| layer == EDGE_VERTEX)
            .and_then(|(_, props)| Some(A::RemoveVertex(usize::try_from(props.get("index")?.as_u64()?).ok()?))),
        _ => None,
    }
}

/// What a key does (`None`: not ours).
#[must_use]
pub fn key_action(key: &KeyPress, mode: Mode) -> Option<A> {
    match key.key.as_str() {
        "Escape" => Some(A::Cancel),
        "Enter" if mode == Mode::Split => Some(A::FinishLine),
        "z" | "Z" if key.ctrl && matches!(mode, Mode::Split | Mode::Edge) => Some(A::UndoVertex),
        _ => None,
    }
}

/// The press on a handle of the edge: which vertex, or which midpoint.
fn grab(e: &DragEvent) -> Option<A> {
    let index = usize::try_from(e.properties.get("index")?.as_u64()?).ok()?;
    Some(A::Grab { index, midpoint: e.layer == EDGE_MID })
}

/// The vertices and edges a dragged vertex snaps to: the grid's, its neighbours' and the
/// village outline's rings, exactly as stored.
fn snap_targets(p: &PlanningState) -> Vec<Vec<[f64; 2]>> {
    let Some(w) = p.loaded() else { return Vec::new() };
    std::iter::once(&w.geometry)
        .chain(w.neighbours.iter().map(|n| &n.geometry))
        .chain(std::iter::once(&w.village_geometry))
        .flat_map(rings)
        .collect()
}

/// The overlay's features for the state.
#[must_use]
pub fn overlay_features(p: &PlanningState) -> Value {
    let mut d = Drawing { sketch: p.sketch(), edge: p.edge().map_or(&[], |e| &e.line), ..Drawing::default() };
    if let Some(w) = p.loaded() {
        d.village = Some(&w.village_geometry);
        d.neighbours = w.neighbours.iter().filter(|n| !p.merge.contains_key(&n.code)).map(|n| &n.geometry).collect();
        d.merge = w.neighbours.iter().filter(|n| p.merge.contains_key(&n.code)).map(|n| &n.geometry).collect();
    }
    match &p.preview {
        Preview::Draft(plan) | Preview::Deciding(plan) | Preview::Revert(plan) => {
            let grid = p.grid.as_deref();
            let diff = if matches!(p.preview, Preview::Revert(_)) || plan.status != PlanStatus::Draft {
                reversed(&plan.diff)
            } else {
                plan.diff.clone()
            };
            d.transfers = diff
                .transfers
                .iter()
                .filter(|t| grid == Some(t.from.as_str()) || grid == Some(t.to.as_str()))
                .map(|t| (t.geometry.clone(), grid == Some(t.to.as_str())))
                .collect();
            d.after = diff.grids.iter().filter_map(|g| g.after.as_ref().map(|a| a.geometry.clone())).collect();
        }
        Preview::Refused { error, .. } => {
            d.error = error
                .server()
                .and_then(|e| e.details.as_ref())
                .map(|details| &details["geometry"])
                .filter(|g| g.is_object());
        }
        _ => {}
    }
    features(&d)
}

/// The buildings a draft moves to another grid.
fn moved_buildings(p: &PlanningState) -> Vec<i64> {
    match &p.preview {
        Preview::Draft(plan) | Preview::Deciding(plan) | Preview::Revert(plan) => {
            plan.diff.buildings_moved.iter().map(|m| m.id).collect()
        }
        _ => Vec::new(),
    }
}

#[function_component(PlanningMap)]
pub fn planning_map(props: &Props) -> Html {
    let app = use_app();
    let client = use_client();
    let p = &app.workspaces.planning;
    let mode = Mode::of(&p.tool);
    let editor = props.editor;
    let targets = use_memo((p.grid.clone(), p.workload_rev, p.loaded().is_some()), |_| snap_targets(p));

    {
        let client = client.clone();
        use_effect_with(app.selection.clone(), move |sel| {
            let grid = match sel {
                Some(Selection::Grid(code)) => Some(code.clone()),
                _ => None,
            };
            client.send(A::Focus(grid));
        });
    }

    {
        let client = client.clone();
        use_effect_with((props.map.clone(), mode, editor), move |(map, mode, editor)| {
            let (mode, editor) = (*mode, *editor);
            if let Some(map) = map {
                let c = client.clone();
                let on_click = Callback::from(move |click: MapClick| {
                    if let Some(action) = click_action(&click, mode, editor) {
                        c.send(action);
                    }
                });
                map.set_click_handler(Some(ClickHandler { layers: CLICK_LAYERS, on_click }));
                let c = client.clone();
                map.set_double_click_handler(matches!(mode, Mode::Split | Mode::Edge).then(|| {
                    Callback::from(move |click: MapClick| {
                        if let Some(action) = double_click_action(&click, mode) {
                            c.send(action);
                        }
                    })
                }));
            }
            let keys = KeyListener::new(move |key| match key_action(&key, mode) {
                Some(action) => {
                    client.send(action);
                    true
                }
                None => false,
            });
            let map = map.clone();
            move || {
                drop(keys);
                if let Some(map) = map {
                    map.set_click_handler(None);
                    map.set_double_click_handler(None);
                }
            }
        });
    }

    {
        // Dragging the edge's handles, each position snapped.
        let client = client.clone();
        use_effect_with((props.map.clone(), mode == Mode::Edge, targets), move |(map, editing, targets)| {
            if let (Some(map), true) = (map, *editing) {
                let at = {
                    let (map, targets) = (map.clone(), Rc::clone(targets));
                    move |e: &DragEvent| {
                        let ll = [e.lon, e.lat];
                        let pointer = map.project(ll);
                        pointer.and_then(|px| snap(px, &targets, SNAP_PX, |q| map.project(q))).unwrap_or(ll)
                    }
                };
                let c = client.clone();
                let on_start = Callback::from(move |e: DragEvent| {
                    if let Some(action) = grab(&e) {
                        c.send(action);
                    }
                });
                let (c, at_move) = (client.clone(), at.clone());
                let on_move = Callback::from(move |e: DragEvent| c.send(A::DragTo(at_move(&e))));
                let c = client.clone();
                let on_drop = Callback::from(move |e: DragEvent| {
                    c.send(A::DragTo(at(&e)));
                    c.send(A::Release);
                });
                map.set_drag_handler(Some(DragHandler { layers: EDGE_HANDLES, on_start, on_move, on_drop }));
            }
            let map = map.clone();
            move || {
                if let Some(map) = map {
                    map.set_drag_handler(None);
                }
            }
        });
    }

    {
        let ids = moved_buildings(p);
        use_effect_with((props.map.clone(), ids), move |(map, ids)| {
            if let Some(map) = map {
                map.set_source_filter_layer(
                    MOVED_BUILDINGS,
                    BUILDINGS_BASE,
                    "line",
                    &moved_buildings_paint(),
                    moved_buildings_filter(ids),
                );
            }
            let map = map.clone();
            move || {
                if let Some(map) = map {
                    map.set_source_filter_layer(
                        MOVED_BUILDINGS,
                        BUILDINGS_BASE,
                        "line",
                        &moved_buildings_paint(),
                        None,
                    );
                }
            }
        });
    }

    use_effect_with((props.map.clone(), p.as_of.clone()), |(map, day)| {
        if let Some(map) = map {
            let query = day.as_ref().map(|d| format!("as_of={d}"));
            map.set_source_query(GRID_SOURCE, query.as_deref());
        }
        let map = map.clone();
        move || {
            if let Some(map) = map {
                map.set_source_query(GRID_SOURCE, None);
            }
        }
    });

    use_map_overlay(props.map.clone(), &OVERLAY, overlay_features(p));
    html! {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn click(features: Vec<(String, Value)>, shift: bool) -> MapClick {
        MapClick { lon: 119.03, lat: 33.6, features, shift }
    }

    #[test]
    fn clicks_select_merge_or_draw() {
        let on_grid = vec![("grids-fill".to_owned(), json!({"code": "320812001001001", "version": 2}))];
        assert_eq!(
            click_action(&click(on_grid.clone(), false), Mode::Select, true),
            Some(Action::Select { selection: Some(Selection::Grid("320812001001001".into())), fly: false })
        );
        assert_eq!(
            click_action(&click(on_grid.clone(), true), Mode::Select, true),
            Some(Action::from(A::ToggleMerge { code: "320812001001001".into(), version: 2 }))
        );
        // A reader's shift-click only selects.
        assert!(matches!(
            click_action(&click(on_grid.clone(), true), Mode::Select, false),
            Some(Action::Select { .. })
        ));
        assert_eq!(
            click_action(&click(on_grid.clone(), false), Mode::Split, true),
            Some(Action::from(A::AddVertex([119.03, 33.6])))
        );
        assert_eq!(
            click_action(&click(on_grid.clone(), false), Mode::PickEdge, true),
            Some(Action::from(A::PickNeighbour("320812001001001".into())))
        );
        // While an edge is edited, a click (the end of a press on a handle) selects nothing.
        assert_eq!(click_action(&click(on_grid, false), Mode::Edge, true), None);
        assert_eq!(
            click_action(&click(Vec::new(), false), Mode::Select, true),
            Some(Action::Select { selection: None, fly: false })
        );
    }

    #[test]
    fn a_double_click_finishes_a_line_or_removes_an_edge_vertex() {
        let on_vertex = vec![(EDGE_VERTEX.to_owned(), json!({"role": "edge-vertex", "index": 2}))];
        assert_eq!(double_click_action(&click(on_vertex.clone(), false), Mode::Edge), Some(A::RemoveVertex(2)));
        assert_eq!(double_click_action(&click(Vec::new(), false), Mode::Edge), None);
        assert_eq!(double_click_action(&click(on_vertex, false), Mode::Split), Some(A::FinishLine));
        assert_eq!(double_click_action(&click(Vec::new(), false), Mode::Select), None);
    }

    #[test]
    fn keys_finish_undo_and_cancel() {
        let k = |key: &str, ctrl: bool| KeyPress { key: key.into(), ctrl };
        assert_eq!(key_action(&k("Enter", false), Mode::Split), Some(A::FinishLine));
        assert_eq!(key_action(&k("Enter", false), Mode::Select), None);
        assert_eq!(key_action(&k("z", true), Mode::Split), Some(A::UndoVertex));
        assert_eq!(key_action(&k("z", true), Mode::Edge), Some(A::UndoVertex));
        assert_eq!(key_action(&k("z", false), Mode::Split), None);
        assert_eq!(key_action(&k("Escape", false), Mode::Select), Some(A::Cancel));
    }
}
