//! The hotspot list (`GET /api/stats/hotspots`: the grids whose last 7 days rise significantly
//! above their own 28 days before). A click flies the map to the grid and outlines it.

use citygrid_api::{AdminLevel, Hotspot};
use yew::prelude::*;

use super::i18n::CommandKey as C;
use super::kpi::fixed;
use crate::components::notice::notice_view;
use crate::i18n::{t, Key};
use crate::load::Load;
use crate::map::MapHandle;
use crate::state::{use_app, Action, Selection};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

/// What a click on a warning selects.
#[must_use]
pub fn selection(h: &Hotspot) -> Selection {
    match h.level {
        AdminLevel::Grid => Selection::Grid(h.code.clone()),
        _ => Selection::Unit(h.code.clone()),
    }
}

#[function_component(HotspotList)]
pub fn hotspot_list(props: &Props) -> Html {
    let app = use_app();
    let lang = app.lang;
    let body = match &app.workspaces.command.hotspots {
        Load::Idle | Load::Loading(_) => html! { <p class="muted">{ t(lang, Key::Loading) }</p> },
        Load::Failed(n) => notice_view(lang, n, "form-error"),
        Load::Done(h) if h.warnings.is_empty() => html! { <p class="muted">{ t(lang, C::NoHotspots) }</p> },
        Load::Done(h) => html! {
            <ol class="hotspots">
                { for h.warnings.iter().map(|w| {
                    let onclick = {
                        let (app, map, w) = (app.clone(), props.map.clone(), w.clone());
                        Callback::from(move |_: MouseEvent| {
                            app.dispatch(Action::Select { selection: Some(selection(&w)), fly: false });
                            if let Some(map) = &map {
                                map.fit_bbox(w.bbox);
                            }
                        })
                    };
                    let selected = app.selection.as_ref() == Some(&selection(w));
                    html! {
                        <li data-testid="hotspot" data-code={w.code.clone()} data-observed={w.observed.to_string()}
                            class={classes!("hotspot", selected.then_some("selected"))}>
                            <button class="link" {onclick}>{ &w.name }</button>
                            <small class="muted">{ &w.parent_name }</small>
                            <span class="hotspot-figures">
                                { format!("{} {} · {} {} · ×{}", t(lang, C::Observed), w.observed,
                                    t(lang, C::Expected), fixed(Some(w.expected), 1), fixed(w.ratio, 1)) }
                            </span>
                            <small class="hotspot-since">{ format!("{} {}", t(lang, C::Since), w.since) }</small>
                        </li>
                    }
                }) }
            </ol>
        },
    };
    html! {
        <section class="command-hotspots">
            <h3>{ t(lang, C::Hotspots) }</h3>
            { body }
        </section>
    }
}
