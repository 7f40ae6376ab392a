//! How a message reads in a form or panel: the translated sentence, and for a failed API call
//! the server's own words underneath, smaller.

use yew::prelude::*;

use crate::i18n::Lang;
use crate::state::Notice;

/// `notice` as a `<div class={class} role="alert">`, with the server's detail when there is one.
pub fn notice_view(lang: Lang, notice: &Notice, class: &'static str) -> Html {
    html! {
        <div class={class} role="alert">
            <span class="sentence">{ notice.text(lang) }</span>
            if let Some(detail) = notice.detail() {
                <small class="detail" data-testid="error-detail">{ detail }</small>
            }
        </div>
    }
}
