//! The open incident: its attributes, the actions its state allows, and its timeline
//! (`GET /api/incidents/{id}`, `POST /api/incidents/{id}/transitions`).

use citygrid_api::{TransitionRequest, NOTE_REQUIRED, WORKER_STEPS};
use serde_json::Value;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::i18n::DispatchKey as D;
use super::state::{Detail, DispatchAction as A, OpenIncident};
use crate::api;
use crate::components::notice::notice_view;
use crate::format;
use crate::hooks::{use_client, Client};
use crate::i18n::{self, t, Key, Lang, Text};
use crate::state::{use_app, Notice};

/// Loads the details of `id` for request `wanted`.
async fn fetch_detail(client: Client, id: i64, wanted: u32) {
    let result = client.check(api::incident(client.token(), id).await).map(Box::new);
    client.send(A::DetailLoaded { id, wanted, result });
}

/// An action's error, with the actions that are allowed instead when the server says so.
fn action_error(lang: Lang, why: &Notice) -> Html {
    let allowed: Vec<String> = match why {
        Notice::Api(e) => e
            .server()
            .and_then(|e| e.details.as_ref())
            .and_then(|d| d["allowed_actions"].as_array())
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|a| i18n::wire(lang, a))
            .collect(),
        Notice::Key(_) => Vec::new(),
    };
    html! {
        <>
            { notice_view(lang, why, "form-error") }
            if !allowed.is_empty() {
                <p class="muted small">{ format!("{}: {}", t(lang, D::AllowedActions), allowed.join("、")) }</p>
            }
        </>
    }
}

#[function_component(IncidentDetailCard)]
pub fn incident_detail_card() -> Html {
    let app = use_app();
    let client = use_client();
    let open = app.workspaces.dispatch.open.clone();

    // Fetch when an incident opens and after each transition (not again after a tab switch).
    {
        let client = client.clone();
        let wants = open.as_ref().filter(|o| o.needs_fetch()).map(|o| (o.id, o.wanted));
        use_effect_with(wants, move |wants| {
            if let Some((id, wanted)) = *wants {
                client.send(A::DetailRequested { id, wanted });
                spawn_local(fetch_detail(client, id, wanted));
            }
        });
    }

    match open {
        None => html! {},
        Some(open) => view(app.lang, &client, &open),
    }
}

fn view(lang: Lang, client: &Client, open: &OpenIncident) -> Html {
    let d = match &open.detail {
        Detail::Loading => {
            return html! { <section class="incident-detail"><p class="muted">{ t(lang, Key::Loading) }</p></section> }
        }
        Detail::Failed(why) => {
            return html! { <section class="incident-detail">{ notice_view(lang, why, "form-error") }</section> }
        }
        Detail::Loaded(d) => d,
    };
    let i = &d.incident;
    let close = {
        let client = client.clone();
        Callback::from(move |_: MouseEvent| client.send(A::CloseIncident))
    };
    let on_note = {
        let client = client.clone();
        Callback::from(move |e: InputEvent| {
            client.send(A::SetNote(e.target_unchecked_into::<HtmlInputElement>().value()));
        })
    };
    let on_note_area = {
        let client = client.clone();
        Callback::from(move |e: InputEvent| {
            client.send(A::SetNote(e.target_unchecked_into::<HtmlTextAreaElement>().value()));
        })
    };
    let on_dup = {
        let client = client.clone();
        Callback::from(move |e: InputEvent| {
            client.send(A::SetDuplicateOf(e.target_unchecked_into::<HtmlInputElement>().value()));
        })
    };
    // Sends `action`; resolve and close first ask for a note and a confirmation.
    let act = |action: &str, confirmed: bool| {
        let (client, action, id) = (client.clone(), action.to_owned(), i.id);
        let (note, duplicate_of) = (open.note.trim().to_owned(), open.duplicate_of.trim().to_owned());
        Callback::from(move |_: MouseEvent| {
            if NOTE_REQUIRED.contains(&action.as_str()) {
                if !confirmed {
                    return client.send(A::Confirm(Some(action.clone())));
                }
                if note.is_empty() {
                    return client.send(A::Acted { id, result: Err(Notice::Key(D::NoteMissing.phrase())) });
                }
            }
            let dup = if action == "mark_duplicate" {
                let Ok(n) = duplicate_of.parse::<i64>() else {
                    return client.send(A::Acted { id, result: Err(Notice::Key(D::DuplicateOfMissing.phrase())) });
                };
                Some(n)
            } else {
                None
            };
            let req = TransitionRequest {
                action: action.clone(),
                note: (!note.is_empty()).then(|| note.clone()),
                duplicate_of: dup,
            };
            client.send(A::Acting(id));
            let client = client.clone();
            spawn_local(async move {
                let result = client.check(api::transition(client.token(), id, &req).await).map_err(Notice::Api);
                client.send(A::Acted { id, result });
            });
        })
    };
    let cancel = {
        let client = client.clone();
        Callback::from(move |_: MouseEvent| client.send(A::Confirm(None)))
    };
    let worker = i.assignee_name.clone().unwrap_or_else(|| t(lang, D::NoWorkerYet).to_owned());
    let worker_steps = d.allowed_actions.iter().any(|a| WORKER_STEPS.contains(&a.as_str()));
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
                <dt>{ t(lang, D::CurrentLevel) }</dt><dd>{ i18n::escalation_level(lang, i.escalation_level) }</dd>
                <dt>{ t(lang, Key::Grid) }</dt>
                <dd data-testid="detail-grid"><code>{ i.grid_code.clone().unwrap_or_default() }</code>
                    if let Some(g) = &d.grid {
                        <small class="muted">{ format!(" · {} {}", t(lang, D::GridVersion), g.version) }</small>
                        if let Some(now) = &g.current {
                            <br /><small data-testid="detail-grid-now">{ format!("{} ", t(lang, D::GridNow)) }
                                <code>{ &now.code }</code>{ format!(" {} · {} {}", now.name, t(lang, D::GridVersion), now.version) }</small>
                        }
                    }
                </dd>
                <dt>{ t(lang, D::ReportedAt) }</dt><dd data-testid="detail-reported">{ format::instant(&i.reported_at) }</dd>
                if let Some(dl) = &i.step_deadline {
                    <dt>{ t(lang, D::StepDeadline) }</dt><dd>{ format::instant(dl) }</dd>
                }
                if let Some(a) = &i.assignee {
                    <dt>{ t(lang, D::Assignee) }</dt>
                    <dd data-testid="detail-assignee">{ i.assignee_name.clone().unwrap_or_else(|| a.clone()) }
                        <small class="muted">{ format!(" {a}") }</small></dd>
                }
                <dt>{ t(lang, Key::Description) }</dt><dd class="desc-text">{ &i.description }</dd>
            </dl>
            <h4>{ t(lang, D::Actions) }</h4>
            if d.allowed_actions.is_empty() {
                <p class="muted">{ t(lang, D::NoActions) }</p>
            } else if let Some(action) = &open.confirming {
                <div class="confirm" data-testid="confirm-action" data-action={action.clone()}>
                    <b>{ i18n::wire(lang, action) }</b>{ " · " }{ t(lang, D::ConfirmTitle) }
                    <textarea class="note" rows="2" placeholder={t(lang, D::NoteRequired)} value={open.note.clone()}
                        oninput={on_note_area} />
                    <div class="actions">
                        <button class="action primary-action" data-testid="confirm" disabled={open.acting || open.note.trim().is_empty()}
                            onclick={act(action, true)}>{ t(lang, D::ConfirmButton) }{ " " }{ i18n::wire(lang, action) }</button>
                        <button class="action" data-testid="cancel-confirm" onclick={cancel}>{ t(lang, D::Cancel) }</button>
                    </div>
                </div>
            } else {
                <input class="note" placeholder={t(lang, D::Note)} value={open.note.clone()} oninput={on_note} />
                if d.allowed_actions.iter().any(|a| a == "mark_duplicate") {
                    <input class="dup-of" inputmode="numeric" placeholder={t(lang, D::DuplicateOf)}
                        value={open.duplicate_of.clone()} oninput={on_dup} />
                }
                if worker_steps {
                    <p class="muted small" data-testid="worker-steps">{ t(lang, D::WorkerStepsHint) }{ " " }<b>{ worker.clone() }</b></p>
                }
                <div class="actions">
                    { for d.allowed_actions.iter().map(|a| html! {
                        <button class="action" data-action={a.clone()} disabled={open.acting}
                            onclick={act(a, false)}>
                            { i18n::wire(lang, a) }
                            if WORKER_STEPS.contains(&a.as_str()) {
                                <small class="for">{ format!(" {} {}", t(lang, D::OnBehalfOf), worker) }</small>
                            }
                        </button>
                    }) }
                </div>
            }
            if let Some(e) = &open.error { { action_error(lang, e) } }
            <h4>{ t(lang, D::Timeline) }</h4>
            <ol class="timeline" data-testid="incident-timeline">
                { for d.timeline.iter().map(|ev| html! {
                    <li>
                        <span class="when">{ format::instant(&ev.at) }</span>
                        <b>{ i18n::wire(lang, &ev.action) }</b>
                        <span class="muted who" data-testid="event-actor">
                            { if ev.actor == "system" { t(lang, D::System).to_owned() }
                              else { ev.actor_name.clone().unwrap_or_else(|| ev.actor.clone()) } }
                            if let Some(w) = &ev.on_behalf_of {
                                { format!(" {} ", t(lang, D::OnBehalfOf)) }<b data-testid="event-worker">{ &w.name }</b>
                            }
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
