//! All JavaScript interop: MapLibre GL JS (`window.maplibregl`, loaded by `index.html` from the
//! locally bundled `maplibre-gl.mjs`) and the few `window`/`document` hooks for browser tests.
//!
//! [`MapHandle`] is the Rust face of one map: it creates the `maplibregl.Map`, wires its events
//! to Yew callbacks (clicks select features, or go to a workspace's [`ClickHandler`]), draws the
//! workspaces' [`Overlay`]s and offers the handful of operations the UI needs. Everything else
//! in the app is plain Rust and knows nothing of JS objects.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect, JSON};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::Callback;

use super::layers::{collection, Overlay};
use super::rules::{self, Group, CLICKABLE_LAYERS, HUAIAN_BOUNDS};
use crate::state::Selection;

#[wasm_bindgen]
extern "C" {
    /// `maplibregl.Map`.
    #[wasm_bindgen(js_namespace = maplibregl)]
    pub type Map;

    #[wasm_bindgen(constructor, js_namespace = maplibregl, catch)]
    fn new(options: &JsValue) -> Result<Map, JsValue>;

    #[wasm_bindgen(method)]
    fn on(this: &Map, event: &str, listener: &Function);

    #[wasm_bindgen(method)]
    fn remove(this: &Map);

    #[wasm_bindgen(method, js_name = addControl)]
    fn add_control(this: &Map, control: &JsValue, position: &str);

    #[wasm_bindgen(method, js_name = fitBounds)]
    fn fit_bounds(this: &Map, bounds: &JsValue, options: &JsValue);

    #[wasm_bindgen(method, js_name = flyTo)]
    fn fly_to(this: &Map, options: &JsValue);

    #[wasm_bindgen(method, js_name = getLayer)]
    fn get_layer(this: &Map, id: &str) -> JsValue;

    #[wasm_bindgen(method, catch, js_name = getStyle)]
    fn get_style(this: &Map) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = addLayer)]
    fn add_layer(this: &Map, layer: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = setFilter)]
    fn set_filter(this: &Map, layer: &str, filter: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(method, js_name = getLayoutProperty)]
    fn get_layout_property(this: &Map, layer: &str, name: &str) -> JsValue;

    #[wasm_bindgen(method, catch, js_name = setLayoutProperty)]
    fn set_layout_property(this: &Map, layer: &str, name: &str, value: &JsValue) -> Result<(), JsValue>;

    // Command workspace: layers of its own below the labels, paint and zoom ranges.
    #[wasm_bindgen(method, catch, js_name = addLayer)]
    fn add_layer_before(this: &Map, layer: &JsValue, before: &str) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = setPaintProperty)]
    fn set_paint_property(this: &Map, layer: &str, name: &str, value: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = setLayerZoomRange)]
    fn set_layer_zoom_range_js(this: &Map, layer: &str, min: f64, max: f64) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch, js_name = isSourceLoaded)]
    fn is_source_loaded(this: &Map, id: &str) -> Result<bool, JsValue>;

    #[wasm_bindgen(method, catch, js_name = queryRenderedFeatures)]
    fn query_rendered_features(this: &Map, point: &JsValue, options: &JsValue) -> Result<Array, JsValue>;

    #[wasm_bindgen(method, js_name = getCanvasContainer)]
    fn get_canvas_container(this: &Map) -> web_sys::HtmlElement;

    #[wasm_bindgen(method, catch, js_name = addSource)]
    fn add_source(this: &Map, id: &str, source: &JsValue) -> Result<(), JsValue>;

    #[wasm_bindgen(method, js_name = getSource)]
    fn get_source(this: &Map, id: &str) -> JsValue;

    #[wasm_bindgen(method, js_name = getBounds)]
    fn get_bounds(this: &Map) -> LngLatBounds;

    #[wasm_bindgen(method, catch, js_name = project)]
    fn project_js(this: &Map, lng_lat: &JsValue) -> Result<JsValue, JsValue>;

    /// `maplibregl.GeoJSONSource`.
    type GeoJsonSource;

    #[wasm_bindgen(method, js_name = setData)]
    fn set_data(this: &GeoJsonSource, data: &JsValue);

    /// `maplibregl.VectorTileSource`.
    type VectorTileSource;

    #[wasm_bindgen(method, getter)]
    fn tiles(this: &VectorTileSource) -> JsValue;

    #[wasm_bindgen(method, js_name = setTiles)]
    fn set_tiles(this: &VectorTileSource, tiles: &JsValue);

    /// `maplibregl.LngLatBounds`.
    type LngLatBounds;

    #[wasm_bindgen(method, js_name = getWest)]
    fn get_west(this: &LngLatBounds) -> f64;
    #[wasm_bindgen(method, js_name = getSouth)]
    fn get_south(this: &LngLatBounds) -> f64;
    #[wasm_bindgen(method, js_name = getEast)]
    fn get_east(this: &LngLatBounds) -> f64;
    #[wasm_bindgen(method, js_name = getNorth)]
    fn get_north(this: &LngLatBounds) -> f64;

    /// `maplibregl.NavigationControl` (zoom and rotate buttons).
    #[wasm_bindgen(js_namespace = maplibregl)]
    type NavigationControl;

    #[wasm_bindgen(constructor, js_namespace = maplibregl)]
    fn new(options: &JsValue) -> NavigationControl;

    /// `maplibregl.ScaleControl`.
    #[wasm_bindgen(js_namespace = maplibregl)]
    type ScaleControl;

    #[wasm_bindgen(constructor, js_namespace = maplibregl)]
    fn new(options: &JsValue) -> ScaleControl;

    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(msg: &str);
}

fn to_js(v: &Value) -> JsValue {
    JSON::parse(&v.to_string()).unwrap_or(JsValue::NULL)
}

fn from_js(v: &JsValue) -> Value {
    JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null)
}

fn set_body_map_state(state: &str) {
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        let _ = body.dataset().set("mapState", state);
    }
}

/// Highlight layers added on top of the style: (our id, the style layer whose source we reuse,
/// layer type, the property to match).
const HIGHLIGHTS: [(&str, &str, &str, &str); 6] = [
    ("citygrid-selected-county", "counties-line", "line", "code"),
    ("citygrid-selected-township", "townships-line", "line", "code"),
    ("citygrid-selected-village", "villages-line", "line", "code"),
    ("citygrid-selected-grid", "grids-line", "line", "code"),
    ("citygrid-selected-building", "buildings-fill", "line", "id"),
    ("citygrid-selected-camera", "cameras-circle", "circle", "id"),
];
const HIGHLIGHT_COLOUR: &str = citygrid_api::symbology::HIGHLIGHT;
const NOTHING: &str = "\u{0}none";

fn highlight_target(sel: Option<&Selection>) -> Option<(&'static str, String)> {
    Some(match sel? {
        Selection::Grid(c) => ("citygrid-selected-grid", c.clone()),
        Selection::Unit(c) => (
            match c.len() {
                0..=6 => "citygrid-selected-county",
                7..=9 => "citygrid-selected-township",
                _ => "citygrid-selected-village",
            },
            c.clone(),
        ),
        Selection::Building(id) => ("citygrid-selected-building", id.to_string()),
        Selection::Camera(id) => ("citygrid-selected-camera", id.to_string()),
    })
}

/// Where a workspace wants map clicks: the position and the features of `layers` under it.
#[derive(Clone)]
pub struct ClickHandler {
    /// Style or overlay layer ids whose features the click reports.
    pub layers: &'static [&'static str],
    pub on_click: Callback<MapClick>,
}

/// A click on the map, for a [`ClickHandler`].
#[derive(Debug, Clone, PartialEq)]
pub struct MapClick {
    pub lon: f64,
    pub lat: f64,
    /// (layer id, properties) of the features under the click, topmost first.
    pub features: Vec<(String, Value)>,
    /// Shift was held (adds to a selection).
    pub shift: bool,
}

/// Dragging features of an overlay (shared primitive; used by any workspace that edits points
/// on the map): a primary-button press on a feature of one of `layers` starts a drag (the map
/// does not pan), every mouse move over the map reports the position, the release drops it —
/// over the map at the pointer, anywhere else on the page at the last position reported.
/// Presses elsewhere (and other buttons) pan or rotate the map as usual.
#[derive(Clone)]
pub struct DragHandler {
    /// Overlay (or style) layer ids whose features can be dragged.
    pub layers: &'static [&'static str],
    /// The press on a feature: its layer, properties and the pointer's position.
    pub on_start: Callback<DragEvent>,
    /// Each move while pressed, with the same feature.
    pub on_move: Callback<DragEvent>,
    /// The release, with the same feature and the final position.
    pub on_drop: Callback<DragEvent>,
}

/// One step of a drag, for a [`DragHandler`].
#[derive(Debug, Clone, PartialEq)]
pub struct DragEvent {
    /// The layer and properties of the feature the drag started on.
    pub layer: String,
    pub properties: Value,
    pub lon: f64,
    pub lat: f64,
}

type Listener = Closure<dyn FnMut(JsValue)>;
/// A DOM mouse event listener.
type MouseListener = Closure<dyn FnMut(web_sys::MouseEvent)>;
/// A drag under way: the handler it started with, the feature pressed (layer, properties) and
/// the last position reported.
type Dragging = (DragHandler, String, Value, (f64, f64));
/// Work for when the style has loaded.
type Deferred = Box<dyn FnOnce(&MapHandle)>;

/// Whether Shift was held during a MapLibre mouse event.
fn shift_held(e: &JsValue) -> bool {
    Reflect::get(e, &"originalEvent".into())
        .ok()
        .and_then(|o| Reflect::get(&o, &"shiftKey".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

fn prevent_default(e: &JsValue) {
    if let Ok(prevent) = Reflect::get(e, &"preventDefault".into()) {
        if let Some(f) = prevent.dyn_ref::<Function>() {
            let _ = f.call0(e);
        }
    }
}

/// Whether a MapLibre mouse event's button is the primary one (`MouseEvent.button` 0).
fn primary_button(e: &JsValue) -> bool {
    Reflect::get(e, &"originalEvent".into())
        .ok()
        .and_then(|o| Reflect::get(&o, &"button".into()).ok())
        .and_then(|v| v.as_f64())
        .is_some_and(|b| b == 0.0)
}

/// `lngLat` of a MapLibre mouse event.
fn event_lon_lat(e: &JsValue) -> Option<(f64, f64)> {
    let ll = Reflect::get(e, &"lngLat".into()).ok()?;
    let num = |k: &str| Reflect::get(&ll, &k.into()).ok().and_then(|v| v.as_f64());
    Some((num("lng")?, num("lat")?))
}

struct Inner {
    map: Map,
    loaded: RefCell<bool>,
    selection: RefCell<Option<Selection>>,
    hidden: RefCell<Vec<Group>>,
    listeners: RefCell<Vec<Listener>>,
    /// When set (by a workspace), clicks go here instead of selecting a feature.
    click_handler: RefCell<Option<ClickHandler>>,
    /// When set (by a workspace), double clicks go here instead of zooming in.
    double_click_handler: RefCell<Option<Callback<MapClick>>>,
    /// When set (by a workspace), presses on its layers' features drag them.
    drag_handler: RefCell<Option<DragHandler>>,
    /// The drag under way.
    dragging: RefCell<Option<Dragging>>,
    /// `mouseup` on the window: ends a drag released outside the map.
    release: RefCell<Option<MouseListener>>,
    /// When set, receives the view's bounds after every move.
    move_handler: RefCell<Option<Callback<[f64; 4]>>>,
    /// The workspaces' drawings and their current features, applied once the style has loaded.
    overlays: RefCell<Vec<(&'static Overlay, Value)>>,
    /// Style layers a workspace shows or hides while it is open ([`MapHandle::override_layers`]),
    /// and the visibility each had before (restored when the override ends).
    overrides: RefCell<Vec<(&'static str, bool)>>,
    originals: RefCell<Vec<(&'static str, bool)>>,
    /// Work waiting for the style to load ([`MapHandle::when_loaded`]).
    deferred: RefCell<Vec<Deferred>>,
    /// A query parameter a workspace adds to a vector source's tile URLs, by source
    /// ([`MapHandle::set_source_query`]).
    source_queries: RefCell<Vec<(String, String)>>,
    _transform: Closure<dyn FnMut(String, JsValue) -> JsValue>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let (Some(w), Some(release)) = (web_sys::window(), self.release.borrow_mut().take()) {
            let _ = w.remove_event_listener_with_callback("mouseup", release.as_ref().unchecked_ref());
        }
        self.map.remove();
        if let Some(w) = web_sys::window() {
            let _ = Reflect::delete_property(&w, &"__citygrid".into());
        }
    }
}

/// One MapLibre map. Cloning shares it; it is removed when the last clone goes.
#[derive(Clone)]
pub struct MapHandle(Rc<Inner>);

impl PartialEq for MapHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl MapHandle {
    /// Creates the map in `container` with the backend's `/style.json`, fitted to Huai'an.
    /// Tile requests to this origin's `/tiles/` carry `token`. `on_pick` receives what a click
    /// selects (`None` for empty map).
    pub fn create(
        container: &web_sys::HtmlElement,
        token: &str,
        on_pick: impl Fn(Option<Selection>) + 'static,
    ) -> Result<MapHandle, String> {
        let window = web_sys::window().ok_or("no window")?;
        let origin = window.location().origin().map_err(|e| format!("{e:?}"))?;
        set_body_map_state("loading");

        let auth = format!("Bearer {token}");
        let origin_for_transform = origin.clone();
        let transform = Closure::<dyn FnMut(String, JsValue) -> JsValue>::new(move |url: String, _kind: JsValue| {
            if rules::needs_tile_auth(&url, &origin_for_transform) {
                to_js(&json!({"url": url, "headers": {"Authorization": auth}}))
            } else {
                JsValue::UNDEFINED
            }
        });

        let options = to_js(&json!({
            "style": format!("{origin}/style.json"),
            "bounds": HUAIAN_BOUNDS,
            "fitBoundsOptions": {"padding": 24},
            "attributionControl": {"compact": true},
            "dragRotate": true,
            // Shift-click adds to a selection (the Planning page's merge); MapLibre's box zoom
            // (shift-drag) would swallow the click that follows every shift-press.
            "boxZoom": false,
        }));
        Reflect::set(&options, &"container".into(), container).map_err(|e| format!("{e:?}"))?;
        Reflect::set(&options, &"transformRequest".into(), transform.as_ref()).map_err(|e| format!("{e:?}"))?;
        let map = Map::new(&options).map_err(|e| format!("MapLibre: {}", from_js(&e)))?;

        map.add_control(&NavigationControl::new(&to_js(&json!({"visualizePitch": true}))), "bottom-right");
        map.add_control(&ScaleControl::new(&to_js(&json!({"maxWidth": 120, "unit": "metric"}))), "bottom-right");

        let handle = MapHandle(Rc::new(Inner {
            map,
            loaded: RefCell::new(false),
            selection: RefCell::new(None),
            hidden: RefCell::new(Vec::new()),
            listeners: RefCell::new(Vec::new()),
            click_handler: RefCell::new(None),
            double_click_handler: RefCell::new(None),
            drag_handler: RefCell::new(None),
            dragging: RefCell::new(None),
            release: RefCell::new(None),
            move_handler: RefCell::new(None),
            overlays: RefCell::new(Vec::new()),
            overrides: RefCell::new(Vec::new()),
            originals: RefCell::new(Vec::new()),
            deferred: RefCell::new(Vec::new()),
            source_queries: RefCell::new(Vec::new()),
            _transform: transform,
        }));

        let weak = Rc::downgrade(&handle.0);
        handle.listen("load", move |_| {
            if let Some(inner) = weak.upgrade() {
                let h = MapHandle(inner);
                *h.0.loaded.borrow_mut() = true;
                h.add_highlight_layers();
                let sel = h.0.selection.borrow().clone();
                h.apply_highlight(sel.as_ref());
                let hidden = h.0.hidden.borrow().clone();
                for group in hidden {
                    h.apply_group_visibility(group, false);
                }
                let overlays = h.0.overlays.borrow().clone();
                for (overlay, data) in &overlays {
                    h.apply_overlay(overlay, data);
                }
                let overrides = h.0.overrides.borrow().clone();
                h.apply_overrides(&[], &overrides);
                let deferred: Vec<_> = h.0.deferred.borrow_mut().drain(..).collect();
                for f in deferred {
                    f(&h);
                }
            }
        });
        let weak = Rc::downgrade(&handle.0);
        handle.listen("moveend", move |_| {
            if let Some(inner) = weak.upgrade() {
                let h = MapHandle(inner);
                let handler = h.0.move_handler.borrow().clone();
                if let (Some(cb), Some(b)) = (handler, h.bounds()) {
                    cb.emit(b);
                }
            }
        });
        handle.listen("idle", |_| set_body_map_state("idle"));
        handle.listen("error", |e| {
            let msg = Reflect::get(&e, &"error".into())
                .ok()
                .and_then(|err| Reflect::get(&err, &"message".into()).ok())
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "map error".into());
            console_warn(&format!("citygrid map: {msg}"));
        });
        let weak = Rc::downgrade(&handle.0);
        handle.listen("click", move |e| {
            if let Some(inner) = weak.upgrade() {
                let h = MapHandle(inner);
                let point = Reflect::get(&e, &"point".into()).unwrap_or(JsValue::UNDEFINED);
                let handler = h.0.click_handler.borrow().clone();
                if let Some(handler) = handler {
                    let ll = Reflect::get(&e, &"lngLat".into()).unwrap_or(JsValue::UNDEFINED);
                    let num = |k: &str| Reflect::get(&ll, &k.into()).ok().and_then(|v| v.as_f64());
                    if let (Some(lon), Some(lat)) = (num("lng"), num("lat")) {
                        let features = h.features_at(&point, handler.layers);
                        handler.on_click.emit(MapClick { lon, lat, features, shift: shift_held(&e) });
                    }
                    return;
                }
                on_pick(h.pick(&point));
            }
        });
        let weak = Rc::downgrade(&handle.0);
        handle.listen("dblclick", move |e| {
            if let Some(inner) = weak.upgrade() {
                let h = MapHandle(inner);
                let handler = h.0.double_click_handler.borrow().clone();
                let (Some(handler), Some((lon, lat))) = (handler, event_lon_lat(&e)) else { return };
                prevent_default(&e);
                // The features of the click handler's layers under it, as a click reports them.
                let layers = h.0.click_handler.borrow().as_ref().map(|c| c.layers);
                let point = Reflect::get(&e, &"point".into()).unwrap_or(JsValue::UNDEFINED);
                let features = layers.map(|l| h.features_at(&point, l)).unwrap_or_default();
                handler.emit(MapClick { lon, lat, features, shift: shift_held(&e) });
            }
        });
        let weak = Rc::downgrade(&handle.0);
        handle.listen("mousedown", move |e| {
            if let Some(inner) = weak.upgrade() {
                let h = MapHandle(inner);
                let handler = h.0.drag_handler.borrow().clone();
                let Some(handler) = handler.filter(|_| primary_button(&e)) else { return };
                let point = Reflect::get(&e, &"point".into()).unwrap_or(JsValue::UNDEFINED);
                let Some((layer, properties)) = h.features_at(&point, handler.layers).into_iter().next() else {
                    return;
                };
                let Some((lon, lat)) = event_lon_lat(&e) else { return };
                // Keeps MapLibre's drag-pan (and drag-rotate) out of this gesture.
                prevent_default(&e);
                handler.on_start.emit(DragEvent { layer: layer.clone(), properties: properties.clone(), lon, lat });
                *h.0.dragging.borrow_mut() = Some((handler, layer, properties, (lon, lat)));
            }
        });
        let weak = Rc::downgrade(&handle.0);
        handle.listen("mouseup", move |e| {
            if let Some(inner) = weak.upgrade() {
                let Some((handler, layer, properties, last)) = inner.dragging.borrow_mut().take() else { return };
                let (lon, lat) = event_lon_lat(&e).unwrap_or(last);
                handler.on_drop.emit(DragEvent { layer, properties, lon, lat });
            }
        });
        // A release outside the map (the map's own `mouseup` fires first for one over it, and
        // has taken the drag by the time this runs).
        let weak = Rc::downgrade(&handle.0);
        let release = MouseListener::new(move |_: web_sys::MouseEvent| {
            if let Some(inner) = weak.upgrade() {
                let Some((handler, layer, properties, (lon, lat))) = inner.dragging.borrow_mut().take() else {
                    return;
                };
                let _ = inner.map.get_canvas_container().style().set_property("cursor", "");
                handler.on_drop.emit(DragEvent { layer, properties, lon, lat });
            }
        });
        window
            .add_event_listener_with_callback("mouseup", release.as_ref().unchecked_ref())
            .map_err(|e| format!("{e:?}"))?;
        *handle.0.release.borrow_mut() = Some(release);
        let weak = Rc::downgrade(&handle.0);
        handle.listen("mousemove", move |e| {
            if let Some(inner) = weak.upgrade() {
                let point = Reflect::get(&e, &"point".into()).unwrap_or(JsValue::UNDEFINED);
                let h = MapHandle(inner);
                let dragging = h.0.dragging.borrow().clone();
                if let Some((handler, layer, properties, _)) = dragging {
                    if let Some((lon, lat)) = event_lon_lat(&e) {
                        if let Some(d) = h.0.dragging.borrow_mut().as_mut() {
                            d.3 = (lon, lat);
                        }
                        handler.on_move.emit(DragEvent { layer, properties, lon, lat });
                    }
                    let _ = h.0.map.get_canvas_container().style().set_property("cursor", "grabbing");
                    return;
                }
                let drag_layers = h.0.drag_handler.borrow().as_ref().map(|d| d.layers);
                let cursor = if drag_layers.is_some_and(|l| !h.features_at(&point, l).is_empty()) {
                    "grab"
                } else if h.0.click_handler.borrow().is_some() {
                    "crosshair"
                } else if h.pick(&point).is_some() {
                    "pointer"
                } else {
                    ""
                };
                let _ = h.0.map.get_canvas_container().style().set_property("cursor", cursor);
            }
        });

        // For browser tests: `window.__citygrid.map`.
        let hook = Object::new();
        let _ = Reflect::set(&hook, &"map".into(), &handle.0.map);
        let _ = Reflect::set(&window, &"__citygrid".into(), &hook);
        Ok(handle)
    }

    fn listen(&self, event: &str, f: impl FnMut(JsValue) + 'static) {
        let closure = Listener::new(f);
        self.0.map.on(event, closure.as_ref().unchecked_ref());
        self.0.listeners.borrow_mut().push(closure);
    }

    fn has_layer(&self, id: &str) -> bool {
        let l = self.0.map.get_layer(id);
        !l.is_undefined() && !l.is_null()
    }

    /// The rendered features of `layers` at a screen point, topmost first, as (layer id,
    /// properties).
    fn features_at(&self, point: &JsValue, layers: &[&str]) -> Vec<(String, Value)> {
        let layers: Array = layers.iter().filter(|l| self.has_layer(l)).map(|l| JsValue::from_str(l)).collect();
        if layers.length() == 0 {
            return Vec::new();
        }
        let opts = Object::new();
        let _ = Reflect::set(&opts, &"layers".into(), &layers);
        let Ok(features) = self.0.map.query_rendered_features(point, &opts) else { return Vec::new() };
        features
            .iter()
            .filter_map(|f| {
                let layer = Reflect::get(&f, &"layer".into()).ok()?;
                let id = Reflect::get(&layer, &"id".into()).ok()?.as_string()?;
                Some((id, from_js(&Reflect::get(&f, &"properties".into()).ok()?)))
            })
            .collect()
    }

    /// The topmost clickable feature at a screen point.
    fn pick(&self, point: &JsValue) -> Option<Selection> {
        self.features_at(point, &CLICKABLE_LAYERS).iter().find_map(|(layer, props)| rules::selection_for(layer, props))
    }

    fn add_highlight_layers(&self) {
        for (id, base, kind, _) in HIGHLIGHTS {
            let base_layer = self.0.map.get_layer(base);
            if base_layer.is_undefined() || base_layer.is_null() || self.has_layer(id) {
                continue;
            }
            let source = Reflect::get(&base_layer, &"source".into()).unwrap_or(JsValue::UNDEFINED);
            let source_layer = Reflect::get(&base_layer, &"sourceLayer".into()).unwrap_or(JsValue::UNDEFINED);
            let paint = if kind == "circle" {
                json!({"circle-radius": 9, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": HIGHLIGHT_COLOUR, "circle-stroke-width": 3})
            } else {
                json!({"line-color": HIGHLIGHT_COLOUR, "line-width": 3.5})
            };
            let layer = to_js(&json!({
                "id": id, "type": kind, "paint": paint,
                "filter": ["==", ["to-string", ["get", "code"]], NOTHING],
            }));
            let _ = Reflect::set(&layer, &"source".into(), &source);
            if source_layer.as_string().is_some() {
                let _ = Reflect::set(&layer, &"source-layer".into(), &source_layer);
            }
            if let Err(e) = self.0.map.add_layer(&layer) {
                console_warn(&format!("citygrid map: highlight layer {id}: {:?}", from_js(&e)));
            }
        }
    }

    fn apply_highlight(&self, sel: Option<&Selection>) {
        let target = highlight_target(sel);
        for (id, _, _, prop) in HIGHLIGHTS {
            if !self.has_layer(id) {
                continue;
            }
            let value = match &target {
                Some((tid, v)) if *tid == id => v.as_str(),
                _ => NOTHING,
            };
            let _ = self.0.map.set_filter(id, &to_js(&json!(["==", ["to-string", ["get", prop]], value])));
        }
    }

    /// Outlines the selected feature (after the style has loaded, or as soon as it does).
    pub fn highlight(&self, sel: Option<&Selection>) {
        *self.0.selection.borrow_mut() = sel.cloned();
        if *self.0.loaded.borrow() {
            self.apply_highlight(sel);
        }
    }

    /// Fits the view to `[minLon, minLat, maxLon, maxLat]`.
    pub fn fit_bbox(&self, bbox: [f64; 4]) {
        let bounds = to_js(&json!([[bbox[0], bbox[1]], [bbox[2], bbox[3]]]));
        self.0.map.fit_bounds(&bounds, &to_js(&json!({"padding": 64, "maxZoom": 17, "duration": 900})));
    }

    /// Flies to a point.
    pub fn fly_to(&self, lon: f64, lat: f64, zoom: f64) {
        self.0.map.fly_to(&to_js(&json!({"center": [lon, lat], "zoom": zoom, "duration": 900})));
    }

    /// Flies to a point, centring it in the part of the map that `padding` (CSS pixels: top,
    /// right, bottom, left) leaves free of floating panels.
    pub fn fly_to_padded(&self, lon: f64, lat: f64, zoom: f64, padding: [f64; 4]) {
        let [top, right, bottom, left] = padding;
        self.0.map.fly_to(&to_js(&json!({"center": [lon, lat], "zoom": zoom, "duration": 900,
            "padding": {"top": top, "right": right, "bottom": bottom, "left": left}})));
    }

    /// Shows or hides every style layer of `group`.
    pub fn set_group_visible(&self, group: Group, visible: bool) {
        {
            let mut hidden = self.0.hidden.borrow_mut();
            hidden.retain(|g| *g != group);
            if !visible {
                hidden.push(group);
            }
        }
        if *self.0.loaded.borrow() {
            self.apply_group_visibility(group, visible);
        }
    }

    /// Sends clicks to `handler` instead of selecting features (`None`: back to selecting).
    pub fn set_click_handler(&self, handler: Option<ClickHandler>) {
        *self.0.click_handler.borrow_mut() = handler;
    }

    /// Sends double clicks to `handler` instead of zooming in (`None`: back to zooming), with
    /// the features of the click handler's layers under them. The two clicks before a double
    /// click still reach the click handler.
    pub fn set_double_click_handler(&self, handler: Option<Callback<MapClick>>) {
        *self.0.double_click_handler.borrow_mut() = handler;
    }

    /// Draws the features of style layer `base`'s source that match `filter` (a MapLibre
    /// expression; `None` hides the layer) with layer `id` of `kind` and `paint`, above the
    /// style's layers: a workspace's highlight of tile features (such as buildings by id). The
    /// layer is added the first time, once the style has loaded.
    pub fn set_source_filter_layer(
        &self,
        id: &'static str,
        base: &str,
        kind: &str,
        paint: &Value,
        filter: Option<Value>,
    ) {
        if !*self.0.loaded.borrow() {
            return;
        }
        if !self.has_layer(id) {
            let base_layer = self.0.map.get_layer(base);
            if base_layer.is_undefined() || base_layer.is_null() {
                return;
            }
            let layer = to_js(&json!({"id": id, "type": kind, "paint": paint, "filter": false}));
            let _ = Reflect::set(
                &layer,
                &"source".into(),
                &Reflect::get(&base_layer, &"source".into()).unwrap_or(JsValue::UNDEFINED),
            );
            if let Some(sl) = Reflect::get(&base_layer, &"sourceLayer".into()).ok().filter(|v| v.as_string().is_some())
            {
                let _ = Reflect::set(&layer, &"source-layer".into(), &sl);
            }
            if let Err(e) = self.0.map.add_layer(&layer) {
                console_warn(&format!("citygrid map: layer {id}: {:?}", from_js(&e)));
                return;
            }
        }
        let _ = self.0.map.set_filter(id, &to_js(&filter.unwrap_or(Value::Bool(false))));
    }

    /// Lets presses on `handler`'s layers drag their features (`None`: no dragging). Replacing
    /// or clearing the handler ends a drag under way without a drop.
    pub fn set_drag_handler(&self, handler: Option<DragHandler>) {
        *self.0.drag_handler.borrow_mut() = handler;
        *self.0.dragging.borrow_mut() = None;
    }

    /// Sends the view's bounds after each move to `on_move` (`None`: stop).
    pub fn set_move_handler(&self, on_move: Option<Callback<[f64; 4]>>) {
        *self.0.move_handler.borrow_mut() = on_move;
    }

    /// The screen point (CSS pixels from the map's top left corner) of a lon/lat.
    #[must_use]
    pub fn project(&self, lon_lat: [f64; 2]) -> Option<[f64; 2]> {
        let p = self.0.map.project_js(&to_js(&json!(lon_lat))).ok()?;
        let num = |k: &str| Reflect::get(&p, &k.into()).ok().and_then(|v| v.as_f64());
        Some([num("x")?, num("y")?]).filter(|v| v.iter().all(|c| c.is_finite()))
    }

    /// The view's `[west, south, east, north]`.
    #[must_use]
    pub fn bounds(&self) -> Option<[f64; 4]> {
        let b = self.0.map.get_bounds();
        let v = [b.get_west(), b.get_south(), b.get_east(), b.get_north()];
        v.iter().all(|x| x.is_finite()).then_some(v)
    }

    /// Points the style's vector source `source` at `tiles` (URL templates), which reloads it,
    /// unless it already uses them (a new layer version: fresh tiles, see `/tiles/versions`).
    /// The source's query parameter ([`MapHandle::set_source_query`]) is added to them.
    pub fn set_source_tiles(&self, source: &str, tiles: &[String]) {
        let query = self.0.source_queries.borrow().iter().find(|(s, _)| s == source).map(|(_, q)| q.clone());
        let tiles: Vec<String> =
            tiles.iter().map(|u| query.as_deref().map_or_else(|| u.clone(), |q| with_query(u, q))).collect();
        let Some(s) = self.vector_source(source) else { return };
        if from_js(&s.tiles()) == json!(tiles) {
            return;
        }
        s.set_tiles(&to_js(&json!(tiles)));
    }

    /// Adds `query` (`name=value`) to every tile URL of vector source `source`, now and each
    /// time its tiles are set again, which reloads it; `None` takes it away again (the Planning
    /// page's "view as of" a day: `as_of=YYYY-MM-DD` on the grid tiles).
    pub fn set_source_query(&self, source: &str, query: Option<&str>) {
        let old = {
            let mut queries = self.0.source_queries.borrow_mut();
            let old = queries.iter().position(|(s, _)| s == source).map(|i| queries.remove(i).1);
            if let Some(q) = query {
                queries.push((source.to_owned(), q.to_owned()));
            }
            old
        };
        let Some(s) = self.vector_source(source) else { return };
        let Value::Array(now) = from_js(&s.tiles()) else { return };
        let base = now
            .iter()
            .filter_map(Value::as_str)
            .map(|u| old.as_deref().map_or_else(|| u.to_owned(), |q| without_query(u, q)));
        let tiles: Vec<String> = base.map(|u| query.map_or_else(|| u.clone(), |q| with_query(&u, q))).collect();
        if Value::Array(now) != json!(tiles) {
            s.set_tiles(&to_js(&json!(tiles)));
        }
    }

    fn vector_source(&self, source: &str) -> Option<VectorTileSource> {
        let s = self.0.map.get_source(source);
        (!s.is_undefined() && !s.is_null()).then(|| s.unchecked_into::<VectorTileSource>())
    }

    /// Draws `overlay` with `data` (a GeoJSON FeatureCollection; `None` draws nothing). Its
    /// source and layers are added the first time, above the style's layers.
    pub fn set_overlay(&self, overlay: &'static Overlay, data: Option<Value>) {
        let data = data.unwrap_or_else(|| collection(Vec::new()));
        {
            let mut overlays = self.0.overlays.borrow_mut();
            match overlays.iter_mut().find(|(o, _)| o.source == overlay.source) {
                Some(entry) => entry.1 = data.clone(),
                None => overlays.push((overlay, data.clone())),
            }
        }
        if *self.0.loaded.borrow() {
            self.apply_overlay(overlay, &data);
        }
    }

    fn apply_overlay(&self, overlay: &Overlay, data: &Value) {
        let source = self.0.map.get_source(overlay.source);
        if source.is_undefined() || source.is_null() {
            if let Err(e) = self.0.map.add_source(overlay.source, &to_js(&json!({"type": "geojson", "data": data}))) {
                console_warn(&format!("citygrid map: overlay source {}: {:?}", overlay.source, from_js(&e)));
                return;
            }
            for mut layer in (overlay.layers)() {
                layer["source"] = json!(overlay.source);
                if let Err(e) = self.0.map.add_layer(&to_js(&layer)) {
                    console_warn(&format!("citygrid map: overlay layer: {:?}", from_js(&e)));
                }
            }
        } else {
            source.unchecked_into::<GeoJsonSource>().set_data(&to_js(data));
        }
    }

    // ---- Command workspace: its heat layers (copies of the style's heatmap on sources of their
    // own), its choropleth on the style's unit sources, and the label zooms it widens.

    /// Runs `f` once the style has loaded (at once when it has).
    pub fn when_loaded(&self, f: impl FnOnce(&MapHandle) + 'static) {
        if *self.0.loaded.borrow() {
            f(self);
        } else {
            self.0.deferred.borrow_mut().push(Box::new(f));
        }
    }

    /// The style JSON of a layer of the loaded style (`None` when there is no such layer).
    #[must_use]
    pub fn style_layer(&self, id: &str) -> Option<Value> {
        let style = from_js(&self.0.map.get_style().ok()?);
        style["layers"].as_array()?.iter().find(|l| l["id"] == id).cloned()
    }

    /// The style JSON of a source of the loaded style.
    #[must_use]
    pub fn style_source(&self, id: &str) -> Option<Value> {
        let style = from_js(&self.0.map.get_style().ok()?);
        Some(style["sources"].get(id)?.clone()).filter(|s| !s.is_null())
    }

    /// Adds a source (style JSON) unless one with this id exists.
    pub fn ensure_source(&self, id: &str, source: &Value) {
        let s = self.0.map.get_source(id);
        if s.is_undefined() || s.is_null() {
            if let Err(e) = self.0.map.add_source(id, &to_js(source)) {
                console_warn(&format!("citygrid map: source {id}: {:?}", from_js(&e)));
            }
        }
    }

    /// Adds a layer (style JSON, naming its source) below the style layer `before`, unless a
    /// layer with its id exists.
    pub fn ensure_layer_below(&self, layer: &Value, before: &str) {
        let Some(id) = layer["id"].as_str() else { return };
        if self.has_layer(id) {
            return;
        }
        let added = if self.has_layer(before) {
            self.0.map.add_layer_before(&to_js(layer), before)
        } else {
            self.0.map.add_layer(&to_js(layer))
        };
        if let Err(e) = added {
            console_warn(&format!("citygrid map: layer {id}: {:?}", from_js(&e)));
            return;
        }
        // A workspace's layer added after its override was set: the override applies to it too.
        let pending: Vec<_> = self.0.overrides.borrow().iter().filter(|(l, _)| *l == id).copied().collect();
        self.apply_overrides(&[], &pending);
    }

    /// Sets a paint property of a layer (ignored when the layer does not exist).
    pub fn set_paint(&self, layer: &str, name: &str, value: &Value) {
        if self.has_layer(layer) {
            if let Err(e) = self.0.map.set_paint_property(layer, name, &to_js(value)) {
                console_warn(&format!("citygrid map: {layer} {name}: {:?}", from_js(&e)));
            }
        }
    }

    /// The zooms a layer is drawn at, `(minzoom, maxzoom)` (the style's 0 and 24 by default).
    #[must_use]
    pub fn layer_zoom_range(&self, layer: &str) -> Option<(f64, f64)> {
        let l = self.style_layer(layer)?;
        Some((l["minzoom"].as_f64().unwrap_or(0.0), l["maxzoom"].as_f64().unwrap_or(24.0)))
    }

    pub fn set_layer_zoom_range(&self, layer: &str, min: f64, max: f64) {
        if self.has_layer(layer) {
            let _ = self.0.map.set_layer_zoom_range_js(layer, min, max);
        }
    }

    /// Whether every tile of the view of source `id` has loaded.
    #[must_use]
    pub fn source_loaded(&self, id: &str) -> bool {
        self.0.map.is_source_loaded(id).unwrap_or(false)
    }

    fn apply_group_visibility(&self, group: Group, visible: bool) {
        let Ok(style) = self.0.map.get_style() else { return };
        let style = from_js(&style);
        for id in rules::layers_in_group(&style["layers"], group) {
            // A layer a workspace overrides keeps its override; it returns to this afterwards.
            if let Some(o) = self.0.originals.borrow_mut().iter_mut().find(|(l, _)| *l == id) {
                o.1 = visible;
                continue;
            }
            self.set_visibility(&id, visible);
        }
    }

    fn set_visibility(&self, id: &str, visible: bool) {
        let _ = self.0.map.set_layout_property(
            id,
            "visibility",
            &JsValue::from_str(if visible { "visible" } else { "none" }),
        );
    }

    // Layers shown or hidden while a workspace is open: the one way a workspace changes the
    // visibility of a layer (the layer switcher's groups aside).

    /// Shows or hides the layers `layers` (`(id, visible)`) until the next call, which
    /// replaces the whole set; layers left out return to the visibility they had (the layer
    /// switcher's choice for a style layer, hidden for a workspace's own layer, which is added
    /// with `visibility: none`). A layer added later ([`MapHandle::ensure_layer_below`]) gets
    /// its override when it is added. An empty set ends the override.
    pub fn override_layers(&self, layers: &[(&'static str, bool)]) {
        let old = std::mem::replace(&mut *self.0.overrides.borrow_mut(), layers.to_vec());
        if *self.0.loaded.borrow() {
            self.apply_overrides(&old, layers);
        }
    }

    fn apply_overrides(&self, old: &[(&'static str, bool)], new: &[(&'static str, bool)]) {
        for (id, _) in old.iter().filter(|(id, _)| !new.iter().any(|(n, _)| n == id)) {
            let original = {
                let mut originals = self.0.originals.borrow_mut();
                let pos = originals.iter().position(|(l, _)| l == id);
                pos.map(|p| originals.remove(p).1)
            };
            if let Some(visible) = original {
                self.set_visibility(id, visible);
            }
        }
        for &(id, visible) in new {
            if !self.has_layer(id) {
                continue;
            }
            if !self.0.originals.borrow().iter().any(|(l, _)| *l == id) {
                let now = self.0.map.get_layout_property(id, "visibility").as_string();
                self.0.originals.borrow_mut().push((id, now.as_deref() != Some("none")));
            }
            self.set_visibility(id, visible);
        }
    }
}

/// `url` with the query parameter `query` (`name=value`) added.
fn with_query(url: &str, query: &str) -> String {
    format!("{url}{}{query}", if url.contains('?') { '&' } else { '?' })
}

/// `url` without the query parameter `query` that [`with_query`] added.
fn without_query(url: &str, query: &str) -> String {
    let Some((path, params)) = url.split_once('?') else { return url.to_owned() };
    let kept: Vec<&str> = params.split('&').filter(|p| *p != query).collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// Calls a function every few milliseconds until dropped (`setInterval`).
pub struct Interval {
    id: i32,
    _closure: Closure<dyn FnMut()>,
}

impl Interval {
    /// `None` when there is no `window`.
    pub fn new(ms: i32, f: impl FnMut() + 'static) -> Option<Interval> {
        let closure = Closure::<dyn FnMut()>::new(f);
        let id = web_sys::window()?
            .set_interval_with_callback_and_timeout_and_arguments_0(closure.as_ref().unchecked_ref(), ms)
            .ok()?;
        Some(Interval { id, _closure: closure })
    }
}

impl Drop for Interval {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(self.id);
        }
    }
}

/// A key pressed anywhere on the page (outside text fields), for a [`KeyListener`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPress {
    /// `KeyboardEvent.key`: `Enter`, `Escape`, `z`…
    pub key: String,
    /// Ctrl or Cmd was held.
    pub ctrl: bool,
}

/// Listens to key presses on the page until dropped (`keydown` on `window`). Presses in
/// inputs and text areas are left to them.
pub struct KeyListener {
    closure: Closure<dyn FnMut(web_sys::KeyboardEvent)>,
}

impl KeyListener {
    /// `None` when there is no `window`. `f` returns whether it handled the key (then the
    /// browser's default for it is prevented).
    pub fn new(mut f: impl FnMut(KeyPress) -> bool + 'static) -> Option<KeyListener> {
        let closure = Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
            let typing = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
            if typing {
                return;
            }
            if f(KeyPress { key: e.key(), ctrl: e.ctrl_key() || e.meta_key() }) {
                e.prevent_default();
            }
        });
        web_sys::window()?.add_event_listener_with_callback("keydown", closure.as_ref().unchecked_ref()).ok()?;
        Some(KeyListener { closure })
    }
}

impl Drop for KeyListener {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            let _ = w.remove_event_listener_with_callback("keydown", self.closure.as_ref().unchecked_ref());
        }
    }
}

/// Saves `text` as a file called `name` (a download made in the page: a `data:` link clicked
/// once; the Command workspace's CSV export).
pub fn download(name: &str, mime: &str, text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(a) = doc.create_element("a") else { return };
    let href = format!("data:{mime},{}", String::from(js_sys::encode_uri_component(text)));
    let _ = a.set_attribute("href", &href);
    let _ = a.set_attribute("download", name);
    if let (Some(body), Ok(el)) = (doc.body(), a.dyn_into::<web_sys::HtmlElement>()) {
        let _ = body.append_child(&el);
        el.click();
        let _ = body.remove_child(&el);
    }
}

/// Resolves after `ms` milliseconds (for debouncing input).
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(test)]
mod tests {
    use super::{with_query, without_query};

    #[test]
    fn a_source_query_is_added_and_taken_away_again() {
        let u = "http://h/tiles/grids/{z}/{x}/{y}?v=7";
        let q = "as_of=2026-11-30";
        assert_eq!(with_query(u, q), "http://h/tiles/grids/{z}/{x}/{y}?v=7&as_of=2026-11-30");
        assert_eq!(without_query(&with_query(u, q), q), u);
        let bare = "http://h/tiles/grids/{z}/{x}/{y}";
        assert_eq!(with_query(bare, q), "http://h/tiles/grids/{z}/{x}/{y}?as_of=2026-11-30");
        assert_eq!(without_query(&with_query(bare, q), q), bare);
        assert_eq!(without_query(u, q), u, "nothing to take away");
    }
}
