//! The legend (bottom left). Colours come from `citygrid_api::symbology`, the table the
//! backend's `/style.json` paints with; the layer switcher reuses them.

use citygrid_api::symbology;
use yew::prelude::*;

use crate::i18n::{t, Key};
use crate::map::rules::Group;
use crate::state::use_app;

/// The swatch shown for a group: (CSS class, colour).
#[must_use]
pub fn swatch(group: Group) -> (&'static str, &'static str) {
    match group {
        Group::Counties => ("line thick", symbology::COUNTY_LINE),
        Group::Townships => ("line", symbology::TOWNSHIP_LINE),
        Group::Villages => ("line dashed", symbology::VILLAGE_LINE),
        Group::Grids => ("fill", symbology::GRID_FILLS[0]),
        Group::Buildings => ("fill", symbology::BUILDING_FILL),
        Group::Cameras => ("dot", symbology::CAMERA_STATUS[0].colour),
        Group::Incidents => ("dot", symbology::INCIDENT_OPEN[0].colour),
    }
}

/// The labels of [`symbology::CAMERA_STATUS`], in its order.
const CAMERA_KEYS: [Key; 3] = [Key::LegendCameraOnline, Key::LegendCameraOffline, Key::LegendCameraMaintenance];

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
                            { for symbology::GRID_FILLS.iter().map(|c| html! { <i style={format!("background:{c}")}></i> }) }
                        </span>
                        { t(lang, Key::LegendGridColours) }
                    </li>
                    { item(Group::Buildings) }
                    { for symbology::CAMERA_STATUS.iter().zip(CAMERA_KEYS).map(|(s, key)| html! {
                        <li><span class="swatch dot" style={format!("--c:{}", s.colour)}></span>{ t(lang, key) }</li>
                    }) }
                    { item(Group::Incidents) }
                </ul>
            }
        </div>
    }
}
