//! The left panel: the active tab's title and its workspace's panel.

use yew::prelude::*;

use crate::i18n::t;
use crate::map::MapHandle;
use crate::state::{use_app, Tab};
use crate::workspaces::command::CommandPanel;
use crate::workspaces::coverage::CoveragePanel;
use crate::workspaces::dispatch::DispatchPanel;
use crate::workspaces::planning::PlanningPanel;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

#[function_component(TabPanel)]
pub fn tab_panel(props: &Props) -> Html {
    let app = use_app();
    let map = props.map.clone();
    let body = match app.tab {
        Tab::Dispatch => html! { <DispatchPanel {map} /> },
        Tab::Planning => html! { <PlanningPanel {map} /> },
        Tab::Coverage => html! { <CoveragePanel {map} /> },
        Tab::Command => html! { <CommandPanel {map} /> },
    };
    html! {
        <section class="tab-panel" data-tab={app.tab.slug()}>
            <h2>{ t(app.lang, app.tab.label()) }</h2>
            { body }
        </section>
    }
}
