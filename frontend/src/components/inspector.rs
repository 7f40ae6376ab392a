//! The inspector (right): the selected grid, unit, building or camera as the API describes it,
//! with its administrative chain (市 › 区县 › 街道/乡镇 › 村/社区 › 网格).

use std::cell::Cell;
use std::rc::Rc;

use citygrid_api::{AdminLevel, AdminUnit, AdminUnitRef, BuildingInfo, CameraInfo, Feature, GridProperties};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::i18n::{self, t, Key, Lang};
use crate::map::geometry::geometry_bbox;
use crate::map::MapHandle;
use crate::state::{use_app, Action, Selection};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub map: Option<MapHandle>,
}

#[derive(Clone, PartialEq)]
enum Details {
    Loading,
    Grid(Box<Feature<GridProperties>>, Option<AdminUnit>),
    Unit(AdminUnit),
    Building(BuildingInfo),
    Camera(CameraInfo),
    Failed(String),
}

/// Where "zoom to" goes.
enum Target {
    Bbox([f64; 4]),
    Point(f64, f64, f64),
}

fn target(d: &Details) -> Option<Target> {
    match d {
        Details::Grid(f, _) => geometry_bbox(&f.geometry).map(Target::Bbox),
        Details::Unit(u) => {
            let zoom = match u.level {
                AdminLevel::City => 8.5,
                AdminLevel::County => 10.0,
                AdminLevel::Township => 12.0,
                AdminLevel::Village => 14.0,
                AdminLevel::Grid => 16.0,
            };
            Some(Target::Point(u.label_point[0], u.label_point[1], zoom))
        }
        Details::Camera(c) => Some(Target::Point(c.lon, c.lat, 17.0)),
        Details::Building(_) | Details::Loading | Details::Failed(_) => None,
    }
}

fn go(map: &MapHandle, target: &Target) {
    match *target {
        Target::Bbox(b) => map.fit_bbox(b),
        Target::Point(lon, lat, zoom) => map.fly_to(lon, lat, zoom),
    }
}

async fn load(token: &str, sel: &Selection) -> Result<Details, ApiError> {
    Ok(match sel {
        Selection::Grid(code) => {
            let grid = api::grid(token, code).await?;
            // The chain comes from the admin-unit view; the grid's own names are the fallback.
            let unit = match api::admin_unit(token, code).await {
                Ok(u) => Some(u),
                Err(ApiError::Unauthorized(m)) => return Err(ApiError::Unauthorized(m)),
                Err(_) => None,
            };
            Details::Grid(Box::new(grid), unit)
        }
        Selection::Unit(code) => Details::Unit(api::admin_unit(token, code).await?),
        Selection::Building(id) => Details::Building(api::building(token, *id).await?),
        Selection::Camera(id) => Details::Camera(api::camera(token, *id).await?),
    })
}

fn grid_chain(f: &Feature<GridProperties>, unit: Option<&AdminUnit>) -> Vec<AdminUnitRef> {
    if let Some(u) = unit {
        let mut chain = u.parents.clone();
        chain.push(AdminUnitRef { code: u.code.clone(), level: u.level, name: u.name.clone() });
        return chain;
    }
    let p = &f.properties;
    vec![
        AdminUnitRef { code: p.county_code.clone(), level: AdminLevel::County, name: p.county_name.clone() },
        AdminUnitRef { code: p.township_code.clone(), level: AdminLevel::Township, name: p.township_name.clone() },
        AdminUnitRef { code: p.village_code.clone(), level: AdminLevel::Village, name: p.village_name.clone() },
        AdminUnitRef { code: p.code.clone(), level: AdminLevel::Grid, name: p.name.clone() },
    ]
}

fn row(lang: Lang, key: Key, value: impl Into<Html>) -> Html {
    html! { <><dt>{ t(lang, key) }</dt><dd>{ value.into() }</dd></> }
}

#[function_component(Inspector)]
pub fn inspector(props: &Props) -> Html {
    let app = use_app();
    let lang = app.lang;
    let details = use_state(|| Details::Loading);
    let generation = use_mut_ref(|| Rc::new(Cell::new(0_u64)));
    let token = app.session.as_ref().map(|s| s.token.clone()).unwrap_or_default();

    // Fetch whenever the selection changes; late answers for an older selection are dropped.
    {
        let (details, dispatch) = (details.clone(), app.dispatcher());
        let generation = generation.borrow().clone();
        use_effect_with(app.selection.clone(), move |selection| {
            let my_gen = generation.get() + 1;
            generation.set(my_gen);
            if let Some(sel) = selection.clone() {
                details.set(Details::Loading);
                spawn_local(async move {
                    let result = load(&token, &sel).await;
                    if generation.get() != my_gen {
                        return;
                    }
                    match result {
                        Ok(d) => details.set(d),
                        Err(ApiError::Unauthorized(_)) => dispatch.dispatch(Action::LoggedOut { expired: true }),
                        Err(e) => details.set(Details::Failed(e.message(lang))),
                    }
                });
            }
        });
    }

    // A selection from the URL: move the map there once we know where it is.
    {
        let dispatch = app.dispatcher();
        use_effect_with(((*details).clone(), app.fly_pending, props.map.clone()), move |(d, pending, map)| {
            if *pending && !matches!(d, Details::Loading) {
                if let (Some(map), Some(target)) = (map, target(d)) {
                    go(map, &target);
                }
                if map.is_some() {
                    dispatch.dispatch(Action::Flown);
                }
            }
        });
    }

    let select = |sel: Selection| {
        let dispatch = app.dispatcher();
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(Action::Select { selection: Some(sel.clone()), fly: true });
        })
    };
    let chain_html = |chain: &[AdminUnitRef]| {
        html! {
            <section class="chain">
                <h4>{ t(lang, Key::AdminChain) }</h4>
                <ol class="breadcrumb">
                    { for chain.iter().map(|u| {
                        let sel = if u.level == AdminLevel::Grid { Selection::Grid(u.code.clone()) } else { Selection::Unit(u.code.clone()) };
                        html! {
                            <li data-level={format!("{:?}", u.level).to_lowercase()}>
                                <button class="link" onclick={select(sel)} title={u.code.clone()}>
                                    <small>{ i18n::level(lang, u.level) }</small>{ &u.name }
                                </button>
                            </li>
                        }
                    }) }
                </ol>
            </section>
        }
    };

    let close = {
        let dispatch = app.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Select { selection: None, fly: false }))
    };
    let zoom = match (target(&details), props.map.clone()) {
        (Some(target), Some(map)) => {
            let onclick = Callback::from(move |_: MouseEvent| go(&map, &target));
            html! { <button class="zoom" {onclick}>{ t(lang, Key::ZoomTo) }</button> }
        }
        _ => html! {},
    };

    let (kind, title, code, body) = match &*details {
        Details::Loading => {
            let code = app.selection.as_ref().map(|s| match s {
                Selection::Grid(c) | Selection::Unit(c) => c.clone(),
                Selection::Building(id) | Selection::Camera(id) => id.to_string(),
            });
            (
                t(lang, Key::Inspector).to_owned(),
                String::new(),
                code.unwrap_or_default(),
                html! { <div class="loading">{ t(lang, Key::Loading) }</div> },
            )
        }
        Details::Failed(msg) => (
            t(lang, Key::Inspector).to_owned(),
            String::new(),
            String::new(),
            html! { <div class="form-error" role="alert">{ msg }</div> },
        ),
        Details::Grid(f, unit) => {
            let p = &f.properties;
            let body = html! {
                <>
                    <dl class="attrs">
                        { row(lang, Key::Village, p.village_name.clone()) }
                        { row(lang, Key::Households, p.households.to_string()) }
                        { row(lang, Key::Residents, p.residents.to_string()) }
                        { row(lang, Key::Buildings, p.building_count.to_string()) }
                        { row(lang, Key::Cameras, p.camera_count.to_string()) }
                        { row(lang, Key::Area, i18n::area(p.area_m2)) }
                        { row(lang, Key::Version, format!("v{}", p.version)) }
                    </dl>
                    <section class="workers">
                        <h4>{ t(lang, Key::GridWorkers) }</h4>
                        if p.grid_workers.is_empty() {
                            <p class="muted">{ t(lang, Key::NoWorkers) }</p>
                        } else {
                            <ul>
                                { for p.grid_workers.iter().map(|w| html! {
                                    <li>
                                        <span class="worker-name">{ &w.name }</span>
                                        <span class="muted">{ &w.employee_no }</span>
                                        <a href={format!("tel:{}", w.phone)}>{ &w.phone }</a>
                                    </li>
                                }) }
                            </ul>
                        }
                    </section>
                    { chain_html(&grid_chain(f, unit.as_ref())) }
                </>
            };
            (t(lang, Key::Grid).to_owned(), p.name.clone(), p.code.clone(), body)
        }
        Details::Unit(u) => {
            let body = html! {
                <>
                    <dl class="attrs">
                        { row(lang, Key::Kind, i18n::level(lang, u.level)) }
                        if let Some(en) = &u.name_en { { row(lang, Key::EnglishName, en.clone()) } }
                        if let Some(c) = &u.centre { { row(lang, Key::Centre, c.clone()) } }
                        { row(lang, Key::Area, i18n::area(u.area_m2)) }
                        { row(lang, Key::Children, u.children.len().to_string()) }
                    </dl>
                    { chain_html(&{
                        let mut c = u.parents.clone();
                        c.push(AdminUnitRef { code: u.code.clone(), level: u.level, name: u.name.clone() });
                        c
                    }) }
                </>
            };
            (i18n::level(lang, u.level).to_owned(), u.name.clone(), u.code.clone(), body)
        }
        Details::Building(b) => {
            let body = html! {
                <>
                    <dl class="attrs">
                        { row(lang, Key::Kind, i18n::wire(lang, &b.kind)) }
                        { row(lang, Key::Floors, b.floors.to_string()) }
                        { row(lang, Key::Households, b.households.to_string()) }
                        { row(lang, Key::Residents, b.residents.to_string()) }
                        { row(lang, Key::Footprint, i18n::area(b.footprint_m2)) }
                        { row(lang, Key::Grid, html! {
                            <button class="link" onclick={select(Selection::Grid(b.grid_code.clone()))}>{ &b.grid_code }</button>
                        }) }
                    </dl>
                    { chain_html(&b.chain) }
                </>
            };
            (t(lang, Key::Building).to_owned(), format!("#{}", b.id), b.id.to_string(), body)
        }
        Details::Camera(c) => {
            let body = html! {
                <>
                    <dl class="attrs">
                        { row(lang, Key::Kind, i18n::wire(lang, &c.kind)) }
                        { row(lang, Key::Status, html! {
                            <span class={classes!("status", c.status.clone())}>{ i18n::wire(lang, &c.status) }</span>
                        }) }
                        { row(lang, Key::Owner, i18n::wire(lang, &c.owner)) }
                        { row(lang, Key::Heading, format!("{:.0}°", c.heading_deg)) }
                        { row(lang, Key::Fov, format!("{:.0}°", c.fov_deg)) }
                        { row(lang, Key::Range, format!("{:.0} m", c.range_m)) }
                        { row(lang, Key::Installed, c.installed_on.clone()) }
                        { row(lang, Key::Position, format!("{:.5}, {:.5}", c.lon, c.lat)) }
                        { row(lang, Key::Grid, html! {
                            <button class="link" onclick={select(Selection::Grid(c.grid_code.clone()))}>{ &c.grid_code }</button>
                        }) }
                    </dl>
                    { chain_html(&c.chain) }
                </>
            };
            (t(lang, Key::Camera).to_owned(), c.code.clone(), c.id.to_string(), body)
        }
    };

    html! {
        <aside id="inspector" class="inspector" aria-live="polite">
            <header>
                <div class="kind">{ kind }</div>
                <button class="close" onclick={close} title={t(lang, Key::Close)} aria-label={t(lang, Key::Close)}>{ "×" }</button>
                <h3>{ title }</h3>
                <div class="code-line">
                    <span class="label">{ t(lang, Key::Code) }</span>
                    <code data-testid="inspector-code">{ code }</code>
                    { zoom }
                </div>
            </header>
            <div class="inspector-body">{ body }</div>
        </aside>
    }
}
