//! The unit the page is about: the city (or the leader's county) until a unit is selected on
//! the map or in a list. Its KPI cards, its trend chart, its children ranked by the
//! choropleth's KPI, and the export of its figures and its children's as CSV.

use citygrid_api::{AdminLevel, UnitStats};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::choropleth::Kpi;
use super::i18n::CommandKey as C;
use super::kpi::KpiCards;
use super::state::{CommandAction as A, Interval};
use super::trend::TrendChart;
use crate::api;
use crate::components::notice::notice_view;
use crate::hooks::use_client;
use crate::i18n::{self, t, Key};
use crate::load::Load;
use crate::state::{use_app, Action, Notice, Selection};

/// What selecting a unit of the statistics means on the map.
#[must_use]
pub fn selection_of(u: &UnitStats) -> Option<Selection> {
    match u.level {
        AdminLevel::City => None,
        AdminLevel::Grid => Some(Selection::Grid(u.code.clone())),
        _ => Some(Selection::Unit(u.code.clone())),
    }
}

/// The children ranked by `kpi`, highest first; those without a value last, by code.
#[must_use]
pub fn ranked(children: &[UnitStats], kpi: Kpi) -> Vec<&UnitStats> {
    let mut v: Vec<&UnitStats> = children.iter().collect();
    v.sort_by(|a, b| match (kpi.value(a), kpi.value(b)) {
        (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.code.cmp(&b.code)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.code.cmp(&b.code),
    });
    v
}

#[function_component(UnitView)]
pub fn unit_view() -> Html {
    let app = use_app();
    let client = use_client();
    let lang = app.lang;
    let c = &app.workspaces.command;
    let exporting = use_state(|| false);
    let Load::Done(s) = &c.summary else {
        return match &c.summary {
            Load::Failed(n) => notice_view(lang, n, "form-error"),
            _ => html! { <p class="muted">{ t(lang, Key::Loading) }</p> },
        };
    };
    let kpi = c.kpi;
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Select { selection: None, fly: false }))
    };
    let export = {
        let (client, exporting) = (client.clone(), exporting.clone());
        let query = c.summary_query(app.selection.as_ref());
        let name = format!("summary-{}.csv", s.unit.code);
        Callback::from(move |_: MouseEvent| {
            let (client, exporting, query, name) = (client.clone(), exporting.clone(), query.clone(), name.clone());
            exporting.set(true);
            spawn_local(async move {
                match client.check(api::stats_summary_csv(client.token(), &query).await) {
                    Ok(csv) => crate::map::bindings::download(&name, "text/csv;charset=utf-8", &csv),
                    Err(e) => client.send(Action::Notify(Notice::Api(e))),
                }
                exporting.set(false);
            });
        })
    };
    let interval = |i: Interval| {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(A::SetInterval(i).into()))
    };
    let children = ranked(&s.children, kpi);
    html! {
        <>
            <div class="unit-title" data-testid="unit-title" data-code={s.unit.code.clone()}>
                <strong>{ &s.unit.name }</strong>
                <small class="muted">{ i18n::level(lang, s.unit.level) }</small>
                if app.selection.is_some() {
                    <button type="button" class="link" data-testid="unit-back" onclick={back}>{ t(lang, C::BackToAll) }</button>
                }
                <button type="button" class="export" data-testid="export-csv" disabled={*exporting} onclick={export}>
                    { t(lang, C::ExportCsv) }
                </button>
            </div>
            <KpiCards unit={s.unit.clone()} />
            <section class="command-trend">
                <h3>
                    { t(lang, C::Trend) }
                    <span class="segmented small">
                        <button type="button" data-testid="interval-day" class={classes!((c.interval == Interval::Day).then_some("active"))}
                            onclick={interval(Interval::Day)}>{ t(lang, C::Daily) }</button>
                        <button type="button" data-testid="interval-week" class={classes!((c.interval == Interval::Week).then_some("active"))}
                            onclick={interval(Interval::Week)}>{ t(lang, C::Weekly) }</button>
                    </span>
                </h3>
                { match &c.series {
                    Load::Done(ts) => html! { <TrendChart series={ts.clone()} /> },
                    Load::Failed(n) => notice_view(lang, n, "form-error"),
                    _ => html! { <p class="muted">{ t(lang, Key::Loading) }</p> },
                } }
            </section>
            if !children.is_empty() {
                <section class="command-children">
                    <h3>{ format!("{} · {}", t(lang, C::ChildrenRanked), t(lang, kpi.label())) }</h3>
                    <ol class="ranked" data-testid="children">
                        { for children.iter().map(|u| {
                            let onclick = {
                                let (app, sel) = (app.clone(), selection_of(u));
                                Callback::from(move |_: MouseEvent| app.dispatch(Action::Select { selection: sel.clone(), fly: true }))
                            };
                            html! {
                                <li data-testid="child" data-code={u.code.clone()} data-incidents={u.incidents.to_string()}>
                                    <button type="button" class="link" {onclick}>{ &u.name }</button>
                                    <span class="value">{ kpi.value(u).map_or_else(|| crate::format::NO_FIGURE.to_owned(), |v| kpi.format(lang, v)) }</span>
                                </li>
                            }
                        }) }
                    </ol>
                </section>
            }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn unit(code: &str, incidents: i64, closure: Option<f64>) -> UnitStats {
        UnitStats {
            level: AdminLevel::Township,
            code: code.into(),
            name: code.into(),
            residents: 0,
            incidents,
            per_1000_residents: None,
            by_category: BTreeMap::new(),
            by_source: BTreeMap::new(),
            resolved: 0,
            closure_rate: closure,
            handling_median_hours: None,
            handling_p90_hours: None,
            resolved_grid_village: 0,
            resolved_township: 0,
            resolved_county: 0,
            share_grid_village: None,
            share_township: None,
            share_county: None,
            overdue: 0,
            escalated: 0,
        }
    }

    #[test]
    fn children_rank_by_the_kpi() {
        let kids = [unit("3", 5, None), unit("1", 9, Some(0.2)), unit("2", 9, Some(0.9))];
        let codes = |v: Vec<&UnitStats>| v.iter().map(|u| u.code.clone()).collect::<Vec<_>>();
        assert_eq!(codes(ranked(&kids, Kpi::Incidents)), ["1", "2", "3"]);
        assert_eq!(codes(ranked(&kids, Kpi::ClosureRate)), ["2", "1", "3"]);
        assert_eq!(selection_of(&kids[0]), Some(Selection::Unit("3".into())));
    }
}
