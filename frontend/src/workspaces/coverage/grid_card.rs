//! The selected grid's coverage (`GET /api/coverage/grids/{code}`, without and with occlusion):
//! buildings and residents covered, cameras by status, blind spots (drawn on the map by
//! `on_map.rs`), and the change occlusion makes.

use citygrid_api::GridCoverage;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::figures::{area_m2, points_change};
use super::i18n::CoverageKey as C;
use super::state::{CoverageAction as A, GridFigures};
use crate::api;
use crate::components::notice::notice_view;
use crate::format::percent;
use crate::hooks::{use_client, Client};
use crate::i18n::{t, Key, Lang};
use crate::load::{next_request, Load};
use crate::state::{use_app, Notice, Selection};

/// Loads both figures of grid `code`.
fn load(client: &Client, code: String) {
    let seq = next_request();
    client.send(A::GridStarted(code.clone(), seq));
    let client = client.clone();
    spawn_local(async move {
        let plain = client.check(api::coverage_grid(client.token(), &code, false).await);
        let result = match plain {
            Ok(plain) => client
                .check(api::coverage_grid(client.token(), &code, true).await)
                .map(|occluded| Box::new(GridFigures { plain, occluded })),
            Err(e) => Err(e),
        };
        client.send(A::GridLoaded(seq, result.map_err(Notice::Api)));
    });
}

fn row(label: &str, plain: (i64, i64), occluded: (i64, i64), testid: &'static str) -> Html {
    html! {
        <tr data-testid={testid}>
            <th>{ label }</th>
            <td data-testid="plain">{ format!("{} / {}", plain.0, plain.1) }<br /><b>{ percent(plain.0, plain.1) }</b></td>
            <td data-testid="occluded">{ format!("{} / {}", occluded.0, occluded.1) }<br /><b>{ percent(occluded.0, occluded.1) }</b></td>
            <td data-testid="change">{ points_change(plain, occluded) }</td>
        </tr>
    }
}

fn figures_view(lang: Lang, g: &GridFigures, occlusion: bool) -> Html {
    let (p, o) = (&g.plain, &g.occluded);
    let current: &GridCoverage = if occlusion { o } else { p };
    let cams = &current.cameras;
    html! {
        <>
            <table class="figures">
                <thead><tr><th></th><th>{ t(lang, C::WithoutOcclusion) }</th><th>{ t(lang, C::WithOcclusion) }</th>
                    <th>{ t(lang, C::OcclusionChange) }</th></tr></thead>
                <tbody>
                    { row(t(lang, C::CoveredResidents), (p.covered_residents, p.residents),
                        (o.covered_residents, o.residents), "grid-residents") }
                    { row(t(lang, C::CoveredBuildings), (p.covered_buildings, p.buildings),
                        (o.covered_buildings, o.buildings), "grid-buildings") }
                </tbody>
            </table>
            <dl class="attrs">
                <dt>{ t(lang, C::CamerasByStatus) }</dt>
                <dd data-testid="grid-cameras">{ format!("{} / {} / {} / {}", cams.online, cams.offline, cams.maintenance, cams.planned) }</dd>
                <dt>{ t(lang, C::BlindSpots) }</dt>
                <dd data-testid="grid-blind-spots" data-count={current.blind_spots.features.len().to_string()}>
                    { format!("{} · {} {}", current.blind_spots.features.len(), area_m2(current.blind_spot_area_m2), t(lang, C::SquareMetres)) }
                </dd>
            </dl>
        </>
    }
}

#[function_component(GridCard)]
pub fn grid_card() -> Html {
    let app = use_app();
    let client = use_client();
    let lang = app.lang;
    let c = &app.workspaces.coverage;
    let selected = match &app.selection {
        Some(Selection::Grid(code)) => Some(code.clone()),
        _ => None,
    };
    {
        let client = client.clone();
        let loaded_for = c.grid.as_ref().map(|(code, _)| code.clone());
        use_effect_with(selected.clone(), move |sel| match sel {
            Some(code) if loaded_for.as_deref() != Some(code.as_str()) => load(&client, code.clone()),
            Some(_) => {}
            None => client.send(A::NoGrid),
        });
    }
    let Some(code) = selected else { return html! {} };
    let body = match c.grid.as_ref().filter(|(g, _)| *g == code).map(|(_, l)| l) {
        Some(Load::Done(g)) => figures_view(lang, g, c.occlusion),
        Some(Load::Failed(n)) => notice_view(lang, n, "form-error"),
        _ => html! { <p class="muted">{ t(lang, Key::Loading) }</p> },
    };
    let name = c.grid.as_ref().and_then(|(_, l)| l.done()).map(|g| g.plain.name.clone()).unwrap_or_default();
    html! {
        <section class="grid-coverage" data-testid="grid-coverage" data-code={code.clone()}>
            <h3>{ t(lang, C::GridCoverage) }</h3>
            <p><b>{ name }</b>{ " " }<code>{ code }</code></p>
            { body }
        </section>
    }
}
