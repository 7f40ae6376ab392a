//! Draws a workspace's overlay while the component is mounted.

use serde_json::Value;
use yew::prelude::*;

use crate::map::layers::Overlay;
use crate::map::MapHandle;

/// Shows `data` (a GeoJSON FeatureCollection) in `overlay` on `map`, and clears the overlay when
/// the component unmounts (a tab switch), so one workspace's drawings never linger in another.
#[hook]
pub fn use_map_overlay(map: Option<MapHandle>, overlay: &'static Overlay, data: Value) {
    use_effect_with(map.clone(), move |map| {
        let map = map.clone();
        move || {
            if let Some(map) = map {
                map.set_overlay(overlay, None);
            }
        }
    });
    use_effect_with((map, data), move |(map, data)| {
        if let Some(map) = map {
            map.set_overlay(overlay, Some(data.clone()));
        }
    });
}
