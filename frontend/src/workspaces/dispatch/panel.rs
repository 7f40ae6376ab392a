//! The Dispatch panel: layout only. Each part reads the workspace's slice of the app store.
//!
//! Two panes: the work (the open incident, the location and who is responsible, the form)
//! scrolls on its own above the open-incident list, which always keeps its share of the height,
//! so the list never hides below the form.

use yew::prelude::*;

use super::i18n::DispatchKey;
use super::incident_detail::IncidentDetailCard;
use super::incident_list::IncidentList;
use super::may_dispatch;
use super::on_map::DispatchMap;
use super::register_form::RegisterForm;
use super::route_card::RouteCard;
use crate::components::coming_soon::ComingSoon;
use crate::i18n::Text;
use crate::state::use_app;
use crate::workspaces::WorkspaceProps;

#[function_component(DispatchPanel)]
pub fn panel(props: &WorkspaceProps) -> Html {
    let app = use_app();
    if !app.session.as_ref().is_some_and(|s| may_dispatch(s.user.role)) {
        return html! {
            <ComingSoon desc={DispatchKey::Desc.phrase()} notice={DispatchKey::DispatchForbidden.phrase()} />
        };
    }
    let map = props.map.clone();
    html! {
        <div class="dispatch">
            <DispatchMap map={map.clone()} />
            <div class="work">
                <IncidentDetailCard />
                <RouteCard map={map.clone()} />
                <RegisterForm />
            </div>
            <IncidentList {map} />
        </div>
    }
}
