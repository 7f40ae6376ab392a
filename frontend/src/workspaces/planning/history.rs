//! The selected grid's history: every version with its date, author and plan note
//! (`GET /api/grids/{code}/history`); "view as of" a date shows the partition valid then on the
//! map (the grid tiles with `as_of`, see `on_map.rs`); an editor can pick a version's plan
//! to revert it, which shows the plan's consequences reversed first (in the edit card). Plans
//! scheduled over the grid (`GET /api/plans?status=scheduled&grid=`) are listed with their
//! time; an editor can cancel one (`POST /api/plans/{id}/discard`).

use citygrid_api::{GridVersion, PlanSummary};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::i18n::PlanningKey as P;
use super::state::{Load, PlanningAction as A};
use crate::api;
use crate::components::notice::notice_view;
use crate::format;
use crate::hooks::{use_client, Client};
use crate::i18n::{t, Key, Lang};
use crate::state::{use_app, Notice};

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The user may revert plans.
    pub editor: bool,
}

async fn fetch_plan(client: Client, id: i64) {
    let result = client.check(api::plan(client.token(), id).await).map(Box::new);
    client.send(A::RevertPreview(result));
}

fn version_item(lang: Lang, v: &GridVersion, editor: bool, client: &Client) -> Html {
    let revert = v.plan_id.filter(|_| editor).map(|id| {
        let client = client.clone();
        Callback::from(move |_: MouseEvent| spawn_local(fetch_plan(client.clone(), id)))
    });
    html! {
        <li data-testid="version" data-version={v.version.to_string()}>
            <strong>{ format!("v{}", v.version) }</strong>{ " · " }{ format::instant(&v.valid_from) }
            if v.valid_to.is_none() { { " · " }<span class="current">{ t(lang, P::Current) }</span> }
            <div class="muted">
                { v.author.clone().unwrap_or_else(|| t(lang, P::Loaded).to_owned()) }
                if let Some(id) = v.plan_id { { format!(" · {} #{id}", t(lang, P::PlanNo)) } }
                if let Some(note) = v.note.as_ref().filter(|n| !n.is_empty()) { { " · " }{ note.clone() } }
            </div>
            if let Some(revert) = revert {
                <button class="link" data-testid="revert" data-plan={v.plan_id.unwrap_or(0).to_string()} onclick={revert}>
                    { t(lang, P::ViewPlan) }
                </button>
            }
        </li>
    }
}

fn scheduled_item(lang: Lang, plan: &PlanSummary, editor: bool, client: &Client, rev: &UseStateHandle<u32>) -> Html {
    let id = plan.id;
    let cancel = editor.then(|| {
        let (client, rev) = (client.clone(), rev.clone());
        Callback::from(move |_: MouseEvent| {
            let (client, rev) = (client.clone(), rev.clone());
            spawn_local(async move {
                if client.check(api::decide_plan(client.token(), id, "discard").await).is_ok() {
                    rev.set(*rev + 1);
                }
            });
        })
    });
    html! {
        <li data-testid="scheduled-plan" data-plan={id.to_string()}>
            <strong>{ format!("{} #{id}", t(lang, P::PlanNo)) }</strong>
            { " · " }{ plan.effective_from.as_deref().map(format::instant).unwrap_or_default() }
            <div class="muted">
                { plan.author.clone() }
                if !plan.note.is_empty() { { " · " }{ plan.note.clone() } }
            </div>
            if let Some(cancel) = cancel {
                <button class="link" data-testid="cancel-scheduled" onclick={cancel}>{ t(lang, P::CancelScheduled) }</button>
            }
        </li>
    }
}

#[function_component(HistoryCard)]
pub fn history_card(props: &Props) -> Html {
    let app = use_app();
    let client = use_client();
    let lang = app.lang;
    let p = &app.workspaces.planning;
    let date = use_state(String::new);
    // The scheduled plans and the grid they were asked for: a late answer for a grid no longer
    // shown is never listed.
    let scheduled = use_state(|| None::<(String, Vec<PlanSummary>)>);
    // Bumped after a cancel, to fetch the scheduled plans again.
    let scheduled_rev = use_state(|| 0_u32);

    {
        let (client, scheduled) = (client.clone(), scheduled.clone());
        use_effect_with((p.grid.clone(), p.workload_rev, *scheduled_rev, p.preview.clone()), move |(grid, ..)| {
            scheduled.set(None);
            if let Some(code) = grid.clone() {
                spawn_local(async move {
                    if let Ok(list) = client.check(api::scheduled_plans(client.token(), &code).await) {
                        scheduled.set(Some((code, list.items)));
                    }
                });
            }
        });
    }

    {
        let client = client.clone();
        use_effect_with((p.grid.clone(), p.workload_rev), move |(grid, _)| {
            if let Some(code) = grid.clone() {
                spawn_local(async move {
                    let result = client.check(api::grid_history(client.token(), &code).await).map(Box::new);
                    client.send(A::History { code, result });
                });
            }
        });
    }

    let Some(history) = &p.history else { return html! {} };
    let list = match history {
        Load::Loading => html! { <p class="muted">{ t(lang, Key::Loading) }</p> },
        Load::Failed(e) => notice_view(lang, &Notice::Api(e.clone()), "form-error"),
        Load::Done(h) => html! {
            <ol class="timeline" data-testid="history">
                { for h.versions.iter().rev().map(|v| version_item(lang, v, props.editor, &client)) }
            </ol>
        },
    };
    let on_date = {
        let date = date.clone();
        Callback::from(move |e: Event| date.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let show = {
        let (client, date) = (client.clone(), (*date).clone());
        Callback::from(move |_: MouseEvent| client.send(A::ViewAsOf(Some(date.clone()))))
    };
    let today = {
        let client = client.clone();
        Callback::from(move |_: MouseEvent| client.send(A::ViewAsOf(None)))
    };
    let scheduled: &[PlanSummary] = match &*scheduled {
        Some((code, items)) if p.grid.as_ref() == Some(code) => items,
        _ => &[],
    };
    html! {
        <section class="history-card">
            if !scheduled.is_empty() {
                <h4>{ t(lang, P::ScheduledPlans) }</h4>
                <ol class="timeline" data-testid="scheduled-plans">
                    { for scheduled.iter().map(|s| scheduled_item(lang, s, props.editor, &client, &scheduled_rev)) }
                </ol>
            }
            <h4>{ t(lang, P::History) }</h4>
            { list }
            <h4>{ t(lang, P::AsOf) }</h4>
            <div class="actions">
                <input type="date" data-testid="as-of-date" value={(*date).clone()} onchange={on_date} />
                <button data-testid="as-of-show" onclick={show} disabled={date.is_empty()}>{ t(lang, P::AsOfShow) }</button>
                if p.as_of.is_some() {
                    <button data-testid="as-of-today" onclick={today}>{ t(lang, P::AsOfToday) }</button>
                }
            </div>
            if let Some(day) = &p.as_of {
                <p class="muted" data-testid="as-of-shown" data-date={day.clone()}>{ format!("{day}：") }{ t(lang, P::AsOfShown) }</p>
            }
        </section>
    }
}
