//! The legend (bottom left). Colours copy the backend's `/style.json` palette
//! (`backend/src/tiles.rs`); they are listed once here and reused by the layer switcher.

use yew::prelude::*;

use crate::i18n::{t, Key};
use crate::map::rules::Group;
use crate::state::use_app;

/// The four grid fill colours (`colour` property 0–3).
pub const GRID_COLOURS: [&str; 4] = ["#8dd3c7", "#ffe08a", "#bebada", "#fb9a99"];

/// The swatch shown for a group: (CSS class, colour).
#[must_use]
pub fn swatch(group: Group) -> (&'static str, &'static str) {
    match group {
        Group::Counties => ("line thick", "#2b2838"),
        Group::Townships => ("line", "#55506b"),
        Group::Villages => ("line dashed", "#7c6f8f"),
        Group::Grids => ("fill", "#8dd3c7"),
        Group::Buildings => ("fill", "#b9a48f"),
        Group::Cameras => ("dot", "#2e9d4f"),
        Group::Incidents => ("dot", "#d7301f"),
    }
}

#[function_component(Legend)]
pub fn legend() -> Html {
    let app = use_app();
    let lang = app.lang;
    let open = use_state(|| true);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let item = |group: Group| {
        let (class, colour) = swatch(group);
        html! {
            <li><span class={classes!("swatch", class)} style={format!("--c:{colour}")}></span>{ t(lang, group.label()) }</li>
        }
    };
    html! {
        <div class="legend panel">
            <button class="panel-title" onclick={toggle} aria-expanded={open.to_string()}>
                { t(lang, Key::Legend) }<span class="chev">{ if *open { "▾" } else { "▸" } }</span>
            </button>
            if *open {
                <ul>
                    { item(Group::Counties) }
                    { item(Group::Townships) }
                    { item(Group::Villages) }
                    <li>
                        <span class="swatch four">
                            { for GRID_COLOURS.iter().map(|c| html! { <i style={format!("background:{c}")}></i> }) }
                        </span>
                        { t(lang, Key::LegendGridColours) }
                    </li>
                    { item(Group::Buildings) }
                    <li><span class="swatch dot" style="--c:#2e9d4f"></span>{ t(lang, Key::LegendCameraOnline) }</li>
                    <li><span class="swatch dot" style="--c:#8c8c8c"></span>{ t(lang, Key::LegendCameraOffline) }</li>
                    <li><span class="swatch dot" style="--c:#e69a28"></span>{ t(lang, Key::LegendCameraMaintenance) }</li>
                    { item(Group::Incidents) }
                </ul>
            }
        </div>
    }
}
