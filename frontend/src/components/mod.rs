//! The parts of the workspace.

pub mod dispatch_panel;
pub mod inspector;
pub mod layer_switcher;
pub mod legend;
pub mod map_view;
pub mod search;
pub mod tab_panel;
pub mod toast;
pub mod top_bar;
