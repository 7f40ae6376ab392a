//! CityGrid's browser client: a Yew (`csr`) app with a MapLibre GL JS map.
//!
//! Code map:
//! - `app.rs`: the root component; owns the [`state::AppState`] context, restores the session,
//!   persists the language and keeps the URL fragment in sync.
//! - `pages/`: the login screen and the workspace (top bar, tab panel, map, inspector).
//! - `components/`: the map view, search, inspector, layer switcher, legend, toast.
//! - `bindings.rs`: every `#[wasm_bindgen]` import (MapLibre) — the only JS interop.
//! - `api.rs`: typed calls to `/api` with `fetch`; `browser.rs`: localStorage and the URL.
//! - Pure, natively tested logic: `i18n.rs`, `state.rs` (reducer), `route.rs` (URL fragment),
//!   `map_rules.rs` (style contract, tile auth rule, bounding boxes), `dispatch.rs` (camera
//!   sectors, the location input, the open-incident list).
//!
//! Invariant: UI text only comes from `i18n::t`; API types only from `citygrid-api`.

pub mod api;
pub mod app;
pub mod bindings;
pub mod browser;
pub mod components;
pub mod dispatch;
pub mod i18n;
pub mod map_rules;
pub mod pages;
pub mod route;
pub mod state;

/// The wasm entry point: mounts the app on `<body>`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
