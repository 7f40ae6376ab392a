//! The login screen: username and password, with the demo accounts one click away.

use citygrid_api::{LoginRequest, Role};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::browser;
use crate::components::notice::notice_view;
use crate::i18n::{self, t, Key, Text};
use crate::state::{use_app, Action, Notice, Session};

const DEMO_PASSWORD: &str = "citygrid-demo";

#[function_component(Login)]
pub fn login() -> Html {
    let app = use_app();
    let lang = app.lang;
    let username = use_state(String::new);
    let password = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<Notice>);

    let onsubmit = {
        let (username, password, busy, error, dispatch) =
            (username.clone(), password.clone(), busy.clone(), error.clone(), app.dispatcher());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let req = LoginRequest { username: username.trim().to_owned(), password: (*password).clone() };
            if req.username.is_empty() || req.password.is_empty() {
                error.set(Some(Notice::Key(Key::FillBoth.phrase())));
                return;
            }
            busy.set(true);
            error.set(None);
            let (busy, error, dispatch) = (busy.clone(), error.clone(), dispatch.clone());
            spawn_local(async move {
                match api::login(&req).await {
                    Ok(resp) => {
                        browser::store_token(Some(&resp.token));
                        dispatch.dispatch(Action::LoggedIn(Session { token: resp.token, user: resp.user }));
                    }
                    Err(e) => {
                        error.set(Some(Notice::Api(e)));
                        busy.set(false);
                    }
                }
            });
        })
    };

    let input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let demo = |role: Role| {
        let (username, password) = (username.clone(), password.clone());
        let onclick = Callback::from(move |_: MouseEvent| {
            username.set(role.as_str().to_owned());
            password.set(DEMO_PASSWORD.to_owned());
        });
        html! {
            <button type="button" class="chip" {onclick} title={i18n::role(lang, role)}>
                { role.as_str() }<small>{ i18n::role(lang, role) }</small>
            </button>
        }
    };
    let toggle_lang = {
        let dispatch = app.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SetLang(lang.toggled())))
    };

    html! {
        <div class="login-screen">
            <button class="lang-toggle login-lang" onclick={toggle_lang} title={t(lang, Key::LangToggleTitle)}>
                { t(lang, Key::LangToggle) }
            </button>
            <form class="login-card" {onsubmit}>
                <div class="brand big">
                    <span class="logo" aria-hidden="true"></span>
                    <div>
                        <h1>{ t(lang, Key::AppName) }</h1>
                        <p>{ t(lang, Key::AppSubtitle) }</p>
                    </div>
                </div>
                <label>
                    <span>{ t(lang, Key::Username) }</span>
                    <input id="login-username" name="username" autocomplete="username" value={(*username).clone()}
                        oninput={input(&username)} autofocus=true />
                </label>
                <label>
                    <span>{ t(lang, Key::Password) }</span>
                    <input id="login-password" name="password" type="password" autocomplete="current-password"
                        value={(*password).clone()} oninput={input(&password)} />
                </label>
                if let Some(err) = &*error {
                    { notice_view(lang, err, "form-error") }
                }
                <button type="submit" class="primary" disabled={*busy}>
                    { t(lang, if *busy { Key::LoggingIn } else { Key::LogIn }) }
                </button>
                <div class="demo">
                    <div class="demo-title">{ t(lang, Key::DemoAccounts) }</div>
                    <div class="chips">{ for Role::ALL.into_iter().map(demo) }</div>
                </div>
            </form>
        </div>
    }
}
