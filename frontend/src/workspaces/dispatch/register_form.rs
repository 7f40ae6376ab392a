//! Registering an incident at the routed location (`POST /api/incidents`).

use citygrid_api::{CATEGORIES, SOURCES};
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::i18n::DispatchKey as D;
use super::state::{char_count, DispatchAction as A, MAX_DESCRIPTION_CHARS};
use crate::api;
use crate::components::notice::notice_view;
use crate::hooks::use_client;
use crate::i18n::{self, t, Key};
use crate::state::{use_app, Notice};

#[function_component(RegisterForm)]
pub fn register_form() -> Html {
    let app = use_app();
    let lang = app.lang;
    let client = use_client();
    let d = &app.workspaces.dispatch;
    let form = &d.form;

    let select = |make: fn(String) -> A| {
        let client = client.clone();
        Callback::from(move |e: Event| client.send(make(e.target_unchecked_into::<HtmlSelectElement>().value())))
    };
    let on_priority = {
        let client = client.clone();
        Callback::from(move |e: Event| {
            let p = e.target_unchecked_into::<HtmlSelectElement>().value().parse::<i16>().ok();
            client.send(A::SetPriority(p));
        })
    };
    let on_description = {
        let client = client.clone();
        Callback::from(move |e: InputEvent| {
            client.send(A::SetDescription(e.target_unchecked_into::<HtmlTextAreaElement>().value()));
        })
    };
    let on_submit = {
        let (client, request) = (client.clone(), d.register_request());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let req = match request.clone() {
                Ok(req) => req,
                Err(why) => return client.send(A::RegisterFailed(why)),
            };
            client.send(A::Submitting);
            let client = client.clone();
            spawn_local(async move {
                match client.check(api::create_incident(client.token(), &req).await) {
                    Ok(created) => client.send(A::Registered(Box::new(created))),
                    Err(e) => client.send(A::RegisterFailed(Notice::Api(e))),
                }
            });
        })
    };
    let open_created = |id: i64| {
        let client = client.clone();
        Callback::from(move |_: MouseEvent| client.send(A::Open(id)))
    };

    let desc_len = char_count(&form.description);
    html! {
        <form class="register" onsubmit={on_submit}>
            <h3>{ t(lang, D::RegisterTitle) }</h3>
            <label>{ t(lang, Key::Category) }
                <select id="incident-category" onchange={select(A::SetCategory)}>
                    { for CATEGORIES.iter().map(|c| html! {
                        <option value={c.code} selected={form.category == c.code}>{ i18n::category(lang, c.code) }</option>
                    }) }
                </select>
            </label>
            <div class="row">
                <label>{ t(lang, Key::Source) }
                    <select id="incident-source" onchange={select(A::SetSource)}>
                        { for SOURCES.iter().map(|s| html! {
                            <option value={s.code} selected={form.source == s.code}>{ i18n::source(lang, s.code) }</option>
                        }) }
                    </select>
                </label>
                <label>{ t(lang, Key::Priority) }
                    <select id="incident-priority" onchange={on_priority}>
                        <option value="" selected={form.priority.is_none()}>{ t(lang, D::PriorityDefault) }</option>
                        { for (1..=4_i16).map(|p| html! {
                            <option value={p.to_string()} selected={form.priority == Some(p)}>{ i18n::priority(lang, p) }</option>
                        }) }
                    </select>
                </label>
            </div>
            <label>{ t(lang, Key::Description) }
                <textarea id="incident-description" rows="3" value={form.description.clone()} oninput={on_description} />
            </label>
            <div class={classes!("counter", (desc_len > MAX_DESCRIPTION_CHARS).then_some("over"))}>
                { format!("{desc_len} / {MAX_DESCRIPTION_CHARS}") }
            </div>
            if let Some(e) = &form.error { { notice_view(lang, e, "form-error") } }
            if let Some(id) = form.created {
                <div class="form-ok" data-testid="registered">
                    { t(lang, D::Registered) }{ " " }
                    <button type="button" class="link" data-testid="registered-link" data-id={id.to_string()}
                        onclick={open_created(id)}>{ format!("#{id}") }</button>
                </div>
            }
            <button type="submit" class="primary" data-testid="register-incident"
                disabled={form.submitting || d.registrable_point().is_none() || desc_len > MAX_DESCRIPTION_CHARS}>
                { if form.submitting { t(lang, D::Submitting) } else { t(lang, D::RegisterButton) } }
            </button>
        </form>
    }
}
