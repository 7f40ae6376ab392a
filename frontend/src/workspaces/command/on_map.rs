//! The Command workspace on the map: the heatmap of the window (or of the day the slider is
//! at), county and township names at every zoom above it, and playback. Renders nothing.
//!
//! Two heat layers on two sources ([`crate::map::layers::command::HEAT`]): the front one
//! shows the current frame; a new frame is loaded into the back one (drawn at opacity 0) and
//! the two swap only once its tiles have loaded, so the map never shows a half-drawn day.
//! While playing, the back one holds the next day before playback moves on.

use std::cell::RefCell;
use std::rc::Rc;

use citygrid_api::{HeatScale, UnitStats};
use serde_json::json;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::choropleth::{classes, source_of};
use super::state::{CommandAction as A, Extent, Mode, Playback, Window};
use crate::api;
use crate::hooks::{use_client, use_interval, Client};
use crate::map::layers::command::{
    choropleth_layer, heat_layer, heat_source, shown_layers, weight, BELOW, CHOROPLETH, CHOROPLETH_BELOW, HEAT,
    HEAT_OPACITY, ORIENTATION_LABELS, STYLE_HEAT_LAYER, STYLE_HEAT_SOURCE,
};
use crate::map::{ClickHandler, MapClick, MapHandle};
use crate::state::{use_app, Action, Selection};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

/// How often a pending swap checks whether the back layer's tiles are in.
const SWAP_POLL_MS: i32 = 80;
/// How often the heat tile URLs (their freshness token) are asked for again.
const HEAT_REFRESH_MS: i32 = 30_000;

/// The label layers' own zoom ranges, restored when the tab closes.
type SavedRanges = Rc<RefCell<Vec<(&'static str, (f64, f64))>>>;

/// The two heat sources: which one is shown and the tile URL each holds.
#[derive(Default)]
struct Twin {
    front: usize,
    urls: [Option<String>; 2],
    /// The back source holds the frame to show next: swap once it has loaded.
    swap_pending: bool,
    /// The newest request: older answers are dropped.
    seq: u64,
    /// `heatmap-weight` for the window and frame kind.
    weight: Option<serde_json::Value>,
}

impl Twin {
    fn back(&self) -> usize {
        1 - self.front
    }

    /// Creates the layers on first use (both on `url`). Only then is the style read (a copy
    /// of the whole style each time): later frames find them made.
    fn ensure_layers(&mut self, map: &MapHandle, url: &str) -> bool {
        if self.urls.iter().all(Option::is_some) {
            return true;
        }
        let (Some(source), Some(layer)) = (map.style_source(STYLE_HEAT_SOURCE), map.style_layer(STYLE_HEAT_LAYER))
        else {
            return false;
        };
        for (i, id) in HEAT.iter().enumerate() {
            if self.urls[i].is_none() {
                let opacity = if i == self.front { HEAT_OPACITY } else { 0.0 };
                map.ensure_source(id, &heat_source(&source, url));
                map.ensure_layer_below(&heat_layer(&layer, id, opacity), BELOW);
                // They exist already when the tab is opened again.
                map.set_source_tiles(id, &[url.to_owned()]);
                map.set_paint(id, "heatmap-opacity", &json!(opacity));
                if let Some(w) = &self.weight {
                    map.set_paint(id, "heatmap-weight", w);
                }
                self.urls[i] = Some(url.to_owned());
            }
        }
        true
    }

    fn set_weight(&mut self, map: &MapHandle, weight: serde_json::Value) {
        for id in HEAT {
            map.set_paint(id, "heatmap-weight", &weight);
        }
        self.weight = Some(weight);
    }

    fn load(&mut self, map: &MapHandle, i: usize, url: &str) {
        if self.urls[i].as_deref() != Some(url) {
            map.set_source_tiles(HEAT[i], &[url.to_owned()]);
            self.urls[i] = Some(url.to_owned());
        }
    }

    /// Shows `url`: at once when the front holds it, else through the back source.
    fn show(&mut self, map: &MapHandle, url: &str) {
        if !self.ensure_layers(map, url) {
            return;
        }
        if self.urls[self.front].as_deref() == Some(url) {
            self.swap_pending = false;
            return;
        }
        let back = self.back();
        self.load(map, back, url);
        self.swap_pending = true;
        self.poll(map);
    }

    /// Loads `url` into the back source, unless the back is waiting to be shown.
    fn preload(&mut self, map: &MapHandle, url: &str) {
        if !self.swap_pending && self.urls[self.front].as_deref() != Some(url) {
            let back = self.back();
            self.load(map, back, url);
        }
    }

    /// Swaps when the back source has loaded what it should show.
    fn poll(&mut self, map: &MapHandle) {
        let back = self.back();
        if self.swap_pending && map.source_loaded(HEAT[back]) {
            map.set_paint(HEAT[back], "heatmap-opacity", &json!(HEAT_OPACITY));
            map.set_paint(HEAT[self.front], "heatmap-opacity", &json!(0.0));
            self.front = back;
            self.swap_pending = false;
        }
    }

    /// Whether the back source holds `url`, loaded: the next frame is ready.
    fn ready(&self, map: &MapHandle, url: &str) -> bool {
        let back = self.back();
        !self.swap_pending && self.urls[back].as_deref() == Some(url) && map.source_loaded(HEAT[back])
    }
}

/// The tile URL of the heat of `window` with the filter `filters` (a query fragment), with its
/// freshness token.
async fn heat_url(client: &Client, window: Window, filters: &str) -> Option<String> {
    client.check(api::heat_tiles(client.token(), &format!("{}{filters}", window.query())).await).ok().map(|h| h.tiles)
}

#[function_component(CommandMap)]
pub fn command_map(props: &Props) -> Html {
    let app = use_app();
    let client = use_client();
    let c = &app.workspaces.command;
    let twin = use_mut_ref(Twin::default);
    let next_url = use_mut_ref(|| None::<String>);
    // Every HEAT_REFRESH_MS the tile URLs are asked for again: a new incident changes the
    // window's token, and the heat it adds appears (through the back layer, without flicker).
    let refresh = use_state(|| 0_u32);
    {
        let refresh = refresh.clone();
        // The seconds of the clock: a new value each time.
        use_interval(HEAT_REFRESH_MS, (), move || refresh.set((js_sys::Date::now() / 1000.0) as u32));
    }

    // Whether the tab is open: work deferred until the style loads does nothing once it closed.
    let open = use_mut_ref(|| true);

    // Names over the heatmap at every zoom while the tab is open; the layers go when it closes.
    {
        let open = open.clone();
        use_effect_with(props.map.clone(), move |map| {
            *open.borrow_mut() = true;
            let saved: SavedRanges = Rc::default();
            if let Some(map) = map {
                let (saved, open) = (saved.clone(), open.clone());
                map.when_loaded(move |m| {
                    // Closed before the style loaded: nothing to widen (or to restore).
                    if !*open.borrow() {
                        return;
                    }
                    for id in ORIENTATION_LABELS {
                        if let Some(range) = m.layer_zoom_range(id) {
                            saved.borrow_mut().push((id, range));
                            m.set_layer_zoom_range(id, 0.0, 24.0);
                        }
                    }
                });
            }
            let map = map.clone();
            move || {
                *open.borrow_mut() = false;
                if let Some(map) = map {
                    for (id, (min, max)) in saved.borrow_mut().drain(..) {
                        map.set_layer_zoom_range(id, min, max);
                    }
                    map.override_layers(&[]);
                    map.set_click_handler(None);
                }
            }
        });
    }

    // Heatmap or choropleth: the layers of the mode shown (the grids' own fill hidden under a
    // choropleth), and in a choropleth a click selects the unit under it.
    {
        let app2 = app.clone();
        // The children of the unit shown, or every unit of a level (shared, not copied).
        let (children, all) = match (c.mode, c.extent) {
            (Mode::Heat, _) => (None, None),
            (Mode::Choropleth, Extent::Children) => (c.summary.done().map(|s| s.children.clone()), None),
            (Mode::Choropleth, Extent::All(_)) => (None, c.units.done().cloned()),
        };
        let deps = (props.map.clone(), c.mode, c.kpi, children, all);
        let open = open.clone();
        use_effect_with(deps, move |(map, mode, kpi, children, all)| {
            if let Some(map) = map {
                let units: Option<Vec<UnitStats>> = match (children, all) {
                    (Some(c), _) => Some(c.clone()),
                    (None, Some(a)) => Some(a.units.clone()),
                    (None, None) => None,
                };
                let (mode, kpi) = (*mode, *kpi);
                map.when_loaded(move |m| {
                    if !*open.borrow() {
                        return;
                    }
                    let shown = units.filter(|u| !u.is_empty()).and_then(|u| {
                        let (source, _) = source_of(u[0].level)?;
                        let layer = choropleth_layer(source)?;
                        m.ensure_layer_below(&layer, CHOROPLETH_BELOW);
                        let id = layer["id"].as_str()?.to_owned();
                        m.set_paint(&id, "fill-color", &classes(&u, kpi).1);
                        Some(id)
                    });
                    m.override_layers(&shown_layers(mode, shown.as_deref()));
                    let handler = (mode == Mode::Choropleth).then(|| ClickHandler {
                        layers: &CHOROPLETH,
                        on_click: Callback::from(move |click: MapClick| {
                            let code = click.features.first().and_then(|(_, p)| {
                                p["code"]
                                    .as_str()
                                    .map(str::to_owned)
                                    .or_else(|| p["code"].as_i64().map(|c| c.to_string()))
                            });
                            let selection =
                                code.map(|c| if c.len() == 15 { Selection::Grid(c) } else { Selection::Unit(c) });
                            // Drill down: the map moves to the unit, whose children it colours next.
                            app2.dispatch(Action::Select { selection, fly: true });
                        }),
                    });
                    m.set_click_handler(handler);
                });
            }
        });
    }

    // The scale of the window and filter: fetched when either changes.
    let scale = use_state(|| None::<(Window, String, HeatScale)>);
    let window = c.window();
    let filters = c.filters.query();
    {
        let (client, scale) = (client.clone(), scale.clone());
        use_effect_with((window, filters.clone()), move |(window, filters)| {
            if let Some(w) = *window {
                let (client, filters) = (client.clone(), filters.clone());
                spawn_local(async move {
                    let query = format!("{}{filters}", w.query());
                    if let Ok(s) = client.check(api::heat_scale(client.token(), &query).await) {
                        scale.set(Some((w, filters, s)));
                    }
                });
            }
        });
    }
    // The weight follows the scale and whether a frame is one day.
    let per_day = c.playback.frame.is_some() && !c.playback.cumulative;
    {
        let twin = twin.clone();
        use_effect_with((props.map.clone(), (*scale).clone(), per_day), move |(map, scale, per_day)| {
            if let (Some(map), Some((w, _, s))) = (map, scale) {
                let value = weight(s, w.days(), *per_day);
                map.when_loaded(move |m| twin.borrow_mut().set_weight(m, value));
            }
        });
    }

    // The frame shown, and the next one preloaded.
    let heat_window = c.heat_window();
    let next_window = window.and_then(|w| {
        let frame = Playback::next(c.playback.frame, w.days()).filter(|_| c.playback.frame.is_some());
        frame.map(|f| c.playback.frame_window(w, Some(f)))
    });
    {
        let (client, twin, next_url) = (client.clone(), twin.clone(), next_url.clone());
        use_effect_with(
            (props.map.clone(), heat_window, next_window, filters, *refresh),
            move |(map, heat_window, next_window, filters, _)| {
                if let (Some(map), Some(hw)) = (map.clone(), *heat_window) {
                    let seq = {
                        let mut t = twin.borrow_mut();
                        t.seq += 1;
                        t.seq
                    };
                    let (client, filters, next_window) = (client.clone(), filters.clone(), *next_window);
                    spawn_local(async move {
                        let Some(url) = heat_url(&client, hw, &filters).await else { return };
                        let map2 = map.clone();
                        let twin2 = twin.clone();
                        map.when_loaded(move |_| {
                            let mut t = twin2.borrow_mut();
                            if t.seq == seq {
                                t.show(&map2, &url);
                            }
                        });
                        let Some(nw) = next_window else { return };
                        let Some(next) = heat_url(&client, nw, &filters).await else { return };
                        let mut t = twin.borrow_mut();
                        if t.seq == seq {
                            t.preload(&map, &next);
                            *next_url.borrow_mut() = Some(next);
                        }
                    });
                }
            },
        );
    }

    // Swap as soon as the back layer is in.
    {
        let (map, twin) = (props.map.clone(), twin.clone());
        use_interval(SWAP_POLL_MS, props.map.clone(), move || {
            if let Some(map) = &map {
                twin.borrow_mut().poll(map);
            }
        });
    }
    // Playback: move on when the next day is ready, at most once per interval.
    {
        let (map, twin, next_url, client) = (props.map.clone(), twin.clone(), next_url.clone(), client.clone());
        let (interval, playing) = (c.playback.interval_ms(), c.playback.playing);
        // On the last day there is nothing to wait for: the next tick stops playback.
        let at_end = next_window.is_none();
        use_interval(interval, (props.map.clone(), playing, interval, at_end), move || {
            let Some(map) = map.as_ref().filter(|_| playing) else { return };
            if at_end {
                client.send(A::Advance);
                return;
            }
            let ready = next_url.borrow().as_deref().is_some_and(|u| twin.borrow().ready(map, u));
            if ready {
                client.send(A::Advance);
            }
        });
    }
    html! {}
}
