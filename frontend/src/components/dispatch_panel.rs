//! The Dispatch tab (调度): route a location to who is responsible, register an incident there,
//! and follow the open incidents in the map view through their state machine.
//!
//! A click on the map (while this panel is shown) picks the location instead of selecting a
//! feature. The routed grid, the camera sectors and the selected incident are drawn through
//! [`MapHandle::set_overlay`]; the pure parts live in [`crate::dispatch`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use citygrid_api::{
    CameraSight, CreateIncidentRequest, GridRef, IncidentDetail, RouteRequest, RouteResult, TransitionRequest,
    CATEGORIES, SOURCES,
};
use serde_json::Value;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::bindings::{Interval, MapHandle};
use crate::dispatch::{
    bbox_param, char_count, overlay, parse_location, IncidentList, InputError, LocationInput, LIST_LIMIT,
    LIST_REFRESH_MS, MAX_DESCRIPTION_CHARS,
};
use crate::i18n::{self, t, Key, Lang};
use crate::state::{use_app, Action, AppContext, Selection};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

/// The routing panel's state.
#[derive(Clone, PartialEq)]
enum RouteState {
    Idle,
    Loading,
    Done(Box<RouteResult>),
    Outside { message: String, nearest: Option<GridRef>, distance_m: Option<f64> },
    Failed(String),
    BadInput(Key),
}

#[derive(Clone, PartialEq)]
enum DetailState {
    None,
    Loading,
    Loaded(Box<IncidentDetail>),
    Failed(String),
}

/// An error for people; a 401 logs out.
fn failure(app: &AppContext, lang: Lang, e: &ApiError) -> String {
    if matches!(e, ApiError::Unauthorized(_)) {
        app.dispatch(Action::LoggedOut { expired: true });
    }
    e.message(lang)
}

fn input_key(e: InputError) -> Key {
    match e {
        InputError::Empty => Key::InputEmpty,
        InputError::Unreadable => Key::InputUnreadable,
        InputError::OutOfRange => Key::InputOutOfRange,
    }
}

/// Reloads the open incidents of `bounds` into `list`.
fn refresh_list(
    app: &AppContext,
    token: String,
    bounds: Option<[f64; 4]>,
    list: &Rc<RefCell<IncidentList>>,
    redraw: &UseForceUpdateHandle,
) {
    let Some(bbox) = bounds.and_then(bbox_param) else { return };
    let seq = list.borrow_mut().begin();
    redraw.force_update();
    let (app, list, redraw) = (app.clone(), list.clone(), redraw.clone());
    spawn_local(async move {
        let lang = app.lang;
        let result = api::open_incidents(&token, &bbox, LIST_LIMIT)
            .await
            .map(|p| (p.items, p.next_cursor.is_some()))
            .map_err(|e| failure(&app, lang, &e));
        if list.borrow_mut().apply(seq, result) {
            redraw.force_update();
        }
    });
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

#[function_component(DispatchPanel)]
pub fn dispatch_panel(props: &Props) -> Html {
    let app = use_app();
    let lang = app.lang;
    let token = app.session.as_ref().map(|s| s.token.clone()).unwrap_or_default();

    let where_text = use_state(String::new);
    let target = use_state(|| None::<(f64, f64)>);
    let route = use_state(|| RouteState::Idle);
    let grid_geometry = use_state(|| None::<Value>);
    let route_gen = use_mut_ref(|| Rc::new(Cell::new(0_u64)));

    let category = use_state(|| "citizen.infrastructure".to_owned());
    let source = use_state(|| "hotline".to_owned());
    let priority = use_state(|| None::<i16>);
    let description = use_state(String::new);
    let submitting = use_state(|| false);
    let form_error = use_state(|| None::<String>);
    let created = use_state(|| None::<i64>);

    let list = use_mut_ref(IncidentList::default);
    let bounds = use_mut_ref(|| None::<[f64; 4]>);
    let redraw = use_force_update();

    let selected = use_state(|| None::<i64>);
    let detail = use_state(|| DetailState::None);
    let detail_nonce = use_state(|| 0_u32);
    let note = use_state(String::new);
    let duplicate_of = use_state(String::new);
    let action_error = use_state(|| None::<String>);
    let acting = use_state(|| false);

    // Clicks pick the location; moves and a timer refresh the open-incident list.
    {
        let (app, token, list, bounds, redraw, target, where_text) = (
            app.clone(),
            token.clone(),
            list.clone(),
            bounds.clone(),
            redraw.clone(),
            target.clone(),
            where_text.clone(),
        );
        use_effect_with(props.map.clone(), move |map| {
            let mut interval = None;
            if let Some(map) = map {
                let on_point = Callback::from(move |(lon, lat): (f64, f64)| {
                    where_text.set(format!("{lon:.6},{lat:.6}"));
                    target.set(Some((lon, lat)));
                });
                let on_move = {
                    let (app, token, list, bounds, redraw) =
                        (app.clone(), token.clone(), list.clone(), bounds.clone(), redraw.clone());
                    Callback::from(move |b: [f64; 4]| {
                        *bounds.borrow_mut() = Some(b);
                        refresh_list(&app, token.clone(), Some(b), &list, &redraw);
                    })
                };
                map.set_dispatch_handlers(Some(on_point), Some(on_move));
                *bounds.borrow_mut() = map.bounds();
                refresh_list(&app, token.clone(), *bounds.borrow(), &list, &redraw);
                interval = Interval::new(LIST_REFRESH_MS, move || {
                    let b = *bounds.borrow();
                    refresh_list(&app, token.clone(), b, &list, &redraw);
                });
            }
            let map = map.clone();
            move || {
                drop(interval);
                if let Some(map) = map {
                    map.set_dispatch_handlers(None, None);
                    map.set_overlay(None);
                }
            }
        });
    }

    // Route the target (again when the category or priority changes: deadlines, duplicates).
    {
        let (app, token, route, grid_geometry) = (app.clone(), token.clone(), route.clone(), grid_geometry.clone());
        let generation = route_gen.borrow().clone();
        use_effect_with(((*target), (*category).clone(), *priority), move |(target, category, priority)| {
            let my_gen = generation.get() + 1;
            generation.set(my_gen);
            if let Some((lon, lat)) = *target {
                route.set(RouteState::Loading);
                let req = RouteRequest { lon, lat, category: Some(category.clone()), priority: *priority };
                spawn_local(async move {
                    let lang = app.lang;
                    let result = api::route(&token, &req).await;
                    if generation.get() != my_gen {
                        return;
                    }
                    match result {
                        Ok(r) => {
                            let code = r.grid.code.clone();
                            route.set(RouteState::Done(Box::new(r)));
                            let geometry = api::grid(&token, &code).await.ok().map(|f| f.geometry);
                            if generation.get() == my_gen {
                                grid_geometry.set(geometry);
                            }
                        }
                        Err(ApiError::Server { status: 422, message, details, .. }) => {
                            grid_geometry.set(None);
                            let nearest = details
                                .as_ref()
                                .and_then(|d| serde_json::from_value::<GridRef>(d["nearest_grid"].clone()).ok());
                            let distance_m = details.as_ref().and_then(|d| d["distance_m"].as_f64());
                            route.set(RouteState::Outside { message, nearest, distance_m });
                        }
                        Err(e) => {
                            grid_geometry.set(None);
                            route.set(RouteState::Failed(failure(&app, lang, &e)));
                        }
                    }
                });
            }
        });
    }

    // The selected incident's details (again after each transition).
    {
        let (app, token, detail) = (app.clone(), token.clone(), detail.clone());
        use_effect_with((*selected, *detail_nonce), move |(selected, _)| {
            if let Some(id) = *selected {
                detail.set(DetailState::Loading);
                spawn_local(async move {
                    let lang = app.lang;
                    match api::incident(&token, id).await {
                        Ok(d) => detail.set(DetailState::Loaded(Box::new(d))),
                        Err(e) => detail.set(DetailState::Failed(failure(&app, lang, &e))),
                    }
                });
            } else {
                detail.set(DetailState::None);
            }
        });
    }

    // Draw the grid, the cameras, the point and the selected incident.
    {
        let incident_point = match &*detail {
            DetailState::Loaded(d) => Some([d.incident.lon, d.incident.lat]),
            _ => None,
        };
        use_effect_with(
            (props.map.clone(), (*route).clone(), (*grid_geometry).clone(), *target, incident_point),
            |(map, route, geometry, target, incident_point)| {
                if let Some(map) = map {
                    let cameras: &[CameraSight] = match route {
                        RouteState::Done(r) if !r.cameras_seeing.is_empty() => &r.cameras_seeing,
                        RouteState::Done(r) => &r.nearest_cameras,
                        _ => &[],
                    };
                    let geometry = if matches!(route, RouteState::Done(_)) { geometry.as_ref() } else { None };
                    let point = target.map(|(lon, lat)| [lon, lat]);
                    map.set_overlay(Some(overlay(point, geometry, cameras, *incident_point)));
                }
            },
        );
    }

    // ---- callbacks ----
    let on_where_input = {
        let where_text = where_text.clone();
        Callback::from(move |e: InputEvent| where_text.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_locate = {
        let (app, token, where_text, target, route, map) =
            (app.clone(), token.clone(), where_text.clone(), target.clone(), route.clone(), props.map.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_location(&where_text) {
                Err(err) => route.set(RouteState::BadInput(input_key(err))),
                Ok(LocationInput::Point { lon, lat }) => {
                    target.set(Some((lon, lat)));
                    if let Some(map) = &map {
                        map.fly_to(lon, lat, 15.0);
                    }
                }
                Ok(LocationInput::Grid(code)) => {
                    route.set(RouteState::Loading);
                    let (app, token, target, route, map) =
                        (app.clone(), token.clone(), target.clone(), route.clone(), map.clone());
                    spawn_local(async move {
                        let lang = app.lang;
                        match api::admin_unit(&token, &code).await {
                            Ok(u) => {
                                let [lon, lat] = u.label_point;
                                target.set(Some((lon, lat)));
                                if let Some(map) = &map {
                                    map.fly_to(lon, lat, 15.0);
                                }
                            }
                            Err(e) => route.set(RouteState::Failed(failure(&app, lang, &e))),
                        }
                    });
                }
            }
        })
    };
    let open_incident = |id: i64| {
        let (selected, detail_nonce, action_error) = (selected.clone(), detail_nonce.clone(), action_error.clone());
        Callback::from(move |_: MouseEvent| {
            action_error.set(None);
            selected.set(Some(id));
            detail_nonce.set(detail_nonce.wrapping_add(1));
        })
    };
    let on_select = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: Event| state.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_priority = {
        let priority = priority.clone();
        Callback::from(move |e: Event| {
            priority.set(e.target_unchecked_into::<HtmlSelectElement>().value().parse::<i16>().ok());
        })
    };
    let on_description = {
        let description = description.clone();
        Callback::from(move |e: InputEvent| {
            description.set(e.target_unchecked_into::<HtmlTextAreaElement>().value());
        })
    };
    let on_register = {
        let (app, token, target, category, source, priority, description) = (
            app.clone(),
            token.clone(),
            target.clone(),
            category.clone(),
            source.clone(),
            priority.clone(),
            description.clone(),
        );
        let (submitting, form_error, created, route) =
            (submitting.clone(), form_error.clone(), created.clone(), route.clone());
        let (list, bounds, redraw, selected, detail_nonce) =
            (list.clone(), bounds.clone(), redraw.clone(), selected.clone(), detail_nonce.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let lang = app.lang;
            let Some((lon, lat)) = *target else {
                form_error.set(Some(t(lang, Key::PickPointFirst).to_owned()));
                return;
            };
            if description.trim().is_empty() {
                form_error.set(Some(t(lang, Key::DescriptionRequired).to_owned()));
                return;
            }
            if char_count(&description) > MAX_DESCRIPTION_CHARS {
                form_error.set(Some(t(lang, Key::DescriptionTooLong).to_owned()));
                return;
            }
            let req = CreateIncidentRequest {
                lon,
                lat,
                category: (*category).clone(),
                description: description.trim().to_owned(),
                source: (*source).clone(),
                priority: *priority,
                reported_at: None,
            };
            submitting.set(true);
            form_error.set(None);
            created.set(None);
            let (app, token, submitting, form_error, created, route, description) = (
                app.clone(),
                token.clone(),
                submitting.clone(),
                form_error.clone(),
                created.clone(),
                route.clone(),
                description.clone(),
            );
            let (list, bounds, redraw, selected, detail_nonce) =
                (list.clone(), bounds.clone(), redraw.clone(), selected.clone(), detail_nonce.clone());
            spawn_local(async move {
                match api::create_incident(&token, &req).await {
                    Ok(c) => {
                        created.set(Some(c.incident.id));
                        description.set(String::new());
                        route.set(RouteState::Done(Box::new(c.routing)));
                        selected.set(Some(c.incident.id));
                        detail_nonce.set(detail_nonce.wrapping_add(1));
                        let b = *bounds.borrow();
                        refresh_list(&app, token, b, &list, &redraw);
                    }
                    Err(e) => form_error.set(Some(failure(&app, lang, &e))),
                }
                submitting.set(false);
            });
        })
    };
    let refresh_now = {
        let (app, token, list, bounds, redraw) =
            (app.clone(), token.clone(), list.clone(), bounds.clone(), redraw.clone());
        Callback::from(move |_: MouseEvent| {
            let b = *bounds.borrow();
            refresh_list(&app, token.clone(), b, &list, &redraw);
        })
    };
    let do_action = |action: String, id: i64| {
        let (app, token, note, duplicate_of, action_error, acting) =
            (app.clone(), token.clone(), note.clone(), duplicate_of.clone(), action_error.clone(), acting.clone());
        let (list, bounds, redraw, detail_nonce) = (list.clone(), bounds.clone(), redraw.clone(), detail_nonce.clone());
        Callback::from(move |_: MouseEvent| {
            let lang = app.lang;
            let dup = if action == "mark_duplicate" {
                let Ok(n) = duplicate_of.trim().parse::<i64>() else {
                    action_error.set(Some(format!("{}?", t(lang, Key::DuplicateOf))));
                    return;
                };
                Some(n)
            } else {
                None
            };
            let n = note.trim();
            let req = TransitionRequest {
                action: action.clone(),
                note: (!n.is_empty()).then(|| n.to_owned()),
                duplicate_of: dup,
            };
            acting.set(true);
            action_error.set(None);
            let (app, token, note, action_error, acting) =
                (app.clone(), token.clone(), note.clone(), action_error.clone(), acting.clone());
            let (list, bounds, redraw, detail_nonce) =
                (list.clone(), bounds.clone(), redraw.clone(), detail_nonce.clone());
            spawn_local(async move {
                match api::transition(&token, id, &req).await {
                    Ok(incident) => {
                        note.set(String::new());
                        list.borrow_mut().upsert(incident);
                        redraw.force_update();
                        let b = *bounds.borrow();
                        refresh_list(&app, token, b, &list, &redraw);
                    }
                    Err(e) => {
                        let mut msg = failure(&app, lang, &e);
                        if let ApiError::Server { status: 409, details: Some(d), .. } = &e {
                            let allowed: Vec<String> = d["allowed_actions"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                                .map(|a| i18n::wire(lang, a))
                                .collect();
                            msg = format!("{msg} — {}: {}", t(lang, Key::AllowedActions), allowed.join("、"));
                        }
                        action_error.set(Some(msg));
                    }
                }
                acting.set(false);
                detail_nonce.set(detail_nonce.wrapping_add(1));
            });
        })
    };

    // ---- view ----
    let route_html = match &*route {
        RouteState::Idle => html! { <p class="muted hint">{ t(lang, Key::ClickMapHint) }</p> },
        RouteState::Loading => html! { <p class="muted">{ t(lang, Key::Routing) }</p> },
        RouteState::BadInput(k) => html! { <div class="form-error" role="alert">{ t(lang, *k) }</div> },
        RouteState::Failed(m) => html! { <div class="form-error" role="alert">{ m }</div> },
        RouteState::Outside { message, nearest, distance_m } => html! {
            <div class="form-error outside" role="alert">
                <p>{ t(lang, Key::OutsideCity) }</p>
                if let Some(g) = nearest {
                    <p><code>{ &g.code }</code>{ " " }{ &g.name }
                        if let Some(d) = distance_m { { " · " }{ i18n::distance(*d) } }
                    </p>
                } else {
                    <p>{ message }</p>
                }
            </div>
        },
        RouteState::Done(r) => {
            let select_grid = {
                let (app, code) = (app.clone(), r.grid.code.clone());
                Callback::from(move |_: MouseEvent| {
                    app.dispatch(Action::Select { selection: Some(Selection::Grid(code.clone())), fly: false });
                })
            };
            let (cams_title, cams) = if r.cameras_seeing.is_empty() {
                (Key::NearestCameras, &r.nearest_cameras)
            } else {
                (Key::CamerasSeeing, &r.cameras_seeing)
            };
            html! {
                <div class="route-result">
                    <dl class="attrs">
                        <dt>{ t(lang, Key::ResponsibleGrid) }</dt>
                        <dd>
                            <button class="link" onclick={select_grid} title={t(lang, Key::Inspector)}>
                                <code data-testid="route-grid-code">{ &r.grid.code }</code>
                            </button>
                            <div>{ &r.grid.name }</div>
                        </dd>
                        <dt>{ t(lang, Key::GridWorker) }</dt>
                        <dd>
                            if let Some(w) = &r.grid_worker {
                                <span class="worker-name">{ &w.name }</span>{ " " }
                                <a href={format!("tel:{}", w.phone)}>{ &w.phone }</a>
                            } else {
                                <span class="muted">{ t(lang, Key::NoWorkers) }</span>
                            }
                        </dd>
                    </dl>
                    <h4>{ t(lang, Key::EscalationChain) }</h4>
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
                                        None => t(lang, Key::NoDeadline).to_owned(),
                                    } }
                                </span>
                            </li>
                        }) }
                    </ol>
                    <h4>{ t(lang, cams_title) }</h4>
                    if cams.is_empty() {
                        <p class="muted">{ t(lang, Key::NoCameras) }</p>
                    } else {
                        { camera_rows(lang, cams) }
                    }
                    if !r.duplicates.is_empty() {
                        <h4>{ t(lang, Key::Duplicates) }</h4>
                        <ul class="dups">
                            { for r.duplicates.iter().map(|d| html! {
                                <li>
                                    <button class="link" data-testid="duplicate-link" data-id={d.id.to_string()}
                                        onclick={open_incident(d.id)}>{ format!("#{}", d.id) }</button>
                                    <span>{ i18n::category(lang, &d.category) }</span>
                                    <span class={classes!("st", d.status.clone())}>{ i18n::wire(lang, &d.status) }</span>
                                    <span class="num">{ i18n::distance(d.distance_m) }</span>
                                </li>
                            }) }
                        </ul>
                    }
                    if let Some(m) = &r.mediation {
                        <h4>{ t(lang, Key::Mediation) }</h4>
                        <div class="mediation">
                            <b>{ &m.room_name }</b>{ " · " }{ i18n::distance(m.distance_m) }
                            <div class="muted">{ &m.address }</div>
                            if !m.mediators.is_empty() {
                                <div>{ t(lang, Key::Mediators) }{ if lang == Lang::Zh { "：" } else { ": " } }
                                    { m.mediators.iter().map(|x| x.name.clone()).collect::<Vec<_>>().join("、") }
                                </div>
                            }
                        </div>
                    }
                </div>
            }
        }
    };

    let desc_len = char_count(&description);
    let register_html = html! {
        <form class="register" onsubmit={on_register}>
            <h3>{ t(lang, Key::RegisterTitle) }</h3>
            <label>{ t(lang, Key::Category) }
                <select id="incident-category" onchange={on_select(&category)}>
                    { for CATEGORIES.iter().map(|c| html! {
                        <option value={c.code} selected={*category == c.code}>{ i18n::category(lang, c.code) }</option>
                    }) }
                </select>
            </label>
            <div class="row">
                <label>{ t(lang, Key::Source) }
                    <select id="incident-source" onchange={on_select(&source)}>
                        { for SOURCES.iter().map(|s| html! {
                            <option value={s.code} selected={*source == s.code}>{ i18n::source(lang, s.code) }</option>
                        }) }
                    </select>
                </label>
                <label>{ t(lang, Key::Priority) }
                    <select id="incident-priority" onchange={on_priority}>
                        <option value="" selected={priority.is_none()}>{ t(lang, Key::PriorityDefault) }</option>
                        { for (1..=4_i16).map(|p| html! {
                            <option value={p.to_string()} selected={*priority == Some(p)}>{ i18n::priority(lang, p) }</option>
                        }) }
                    </select>
                </label>
            </div>
            <label>{ t(lang, Key::Description) }
                <textarea id="incident-description" rows="3" value={(*description).clone()} oninput={on_description} />
            </label>
            <div class={classes!("counter", (desc_len > MAX_DESCRIPTION_CHARS).then_some("over"))}>
                { format!("{desc_len} / {MAX_DESCRIPTION_CHARS}") }
            </div>
            if let Some(e) = &*form_error { <div class="form-error" role="alert">{ e }</div> }
            if let Some(id) = *created {
                <div class="form-ok" data-testid="registered">
                    { t(lang, Key::Registered) }{ " " }
                    <button type="button" class="link" data-testid="registered-link" data-id={id.to_string()}
                        onclick={open_incident(id)}>{ format!("#{id}") }</button>
                </div>
            }
            <button type="submit" class="primary" data-testid="register-incident"
                disabled={*submitting || target.is_none() || desc_len > MAX_DESCRIPTION_CHARS}>
                { if *submitting { t(lang, Key::Submitting) } else { t(lang, Key::RegisterButton) } }
            </button>
        </form>
    };

    let detail_html = match &*detail {
        DetailState::None => html! {},
        DetailState::Loading => {
            html! { <section class="incident-detail"><p class="muted">{ t(lang, Key::Loading) }</p></section> }
        }
        DetailState::Failed(m) => {
            html! { <section class="incident-detail"><div class="form-error">{ m }</div></section> }
        }
        DetailState::Loaded(d) => {
            let i = &d.incident;
            let close = {
                let selected = selected.clone();
                Callback::from(move |_: MouseEvent| selected.set(None))
            };
            let on_note = {
                let note = note.clone();
                Callback::from(move |e: InputEvent| note.set(e.target_unchecked_into::<HtmlInputElement>().value()))
            };
            let on_dup = {
                let duplicate_of = duplicate_of.clone();
                Callback::from(move |e: InputEvent| {
                    duplicate_of.set(e.target_unchecked_into::<HtmlInputElement>().value());
                })
            };
            html! {
                <section class="incident-detail" data-testid="incident-detail" data-id={i.id.to_string()}>
                    <header>
                        <h3>{ format!("{} #{}", t(lang, Key::Incident), i.id) }</h3>
                        <button class="close" onclick={close} title={t(lang, Key::Close)}>{ "×" }</button>
                    </header>
                    <dl class="attrs">
                        <dt>{ t(lang, Key::Status) }</dt>
                        <dd>
                            <span class={classes!("st", i.status.clone())}>{ i18n::wire(lang, &i.status) }</span>
                            if i.overdue { { " " }<span class="overdue">{ t(lang, Key::Overdue) }</span> }
                        </dd>
                        <dt>{ t(lang, Key::Category) }</dt><dd>{ i18n::category(lang, &i.category) }</dd>
                        <dt>{ t(lang, Key::Source) }</dt><dd>{ i18n::source(lang, &i.source) }</dd>
                        <dt>{ t(lang, Key::Priority) }</dt><dd>{ i18n::priority(lang, i.priority) }</dd>
                        <dt>{ t(lang, Key::CurrentLevel) }</dt><dd>{ i18n::escalation_level(lang, i.escalation_level) }</dd>
                        <dt>{ t(lang, Key::Grid) }</dt><dd><code>{ i.grid_code.clone().unwrap_or_default() }</code></dd>
                        <dt>{ t(lang, Key::ReportedAt) }</dt><dd>{ i18n::instant(&i.reported_at) }</dd>
                        if let Some(dl) = &i.step_deadline {
                            <dt>{ t(lang, Key::StepDeadline) }</dt><dd>{ i18n::instant(dl) }</dd>
                        }
                        if let Some(a) = &i.assignee {
                            <dt>{ t(lang, Key::Assignee) }</dt><dd>{ a }</dd>
                        }
                        <dt>{ t(lang, Key::Description) }</dt><dd class="desc-text">{ &i.description }</dd>
                    </dl>
                    <h4>{ t(lang, Key::Actions) }</h4>
                    if d.allowed_actions.is_empty() {
                        <p class="muted">{ t(lang, Key::NoActions) }</p>
                    } else {
                        <input class="note" placeholder={t(lang, Key::Note)} value={(*note).clone()} oninput={on_note} />
                        if d.allowed_actions.iter().any(|a| a == "mark_duplicate") {
                            <input class="dup-of" inputmode="numeric" placeholder={t(lang, Key::DuplicateOf)}
                                value={(*duplicate_of).clone()} oninput={on_dup} />
                        }
                        <div class="actions">
                            { for d.allowed_actions.iter().map(|a| html! {
                                <button class="action" data-action={a.clone()} disabled={*acting}
                                    onclick={do_action(a.clone(), i.id)}>{ i18n::wire(lang, a) }</button>
                            }) }
                        </div>
                    }
                    if let Some(e) = &*action_error { <div class="form-error" role="alert">{ e }</div> }
                    <h4>{ t(lang, Key::Timeline) }</h4>
                    <ol class="timeline" data-testid="incident-timeline">
                        { for d.timeline.iter().map(|ev| html! {
                            <li>
                                <span class="when">{ i18n::instant(&ev.at) }</span>
                                <b>{ i18n::wire(lang, &ev.action) }</b>
                                <span class="muted">
                                    { if ev.actor == "system" { t(lang, Key::System).to_owned() } else { ev.actor.clone() } }
                                </span>
                                <span>
                                    { i18n::wire(lang, &ev.to_status) }{ " · " }{ i18n::escalation_level(lang, ev.to_level) }
                                </span>
                                if let Some(n) = &ev.note { <div class="note-text">{ n }</div> }
                            </li>
                        }) }
                    </ol>
                </section>
            }
        }
    };

    let list_ref = list.borrow();
    let list_html = html! {
        <section class="incidents">
            <h3>
                { t(lang, Key::OpenIncidents) }
                <span class="count">{ list_ref.items.len() }</span>
                if list_ref.overdue_count() > 0 {
                    <span class="overdue">{ format!("{} {}", t(lang, Key::Overdue), list_ref.overdue_count()) }</span>
                }
                <button class="link refresh" onclick={refresh_now} disabled={list_ref.loading}>{ t(lang, Key::Refresh) }</button>
            </h3>
            if let Some(e) = &list_ref.error { <div class="form-error">{ e }</div> }
            if list_ref.truncated { <p class="muted small">{ t(lang, Key::ListTruncated) }</p> }
            <ul class="incident-list" data-testid="incident-list">
                { for list_ref.items.iter().map(|i| html! {
                    <li data-testid="incident-item" data-id={i.id.to_string()} data-status={i.status.clone()}
                        class={classes!("incident-item", i.status.clone(), i.overdue.then_some("is-overdue"),
                            (*selected == Some(i.id)).then_some("selected"))}
                        onclick={open_incident(i.id)}>
                        <span class="dot"></span>
                        <span class="main">
                            <span class="cat">{ i18n::category(lang, &i.category) }</span>
                            <span class="muted small">{ format!("#{} · {}", i.id, i18n::instant(&i.reported_at)) }</span>
                        </span>
                        <span class={classes!("st", i.status.clone())}>{ i18n::wire(lang, &i.status) }</span>
                        if i.overdue { <span class="overdue" title={t(lang, Key::Overdue)}>{ "!" }</span> }
                    </li>
                }) }
            </ul>
            if list_ref.items.is_empty() && !list_ref.loading && list_ref.error.is_none() {
                <p class="muted">{ t(lang, Key::NoOpenIncidents) }</p>
            }
        </section>
    };

    html! {
        <div class="dispatch">
            <form class="where" onsubmit={on_locate}>
                <label for="dispatch-where">{ t(lang, Key::Where) }</label>
                <div class="where-row">
                    <input id="dispatch-where" data-testid="dispatch-where" value={(*where_text).clone()}
                        placeholder={t(lang, Key::WherePlaceholder)} oninput={on_where_input} />
                    <button type="submit">{ t(lang, Key::Locate) }</button>
                </div>
            </form>
            <section class="route">
                <h3>{ t(lang, Key::Responsibility) }</h3>
                { route_html }
            </section>
            { register_html }
            { detail_html }
            { list_html }
        </div>
    }
}
