//! The worst-covered grids (`GET /api/coverage/summary?level=grid&sort=worst`): of the selected
//! county, township or village, or else of the map view (refreshed after every move), lowest
//! share of covered residents first. A click selects the grid and flies there.

use std::cell::RefCell;
use std::rc::Rc;

use citygrid_api::UnitCoverage;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::i18n::CoverageKey as C;
use super::state::CoverageAction as A;
use crate::api;
use crate::components::notice::notice_view;
use crate::format::share;
use crate::hooks::{use_client, Client};
use crate::i18n::{t, Key, Lang};
use crate::load::{next_request, Load};
use crate::map::MapHandle;
use crate::state::{use_app, Action, Notice, Selection};
use crate::workspaces::dispatch::list::bbox_param;

/// How many grids the ranking lists.
pub const RANKING_LIMIT: u32 = 10;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

/// Where the ranking looks: a unit's code, or the view.
#[derive(Debug, Clone, PartialEq)]
enum Scope {
    Unit(String),
    View,
}

fn refresh(client: &Client, scope: &Scope, bounds: Option<[f64; 4]>, occlusion: bool) {
    let bbox = match scope {
        Scope::Unit(_) => None,
        Scope::View => match bounds.and_then(bbox_param) {
            Some(b) => Some(b),
            None => return,
        },
    };
    let code = match scope {
        Scope::Unit(c) => Some(c.clone()),
        Scope::View => None,
    };
    let seq = next_request();
    client.send(A::RankingStarted(seq));
    let client = client.clone();
    spawn_local(async move {
        let result = client
            .check(
                api::coverage_worst_grids(client.token(), bbox.as_deref(), code.as_deref(), occlusion, RANKING_LIMIT)
                    .await,
            )
            .map(|s| s.units)
            .map_err(Notice::Api);
        client.send(A::RankingLoaded(seq, result));
    });
}

fn item(lang: Lang, rank: usize, u: &UnitCoverage, selected: bool, onclick: Callback<MouseEvent>) -> Html {
    html! {
        <li data-testid="ranking-item" data-code={u.code.clone()} class={classes!("rank-item", selected.then_some("selected"))}
            data-share={u.covered_residents_share.map(|s| s.to_string()).unwrap_or_default()} {onclick}>
            <span class="num">{ rank }</span>
            <span class="main">
                <span>{ u.name.clone() }</span>
                <code class="small">{ u.code.clone() }</code>
            </span>
            <span class="share">
                if u.residents > 0 {
                    { share(u.covered_residents_share) }
                    <span class="small muted">{ format!("{} / {}", u.covered_residents, u.residents) }</span>
                } else {
                    <span class="small muted">{ t(lang, C::NoResidents) }</span>
                }
            </span>
        </li>
    }
}

#[function_component(Ranking)]
pub fn ranking(props: &Props) -> Html {
    let app = use_app();
    let client = use_client();
    let lang = app.lang;
    let c = &app.workspaces.coverage;
    let scope = match &app.selection {
        Some(Selection::Unit(code)) => Scope::Unit(code.clone()),
        _ => Scope::View,
    };
    let bounds = use_mut_ref(|| None::<[f64; 4]>);
    // The scope and mode the move handler reads (it outlives this render).
    let current: Rc<RefCell<(Scope, bool)>> = use_mut_ref(|| (Scope::View, false));
    *current.borrow_mut() = (scope.clone(), c.occlusion);

    {
        let (client, bounds, current) = (client.clone(), bounds.clone(), current.clone());
        use_effect_with((props.map.clone(), scope.clone(), c.occlusion), move |(map, scope, occlusion)| {
            if let Some(map) = map {
                *bounds.borrow_mut() = map.bounds();
                refresh(&client, scope, *bounds.borrow(), *occlusion);
                let on_move = Callback::from(move |b: [f64; 4]| {
                    *bounds.borrow_mut() = Some(b);
                    let (scope, occlusion) = current.borrow().clone();
                    if scope == Scope::View {
                        refresh(&client, &scope, Some(b), occlusion);
                    }
                });
                map.set_move_handler(Some(on_move));
            }
            let map = map.clone();
            move || {
                if let Some(map) = map {
                    map.set_move_handler(None);
                }
            }
        });
    }

    let selected = match &app.selection {
        Some(Selection::Grid(code)) => Some(code.as_str()),
        _ => None,
    };
    let select = |code: &str| {
        let (client, code) = (client.clone(), code.to_owned());
        Callback::from(move |_: MouseEvent| {
            client.send(Action::Select { selection: Some(Selection::Grid(code.clone())), fly: true });
        })
    };
    let title = match scope {
        Scope::Unit(_) => C::WorstInUnit,
        Scope::View => C::WorstInView,
    };
    let body = match &c.ranking {
        Load::Done(units) if units.is_empty() => html! { <p class="muted">{ t(lang, C::NoGrids) }</p> },
        Load::Done(units) => html! {
            <ol class="ranking" data-testid="ranking">
                { for units.iter().enumerate().map(|(i, u)| item(lang, i + 1, u, selected == Some(u.code.as_str()), select(&u.code))) }
            </ol>
        },
        Load::Failed(n) => notice_view(lang, n, "form-error"),
        Load::Idle | Load::Loading(_) => html! { <p class="muted">{ t(lang, Key::Loading) }</p> },
    };
    html! {
        <section class="ranking-pane" data-testid="ranking-pane"
            data-state={if matches!(c.ranking, Load::Done(_)) { "done" } else { "loading" }}>
            <h3>{ t(lang, title) }</h3>
            { body }
        </section>
    }
}
