//! The Planning workspace on the map. A click selects the grid under it (the app's selection,
//! so the search and the inspector agree); a shift-click adds an adjacent grid to the merge;
//! while a split line is drawn, clicks add its vertices and a double click or Enter finishes
//! it, Esc cancels, Ctrl+Z removes the last vertex. The overlay shows the village outline and
//! the neighbours, the merge, the sketch, a preview's area gained and lost and the outlines
//! after it, a refusal's geometry in red; buildings that change grid are outlined on the
//! building tiles. Renders nothing itself.

use serde_json::Value;
use yew::prelude::*;

use super::state::{reversed, AsOf, Load, PlanningAction as A, PlanningState, Preview, Tool};
use crate::hooks::{use_client, use_map_overlay};
use crate::map::bindings::{KeyListener, KeyPress};
use crate::map::layers::planning::{
    features, moved_buildings_filter, moved_buildings_paint, Drawing, BUILDINGS_BASE, MOVED_BUILDINGS, OVERLAY,
};
use crate::map::{ClickHandler, MapClick, MapHandle};
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

/// What a click does, given whether a split line is being drawn and the user may edit.
#[must_use]
pub fn click_action(click: &MapClick, splitting: bool, editor: bool) -> Action {
    if splitting {
        return A::AddVertex([click.lon, click.lat]).into();
    }
    match grid_at(click) {
        Some((code, version)) if click.shift && editor => A::ToggleMerge { code, version }.into(),
        Some((code, _)) => Action::Select { selection: Some(Selection::Grid(code)), fly: false },
        None => Action::Select { selection: None, fly: false },
    }
}

/// What a key does (`None`: not ours).
#[must_use]
pub fn key_action(key: &KeyPress, splitting: bool) -> Option<A> {
    match key.key.as_str() {
        "Escape" => Some(A::Cancel),
        "Enter" if splitting => Some(A::FinishLine),
        "z" | "Z" if key.ctrl && splitting => Some(A::UndoVertex),
        _ => None,
    }
}

/// The overlay's features for the state.
#[must_use]
pub fn overlay_features(p: &PlanningState) -> Value {
    let mut d = Drawing { sketch: p.sketch(), ..Drawing::default() };
    if let Some(AsOf { grids: Load::Done(grids), .. }) = &p.as_of {
        d.as_of = grids.iter().map(|(_, g)| g).collect();
    }
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
    let splitting = matches!(p.tool, Tool::Split { finished: false, .. });
    let editor = props.editor;

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
        use_effect_with((props.map.clone(), splitting, editor), move |(map, splitting, editor)| {
            let (splitting, editor) = (*splitting, *editor);
            if let Some(map) = map {
                let c = client.clone();
                let on_click = Callback::from(move |click: MapClick| c.send(click_action(&click, splitting, editor)));
                map.set_click_handler(Some(ClickHandler { layers: GRID_LAYERS, on_click }));
                let c = client.clone();
                map.set_double_click_handler(
                    splitting.then(|| Callback::from(move |_: MapClick| c.send(A::FinishLine))),
                );
            }
            let keys = KeyListener::new(move |key| match key_action(&key, splitting) {
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
            click_action(&click(on_grid.clone(), false), false, true),
            Action::Select { selection: Some(Selection::Grid("320812001001001".into())), fly: false }
        );
        assert_eq!(
            click_action(&click(on_grid.clone(), true), false, true),
            Action::from(A::ToggleMerge { code: "320812001001001".into(), version: 2 })
        );
        // A reader's shift-click only selects.
        assert!(matches!(click_action(&click(on_grid.clone(), true), false, false), Action::Select { .. }));
        assert_eq!(click_action(&click(on_grid, false), true, true), Action::from(A::AddVertex([119.03, 33.6])));
        assert_eq!(
            click_action(&click(Vec::new(), false), false, true),
            Action::Select { selection: None, fly: false }
        );
    }

    #[test]
    fn keys_finish_undo_and_cancel() {
        let k = |key: &str, ctrl: bool| KeyPress { key: key.into(), ctrl };
        assert_eq!(key_action(&k("Enter", false), true), Some(A::FinishLine));
        assert_eq!(key_action(&k("Enter", false), false), None);
        assert_eq!(key_action(&k("z", true), true), Some(A::UndoVertex));
        assert_eq!(key_action(&k("z", false), true), None);
        assert_eq!(key_action(&k("Escape", false), false), Some(A::Cancel));
    }
}
