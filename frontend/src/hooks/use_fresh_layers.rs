//! Keeps the map's vector layers current: polls `/tiles/versions` and reloads a layer whose
//! version changed (new incidents, a status change, a boundary edit), so an open map shows
//! them within seconds without a reload.

use yew::platform::spawn_local;
use yew::prelude::*;

use super::use_interval;
use crate::api;
use crate::map::MapHandle;

/// Milliseconds between two polls.
pub const LAYER_POLL_MS: i32 = 3_000;

/// Polls the layer versions while `map` exists.
#[hook]
pub fn use_fresh_layers(map: Option<MapHandle>) {
    use_interval(LAYER_POLL_MS, map.clone(), move || {
        let Some(map) = map.clone() else { return };
        spawn_local(async move {
            // A failed poll changes nothing; the next one tries again.
            if let Ok(versions) = api::layer_versions().await {
                for layer in versions.layers {
                    map.set_source_tiles(&layer.layer, &layer.tiles);
                }
            }
        });
    });
}
