//! The search box: `GET /api/search?q=` as you type; choosing a hit flies there and selects it.

use std::cell::Cell;
use std::rc::Rc;

use citygrid_api::{AdminLevel, SearchHit};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::i18n::{self, t, Key};
use crate::map::bindings::sleep_ms;
use crate::map::MapHandle;
use crate::state::{use_app, Action, Notice, Selection};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

enum Results {
    Idle,
    Loading,
    Hits(Vec<SearchHit>),
}

/// What choosing a hit selects.
fn selection_of(hit: &SearchHit) -> Selection {
    match hit.level {
        AdminLevel::Grid => Selection::Grid(hit.code.clone()),
        _ => Selection::Unit(hit.code.clone()),
    }
}

#[function_component(Search)]
pub fn search(props: &Props) -> Html {
    let app = use_app();
    let lang = app.lang;
    let query = use_state(String::new);
    let results = use_state(|| Results::Idle);
    let active = use_state(|| 0_usize);
    let generation = use_mut_ref(|| Rc::new(Cell::new(0_u64)));
    let token = app.session.as_ref().map(|s| s.token.clone()).unwrap_or_default();

    let choose = {
        let (map, results, query, dispatch) = (props.map.clone(), results.clone(), query.clone(), app.dispatcher());
        Callback::from(move |hit: SearchHit| {
            if let Some(map) = &map {
                map.fit_bbox(hit.bbox);
            }
            dispatch.dispatch(Action::Select { selection: Some(selection_of(&hit)), fly: false });
            query.set(hit.name.clone());
            results.set(Results::Idle);
        })
    };

    let oninput = {
        let (query, results, active, dispatch) = (query.clone(), results.clone(), active.clone(), app.dispatcher());
        let generation = generation.borrow().clone();
        Callback::from(move |e: InputEvent| {
            let q = e.target_unchecked_into::<HtmlInputElement>().value();
            query.set(q.clone());
            active.set(0);
            let my_gen = generation.get() + 1;
            generation.set(my_gen);
            if q.trim().is_empty() {
                results.set(Results::Idle);
                return;
            }
            results.set(Results::Loading);
            let (results, generation, token, dispatch) =
                (results.clone(), generation.clone(), token.clone(), dispatch.clone());
            spawn_local(async move {
                sleep_ms(250).await;
                if generation.get() != my_gen {
                    return;
                }
                let answer = api::search(&token, q.trim()).await;
                if generation.get() != my_gen {
                    return;
                }
                match answer {
                    Ok(hits) => results.set(Results::Hits(hits)),
                    Err(ApiError::Unauthorized(_)) => dispatch.dispatch(Action::LoggedOut { expired: true }),
                    Err(e) => {
                        results.set(Results::Idle);
                        dispatch.dispatch(Action::Notify(Notice::Api(e)));
                    }
                }
            });
        })
    };

    let onkeydown = {
        let (results, active, choose) = (results.clone(), active.clone(), choose.clone());
        Callback::from(move |e: KeyboardEvent| {
            let Results::Hits(hits) = &*results else {
                if e.key() == "Escape" {
                    results.set(Results::Idle);
                }
                return;
            };
            match e.key().as_str() {
                "ArrowDown" if !hits.is_empty() => {
                    e.prevent_default();
                    active.set((*active + 1) % hits.len());
                }
                "ArrowUp" if !hits.is_empty() => {
                    e.prevent_default();
                    active.set((*active + hits.len() - 1) % hits.len());
                }
                "Enter" => {
                    if let Some(hit) = hits.get(*active).or(hits.first()) {
                        choose.emit(hit.clone());
                    }
                }
                "Escape" => results.set(Results::Idle),
                _ => {}
            }
        })
    };

    let dropdown = match &*results {
        Results::Idle => html! {},
        Results::Loading => {
            html! { <ul class="search-results"><li class="muted">{ t(lang, Key::Searching) }</li></ul> }
        }
        Results::Hits(hits) if hits.is_empty() => {
            html! { <ul class="search-results"><li class="muted">{ t(lang, Key::NoResults) }</li></ul> }
        }
        Results::Hits(hits) => html! {
            <ul class="search-results" role="listbox">
                { for hits.iter().enumerate().map(|(i, hit)| {
                    let onmousedown = {
                        let (choose, hit) = (choose.clone(), hit.clone());
                        Callback::from(move |e: MouseEvent| { e.prevent_default(); choose.emit(hit.clone()); })
                    };
                    html! {
                        <li role="option" class={classes!((i == *active).then_some("active"))} {onmousedown}
                            data-code={hit.code.clone()}>
                            <span class="level">{ i18n::level(lang, hit.level) }</span>
                            <span class="hit-name">{ &hit.name }</span>
                            if let Some(p) = &hit.parent_name { <span class="parent">{ p }</span> }
                            <span class="code">{ &hit.code }</span>
                        </li>
                    }
                }) }
            </ul>
        },
    };

    let onblur = {
        let results = results.clone();
        Callback::from(move |_: FocusEvent| results.set(Results::Idle))
    };

    html! {
        <div class="search">
            <input id="search" type="search" placeholder={t(lang, Key::SearchPlaceholder)} value={(*query).clone()}
                autocomplete="off" spellcheck="false" {oninput} {onkeydown} {onblur} />
            { dropdown }
        </div>
    }
}
