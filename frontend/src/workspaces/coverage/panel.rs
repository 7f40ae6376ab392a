//! The Coverage panel: layout only. Each part reads the workspace's slice of the app store.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::camera_card::CameraCard;
use super::grid_card::GridCard;
use super::i18n::CoverageKey as C;
use super::on_map::CoverageMap;
use super::ranking::Ranking;
use super::state::CoverageAction as A;
use super::suggest::SuggestCard;
use super::{may_edit_cameras, may_read_coverage};
use crate::components::coming_soon::ComingSoon;
use crate::hooks::use_client;
use crate::i18n::{t, Text};
use crate::state::use_app;
use crate::workspaces::WorkspaceProps;

#[function_component(CoveragePanel)]
pub fn panel(props: &WorkspaceProps) -> Html {
    let app = use_app();
    let client = use_client();
    let Some(role) = app.session.as_ref().map(|s| s.user.role).filter(|r| may_read_coverage(*r)) else {
        return html! { <ComingSoon desc={C::Desc.phrase()} notice={C::Forbidden.phrase()} /> };
    };
    let lang = app.lang;
    let occlusion = app.workspaces.coverage.occlusion;
    let on_occlusion = Callback::from(move |e: Event| {
        client.send(A::SetOcclusion(e.target_unchecked_into::<HtmlInputElement>().checked()));
    });
    let map = props.map.clone();
    html! {
        <div class="coverage" data-testid="coverage">
            <CoverageMap map={map.clone()} />
            <div class="work">
                <p class="desc">{ t(lang, C::Desc) }</p>
                <p class="hint muted">{ t(lang, C::Hint) }</p>
                if !may_edit_cameras(role) {
                    <p class="hint muted" data-testid="coverage-read-only">{ t(lang, C::ReadOnly) }</p>
                }
                <label class="toggle">
                    <input type="checkbox" data-testid="coverage-occlusion" checked={occlusion} onchange={on_occlusion} />
                    { t(lang, C::Occlusion) }
                </label>
                <CameraCard />
                <GridCard />
                <SuggestCard />
            </div>
            <Ranking {map} />
        </div>
    }
}
