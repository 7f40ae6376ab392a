//! The trend chart of the selected unit (`GET /api/stats/timeseries`): incidents per day or
//! week, the categories with the most incidents, and the same days a year earlier where the
//! data covers them. SVG drawn here; no chart library.

use std::fmt::Write as _;

use citygrid_api::TimeSeries;
use yew::prelude::*;

use super::i18n::CommandKey as C;
use crate::i18n::{self, t, Lang};

/// The chart's size in SVG units (it scales to the panel's width).
pub const WIDTH: f64 = 300.0;
pub const HEIGHT: f64 = 120.0;
const PAD_LEFT: f64 = 30.0;
const PAD_BOTTOM: f64 = 16.0;
const PAD_TOP: f64 = 6.0;

/// Categories drawn as lines of their own (the busiest of the window).
pub const TOP_CATEGORIES: usize = 3;
/// Their colours, and the total's and last year's.
pub const CATEGORY_COLOURS: [&str; TOP_CATEGORIES] = ["#2a9d8f", "#e9c46a", "#8e6cc9"];
pub const TOTAL_COLOUR: &str = "#14243d";
pub const LAST_YEAR_COLOUR: &str = "#9aa3ae";

/// A "nice" top of the value axis: 1, 2 or 5 times a power of ten, at least `max`.
#[must_use]
pub fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|v| *v >= max).unwrap_or(10.0 * p)
}

/// The SVG path of a series (`None`: a gap), over `n` intervals, for a value axis up to `top`.
#[must_use]
pub fn path(values: &[Option<f64>], top: f64) -> String {
    let n = values.len();
    let x = |i: usize| {
        if n <= 1 {
            PAD_LEFT + (WIDTH - PAD_LEFT) / 2.0
        } else {
            PAD_LEFT + (WIDTH - PAD_LEFT) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| PAD_TOP + (HEIGHT - PAD_TOP - PAD_BOTTOM) * (1.0 - v / top);
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let _ = write!(d, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(*v));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d.trim_end().to_owned()
}

/// The categories with the most incidents over the series, most first.
#[must_use]
pub fn top_categories(ts: &TimeSeries) -> Vec<String> {
    let mut totals: Vec<(String, i64)> = Vec::new();
    for p in &ts.points {
        for (c, n) in &p.by_category {
            match totals.iter_mut().find(|(k, _)| k == c) {
                Some(e) => e.1 += n,
                None => totals.push((c.clone(), *n)),
            }
        }
    }
    totals.retain(|(_, n)| *n > 0);
    totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    totals.into_iter().take(TOP_CATEGORIES).map(|(c, _)| c).collect()
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub series: TimeSeries,
}

#[function_component(TrendChart)]
pub fn trend_chart(props: &Props) -> Html {
    let lang: Lang = crate::state::use_app().lang;
    let ts = &props.series;
    let total: Vec<Option<f64>> = ts.points.iter().map(|p| Some(p.total as f64)).collect();
    let last_year: Vec<Option<f64>> = ts.points.iter().map(|p| p.last_year_total.map(|v| v as f64)).collect();
    let has_last_year = last_year.iter().any(Option::is_some);
    let cats = top_categories(ts);
    let max = ts.points.iter().map(|p| p.total.max(p.last_year_total.unwrap_or(0))).max().unwrap_or(0);
    let top = nice_max(max as f64);
    let first = ts.points.first().map(|p| p.start.clone()).unwrap_or_default();
    let last = ts.points.last().map(|p| p.start.clone()).unwrap_or_default();
    let view = format!("0 0 {WIDTH} {HEIGHT}");
    html! {
        <figure class="trend" data-testid="trend" data-code={ts.code.clone()} data-interval={ts.interval.clone()}>
            <svg viewBox={view} role="img" aria-label={t(lang, C::Trend)}>
                <line class="axis" x1={PAD_LEFT.to_string()} x2={WIDTH.to_string()}
                    y1={(HEIGHT - PAD_BOTTOM).to_string()} y2={(HEIGHT - PAD_BOTTOM).to_string()} />
                <text class="tick" x={(PAD_LEFT - 3.0).to_string()} y={(PAD_TOP + 4.0).to_string()} text-anchor="end">{ top.to_string() }</text>
                <text class="tick" x={(PAD_LEFT - 3.0).to_string()} y={(HEIGHT - PAD_BOTTOM).to_string()} text-anchor="end">{ "0" }</text>
                <text class="tick" x={PAD_LEFT.to_string()} y={(HEIGHT - 3.0).to_string()}>{ first }</text>
                <text class="tick" x={WIDTH.to_string()} y={(HEIGHT - 3.0).to_string()} text-anchor="end">{ last }</text>
                if has_last_year {
                    <path class="last-year" d={path(&last_year, top)} stroke={LAST_YEAR_COLOUR} />
                }
                { for cats.iter().zip(CATEGORY_COLOURS).map(|(c, colour)| {
                    let values: Vec<Option<f64>> =
                        ts.points.iter().map(|p| Some(p.by_category.get(c).copied().unwrap_or(0) as f64)).collect();
                    html! { <path class="category" data-category={c.clone()} d={path(&values, top)} stroke={colour} /> }
                }) }
                <path class="total" d={path(&total, top)} stroke={TOTAL_COLOUR} />
            </svg>
            <ul class="trend-points" hidden=true>
                { for ts.points.iter().map(|p| html! {
                    <li data-testid="trend-point" data-start={p.start.clone()} data-end={p.end.clone()}
                        data-total={p.total.to_string()}
                        data-last-year={p.last_year_total.map(|v| v.to_string()).unwrap_or_default()} />
                }) }
            </ul>
            <figcaption class="trend-legend">
                <span><i style={format!("background:{TOTAL_COLOUR}")}></i>{ t(lang, C::AllShown) }</span>
                { for cats.iter().zip(CATEGORY_COLOURS).map(|(c, colour)| html! {
                    <span><i style={format!("background:{colour}")}></i>{ i18n::category(lang, c) }</span>
                }) }
                if has_last_year {
                    <span><i class="dashed" style={format!("border-color:{LAST_YEAR_COLOUR}")}></i>{ t(lang, C::LastYear) }</span>
                }
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        for (max, top) in [(0.0, 1.0), (7.0, 10.0), (12.0, 20.0), (40.0, 50.0), (100.0, 100.0)] {
            assert!((nice_max(max) - top).abs() < 1e-9, "{max}: {}", nice_max(max));
        }
    }

    #[test]
    fn paths_span_the_chart_and_break_at_gaps() {
        let d = path(&[Some(0.0), Some(10.0), None, Some(5.0)], 10.0);
        assert_eq!(d, "M30.0,104.0 L120.0,6.0 M300.0,55.0");
        assert_eq!(path(&[Some(5.0)], 10.0), "M165.0,55.0");
        assert_eq!(path(&[], 10.0), "");
    }
}
