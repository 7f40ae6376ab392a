//! The location field and who is responsible for the location: grid, worker, escalation
//! chain, cameras, possible duplicates and mediation (`POST /api/route`).

use citygrid_api::{CameraSight, ErrorCode, GridRef, RouteRequest, RouteResult};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::i18n::DispatchKey as D;
use super::location::{parse_location, InputError, LocationInput};
use super::state::{DispatchAction as A, Location, RouteKey, RouteStatus};
use crate::api::{self, ApiError, ServerError};
use crate::components::notice::notice_view;
use crate::hooks::{use_client, Client};
use crate::i18n::{self, t, Key, Lang, Text};
use crate::map::MapHandle;
use crate::state::{use_app, Action, Notice, Selection};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

/// The zoom the map flies to for a typed location.
const LOCATE_ZOOM: f64 = 15.0;

fn input_key(e: InputError) -> D {
    match e {
        InputError::Empty => D::InputEmpty,
        InputError::Unreadable => D::InputUnreadable,
        InputError::OutOfRange => D::InputOutOfRange,
    }
}

/// Asks who is responsible for `key`, then the grid's boundary for the outline.
async fn fetch_route(client: Client, key: RouteKey) {
    let req = RouteRequest {
        lon: key.lon,
        lat: key.lat,
        category: Some(key.category.clone()),
        priority: key.priority,
        at: None,
    };
    let status = match client.check(api::route(client.token(), &req).await) {
        Ok(result) => {
            let code = result.grid.code.clone();
            client.send(A::Routed(key, RouteStatus::Done { result: Box::new(result), grid_geometry: None }));
            if let Ok(grid) = client.check(api::grid(client.token(), &code).await) {
                client.send(A::GridGeometry { code, geometry: grid.geometry });
            }
            return;
        }
        Err(error @ ApiError::Server(ServerError { code: Some(ErrorCode::OutsideCity), .. })) => {
            let details = error.server().and_then(|e| e.details.clone());
            let nearest =
                details.as_ref().and_then(|d| serde_json::from_value::<GridRef>(d["nearest_grid"].clone()).ok());
            let distance_m = details.as_ref().and_then(|d| d["distance_m"].as_f64());
            RouteStatus::Outside { nearest, distance_m, error }
        }
        Err(e) => RouteStatus::Failed(Notice::Api(e)),
    };
    client.send(A::Routed(key, status));
}

/// Looks up the centre of grid `code` for the location field.
async fn resolve_grid(client: Client, code: String, map: Option<MapHandle>) {
    let result =
        client.check(api::admin_unit(client.token(), &code).await).map(|u| (u.label_point[0], u.label_point[1]));
    if let (Ok((lon, lat)), Some(map)) = (&result, &map) {
        map.fly_to(*lon, *lat, LOCATE_ZOOM);
    }
    client.send(A::GridResolved { code, result });
}

fn camera_rows(lang: Lang, cams: &[CameraSight]) -> Html {
    html! {
        <ul class="cams">
            { for cams.iter().map(|c| html! {
                <li class={classes!(c.sees_point.then_some("sees"))}>
                    <span class={classes!("status", c.status.clone())}>{ i18n::wire(lang, &c.status) }</span>
                    <code>{ &c.code }</code>
                    <span class="muted">{ i18n::wire(lang, &c.kind) }</span>
                    <span class="num">{ i18n::distance(c.distance_m) }</span>
                </li>
            }) }
        </ul>
    }
}

fn result_view(app: &crate::state::AppContext, r: &RouteResult) -> Html {
    let lang = app.lang;
    let select_grid = {
        let (dispatch, code) = (app.dispatcher(), r.grid.code.clone());
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(Action::Select { selection: Some(Selection::Grid(code.clone())), fly: false });
        })
    };
    let open = |id: i64| {
        let dispatch = app.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(A::Open(id).into()))
    };
    let (cams_title, cams) = if r.cameras_seeing.is_empty() {
        (D::NearestCameras, &r.nearest_cameras)
    } else {
        (D::CamerasSeeing, &r.cameras_seeing)
    };
    html! {
        <div class="route-result">
            <dl class="attrs">
                <dt>{ t(lang, D::ResponsibleGrid) }</dt>
                <dd>
                    <button class="link" onclick={select_grid} title={t(lang, Key::Inspector)}>
                        <code data-testid="route-grid-code">{ &r.grid.code }</code>
                    </button>
                    <div>{ &r.grid.name }</div>
                </dd>
                <dt>{ t(lang, D::GridWorker) }</dt>
                <dd>
                    if let Some(w) = &r.grid_worker {
                        <span class="worker-name">{ &w.name }</span>{ " " }
                        <a href={format!("tel:{}", w.phone)}>{ &w.phone }</a>
                    } else {
                        <span class="muted">{ t(lang, Key::NoWorkers) }</span>
                    }
                </dd>
            </dl>
            <h4>{ t(lang, D::EscalationChain) }</h4>
            <ol class="escalation">
                { for r.escalation.iter().map(|s| html! {
                    <li>
                        <span class="lvl">{ i18n::level(lang, s.level) }</span>
                        <span class="who">
                            <b>{ &s.responsible }</b>
                            <small class="muted">{ &s.name }</small>
                        </span>
                        <span class="deadline">
                            { match s.deadline_hours {
                                Some(h) => format!("{h} {}", t(lang, Key::HoursUnit)),
                                None => t(lang, D::NoDeadline).to_owned(),
                            } }
                        </span>
                    </li>
                }) }
            </ol>
            <h4>{ t(lang, cams_title) }</h4>
            if cams.is_empty() {
                <p class="muted">{ t(lang, D::NoCameras) }</p>
            } else {
                { camera_rows(lang, cams) }
            }
            if !r.duplicates.is_empty() {
                <h4>{ t(lang, D::Duplicates) }</h4>
                <ul class="dups">
                    { for r.duplicates.iter().map(|d| html! {
                        <li>
                            <button class="link" data-testid="duplicate-link" data-id={d.id.to_string()}
                                onclick={open(d.id)}>{ format!("#{}", d.id) }</button>
                            <span>{ i18n::category(lang, &d.category) }</span>
                            <span class={classes!("st", d.status.clone())}>{ i18n::wire(lang, &d.status) }</span>
                            <span class="num">{ i18n::distance(d.distance_m) }</span>
                        </li>
                    }) }
                </ul>
            }
            if let Some(m) = &r.mediation {
                <h4>{ t(lang, D::Mediation) }</h4>
                <div class="mediation">
                    <b>{ &m.room_name }</b>{ " · " }{ i18n::distance(m.distance_m) }
                    <div class="muted">{ &m.address }</div>
                    if !m.mediators.is_empty() {
                        <div>{ t(lang, D::Mediators) }{ if lang == Lang::Zh { "：" } else { ": " } }
                            { m.mediators.iter().map(|x| x.name.clone()).collect::<Vec<_>>().join("、") }
                        </div>
                    }
                </div>
            }
        </div>
    }
}

#[function_component(RouteCard)]
pub fn route_card(props: &Props) -> Html {
    let app = use_app();
    let lang = app.lang;
    let client = use_client();
    let d = &app.workspaces.dispatch;

    // Route the location whenever the question changed (not again after a tab switch).
    {
        let client = client.clone();
        use_effect_with(d.needs_route(), move |needs| {
            if let Some(key) = needs.clone() {
                client.send(A::RouteStarted(key.clone()));
                spawn_local(fetch_route(client, key));
            }
        });
    }

    let on_input = {
        let client = client.clone();
        Callback::from(move |e: InputEvent| {
            client.send(A::WhereTyped(e.target_unchecked_into::<HtmlInputElement>().value()));
        })
    };
    let on_locate = {
        let (client, map, text) = (client.clone(), props.map.clone(), d.where_text.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = text.trim().to_owned();
            match parse_location(&text) {
                Err(err) => {
                    client.send(A::Locate(Location::Failed { text, why: Notice::Key(input_key(err).phrase()) }));
                }
                Ok(LocationInput::Point { lon, lat }) => {
                    client.send(A::Locate(Location::Point { lon, lat, text }));
                    if let Some(map) = &map {
                        map.fly_to(lon, lat, LOCATE_ZOOM);
                    }
                }
                Ok(LocationInput::Grid(code)) => {
                    client.send(A::Locate(Location::Resolving { code: code.clone(), text }));
                    spawn_local(resolve_grid(client.clone(), code, map.clone()));
                }
            }
        })
    };

    let error = |why: &Notice| notice_view(lang, why, "form-error");
    let body = match &d.location {
        Location::None => html! { <p class="muted hint">{ t(lang, D::ClickMapHint) }</p> },
        Location::Failed { why, .. } => error(why),
        Location::Resolving { .. } => html! { <p class="muted">{ t(lang, D::Routing) }</p> },
        Location::Point { lon, lat, .. } => {
            let status = match d.current_route() {
                None | Some(RouteStatus::Loading) => html! { <p class="muted">{ t(lang, D::Routing) }</p> },
                Some(RouteStatus::Failed(why)) => error(why),
                Some(RouteStatus::Outside { nearest, distance_m, error }) => html! {
                    <div class="form-error outside" role="alert">
                        <p>{ t(lang, D::OutsideCity) }</p>
                        if let Some(g) = nearest {
                            <p><code>{ &g.code }</code>{ " " }{ &g.name }
                                if let Some(m) = distance_m { { " · " }{ i18n::distance(*m) } }
                            </p>
                        } else {
                            <p>{ error.detail() }</p>
                        }
                    </div>
                },
                Some(RouteStatus::Done { result, .. }) => result_view(&app, result),
            };
            html! {
                <>
                    <p class="located muted small" data-testid="located-point">{ format!("{lon:.6}, {lat:.6}") }</p>
                    { status }
                </>
            }
        }
    };

    html! {
        <>
            <form class="where" onsubmit={on_locate}>
                <label for="dispatch-where">{ t(lang, D::Where) }</label>
                <div class="where-row">
                    <input id="dispatch-where" data-testid="dispatch-where" value={d.where_text.clone()}
                        placeholder={t(lang, D::WherePlaceholder)} oninput={on_input} />
                    <button type="submit">{ t(lang, D::Locate) }</button>
                </div>
                if d.edited() && !d.where_text.trim().is_empty() {
                    <p class="muted small" data-testid="where-edited">{ t(lang, D::LocationEdited) }</p>
                }
            </form>
            <section class="route">
                <h3>{ t(lang, D::Responsibility) }</h3>
                { body }
            </section>
        </>
    }
}
