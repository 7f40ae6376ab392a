//! The selected grid: its workload per worker against the village average, its workers and
//! neighbours. Fetches `GET /api/grids/{code}/workload` whenever the grid (or, after a commit,
//! its revision) changes. The workers are edited in place by planners and admins
//! ([`super::workers`]).

use citygrid_api::{GridWorkload, Workload};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::i18n::PlanningKey as P;
use super::state::{Load, PlanningAction as A};
use super::workers::Workers;
use crate::api;
use crate::components::notice::notice_view;
use crate::hooks::use_client;
use crate::i18n::{t, Key, Lang};
use crate::state::{use_app, Notice};

/// A per-worker figure, one decimal.
fn per(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |x| format!("{x:.1}"))
}

/// A figure: its label, the grid's total, and per worker (the grid's, the village average).
type FigureRow = (P, i64, (Option<f64>, Option<f64>));

fn workload_table(lang: Lang, w: &GridWorkload) -> Html {
    let pick = |f: fn(&Workload) -> f64| (w.per_worker.as_ref().map(f), w.village_average.as_ref().map(f));
    let rows: [FigureRow; 4] = [
        (P::Households, w.households, pick(|x| x.households)),
        (P::Residents, w.residents, pick(|x| x.residents)),
        (P::Incidents90d, w.incidents_90d, pick(|x| x.incidents_90d)),
        (P::Buildings, w.buildings, pick(|x| x.buildings)),
    ];
    html! {
        <table class="figures" data-testid="workload">
            <thead><tr>
                <th>{ t(lang, P::Figure) }</th><th>{ t(lang, P::ThisGrid) }</th>
                <th>{ t(lang, P::PerWorker) }</th><th>{ t(lang, P::VillageAverage) }</th>
            </tr></thead>
            <tbody>
                { for rows.iter().map(|(k, total, (mine, village))| {
                    let over = matches!((mine, village), (Some(m), Some(v)) if *m > *v * 1.2);
                    html! {
                        <tr>
                            <th>{ t(lang, *k) }</th>
                            <td class="num">{ total.to_string() }</td>
                            <td class={classes!("num", over.then_some("over"))}>{ per(*mine) }</td>
                            <td class="num">{ per(*village) }</td>
                        </tr>
                    }
                }) }
            </tbody>
        </table>
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The user may assign workers.
    pub editor: bool,
}

#[function_component(GridCard)]
pub fn grid_card(props: &Props) -> Html {
    let app = use_app();
    let client = use_client();
    let lang = app.lang;
    let p = &app.workspaces.planning;

    use_effect_with((p.grid.clone(), p.workload_rev), move |(grid, _)| {
        if let Some(code) = grid.clone() {
            spawn_local(async move {
                let result = client.check(api::grid_workload(client.token(), &code).await).map(Box::new);
                client.send(A::Workload { code, result });
            });
        }
    });

    let body = match &p.workload {
        None => html! { <p class="muted hint">{ t(lang, P::PickGrid) }</p> },
        Some(Load::Loading) => html! { <p class="muted">{ t(lang, Key::Loading) }</p> },
        Some(Load::Failed(e)) => notice_view(lang, &Notice::Api(e.clone()), "form-error"),
        Some(Load::Done(w)) => html! {
            <>
                <h3 data-testid="planning-grid" data-code={w.code.clone()} data-version={w.version.to_string()}>
                    { &w.name }{ " " }<code>{ &w.code }</code>
                </h3>
                <dl class="attrs">
                    <dt>{ t(lang, P::Village) }</dt><dd>{ &w.village_name }{ " " }<code>{ &w.village_code }</code></dd>
                    <dt>{ t(lang, P::Version) }</dt><dd>{ w.version.to_string() }</dd>
                    <dt>{ t(lang, P::Area) }</dt><dd>{ format!("{:.2}", w.area_m2 / 10_000.0) }</dd>
                    <dt>{ t(lang, P::Workers) }</dt>
                    <dd><Workers code={w.code.clone()} workers={w.workers.clone()} editor={props.editor} /></dd>
                    <dt>{ t(lang, P::Cameras) }</dt><dd>{ w.cameras.to_string() }</dd>
                    <dt>{ t(lang, P::OpenIncidents) }</dt><dd>{ w.open_incidents.to_string() }</dd>
                </dl>
                <h4>{ t(lang, P::Workload) }</h4>
                { workload_table(lang, w) }
                <h4>{ t(lang, P::Neighbours) }</h4>
                <ul class="neighbours" data-testid="neighbours">
                    { for w.neighbours.iter().map(|n| html! { <li><code>{ &n.code }</code>{ " " }{ &n.name }</li> }) }
                </ul>
            </>
        },
    };
    html! { <section class="grid-card">{ body }</section> }
}
