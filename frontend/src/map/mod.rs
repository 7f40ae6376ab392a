//! The one map every workspace shares.
//!
//! - `bindings.rs`: every `#[wasm_bindgen]` import (MapLibre) — the only JS interop — and
//!   [`MapHandle`], the Rust face of the map.
//! - `map_view.rs`: the component MapLibre takes over.
//! - `layers/`: what each workspace draws on top of the style ([`layers::Overlay`]), one file per
//!   workspace.
//! - `rules.rs` (style contract, tile auth, click → selection) and `geometry.rs` (sectors,
//!   bounding boxes): pure, tested natively.

pub mod bindings;
pub mod geometry;
pub mod layers;
pub mod map_view;
pub mod rules;

pub use bindings::{ClickHandler, DragEvent, DragHandler, MapClick, MapHandle};
