//! A dismissible message at the bottom of the screen (API errors, session expiry).

use yew::prelude::*;

use crate::i18n::{t, Key};
use crate::state::{use_app, Action, Notice};

#[function_component(Toast)]
pub fn toast() -> Html {
    let app = use_app();
    let Some(notice) = &app.notice else { return html! {} };
    let text = match notice {
        Notice::Key(k) => t(app.lang, *k).to_owned(),
        Notice::Text(s) => s.clone(),
    };
    let dispatch = app.dispatcher();
    html! {
        <div class="toast" role="alert">
            <span>{ text }</span>
            <button onclick={Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::DismissNotice))}>
                { t(app.lang, Key::Dismiss) }
            </button>
        </div>
    }
}
