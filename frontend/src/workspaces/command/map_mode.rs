//! The map's mode: the heatmap, or a choropleth of one KPI over the children of the unit shown
//! (counties of the city, townships of a county, villages of a township, grids of a village)
//! or over every township, village or grid of the city (or the leader's county) at once, with
//! its legend in the KPI's units and quantile classes. Selecting a unit drills down.

use citygrid_api::AdminLevel;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::choropleth::{classes, source_of, Kpi, NO_VALUE};
use super::heat_legend::HeatLegend;
use super::i18n::CommandKey as C;
use super::state::{level_slug, CommandAction as A, Extent, Mode};
use crate::components::notice::notice_view;
use crate::i18n::{self, t, Key};
use crate::load::Load;
use crate::state::use_app;

#[function_component(MapMode)]
pub fn map_mode() -> Html {
    let app = use_app();
    let lang = app.lang;
    let c = &app.workspaces.command;
    let set_mode = |m: Mode| {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(A::SetMode(m).into()))
    };
    let set_kpi = {
        let app = app.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(k) = Kpi::parse(&select.value()) {
                app.dispatch(A::SetKpi(k).into());
            }
        })
    };
    let set_extent = {
        let app = app.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(x) = Extent::parse(&select.value()) {
                app.dispatch(A::SetExtent(x).into());
            }
        })
    };
    let kpi = c.kpi;
    let extent_label = |x: Extent| match x {
        Extent::Children => C::ExtentChildren,
        Extent::All(AdminLevel::Township) => C::AllTownships,
        Extent::All(AdminLevel::Village) => C::AllVillages,
        Extent::All(_) => C::AllGrids,
    };
    let legend = match (&c.mode, c.choropleth_units()) {
        (Mode::Heat, _) => html! { <HeatLegend /> },
        (Mode::Choropleth, Load::Done(units)) => match units.first().map(|u| u.level) {
            None => html! { <p class="muted">{ t(lang, C::NoChildren) }</p> },
            Some(level) => {
                let (rows, _) = classes(units, kpi);
                let minzoom = source_of(level).map_or(0.0, |(_, z)| z);
                let of = match (c.extent, c.summary.done()) {
                    (Extent::Children, Some(s)) => format!("{} · {}", s.unit.name, i18n::level(lang, level)),
                    (x, _) => t(lang, extent_label(x)).to_owned(),
                };
                html! {
                    <div class="choropleth-legend" data-testid="choropleth-legend" data-level={level_slug(level)}
                        data-extent={c.extent.slug()} data-kpi={kpi.slug()} data-units={units.len().to_string()}>
                        <div class="legend-title">{ format!("{} · {of}", t(lang, kpi.label())) }</div>
                        <ul>
                            { for rows.iter().map(|r| html! {
                                <li data-testid="choropleth-class" data-colour={r.colour} data-units={r.units.to_string()}
                                    data-from={r.from.to_string()} data-to={r.to.to_string()}>
                                    <i style={format!("background:{}", r.colour)}></i>
                                    { format!("{} – {}", kpi.format(lang, r.from), kpi.format(lang, r.to)) }
                                    <small class="muted">{ format!(" ({})", r.units) }</small>
                                </li>
                            }) }
                            <li><i style={format!("background:{NO_VALUE}")}></i>{ t(lang, C::NoValue) }</li>
                        </ul>
                        if minzoom > 0.0 {
                            <small class="muted">{ t(lang, C::ZoomForUnits) }</small>
                        }
                    </div>
                }
            }
        },
        (Mode::Choropleth, Load::Failed(n)) => notice_view(lang, &n, "form-error"),
        (Mode::Choropleth, _) => html! { <p class="muted">{ t(lang, Key::Loading) }</p> },
    };
    html! {
        <section class="command-mode">
            <div class="segmented" role="group">
                <button type="button" data-testid="mode-heat" class={classes!((c.mode == Mode::Heat).then_some("active"))}
                    onclick={set_mode(Mode::Heat)}>{ t(lang, C::Heatmap) }</button>
                <button type="button" data-testid="mode-choropleth" class={classes!((c.mode == Mode::Choropleth).then_some("active"))}
                    onclick={set_mode(Mode::Choropleth)}>{ t(lang, C::Choropleth) }</button>
                if c.mode == Mode::Choropleth {
                    <select data-testid="choropleth-kpi" onchange={set_kpi}>
                        { for Kpi::ALL.iter().map(|k| html! {
                            <option value={k.slug()} selected={*k == kpi}>{ t(lang, k.label()) }</option>
                        }) }
                    </select>
                    <select data-testid="choropleth-extent" onchange={set_extent}>
                        { for Extent::ALL.iter().map(|x| html! {
                            <option value={x.slug()} selected={*x == c.extent}>{ t(lang, extent_label(*x)) }</option>
                        }) }
                    </select>
                }
            </div>
            { legend }
        </section>
    }
}
