//! The layer switcher (top right): one checkbox per style layer group.

use std::collections::HashSet;

use yew::prelude::*;

use crate::components::legend::swatch;
use crate::i18n::{t, Key};
use crate::map::rules::Group;
use crate::map::MapHandle;
use crate::state::use_app;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

#[function_component(LayerSwitcher)]
pub fn layer_switcher(props: &Props) -> Html {
    let app = use_app();
    let lang = app.lang;
    let hidden = use_state(HashSet::<Group>::new);
    let open = use_state(|| true);
    let toggle_open = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    // Groups switched off before the map existed.
    use_effect_with(props.map.clone(), {
        let hidden = hidden.clone();
        move |map| {
            if let Some(map) = map {
                for group in hidden.iter() {
                    map.set_group_visible(*group, false);
                }
            }
        }
    });
    let row = |group: Group| {
        let visible = !hidden.contains(&group);
        let (class, colour) = swatch(group);
        let onchange = {
            let (hidden, map) = (hidden.clone(), props.map.clone());
            Callback::from(move |_: Event| {
                let mut next = (*hidden).clone();
                // Removing a hidden group shows it; otherwise it becomes hidden.
                let now_visible = next.remove(&group);
                if !now_visible {
                    next.insert(group);
                }
                if let Some(map) = &map {
                    map.set_group_visible(group, now_visible);
                }
                hidden.set(next);
            })
        };
        html! {
            <li>
                <label>
                    <input type="checkbox" checked={visible} {onchange} data-group={group.id()} />
                    <span class={classes!("swatch", class)} style={format!("--c:{colour}")}></span>
                    { t(lang, group.label()) }
                </label>
            </li>
        }
    };
    html! {
        <div class="layer-switcher panel">
            <button class="panel-title" onclick={toggle_open} aria-expanded={open.to_string()}>
                { t(lang, Key::Layers) }<span class="chev">{ if *open { "▾" } else { "▸" } }</span>
            </button>
            if *open {
                <ul>{ for Group::ALL.into_iter().map(row) }</ul>
            }
        </div>
    }
}
