//! CityGrid's browser client: a Yew (`csr`) app with a MapLibre GL JS map.
//!
//! Code map:
//! - `app.rs`: the root component; owns the [`state::AppState`] store, restores the session,
//!   persists the language and the workspace drafts, keeps the URL fragment in sync.
//! - `state.rs`: the app store — session, language, tab, selection, notices, and one slice per
//!   workspace ([`state::Workspaces`]), so a tab switch keeps each workspace's work.
//! - `pages/`: the login screen and the workspace screen (top bar, tab panel, map, inspector).
//! - `workspaces/<name>/`: one folder per tab (dispatch, planning, coverage, command): its
//!   panel and components, its state slice (`state.rs`) and its text (`i18n.rs`).
//! - `components/`: what every tab shares (top bar, search, inspector, layer switcher, legend,
//!   toast, the tab panel).
//! - `map/`: the map view, `bindings.rs` (every `#[wasm_bindgen]` import — the only JS interop),
//!   the workspaces' overlay layers (`map/layers/<name>.rs`), and pure map rules and geometry.
//! - `hooks/`: the session client (`use_client`), intervals, map overlays.
//! - `admin/`: the admin page (user accounts), a dialog opened from the top bar by administrators.
//! - `api.rs`: typed calls to `/api` with `fetch`; `browser.rs`: localStorage and the URL.
//! - Pure logic is tested natively (`cargo test -p frontend`): `i18n.rs`, `state.rs` and each
//!   workspace's reducer, `route.rs`, `map/rules.rs`, `map/geometry.rs`, `map/layers/`.
//!
//! Invariant: UI text only comes from `i18n::t` (keys declared with `keys!`); API types only from
//! `citygrid-api`.

pub mod admin;
pub mod api;
pub mod app;
pub mod browser;
pub mod components;
pub mod error_text;
pub mod format;
pub mod hooks;
pub mod i18n;
pub mod load;
pub mod map;
pub mod pages;
pub mod route;
pub mod state;
pub mod workspaces;

/// The wasm entry point: mounts the app on `<body>`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
