//! The left panel: what the active tab is for, and its tools. Dispatch has its tools
//! ([`DispatchPanel`], for dispatchers, leaders and administrators); the other tabs' tools arrive
//! in later work, and they say so.

use citygrid_api::{allows, Action, Role};
use yew::prelude::*;

use crate::bindings::MapHandle;
use crate::components::dispatch_panel::DispatchPanel;
use crate::i18n::{t, Key};
use crate::state::{use_app, Tab};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

/// Who sees the Dispatch tools: the roles that may read incidents (the backend's matrix).
#[must_use]
pub fn may_dispatch(role: Role) -> bool {
    allows(role, Action::IncidentsRead)
}

#[function_component(TabPanel)]
pub fn tab_panel(props: &Props) -> Html {
    let app = use_app();
    let lang = app.lang;
    let role = app.session.as_ref().map(|s| s.user.role);
    let hints = html! {
        <>
            <h3>{ t(lang, Key::AvailableNow) }</h3>
            <ul class="hints">
                <li>{ t(lang, Key::HintClick) }</li>
                <li>{ t(lang, Key::HintSearch) }</li>
                <li>{ t(lang, Key::HintLayers) }</li>
            </ul>
        </>
    };
    if app.tab == Tab::Dispatch {
        return html! {
            <section class="tab-panel" data-tab={app.tab.slug()}>
                <h2>{ t(lang, app.tab.label()) }</h2>
                if role.is_some_and(may_dispatch) {
                    <DispatchPanel map={props.map.clone()} />
                } else {
                    <p class="desc">{ t(lang, Key::DescDispatch) }</p>
                    <div class="soon">{ t(lang, Key::DispatchForbidden) }</div>
                    { hints }
                }
            </section>
        };
    }
    let (desc, soon) = match app.tab {
        Tab::Dispatch => (Key::DescDispatch, Key::SoonDispatch),
        Tab::Planning => (Key::DescPlanning, Key::SoonPlanning),
        Tab::Coverage => (Key::DescCoverage, Key::SoonCoverage),
        Tab::Command => (Key::DescCommand, Key::SoonCommand),
    };
    html! {
        <section class="tab-panel" data-tab={app.tab.slug()}>
            <h2>{ t(lang, app.tab.label()) }</h2>
            <p class="desc">{ t(lang, desc) }</p>
            <div class="soon">{ t(lang, soon) }</div>
            { hints }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planners_do_not_dispatch() {
        assert!(!may_dispatch(Role::Planner));
        for r in [Role::Dispatcher, Role::Leader, Role::Admin] {
            assert!(may_dispatch(r), "{r:?}");
        }
    }
}
