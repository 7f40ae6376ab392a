//! The Command panel: layout, and the requests behind it. The figures (`/api/stats/summary`)
//! follow the window and filter; the hotspots (`/api/stats/hotspots`, the last 7 days) the
//! filter. A county-scoped leader's answers are their county's, and the map flies there.

use std::rc::Rc;

use citygrid_api::AdminLevel;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::hotspots::HotspotList;
use super::i18n::CommandKey as C;
use super::map_mode::MapMode;
use super::may_command;
use super::on_map::CommandMap;
use super::state::{selected_code, CommandAction as A, Day, Extent, Mode};
use super::time::{DaySlider, FilterPicker, WindowPicker};
use super::unit::UnitView;
use crate::api;
use crate::components::coming_soon::ComingSoon;
use crate::hooks::{use_client, use_interval};
use crate::i18n::{t, Text};
use crate::load::next_request;
use crate::state::{use_app, Notice};
use crate::workspaces::WorkspaceProps;

/// How often the hotspots are asked for again (a new incident counts at once).
const HOTSPOT_REFRESH_MS: i32 = 60_000;

#[function_component(CommandPanel)]
pub fn panel(props: &WorkspaceProps) -> Html {
    let app = use_app();
    let client = use_client();
    let lang = app.lang;
    let c = &app.workspaces.command;
    let allowed = app.session.as_ref().is_some_and(|s| may_command(s.user.role));

    {
        let (client, today) = (client.clone(), c.today);
        use_effect_with((), move |()| {
            if today.is_none() {
                client.send(A::SetToday(Day::of_unix_ms(js_sys::Date::now())));
            }
        });
    }
    // The figures of the unit shown (the selection, or the city) for the window and filter.
    let window = c.window();
    let filters = c.filters.query();
    let code = selected_code(app.selection.as_ref()).map(str::to_owned);
    {
        let client = client.clone();
        let query = c.summary_query(app.selection.as_ref());
        use_effect_with((allowed, window, query), move |(allowed, window, query)| {
            if let (true, Some(_)) = (*allowed, *window) {
                let seq = next_request();
                client.send(A::SummaryStarted(seq));
                let query = query.clone();
                spawn_local(async move {
                    let r = client.check(api::stats_summary(client.token(), &query).await).map_err(Notice::Api);
                    client.send(A::SummaryLoaded(seq, r));
                });
            }
        });
    }
    // Every unit of a level, while the choropleth colours them all.
    {
        let client = client.clone();
        let query = match (c.mode, c.extent) {
            (Mode::Choropleth, Extent::All(level)) => Some(c.units_query(level)),
            _ => None,
        };
        use_effect_with((allowed, window, query), move |(allowed, window, query)| {
            if let (true, Some(_), Some(query)) = (*allowed, *window, query.clone()) {
                let seq = next_request();
                client.send(A::UnitsStarted(seq));
                spawn_local(async move {
                    let r =
                        client.check(api::stats_units(client.token(), &query).await).map(Rc::new).map_err(Notice::Api);
                    client.send(A::UnitsLoaded(seq, r));
                });
            }
        });
    }
    // Its trend, per day or week.
    {
        let client = client.clone();
        let deps = (allowed, window, filters.clone(), code.clone(), c.interval);
        use_effect_with(deps, move |(allowed, window, filters, code, interval)| {
            if let (true, Some(w)) = (*allowed, *window) {
                let seq = next_request();
                client.send(A::SeriesStarted(seq));
                let code = code.as_ref().map(|c| format!("&code={c}")).unwrap_or_default();
                let query = format!("{}{filters}&interval={}{code}", w.query(), interval.slug());
                spawn_local(async move {
                    let r = client.check(api::stats_timeseries(client.token(), &query).await).map_err(Notice::Api);
                    client.send(A::SeriesLoaded(seq, r));
                });
            }
        });
    }
    // The warnings of the last 7 days for the filter, and again every minute.
    let tick = use_state(|| 0_u32);
    {
        let tick = tick.clone();
        use_interval(HOTSPOT_REFRESH_MS, (), move || tick.set((js_sys::Date::now() / 1000.0) as u32));
    }
    {
        let client = client.clone();
        use_effect_with((allowed, filters, *tick), move |(allowed, filters, _)| {
            if *allowed {
                let seq = next_request();
                client.send(A::HotspotsStarted(seq));
                let query = format!("level=grid{filters}");
                spawn_local(async move {
                    let r = client.check(api::stats_hotspots(client.token(), &query).await).map_err(Notice::Api);
                    client.send(A::HotspotsLoaded(seq, r));
                });
            }
        });
    }
    // A county-scoped leader: fly to the county once.
    let flown = use_mut_ref(|| false);
    {
        let (client, map, flown) = (client.clone(), props.map.clone(), flown.clone());
        // (Only the page's own unit: a selected county is not a scope.)
        let county = c
            .summary
            .done()
            .filter(|s| s.unit.level == AdminLevel::County && app.selection.is_none())
            .map(|s| s.unit.code.clone());
        use_effect_with((map, county), move |(map, county)| {
            if let (Some(map), Some(code), false) = (map.clone(), county.clone(), *flown.borrow()) {
                *flown.borrow_mut() = true;
                spawn_local(async move {
                    if let Ok(hits) = client.check(api::search(client.token(), &code).await) {
                        if let Some(hit) = hits.iter().find(|h| h.code == code) {
                            map.fit_bbox(hit.bbox);
                        }
                    }
                });
            }
        });
    }

    if !allowed {
        return html! { <ComingSoon desc={C::Desc.phrase()} notice={C::Forbidden.phrase()} /> };
    }
    let map = props.map.clone();
    html! {
        <div class="command" data-testid="command">
            <CommandMap map={map.clone()} />
            <WindowPicker />
            <FilterPicker />
            <DaySlider />
            <MapMode />
            <section class="command-figures">
                <h3>{ t(lang, C::Kpis) }</h3>
                <UnitView />
            </section>
            <HotspotList {map} />
        </div>
    }
}
