//! What workspaces draw on top of the style: each workspace describes its drawings as an
//! [`Overlay`] (a GeoJSON source id and the MapLibre layers that draw it) in a file of its own
//! here, and hands its features to [`MapHandle::set_overlay`](crate::map::MapHandle::set_overlay)
//! (usually through [`crate::hooks::use_map_overlay`]). The map adds the source and its layers
//! once the style has loaded, above the style's own layers, and keeps one source per overlay.

use serde_json::{Map, Value};

pub mod command;
pub mod coverage;
pub mod dispatch;
pub mod planning;

/// A workspace's drawings: one GeoJSON source and its layers (bottom to top). The layers carry
/// no `source`; the map sets it to [`Overlay::source`].
#[derive(Debug)]
pub struct Overlay {
    /// The GeoJSON source id, `citygrid-<workspace>`.
    pub source: &'static str,
    /// The layers, as MapLibre style JSON.
    pub layers: fn() -> Vec<Value>,
}

/// A GeoJSON FeatureCollection of `features`.
#[must_use]
pub fn collection(features: Vec<Value>) -> Value {
    let mut c = Map::new();
    c.insert("type".into(), "FeatureCollection".into());
    c.insert("features".into(), Value::Array(features));
    Value::Object(c)
}
