//! "Suggest k cameras here" (`POST /api/coverage/suggest`) for the selected grid, village or
//! township: the sites in pick order with each one's gain (drawn numbered on the map by
//! `on_map.rs`), the covered residents before and after, and for planners and admins a button
//! that adds the sites as planned cameras (`POST /api/cameras/planned`, one transaction).

use citygrid_api::{PlannedCamerasRequest, PlannedSite, SuggestRequest};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::i18n::CoverageKey as C;
use super::state::{CoverageAction as A, Suggestion, MAX_K};
use super::{may_edit_cameras, suggest_area};
use crate::api;
use crate::components::notice::notice_view;
use crate::format::percent;
use crate::hooks::{use_client, Client};
use crate::i18n::{self, t, Lang};
use crate::load::{next_request, Load};
use crate::state::{use_app, Notice};

fn ask(client: &Client, area: String, k: u8, occlusion: bool) {
    let seq = next_request();
    client.send(A::SuggestStarted(area.clone(), seq));
    let client = client.clone();
    spawn_local(async move {
        let req = SuggestRequest { area_code: area, k: i64::from(k), camera: None, min_spacing_m: None, occlusion };
        let result = client.check(api::coverage_suggest(client.token(), &req).await).map(Box::new).map_err(Notice::Api);
        client.send(A::SuggestLoaded(seq, result));
    });
}

fn add_planned(client: &Client, s: &Suggestion) {
    let seq = next_request();
    client.send(A::AddStarted(seq));
    let req = PlannedCamerasRequest {
        kind: s.result.kind.clone(),
        sites: s
            .result
            .sites
            .iter()
            .map(|x| PlannedSite {
                lon: x.lon,
                lat: x.lat,
                heading_deg: x.heading_deg,
                fov_deg: x.fov_deg,
                range_m: x.range_m,
            })
            .collect(),
    };
    let client = client.clone();
    spawn_local(async move {
        let result = client.check(api::add_planned_cameras(client.token(), &req).await).map_err(Notice::Api);
        client.send(A::AddDone(seq, result));
    });
}

fn result_view(lang: Lang, s: &Suggestion, can_add: bool, on_add: Callback<MouseEvent>) -> Html {
    let r = &s.result;
    html! {
        <div class="suggestion" data-testid="suggestion" data-sites={r.sites.len().to_string()}>
            <p class="small muted">
                { format!("{} {} · {:.0}° · {:.0} m", t(lang, C::SuggestCamera), i18n::wire(lang, &r.kind), r.fov_deg, r.range_m) }
            </p>
            <dl class="attrs">
                <dt>{ t(lang, C::SuggestBefore) }</dt>
                <dd data-testid="suggest-before">
                    { format!("{} / {} · {}", r.covered_residents_before, r.residents, percent(r.covered_residents_before, r.residents)) }
                </dd>
                <dt>{ t(lang, C::SuggestAfter) }</dt>
                <dd data-testid="suggest-after">
                    { format!("{} / {} · {}", r.covered_residents_after, r.residents, percent(r.covered_residents_after, r.residents)) }
                </dd>
            </dl>
            if r.sites.is_empty() {
                <p class="muted">{ t(lang, C::SuggestNone) }</p>
            } else {
                <ol class="sites" data-testid="suggest-sites">
                    { for r.sites.iter().enumerate().map(|(i, x)| html! {
                        <li data-testid="suggest-site" data-gain={x.gain_residents.to_string()}>
                            <span class="site-num" style={format!("background: {}", citygrid_api::symbols::SITE)}>{ i + 1 }</span>
                            <span>{ format!("{} +{}", t(lang, C::GainResidents), x.gain_residents) }</span>
                            <span class="small muted">{ format!("{} +{}", t(lang, C::GainBuildings), x.gain_buildings) }</span>
                        </li>
                    }) }
                </ol>
                if can_add {
                    { match &s.added {
                        Load::Done(p) => html! {
                            <p class="form-ok" data-testid="planned-added">{ t(lang, C::Added) }{ p.codes.join(", ") }</p>
                        },
                        Load::Loading(_) => html! { <button disabled=true>{ t(lang, C::Adding) }</button> },
                        Load::Failed(n) => html! {
                            <>
                                { notice_view(lang, n, "form-error") }
                                <button data-testid="add-planned" onclick={on_add}>{ t(lang, C::AddPlanned) }</button>
                            </>
                        },
                        Load::Idle => html! {
                            <button class="primary-action" data-testid="add-planned" onclick={on_add}>{ t(lang, C::AddPlanned) }</button>
                        },
                    } }
                }
            }
        </div>
    }
}

#[function_component(SuggestCard)]
pub fn suggest_card() -> Html {
    let app = use_app();
    let client = use_client();
    let lang = app.lang;
    let c = &app.workspaces.coverage;
    let can_add = app.session.as_ref().is_some_and(|s| may_edit_cameras(s.user.role));
    let area = suggest_area(app.selection.as_ref());

    // Another area selected: the old suggestion goes.
    {
        let client = client.clone();
        let shown = c.suggestion.as_ref().map(|(a, _)| a.clone());
        use_effect_with(area.clone(), move |area| {
            if shown.is_some() && shown != *area {
                client.send(A::ClearSuggestion);
            }
        });
    }

    let Some(area) = area else {
        return html! {
            <section class="suggest" data-testid="suggest">
                <h3>{ t(lang, C::Suggest) }</h3>
                <p class="hint muted">{ t(lang, C::SuggestHint) }</p>
            </section>
        };
    };
    let on_k = {
        let client = client.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlInputElement>().value();
            if let Ok(k) = v.trim().parse::<u8>() {
                client.send(A::SetK(k));
            }
        })
    };
    let on_run = {
        let (client, area, k, occlusion) = (client.clone(), area.clone(), c.k, c.occlusion);
        Callback::from(move |_: MouseEvent| ask(&client, area.clone(), k, occlusion))
    };
    let current = c.suggestion.as_ref().filter(|(a, _)| *a == area).map(|(_, l)| l);
    let busy = matches!(current, Some(Load::Loading(_)));
    let body = match current {
        Some(Load::Done(s)) => {
            let on_add = {
                let (client, s) = (client.clone(), s.clone());
                Callback::from(move |_: MouseEvent| add_planned(&client, &s))
            };
            let clear = {
                let client = client.clone();
                Callback::from(move |_: MouseEvent| client.send(A::ClearSuggestion))
            };
            html! {
                <>
                    { result_view(lang, s, can_add, on_add) }
                    <button class="link" data-testid="clear-suggestion" onclick={clear}>{ t(lang, C::ClearSuggestion) }</button>
                </>
            }
        }
        Some(Load::Failed(n)) => notice_view(lang, n, "form-error"),
        _ => html! {},
    };
    html! {
        <section class="suggest" data-testid="suggest" data-area={area.clone()}>
            <h3>{ t(lang, C::Suggest) }</h3>
            <p class="small">{ t(lang, C::SuggestFor) }{ " " }<code>{ area }</code></p>
            <div class="actions">
                <label>{ t(lang, C::SuggestCount) }{ " " }
                    <input type="number" min="1" max={MAX_K.to_string()} value={c.k.to_string()} data-testid="suggest-k"
                        onchange={on_k} />
                </label>
                <button class="primary-action" data-testid="suggest-run" disabled={busy} onclick={on_run}>
                    { t(lang, if busy { C::Suggesting } else { C::SuggestRun }) }
                </button>
            </div>
            { body }
        </section>
    }
}
