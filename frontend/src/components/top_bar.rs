//! The top bar: brand, tabs, search, language toggle and the user.

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::admin::{self, i18n::AdminKey, UserAdmin};
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
    // Admin page: its entry only for roles that may administer users.
    let admin_open = use_state(|| false);
    let show_admin = user.is_some_and(|u| admin::visible(u.role));
    let open_admin = {
        let admin_open = admin_open.clone();
        Callback::from(move |_: MouseEvent| admin_open.set(true))
    };
    let close_admin = {
        let admin_open = admin_open.clone();
        Callback::from(move |()| admin_open.set(false))
    };
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
            if show_admin {
                <button class="admin-entry" data-testid="admin-entry" onclick={open_admin}
                    title={t(lang, AdminKey::EntryTitle)}>{ t(lang, AdminKey::Entry) }</button>
            }
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
            if show_admin && *admin_open { <UserAdmin on_close={close_admin} /> }
        </header>
    }
}
