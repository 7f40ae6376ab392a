//! The Planning workspace: redrawing grid boundaries. Its tools arrive in later work; until
//! then the panel says what the tab is for.

use yew::prelude::*;

use super::WorkspaceProps;
use crate::components::coming_soon::ComingSoon;
use crate::i18n::Text;

pub mod i18n;
pub mod state;

pub use i18n::PlanningKey;
pub use state::{PlanningAction, PlanningState};

#[function_component(PlanningPanel)]
pub fn panel(_props: &WorkspaceProps) -> Html {
    html! { <ComingSoon desc={PlanningKey::Desc.phrase()} notice={PlanningKey::Soon.phrase()} /> }
}
