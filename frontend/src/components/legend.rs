//! The legend (bottom left), generated from the symbology the style paints with
//! (`citygrid_api::symbology`): the base layers always, and the Dispatch overlay while the
//! Dispatch tab is shown. Each entry names the style layer, paint property and value it shows,
//! so a browser test can check every swatch against the map's style.

use citygrid_api::symbology::{self, Swatch};
use yew::prelude::*;

use crate::i18n::{self, t, Key, Lang, Phrase, Text};
use crate::map::layers;
use crate::map::rules::Group;
use crate::state::{use_app, Tab};
use crate::workspaces::coverage::{may_read_coverage, CoverageKey};
use crate::workspaces::dispatch::may_dispatch;
use crate::workspaces::planning::{self, PlanningKey};

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Line,
    ThickLine,
    DashedLine,
    /// A road: a light band with a dark casing.
    Road,
    Fill,
    /// A solid dot.
    Dot,
    /// A hollow ring.
    Ring,
    /// The routed location: a ring around a dot.
    Target,
    /// A translucent sector.
    SectorFill,
    /// A dashed sector outline.
    SectorOutline,
}

impl Shape {
    fn class(self) -> &'static str {
        match self {
            Shape::Line => "line",
            Shape::ThickLine => "line thick",
            Shape::DashedLine => "line dashed",
            Shape::Road => "road",
            Shape::Fill => "fill",
            Shape::Dot => "dot",
            Shape::Ring => "ring",
            Shape::Target => "target",
            Shape::SectorFill => "sector",
            Shape::SectorOutline => "sector dashed",
        }
    }
}

/// The label of an entry: a key, or a prefix key with a translated wire value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Key(Phrase),
    Status(Phrase, &'static str),
}

impl Label {
    #[must_use]
    pub fn text(self, lang: Lang) -> String {
        match self {
            Label::Key(p) => t(lang, p).to_owned(),
            Label::Status(p, status) => format!("{} · {}", t(lang, p), i18n::wire(lang, status)),
        }
    }
}

/// One row of the legend: what it shows, and where in the style that colour is painted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub label: Label,
    pub shape: Shape,
    pub colour: &'static str,
    /// The style (or overlay) layer id.
    pub layer: &'static str,
    /// The paint property that holds the colour.
    pub paint: &'static str,
    /// The value (a `status`, or a grid's `kind`) a `match` expression maps to the colour
    /// (`None`: a plain colour).
    pub value: Option<&'static str>,
}

const fn entry(label: Label, shape: Shape, colour: &'static str, layer: &'static str, paint: &'static str) -> Entry {
    Entry { label, shape, colour, layer, paint, value: None }
}

fn statuses(prefix: Key, shape: Shape, table: &[Swatch], layer: &'static str, paint: &'static str) -> Vec<Entry> {
    table
        .iter()
        .map(|s| Entry {
            value: Some(s.value),
            ..entry(Label::Status(prefix.phrase(), s.value), shape, s.colour, layer, paint)
        })
        .collect()
}

/// The base layers' entries, top of the legend first.
#[must_use]
pub fn base_entries() -> Vec<Entry> {
    let k = |key: Key| Label::Key(key.phrase());
    let mut v = vec![
        entry(k(Key::GroupCounties), Shape::ThickLine, symbology::COUNTY_LINE, "counties-line", "line-color"),
        entry(k(Key::GroupTownships), Shape::Line, symbology::TOWNSHIP_LINE, "townships-line", "line-color"),
        entry(k(Key::GroupVillages), Shape::DashedLine, symbology::VILLAGE_LINE, "villages-line", "line-color"),
        Entry {
            value: Some("water"),
            ..entry(k(Key::LegendWater), Shape::Fill, symbology::WATER, "grids-fill", "fill-color")
        },
        entry(k(Key::GroupBuildings), Shape::Fill, symbology::BUILDING_FILL, "buildings-fill", "fill-color"),
        entry(k(Key::GroupStreets), Shape::Road, symbology::STREET_LINE, "streets-line", "line-color"),
    ];
    v.extend(statuses(Key::Camera, Shape::Dot, &symbology::CAMERA_STATUS, "cameras-circle", "circle-color"));
    v.extend(statuses(Key::Incident, Shape::Dot, &symbology::INCIDENT_OPEN, "incidents-circle", "circle-color"));
    v.extend(statuses(
        Key::Incident,
        Shape::Ring,
        &symbology::INCIDENT_FINISHED,
        "incidents-finished",
        "circle-stroke-color",
    ));
    v
}

/// The swatch shown for a layer group in the layer switcher: (CSS class, colour).
#[must_use]
pub fn swatch(group: Group) -> (&'static str, &'static str) {
    match group {
        Group::Counties => (Shape::ThickLine.class(), symbology::COUNTY_LINE),
        Group::Townships => (Shape::Line.class(), symbology::TOWNSHIP_LINE),
        Group::Villages => (Shape::DashedLine.class(), symbology::VILLAGE_LINE),
        Group::Grids => (Shape::Fill.class(), symbology::GRID_FILLS[0]),
        Group::Buildings => (Shape::Fill.class(), symbology::BUILDING_FILL),
        Group::Streets => (Shape::Road.class(), symbology::STREET_LINE),
        Group::Cameras => (Shape::Dot.class(), symbology::CAMERA_STATUS[0].colour),
        Group::Incidents => (Shape::Dot.class(), symbology::INCIDENT_OPEN[0].colour),
    }
}

fn row(lang: Lang, e: &Entry) -> Html {
    html! {
        <li data-testid="legend-entry" data-layer={e.layer} data-paint={e.paint} data-value={e.value.unwrap_or("")}
            data-colour={e.colour}>
            <span class={classes!("swatch", e.shape.class())} style={format!("--c:{}", e.colour)}></span>
            { e.label.text(lang) }
        </li>
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
    let dispatching = app.tab == Tab::Dispatch && app.session.as_ref().is_some_and(|s| may_dispatch(s.user.role));
    // Coverage workspace: its sectors, buildings, choropleth steps and overlay.
    let covering = app.tab == Tab::Coverage && app.session.as_ref().is_some_and(|s| may_read_coverage(s.user.role));
    // Planning workspace.
    let planning_shown =
        app.tab == Tab::Planning && app.session.as_ref().is_some_and(|s| planning::may_read(s.user.role));
    let base = base_entries();
    let (lines, rest) = base.split_at(3);
    html! {
        <div class="legend panel">
            <button class="panel-title" onclick={toggle} aria-expanded={open.to_string()}>
                { t(lang, Key::Legend) }<span class="chev">{ if *open { "▾" } else { "▸" } }</span>
            </button>
            if *open {
                <ul>
                    { for lines.iter().map(|e| row(lang, e)) }
                    <li>
                        <span class="swatch four">
                            { for symbology::GRID_FILLS.iter().map(|c| html! { <i style={format!("background:{c}")}></i> }) }
                        </span>
                        { t(lang, Key::LegendGridColours) }
                    </li>
                    { for rest.iter().map(|e| row(lang, e)) }
                    if dispatching {
                        <li class="legend-section">{ t(lang, Key::LegendDispatch) }</li>
                        { for layers::dispatch::legend().iter().map(|e| row(lang, e)) }
                    }
                    if covering {
                        <li class="legend-section">{ t(lang, CoverageKey::LegendCoverage) }</li>
                        { for layers::coverage::legend().iter().map(|e| row(lang, e)) }
                        <li class="legend-section">{ t(lang, CoverageKey::LegendShare) }</li>
                        { for layers::coverage::share_steps().into_iter().map(|(label, colour)| html! {
                            <li data-testid="legend-share" data-colour={colour}>
                                <span class="swatch fill" style={format!("--c:{colour}")}></span>{ label }
                            </li>
                        }) }
                        <li data-testid="legend-share" data-colour={citygrid_api::symbols::NO_RESIDENTS}>
                            <span class="swatch fill" style={format!("--c:{}", citygrid_api::symbols::NO_RESIDENTS)}></span>
                            { t(lang, CoverageKey::NoResidents) }
                        </li>
                    }
                    if planning_shown {
                        <li class="legend-section">{ t(lang, PlanningKey::LegendSection) }</li>
                        { for layers::planning::legend().iter().map(|e| row(lang, e)) }
                    }
                </ul>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_an_entry() {
        let entries = base_entries();
        for s in symbology::CAMERA_STATUS.iter().chain(&symbology::INCIDENT_OPEN).chain(&symbology::INCIDENT_FINISHED) {
            assert!(entries.iter().any(|e| e.value == Some(s.value) && e.colour == s.colour), "{}", s.value);
        }
        let labels: Vec<String> = entries.iter().map(|e| e.label.text(Lang::Zh)).collect();
        assert!(labels.contains(&"事件 · 已关闭".to_owned()), "{labels:?}");
        assert!(labels.contains(&"摄像头 · 离线".to_owned()), "{labels:?}");
    }
}
