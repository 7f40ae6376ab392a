//! The Planning panel: layout only. Each part reads the workspace's slice of the app store.

use yew::prelude::*;

use super::edit::EditCard;
use super::grid_card::GridCard;
use super::history::HistoryCard;
use super::i18n::PlanningKey as P;
use super::on_map::PlanningMap;
use super::{may_edit, may_read};
use crate::components::coming_soon::ComingSoon;
use crate::i18n::{t, Text};
use crate::state::use_app;
use crate::workspaces::WorkspaceProps;

#[function_component(PlanningPanel)]
pub fn panel(props: &WorkspaceProps) -> Html {
    let app = use_app();
    let Some(role) = app.session.as_ref().map(|s| s.user.role).filter(|r| may_read(*r)) else {
        return html! { <ComingSoon desc={P::Desc.phrase()} notice={P::Forbidden.phrase()} /> };
    };
    let editor = may_edit(role);
    html! {
        <div class="planning">
            <PlanningMap map={props.map.clone()} {editor} />
            <p class="desc">{ t(app.lang, P::Desc) }</p>
            if !editor {
                <p class="read-only muted" data-testid="planning-read-only">{ t(app.lang, P::ReadOnly) }</p>
            }
            <GridCard {editor} />
            if editor {
                <EditCard />
            }
            <HistoryCard {editor} />
        </div>
    }
}
