//! The Command workspace: statistics, heatmaps and early warning for leaders. Its tools
//! arrive in later work; until then the panel says what the tab is for.

use yew::prelude::*;

use super::WorkspaceProps;
use crate::components::coming_soon::ComingSoon;
use crate::i18n::Text;

pub mod i18n;
pub mod state;

pub use i18n::CommandKey;
pub use state::{CommandAction, CommandState};

#[function_component(CommandPanel)]
pub fn panel(_props: &WorkspaceProps) -> Html {
    html! { <ComingSoon desc={CommandKey::Desc.phrase()} notice={CommandKey::Soon.phrase()} /> }
}
