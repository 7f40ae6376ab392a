//! Hooks shared by the workspaces.

mod use_client;
mod use_fresh_layers;
mod use_interval;
mod use_map_overlay;

pub use use_client::{use_client, Client};
pub use use_fresh_layers::use_fresh_layers;
pub use use_interval::use_interval;
pub use use_map_overlay::use_map_overlay;
