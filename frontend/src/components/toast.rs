//! A dismissible message at the bottom of the screen (API errors, session expiry).

use yew::prelude::*;

use crate::i18n::{t, Key};
use crate::state::{use_app, Action};

#[function_component(Toast)]
pub fn toast() -> Html {
    let app = use_app();
    let Some(notice) = &app.notice else { return html! {} };
    let text = notice.text(app.lang);
    let detail = notice.detail();
    let dispatch = app.dispatcher();
    html! {
        <div class="toast" role="alert">
            <span>{ text }
                if let Some(d) = detail { <small class="detail">{ d }</small> }
            </span>
            <button onclick={Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::DismissNotice))}>
                { t(app.lang, Key::Dismiss) }
            </button>
        </div>
    }
}
