//! The top bar: brand, tabs, search, language toggle and the user.

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::components::search::Search;
use crate::i18n::{self, t, Key};
use crate::map::MapHandle;
use crate::state::{use_app, Action, Tab};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

#[function_component(TopBar)]
pub fn top_bar(props: &Props) -> Html {
    let app = use_app();
    let lang = app.lang;
    let tab_button = |tab: Tab| {
        let dispatch = app.dispatcher();
        let active = app.tab == tab;
        html! {
            <button role="tab" aria-selected={active.to_string()} data-tab={tab.slug()}
                class={classes!("tab", active.then_some("active"))}
                onclick={Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SetTab(tab)))}>
                { t(lang, tab.label()) }
            </button>
        }
    };
    let toggle_lang = {
        let dispatch = app.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SetLang(lang.toggled())))
    };
    let logout = {
        let dispatch = app.dispatcher();
        let token = app.session.as_ref().map(|s| s.token.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(token) = token.clone() {
                spawn_local(async move { api::logout(&token).await });
            }
            dispatch.dispatch(Action::LoggedOut { expired: false });
        })
    };
    let user = app.session.as_ref().map(|s| &s.user);
    html! {
        <header class="top-bar">
            <div class="brand">
                <span class="logo" aria-hidden="true"></span>
                <span class="name">{ t(lang, Key::AppName) }</span>
                if lang == i18n::Lang::Zh { <span class="name-en">{ "CityGrid" }</span> }
            </div>
            <nav class="tabs" role="tablist">{ for Tab::ALL.into_iter().map(tab_button) }</nav>
            <Search map={props.map.clone()} />
            <div class="spacer"></div>
            <button class="lang-toggle" onclick={toggle_lang} title={t(lang, Key::LangToggleTitle)}>
                { t(lang, Key::LangToggle) }
            </button>
            if let Some(user) = user {
                <div class="user" title={user.username.clone()}>
                    <span class="avatar">{ user.display_name.chars().next().unwrap_or('?') }</span>
                    <span class="user-name">{ &user.display_name }</span>
                    <span class={classes!("role", user.role.as_str())}>{ i18n::role(lang, user.role) }</span>
                </div>
            }
            <button class="logout" onclick={logout}>{ t(lang, Key::LogOut) }</button>
        </header>
    }
}
