//! The open incidents in the map view (`GET /api/incidents?bbox=…`): filters (status, category,
//! priority, overdue, unassigned), an order (newest, priority, deadline), refreshed when the map
//! moves, when the filters change and every [`LIST_REFRESH_MS`], with a count of the cases that
//! arrived since the dispatcher last looked. A click opens one and flies the map there.

use std::cell::RefCell;
use std::rc::Rc;

use citygrid_api::{symbology, Incident, CATEGORIES};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::i18n::DispatchKey as D;
use super::list::{bbox_param, ListFilters, ListSort, FILTER_STATUSES, LIST_LIMIT, LIST_REFRESH_MS};
use super::on_map::fly_to_incident;
use super::state::DispatchAction as A;
use crate::api;
use crate::components::notice::notice_view;
use crate::format;
use crate::hooks::{use_client, use_interval, Client};
use crate::i18n::{self, t, Key, Lang};
use crate::load::next_request;
use crate::map::MapHandle;
use crate::state::{use_app, Notice};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

/// Reloads the incidents of `bounds` matching `filters`.
fn refresh(client: &Client, bounds: Option<[f64; 4]>, filters: &ListFilters) {
    let Some(bbox) = bounds.and_then(bbox_param) else { return };
    let seq = next_request();
    client.send(A::ListStarted(seq));
    let (client, query) = (client.clone(), filters.query(api::encode));
    spawn_local(async move {
        let result = client
            .check(api::incidents_in(client.token(), &bbox, &query, LIST_LIMIT).await)
            .map(|p| (p.items, p.next_cursor.is_some()))
            .map_err(Notice::Api);
        client.send(A::ListLoaded(seq, result));
    });
}

fn item_view(
    lang: Lang,
    i: &Incident,
    selected: bool,
    new: bool,
    onclick: Callback<MouseEvent>,
    open_dup: Option<Callback<MouseEvent>>,
) -> Html {
    let colour = symbology::incident_colour(&i.status).unwrap_or(symbology::INCIDENT_OPEN[0].colour);
    html! {
        <li data-testid="incident-item" data-id={i.id.to_string()} data-status={i.status.clone()}
            data-priority={i.priority.to_string()} data-category={i.category.clone()}
            data-due={i.step_deadline.clone().unwrap_or_default()} data-assignee={i.assignee.clone().unwrap_or_default()}
            class={classes!("incident-item", i.status.clone(), i.overdue.then_some("is-overdue"),
                selected.then_some("selected"), new.then_some("is-new"))}
            style={format!("--c:{colour}")} {onclick}>
            <span class="dot"></span>
            <span class="main">
                <span class="cat">
                    { i18n::category(lang, &i.category) }
                    <span class={classes!("prio", format!("p{}", i.priority))} title={t(lang, Key::Priority)}>
                        { i18n::priority(lang, i.priority) }
                    </span>
                </span>
                <span class="muted small">{ format!("#{} · {}", i.id, format::instant(&i.reported_at)) }</span>
                <span class="small who" data-testid="incident-assignee">
                    { i.assignee_name.clone().unwrap_or_else(|| t(lang, D::NobodyAssigned).to_owned()) }
                    if let Some(due) = &i.step_deadline {
                        { " · " }{ t(lang, D::DueAt) }{ " " }{ format::instant(due) }
                    }
                </span>
                if let (Some(dup), Some(open_dup)) = (i.duplicate_of, open_dup) {
                    <span class="small">{ t(lang, D::DuplicateOfShort) }{ " " }
                        <button class="link" data-testid="incident-duplicate-of" onclick={open_dup}>{ format!("#{dup}") }</button>
                    </span>
                }
            </span>
            <span class={classes!("st", i.status.clone())}>{ i18n::wire(lang, &i.status) }</span>
            if i.overdue { <span class="overdue" data-testid="incident-overdue" title={t(lang, Key::Overdue)}>{ t(lang, Key::Overdue) }</span> }
        </li>
    }
}

fn filters_view(lang: Lang, client: &Client, f: &ListFilters) -> Html {
    let set = |change: fn(&mut ListFilters, String)| {
        let (client, f) = (client.clone(), f.clone());
        Callback::from(move |e: Event| {
            let mut next = f.clone();
            change(&mut next, e.target_unchecked_into::<HtmlSelectElement>().value());
            client.send(A::SetListFilters(next));
        })
    };
    let check = |change: fn(&mut ListFilters, bool)| {
        let (client, f) = (client.clone(), f.clone());
        Callback::from(move |e: Event| {
            let mut next = f.clone();
            change(&mut next, e.target_unchecked_into::<HtmlInputElement>().checked());
            client.send(A::SetListFilters(next));
        })
    };
    let open = f.open_only();
    let sort_label = |s: ListSort| match s {
        ListSort::Newest => D::SortNewest,
        ListSort::Priority => D::SortPriority,
        ListSort::Deadline => D::SortDeadline,
    };
    html! {
        <div class="list-filters" data-testid="list-filters">
            <select data-filter="status" onchange={set(|f, v| f.status = (!v.is_empty()).then_some(v))}>
                <option value="" selected={f.status.is_none()}>{ t(lang, D::FilterAllOpen) }</option>
                { for FILTER_STATUSES.iter().map(|s| html! {
                    <option value={*s} selected={f.status.as_deref() == Some(*s)}>{ i18n::wire(lang, s) }</option>
                }) }
            </select>
            <select data-filter="category" onchange={set(|f, v| f.category = (!v.is_empty()).then_some(v))}>
                <option value="" selected={f.category.is_none()}>{ t(lang, D::FilterAllCategories) }</option>
                { for CATEGORIES.iter().map(|c| html! {
                    <option value={c.code} selected={f.category.as_deref() == Some(c.code)}>{ i18n::category(lang, c.code) }</option>
                }) }
            </select>
            <select data-filter="priority" onchange={set(|f, v| f.priority = v.parse().ok())}>
                <option value="" selected={f.priority.is_none()}>{ t(lang, D::FilterAllPriorities) }</option>
                { for (1..=4_i16).map(|p| html! {
                    <option value={p.to_string()} selected={f.priority == Some(p)}>{ i18n::priority(lang, p) }</option>
                }) }
            </select>
            // Deadlines, assignment and their orders belong to open incidents.
            <label><input type="checkbox" data-filter="overdue" checked={f.overdue && open} disabled={!open}
                onchange={check(|f, v| f.overdue = v)} />{ t(lang, D::FilterOverdue) }</label>
            <label><input type="checkbox" data-filter="unassigned" checked={f.unassigned && open} disabled={!open}
                onchange={check(|f, v| f.unassigned = v)} />{ t(lang, D::FilterUnassigned) }</label>
            <label class="sort">{ t(lang, D::SortBy) }
                <select data-filter="sort" disabled={!open} onchange={set(|f, v| f.sort = ListSort::parse(&v).unwrap_or_default())}>
                    { for ListSort::ALL.into_iter().map(|s| html! {
                        <option value={s.as_str()} selected={if open { f.sort == s } else { s == ListSort::Newest }}>
                            { t(lang, sort_label(s)) }</option>
                    }) }
                </select>
            </label>
        </div>
    }
}

#[function_component(IncidentList)]
pub fn incident_list(props: &Props) -> Html {
    let app = use_app();
    let lang = app.lang;
    let client = use_client();
    let d = &app.workspaces.dispatch;
    let filters = d.list.filters.clone();
    // The view's bounds, as the map last reported them, and the filters in force (the move
    // handler and the timer outlive a render).
    let bounds: Rc<RefCell<Option<[f64; 4]>>> = use_mut_ref(|| None);
    let current: Rc<RefCell<ListFilters>> = use_mut_ref(ListFilters::default);
    *current.borrow_mut() = filters.clone();

    // Follow the map and the filters: load now, and again after every move.
    {
        let (client, bounds, current) = (client.clone(), bounds.clone(), current.clone());
        use_effect_with((props.map.clone(), filters), move |(map, filters)| {
            if let Some(map) = map {
                *bounds.borrow_mut() = map.bounds();
                refresh(&client, *bounds.borrow(), filters);
                let on_move = Callback::from(move |b: [f64; 4]| {
                    *bounds.borrow_mut() = Some(b);
                    refresh(&client, Some(b), &current.borrow());
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
    {
        let (client, bounds, current) = (client.clone(), bounds.clone(), current.clone());
        use_interval(LIST_REFRESH_MS, props.map.clone(), move || refresh(&client, *bounds.borrow(), &current.borrow()));
    }

    let list = &d.list;
    let selected = d.open.as_ref().map(|o| o.id);
    let refresh_now = {
        let (client, bounds, current) = (client.clone(), bounds.clone(), current.clone());
        Callback::from(move |_: MouseEvent| refresh(&client, *bounds.borrow(), &current.borrow()))
    };
    let seen = {
        let client = client.clone();
        Callback::from(move |_: MouseEvent| client.send(A::ListSeen))
    };
    let open = |i: &Incident| {
        let (client, map, at) = (client.clone(), props.map.clone(), (i.lon, i.lat));
        let id = i.id;
        Callback::from(move |_: MouseEvent| {
            client.send(A::Open(id));
            if let Some(map) = &map {
                fly_to_incident(map, at.0, at.1);
            }
        })
    };
    let open_id = |id: i64| {
        let client = client.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            client.send(A::Open(id));
        })
    };
    let new_count = list.new_count();
    html! {
        <section class="incidents">
            <h3>
                { t(lang, if list.filters.open_only() { D::OpenIncidents } else { D::IncidentsInView }) }
                <span class="count" data-testid="incident-count">{ list.items.len() }</span>
                if new_count > 0 {
                    <button class="new-cases" data-testid="new-cases" onclick={seen} title={t(lang, D::MarkSeen)}>
                        { format!("{new_count} {}", t(lang, D::NewCases)) }
                    </button>
                }
                if list.overdue_count() > 0 {
                    <span class="overdue">{ format!("{} {}", t(lang, Key::Overdue), list.overdue_count()) }</span>
                }
                <button class="link refresh" onclick={refresh_now} disabled={list.loading}>{ t(lang, Key::Refresh) }</button>
            </h3>
            { filters_view(lang, &client, &list.filters) }
            if let Some(e) = &list.error { { notice_view(lang, e, "form-error") } }
            if list.truncated { <p class="muted small">{ t(lang, D::ListTruncated) }</p> }
            <ul class="incident-list" data-testid="incident-list">
                { for list.items.iter().map(|i| item_view(lang, i, selected == Some(i.id), list.is_new(i.id), open(i),
                    i.duplicate_of.map(open_id))) }
            </ul>
            if list.items.is_empty() && !list.loading && list.error.is_none() {
                <p class="muted">{ t(lang, D::NoOpenIncidents) }</p>
            }
        </section>
    }
}
