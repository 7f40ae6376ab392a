//! Time and filters: the window picker (last 7/28/90 days, a custom range), the day slider
//! with playback (play, pause, speed, cumulative), and the category and source filters.

use citygrid_api::{CategoryKind, CATEGORIES, SOURCES};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::i18n::CommandKey as C;
use super::state::{CommandAction as A, RangeError, Span, FAMILIES, LAST_DAYS, SPEEDS};
use crate::i18n::{self, t, Lang};
use crate::state::use_app;

fn family_key(k: CategoryKind) -> C {
    match k {
        CategoryKind::Dispute => C::FamilyDispute,
        CategoryKind::Alarm => C::FamilyAlarm,
        CategoryKind::Citizen => C::FamilyCitizen,
    }
}

fn range_error(e: RangeError) -> C {
    match e {
        RangeError::Unreadable => C::RangeUnreadable,
        RangeError::Reversed => C::RangeReversed,
        RangeError::TooLong => C::RangeTooLong,
    }
}

/// "近{n}天" with the number.
fn last_days(lang: Lang, n: i64) -> String {
    t(lang, C::LastDays).replace("{n}", &n.to_string())
}

#[function_component(WindowPicker)]
pub fn window_picker() -> Html {
    let app = use_app();
    let lang = app.lang;
    let c = &app.workspaces.command;
    let from_ref = use_node_ref();
    let to_ref = use_node_ref();
    let error = use_state(|| None::<RangeError>);
    let custom_open = use_state(|| matches!(c.span, Span::Custom { .. }));
    let window = c.window();

    let pick = |span: Span| {
        let (app, error, custom_open) = (app.clone(), error.clone(), custom_open.clone());
        Callback::from(move |_: MouseEvent| {
            error.set(None);
            custom_open.set(false);
            app.dispatch(A::SetSpan(span).into());
        })
    };
    let apply = {
        let (app, error, from_ref, to_ref) = (app.clone(), error.clone(), from_ref.clone(), to_ref.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = |r: &NodeRef| r.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            match Span::custom(&value(&from_ref), &value(&to_ref)) {
                Ok(span) => {
                    error.set(None);
                    app.dispatch(A::SetSpan(span).into());
                }
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let open_custom = {
        let custom_open = custom_open.clone();
        Callback::from(move |_: MouseEvent| custom_open.set(true))
    };
    let (from_value, to_value) = window.map_or((String::new(), String::new()), |w| (w.from.iso(), w.to.plus(-1).iso()));
    html! {
        <section class="command-window">
            <h3>{ t(lang, C::Window) }</h3>
            <div class="segmented" role="group">
                { for LAST_DAYS.iter().map(|n| {
                    let active = c.span == Span::Last(*n) && !*custom_open;
                    html! {
                        <button type="button" data-testid={format!("window-{n}")} class={classes!(active.then_some("active"))}
                            aria-pressed={active.to_string()} onclick={pick(Span::Last(*n))}>{ last_days(lang, *n) }</button>
                    }
                }) }
                <button type="button" data-testid="window-custom"
                    class={classes!((*custom_open || matches!(c.span, Span::Custom { .. })).then_some("active"))}
                    onclick={open_custom}>{ t(lang, C::Custom) }</button>
            </div>
            if *custom_open {
                <form class="custom-range" onsubmit={apply}>
                    <input type="date" data-testid="range-from" ref={from_ref} value={from_value} />
                    <span>{ "–" }</span>
                    <input type="date" data-testid="range-to" ref={to_ref} value={to_value} />
                    <button type="submit">{ t(lang, C::Apply) }</button>
                </form>
                if let Some(e) = *error {
                    <div class="form-error" role="alert">{ t(lang, range_error(e)) }</div>
                }
            }
        </section>
    }
}

#[function_component(DaySlider)]
pub fn day_slider() -> Html {
    let app = use_app();
    let lang = app.lang;
    let c = &app.workspaces.command;
    let Some(window) = c.window() else { return html! {} };
    let days = window.days();
    let p = c.playback;
    let oninput = {
        let app = app.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(i) = input.value().parse::<i64>() {
                app.dispatch(A::SetFrame(Some(i)).into());
            }
        })
    };
    let whole = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(A::SetFrame(None).into()))
    };
    let toggle = {
        let app = app.clone();
        let action = if p.playing { A::Pause } else { A::Play };
        Callback::from(move |_: MouseEvent| app.dispatch(action.clone().into()))
    };
    let speed = {
        let app = app.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(s) = select.value().parse::<f64>() {
                app.dispatch(A::SetSpeed(s).into());
            }
        })
    };
    let cumulative = {
        let app = app.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            app.dispatch(A::SetCumulative(input.checked()).into());
        })
    };
    let shown = c.heat_window().unwrap_or(window);
    let label = match p.frame {
        None => format!("{} · {} – {}", t(lang, C::WholeWindow), window.from.iso(), window.to.plus(-1).iso()),
        Some(i) => format!(
            "{} · {}",
            t(lang, C::DayOf).replace("{i}", &(i + 1).to_string()).replace("{n}", &days.to_string()),
            if p.cumulative {
                format!("{} – {}", shown.from.iso(), shown.to.plus(-1).iso())
            } else {
                shown.from.iso()
            }
        ),
    };
    html! {
        <section class="command-time" data-testid="day-slider" data-frame={p.frame.map(|f| f.to_string()).unwrap_or_default()}
            data-playing={p.playing.to_string()} data-heat-from={shown.from.iso()} data-heat-to={shown.to.iso()}>
            <div class="time-label" data-testid="frame-label">{ label }</div>
            <input type="range" data-testid="day-range" min="0" max={(days - 1).max(0).to_string()}
                value={p.frame.unwrap_or(days - 1).to_string()} {oninput} />
            <div class="time-controls">
                <button type="button" data-testid="play" class="primary-action" onclick={toggle}>
                    { t(lang, if p.playing { C::Pause } else { C::Play }) }
                </button>
                <label>{ t(lang, C::Speed) }
                    <select data-testid="speed" onchange={speed}>
                        { for SPEEDS.iter().map(|s| html! {
                            <option value={s.to_string()} selected={(s - p.speed).abs() < 1e-9}>{ format!("{s}×") }</option>
                        }) }
                    </select>
                </label>
                <label><input type="checkbox" data-testid="cumulative" checked={p.cumulative} onchange={cumulative} />
                    { t(lang, C::Cumulative) }</label>
                <button type="button" class="link" data-testid="whole-window" onclick={whole}>{ t(lang, C::WholeWindow) }</button>
            </div>
        </section>
    }
}

#[function_component(FilterPicker)]
pub fn filter_picker() -> Html {
    let app = use_app();
    let lang = app.lang;
    let f = &app.workspaces.command.filters;
    let send = |action: A| {
        let app = app.clone();
        Callback::from(move |_: Event| app.dispatch(action.clone().into()))
    };
    html! {
        <section class="command-filters">
            <details>
                <summary>
                    { t(lang, C::Categories) }{ ": " }
                    <span data-testid="filter-summary">{
                        if f.all_categories() {
                            t(lang, C::AllCategories).to_owned()
                        } else {
                            f.families.iter().map(|k| t(lang, family_key(*k)).to_owned())
                                .chain(f.categories.iter().map(|c| i18n::category(lang, c)))
                                .collect::<Vec<_>>().join("、")
                        }
                    }</span>
                </summary>
                { for FAMILIES.iter().map(|k| html! {
                    <fieldset class="family">
                        <label class="family-name">
                            <input type="checkbox" data-testid={format!("family-{}", super::state::family_code(*k))}
                                checked={f.families.contains(k)} onchange={send(A::ToggleFamily(*k))} />
                            { t(lang, family_key(*k)) }
                        </label>
                        <div class="family-categories">
                            { for CATEGORIES.iter().filter(|c| c.kind == *k).map(|c| html! {
                                <label>
                                    <input type="checkbox" data-testid={format!("category-{}", c.code)}
                                        checked={f.counts(c.code)} onchange={send(A::ToggleCategory(c.code))} />
                                    { i18n::category(lang, c.code) }
                                </label>
                            }) }
                        </div>
                    </fieldset>
                }) }
            </details>
            <details>
                <summary>
                    { t(lang, C::Sources) }{ ": " }
                    { if f.sources.is_empty() { t(lang, C::AllSources).to_owned() }
                      else { f.sources.iter().map(|s| i18n::source(lang, s)).collect::<Vec<_>>().join("、") } }
                </summary>
                <div class="family-categories">
                    { for SOURCES.iter().map(|s| html! {
                        <label>
                            <input type="checkbox" data-testid={format!("source-{}", s.code)}
                                checked={f.sources.contains(&s.code)} onchange={send(A::ToggleSource(s.code))} />
                            { i18n::source(lang, s.code) }
                        </label>
                    }) }
                </div>
            </details>
        </section>
    }
}
