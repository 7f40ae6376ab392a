//! The Coverage workspace: camera coverage and blind spots. Its tools arrive in later work;
//! until then the panel says what the tab is for.

use yew::prelude::*;

use super::WorkspaceProps;
use crate::components::coming_soon::ComingSoon;
use crate::i18n::Text;

pub mod i18n;
pub mod state;

pub use i18n::CoverageKey;
pub use state::{CoverageAction, CoverageState};

#[function_component(CoveragePanel)]
pub fn panel(_props: &WorkspaceProps) -> Html {
    html! { <ComingSoon desc={CoverageKey::Desc.phrase()} notice={CoverageKey::Soon.phrase()} /> }
}
