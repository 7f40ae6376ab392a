//! The parts of the workspace screen every tab shares.

pub mod coming_soon;
pub mod inspector;
pub mod layer_switcher;
pub mod legend;
pub mod notice;
pub mod search;
pub mod tab_panel;
pub mod toast;
pub mod top_bar;
