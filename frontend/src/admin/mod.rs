//! The admin page (用户管理): administrators list the accounts they manage, create accounts,
//! disable or enable them and reset passwords (`/api/users`, `PATCH /api/users/{username}`,
//! `PUT /api/users/{username}/password`). The top bar shows its entry only to roles the matrix
//! of `citygrid_api::access` allows `users.admin`; the server enforces the same action and the
//! administrator's county.
//!
//! It is a dialog over the workspace, not a tab: it has nothing to draw on the map. Its state
//! lives in the component and goes when it closes; the list is loaded again when it opens.

pub mod i18n;
pub mod state;

use citygrid_api::{allows, Action, Role, UpdateUserRequest, User};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use self::i18n::AdminKey as K;
use self::state::{check_password, Accounts, AccountsAction, NewAccount};
use crate::api;
use crate::components::notice::notice_view;
use crate::hooks::use_client;
use crate::i18n::{self as text, t, Key, Lang, Text};
use crate::state::{use_app, Notice};

// Huai'an's statistical code: its counties are the choices of an account's county.
use citygrid_api::limits::CITY_CODE;

/// May `role` open the admin page?
#[must_use]
pub fn visible(role: Role) -> bool {
    allows(role, Action::UsersAdmin)
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on_close: Callback<()>,
}

/// A password being typed for an account.
#[derive(Debug, Clone, PartialEq)]
struct Reset {
    username: String,
    password: String,
}

/// What a row says after an action: done (a key) or the refusal.
type RowNotice = (String, Result<K, Notice>);

fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

#[function_component(UserAdmin)]
pub fn user_admin(props: &Props) -> Html {
    let app = use_app();
    let lang = app.lang;
    let client = use_client();
    let me = app.session.as_ref().map(|s| s.user.clone());
    let my_county = me.as_ref().and_then(|u| u.county_code.clone());
    let accounts = use_reducer(Accounts::default);
    let counties = use_state(Vec::<(String, String)>::new);
    let form = use_state({
        let c = my_county.clone();
        move || NewAccount::new(c)
    });
    let form_notice = use_state(|| None::<Result<String, Notice>>);
    let busy = use_state(|| false);
    let reset = use_state(|| None::<Reset>);
    let row_notice = use_state(|| None::<RowNotice>);

    // Load the accounts and the county names once, when the page opens.
    {
        let (client, accounts, counties, my_county) =
            (client.clone(), accounts.dispatcher(), counties.clone(), my_county.clone());
        use_effect_with((), move |()| {
            spawn_local(async move {
                let answer = client.check(api::users(client.token()).await).map_err(Notice::Api);
                accounts.dispatch(AccountsAction::Loaded(answer));
                let codes = match my_county {
                    Some(c) => vec![c],
                    None => api::admin_unit(client.token(), CITY_CODE).await.map(|u| u.children).unwrap_or_default(),
                };
                let mut named = Vec::with_capacity(codes.len());
                for code in codes {
                    let name = api::admin_unit(client.token(), &code).await.map_or_else(|_| code.clone(), |u| u.name);
                    named.push((code, name));
                }
                counties.set(named);
            });
        });
    }

    let county_name = |code: Option<&str>| -> String {
        code.map_or_else(
            || t(lang, K::CityWide).to_owned(),
            |c| counties.iter().find(|(k, _)| k == c).map_or_else(|| c.to_owned(), |(_, n)| format!("{n} {c}")),
        )
    };

    let edit = |f: fn(&mut NewAccount, String)| {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*form).clone();
            f(&mut next, input_value(&e));
            form.set(next);
        })
    };
    let on_role = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            if let Some(role) = Role::ALL.into_iter().find(|r| r.as_str() == v) {
                form.set(NewAccount { role, ..(*form).clone() });
            }
        })
    };
    let on_county = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            form.set(NewAccount { county_code: (!v.is_empty()).then_some(v), ..(*form).clone() });
        })
    };
    let on_create = {
        let (client, form, form_notice, busy, accounts) =
            (client.clone(), form.clone(), form_notice.clone(), busy.clone(), accounts.dispatcher());
        let my_county = my_county.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let req = match form.request() {
                Ok(req) => req,
                Err(why) => return form_notice.set(Some(Err(Notice::Key(why.phrase())))),
            };
            busy.set(true);
            let (client, form, form_notice, busy, accounts, my_county) =
                (client.clone(), form.clone(), form_notice.clone(), busy.clone(), accounts.clone(), my_county.clone());
            spawn_local(async move {
                match client.check(api::create_user(client.token(), &req).await) {
                    Ok(user) => {
                        form_notice.set(Some(Ok(user.username.clone())));
                        accounts.dispatch(AccountsAction::Saved(user));
                        form.set(NewAccount::new(my_county));
                    }
                    Err(e) => form_notice.set(Some(Err(Notice::Api(e)))),
                }
                busy.set(false);
            });
        })
    };

    let toggle = |user: &User| {
        let (client, accounts, row_notice) = (client.clone(), accounts.dispatcher(), row_notice.clone());
        let (username, disabled) = (user.username.clone(), !user.disabled);
        Callback::from(move |_: MouseEvent| {
            let (client, accounts, row_notice, username) =
                (client.clone(), accounts.clone(), row_notice.clone(), username.clone());
            spawn_local(async move {
                let req = UpdateUserRequest { display_name: None, role: None, disabled: Some(disabled) };
                match client.check(api::update_user(client.token(), &username, &req).await) {
                    Ok(user) => {
                        row_notice.set(None);
                        accounts.dispatch(AccountsAction::Saved(user));
                    }
                    Err(e) => row_notice.set(Some((username, Err(Notice::Api(e))))),
                }
            });
        })
    };
    let start_reset = |username: &str| {
        let (reset, row_notice, username) = (reset.clone(), row_notice.clone(), username.to_owned());
        Callback::from(move |_: MouseEvent| {
            row_notice.set(None);
            reset.set(Some(Reset { username: username.clone(), password: String::new() }));
        })
    };
    let on_reset_input = {
        let reset = reset.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(r) = &*reset {
                reset.set(Some(Reset { password: input_value(&e), ..r.clone() }));
            }
        })
    };
    let cancel_reset = {
        let reset = reset.clone();
        Callback::from(move |_: MouseEvent| reset.set(None))
    };
    let save_reset = {
        let (client, reset, row_notice) = (client.clone(), reset.clone(), row_notice.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(r) = (*reset).clone() else { return };
            if let Err(why) = check_password(&r.password) {
                return row_notice.set(Some((r.username, Err(Notice::Key(why.phrase())))));
            }
            let (client, reset, row_notice) = (client.clone(), reset.clone(), row_notice.clone());
            spawn_local(async move {
                match client.check(api::reset_password(client.token(), &r.username, &r.password).await) {
                    Ok(()) => {
                        reset.set(None);
                        row_notice.set(Some((r.username, Ok(K::PasswordWasReset))));
                    }
                    Err(e) => row_notice.set(Some((r.username, Err(Notice::Api(e))))),
                }
            });
        })
    };
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };

    let me_name = me.as_ref().map(|u| u.username.clone()).unwrap_or_default();
    let row = |u: &User| {
        let is_me = u.username == me_name;
        let resetting = reset.as_ref().filter(|r| r.username == u.username);
        let notice = row_notice.as_ref().filter(|(name, _)| *name == u.username).map(|(_, n)| n);
        html! {
            <tr data-testid="user-row" data-username={u.username.clone()} data-disabled={u.disabled.to_string()}
                class={classes!(u.disabled.then_some("disabled"))}>
                <td class="username">{ &u.username }
                    if is_me { <small class="you">{ t(lang, K::You) }</small> }
                </td>
                <td>{ &u.display_name }</td>
                <td><span class={classes!("role", u.role.as_str())}>{ text::role(lang, u.role) }</span></td>
                <td>{ county_name(u.county_code.as_deref()) }</td>
                <td class="status">{ t(lang, if u.disabled { K::Disabled } else { K::Enabled }) }</td>
                <td class="actions">
                    if !is_me {
                        <button type="button" class="small" data-action={if u.disabled { "enable" } else { "disable" }}
                            onclick={toggle(u)}>{ t(lang, if u.disabled { K::Enable } else { K::Disable }) }</button>
                        <button type="button" class="small" data-action="reset" onclick={start_reset(&u.username)}>
                            { t(lang, K::ResetPassword) }</button>
                    }
                    if let Some(r) = resetting {
                        <div class="reset">
                            <input type="password" class="new-password" autocomplete="new-password"
                                placeholder={t(lang, K::NewPassword)} aria-label={t(lang, K::NewPassword)}
                                value={r.password.clone()} oninput={on_reset_input.clone()} />
                            <button type="button" class="small primary" data-action="save-password"
                                onclick={save_reset.clone()}>{ t(lang, K::Save) }</button>
                            <button type="button" class="small" onclick={cancel_reset.clone()}>{ t(lang, K::Cancel) }</button>
                        </div>
                    }
                    { row_message(lang, notice) }
                </td>
            </tr>
        }
    };

    let f = &*form;
    html! {
        <div class="admin-overlay" role="dialog" aria-modal="true" aria-labelledby="admin-title" data-testid="user-admin">
            <section class="admin-page">
                <header>
                    <h2 id="admin-title">{ t(lang, K::Title) }</h2>
                    <button type="button" class="close" data-testid="admin-close" onclick={close}>{ t(lang, Key::Close) }</button>
                </header>
                <p class="desc">{ t(lang, K::Desc) }
                    if my_county.is_some() { { " " }{ t(lang, K::ScopedDesc) } }
                </p>
                <form class="create-user" onsubmit={on_create}>
                    <h3>{ t(lang, K::CreateTitle) }</h3>
                    <div class="row">
                        <label>{ t(lang, Key::Username) }
                            <input id="new-username" autocomplete="off" value={f.username.clone()}
                                oninput={edit(|f, v| f.username = v)} title={t(lang, K::UsernameHint)} />
                        </label>
                        <label>{ t(lang, K::DisplayName) }
                            <input id="new-display-name" autocomplete="off" value={f.display_name.clone()}
                                oninput={edit(|f, v| f.display_name = v)} />
                        </label>
                        <label>{ t(lang, Key::Password) }
                            <input id="new-password" type="password" autocomplete="new-password" value={f.password.clone()}
                                oninput={edit(|f, v| f.password = v)} placeholder={t(lang, K::NewPassword)} />
                        </label>
                    </div>
                    <div class="row">
                        <label>{ t(lang, K::Role) }
                            <select id="new-role" onchange={on_role}>
                                { for Role::ALL.into_iter().map(|r| html! {
                                    <option value={r.as_str()} selected={f.role == r}>{ text::role(lang, r) }</option>
                                }) }
                            </select>
                        </label>
                        <label>{ t(lang, K::County) }
                            <select id="new-county" onchange={on_county} disabled={my_county.is_some()}>
                                if my_county.is_none() {
                                    <option value="" selected={f.county_code.is_none()}>{ t(lang, K::CityWide) }</option>
                                }
                                { for counties.iter().map(|(code, name)| html! {
                                    <option value={code.clone()} selected={f.county_code.as_deref() == Some(code)}>
                                        { format!("{name} {code}") }</option>
                                }) }
                            </select>
                        </label>
                        <button type="submit" class="primary" data-testid="create-user" disabled={*busy}>
                            { t(lang, K::Create) }</button>
                    </div>
                    <small class="hint">{ t(lang, K::UsernameHint) }</small>
                    { match &*form_notice {
                        Some(Ok(name)) => html! {
                            <div class="form-ok" data-testid="user-created">{ t(lang, K::Created) }{ " " }{ name }</div>
                        },
                        Some(Err(n)) => notice_view(lang, n, "form-error"),
                        None => html! {},
                    } }
                </form>
                <h3>{ t(lang, K::Accounts) }</h3>
                if let Some(e) = &accounts.error { { notice_view(lang, e, "form-error") } }
                { match &accounts.list {
                    None => html! { <p class="loading">{ t(lang, Key::Loading) }</p> },
                    Some(list) if list.is_empty() => html! { <p>{ t(lang, K::NoAccounts) }</p> },
                    Some(list) => html! {
                        <table class="users" data-testid="user-table">
                            <thead><tr>
                                <th>{ t(lang, Key::Username) }</th><th>{ t(lang, K::DisplayName) }</th>
                                <th>{ t(lang, K::Role) }</th><th>{ t(lang, K::County) }</th>
                                <th>{ t(lang, Key::Status) }</th><th></th>
                            </tr></thead>
                            <tbody>{ for list.iter().map(row) }</tbody>
                        </table>
                    },
                } }
            </section>
        </div>
    }
}

/// A row's message: done, or the refusal with the server's words.
fn row_message(lang: Lang, notice: Option<&Result<K, Notice>>) -> Html {
    match notice {
        Some(Ok(done)) => html! { <div class="form-ok" data-testid="row-ok">{ t(lang, *done) }</div> },
        Some(Err(n)) => notice_view(lang, n, "form-error"),
        None => html! {},
    }
}
