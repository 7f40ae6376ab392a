//! The KPI cards of a unit (`UnitStats`, definitions in `citygrid_api::stats`), and how each
//! figure reads.

use citygrid_api::UnitStats;
use yew::prelude::*;

use super::i18n::CommandKey as C;
use crate::format::{share, NO_FIGURE};
use crate::i18n::{t, Key, Lang};

/// `1234567` → `1,234,567`.
#[must_use]
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A number with `decimals` decimals ([`NO_FIGURE`] when there is none).
#[must_use]
pub fn fixed(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| NO_FIGURE.to_owned(), |v| format!("{v:.decimals$}"))
}

/// The cards: (test id, label, value).
#[must_use]
pub fn cards(lang: Lang, u: &UnitStats) -> Vec<(&'static str, &'static str, String)> {
    let hours = |h: Option<f64>| match h {
        Some(_) => format!("{} {}", fixed(h, 1), t(lang, Key::HoursUnit)),
        None => NO_FIGURE.to_owned(),
    };
    vec![
        ("incidents", t(lang, C::Incidents), count(u.incidents)),
        ("per-1000", t(lang, C::Per1000), fixed(u.per_1000_residents, 2)),
        ("closure-rate", t(lang, C::ClosureRate), share(u.closure_rate)),
        ("median-handling", t(lang, C::MedianHandling), hours(u.handling_median_hours)),
        ("overdue", t(lang, C::OverdueOpen), count(u.overdue)),
        (
            "closed-locally",
            t(lang, C::ClosedLocally),
            format!("{} / {}", share(u.share_grid_village), share(u.share_township)),
        ),
    ]
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub unit: UnitStats,
}

#[function_component(KpiCards)]
pub fn kpi_cards(props: &Props) -> Html {
    let lang = crate::state::use_app().lang;
    html! {
        <div class="kpis" data-testid="kpis" data-code={props.unit.code.clone()}>
            { for cards(lang, &props.unit).into_iter().map(|(id, label, value)| html! {
                <div class="kpi" data-testid={format!("kpi-{id}")}>
                    <span class="kpi-value">{ value }</span>
                    <span class="kpi-label">{ label }</span>
                </div>
            }) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_well() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(-4200), "-4,200");
        assert_eq!(fixed(Some(1.23456), 2), "1.23");
        assert_eq!(fixed(None, 1), NO_FIGURE);
    }
}
