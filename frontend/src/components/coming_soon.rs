//! What a workspace without tools (yet) shows: what the tab is for, a notice, and what the map
//! can do meanwhile.

use yew::prelude::*;

use crate::i18n::{t, Key, Phrase};
use crate::state::use_app;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// What the workspace is for.
    pub desc: Phrase,
    /// Why its tools are not there.
    pub notice: Phrase,
}

#[function_component(ComingSoon)]
pub fn coming_soon(props: &Props) -> Html {
    let lang = use_app().lang;
    html! {
        <>
            <p class="desc">{ t(lang, props.desc) }</p>
            <div class="soon">{ t(lang, props.notice) }</div>
            <h3>{ t(lang, Key::AvailableNow) }</h3>
            <ul class="hints">
                <li>{ t(lang, Key::HintClick) }</li>
                <li>{ t(lang, Key::HintSearch) }</li>
                <li>{ t(lang, Key::HintLayers) }</li>
            </ul>
        </>
    }
}
