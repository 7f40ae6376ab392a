//! The selected grid's history: every version with its date, author and plan note
//! (`GET /api/grids/{code}/history`); "view as of" a date draws the partition of the map view
//! valid then (`GET /api/grids?bbox=&as_of=`) over today's; an editor can pick a version's plan
//! to revert it, which shows the plan's consequences reversed first (in the edit card).

use citygrid_api::GridVersion;
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
use crate::map::MapHandle;
use crate::state::{use_app, Notice};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
    /// The user may revert plans.
    pub editor: bool,
}

async fn fetch_as_of(client: Client, date: String, bbox: [f64; 4]) {
    let result = client
        .check(api::grids_as_of(client.token(), bbox, &date).await)
        .map(|fc| fc.features.into_iter().map(|f| (f.id, f.geometry)).collect());
    client.send(A::AsOfGrids { date, result });
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

#[function_component(HistoryCard)]
pub fn history_card(props: &Props) -> Html {
    let app = use_app();
    let client = use_client();
    let lang = app.lang;
    let p = &app.workspaces.planning;
    let date = use_state(String::new);

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
        let (client, date, map) = (client.clone(), (*date).clone(), props.map.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(bbox) = map.as_ref().and_then(MapHandle::bounds) else { return };
            if date.is_empty() {
                return;
            }
            client.send(A::ViewAsOf(Some(date.clone())));
            spawn_local(fetch_as_of(client.clone(), date.clone(), bbox));
        })
    };
    let today = {
        let client = client.clone();
        Callback::from(move |_: MouseEvent| client.send(A::ViewAsOf(None)))
    };
    html! {
        <section class="history-card">
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
            if let Some(a) = &p.as_of {
                { match &a.grids {
                    Load::Loading => html! { <p class="muted">{ t(lang, Key::Loading) }</p> },
                    Load::Failed(e) => notice_view(lang, &Notice::Api(e.clone()), "form-error"),
                    Load::Done(g) => html! {
                        <p class="muted" data-testid="as-of-shown" data-grids={g.len().to_string()}>{ t(lang, P::AsOfShown) }</p>
                    },
                } }
            }
        </section>
    }
}
