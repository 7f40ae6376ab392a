//! The choropleth: one KPI per child of the unit shown (the counties of the city, the
//! townships of a county, the villages of a township, the grids of a village; the children of
//! `/api/stats/summary`), in quantile classes, with a legend in the KPI's own units. Pure: the
//! classes, the MapLibre colour expression and the legend rows.

use citygrid_api::{AdminLevel, UnitStats};
use serde_json::{json, Value};

use super::i18n::CommandKey as C;
use super::kpi::{count, fixed};
use crate::format::share;
use crate::i18n::{t, Key, Lang};

/// The KPIs a choropleth can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Kpi {
    #[default]
    Incidents,
    Per1000,
    ClosureRate,
    MedianHandling,
    Overdue,
    ClosedLocally,
}

impl Kpi {
    pub const ALL: [Kpi; 6] =
        [Kpi::Incidents, Kpi::Per1000, Kpi::ClosureRate, Kpi::MedianHandling, Kpi::Overdue, Kpi::ClosedLocally];

    /// The name in the page (and `data-kpi` in tests).
    #[must_use]
    pub fn slug(self) -> &'static str {
        match self {
            Kpi::Incidents => "incidents",
            Kpi::Per1000 => "per-1000",
            Kpi::ClosureRate => "closure-rate",
            Kpi::MedianHandling => "median-handling",
            Kpi::Overdue => "overdue",
            Kpi::ClosedLocally => "closed-locally",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Kpi> {
        Kpi::ALL.into_iter().find(|k| k.slug() == s)
    }

    #[must_use]
    pub fn label(self) -> C {
        match self {
            Kpi::Incidents => C::Incidents,
            Kpi::Per1000 => C::Per1000,
            Kpi::ClosureRate => C::ClosureRate,
            Kpi::MedianHandling => C::MedianHandling,
            Kpi::Overdue => C::OverdueOpen,
            Kpi::ClosedLocally => C::ClosedAtVillage,
        }
    }

    /// The unit's value (`None`: not defined, e.g. a closure rate without incidents).
    #[must_use]
    pub fn value(self, u: &UnitStats) -> Option<f64> {
        match self {
            Kpi::Incidents => Some(u.incidents as f64),
            Kpi::Per1000 => u.per_1000_residents,
            Kpi::ClosureRate => u.closure_rate,
            Kpi::MedianHandling => u.handling_median_hours,
            Kpi::Overdue => Some(u.overdue as f64),
            Kpi::ClosedLocally => u.share_grid_village,
        }
    }

    /// A value as the legend and lists show it, with its unit.
    #[must_use]
    pub fn format(self, lang: Lang, v: f64) -> String {
        match self {
            Kpi::Incidents | Kpi::Overdue => count(v.round() as i64),
            Kpi::Per1000 => fixed(Some(v), 2),
            Kpi::ClosureRate | Kpi::ClosedLocally => share(Some(v)),
            Kpi::MedianHandling => format!("{} {}", fixed(Some(v), 1), t(lang, Key::HoursUnit)),
        }
    }

    /// Higher is better (closure, closing locally): the ramp runs the other way.
    #[must_use]
    pub fn higher_is_better(self) -> bool {
        matches!(self, Kpi::ClosureRate | Kpi::ClosedLocally)
    }
}

/// The levels a choropleth can colour, with the style source (and its first zoom) that draws
/// their outlines.
pub const LEVELS: [(AdminLevel, &str, f64); 4] = [
    (AdminLevel::County, "counties", 0.0),
    (AdminLevel::Township, "townships", 0.0),
    (AdminLevel::Village, "villages", 11.0),
    (AdminLevel::Grid, "grids", 11.0),
];

/// The style source of a level and the zoom its tiles start at (`None` for the city).
#[must_use]
pub fn source_of(level: AdminLevel) -> Option<(&'static str, f64)> {
    LEVELS.iter().find(|(l, _, _)| *l == level).map(|(_, s, z)| (*s, *z))
}

/// Units without a value.
pub use citygrid_api::symbology::NO_VALUE;
/// The class colours, low to high (ColorBrewer YlOrRd, 5 classes).
pub use citygrid_api::symbology::YL_OR_RD as RAMP;

/// Quantile class breaks: the upper bounds of the first classes (at most `RAMP.len() - 1`,
/// distinct), so that each class holds about as many units. A value `v` is in class
/// `breaks.iter().filter(|b| v > b).count()`.
#[must_use]
pub fn breaks(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return Vec::new();
    }
    let k = RAMP.len();
    let mut out: Vec<f64> = Vec::new();
    for i in 1..k {
        let idx = (i * v.len()).div_ceil(k).saturating_sub(1).min(v.len() - 1);
        let b = v[idx];
        // Not above the maximum (the last class would be empty) and strictly increasing.
        if b < v[v.len() - 1] && out.last().is_none_or(|l| b > *l) {
            out.push(b);
        }
    }
    out
}

/// The class of a value.
#[must_use]
pub fn class_of(v: f64, breaks: &[f64]) -> usize {
    breaks.iter().filter(|b| v > **b).count()
}

/// The colour of class `c` of `n` classes (spread over the ramp), reversed when higher is better.
#[must_use]
pub fn colour(c: usize, n: usize, reversed: bool) -> &'static str {
    let n = n.max(1);
    let at = if n == 1 { RAMP.len() - 1 } else { c * (RAMP.len() - 1) / (n - 1) };
    RAMP[if reversed { RAMP.len() - 1 - at } else { at }]
}

/// One legend row: the colour and the range of values it stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendRow {
    pub colour: &'static str,
    pub from: f64,
    pub to: f64,
    /// Units in the class.
    pub units: usize,
}

/// The classes of `units` for `kpi`: the legend rows, and the MapLibre `fill-color`
/// expression (`match` on the feature's `code`).
#[must_use]
pub fn classes(units: &[UnitStats], kpi: Kpi) -> (Vec<LegendRow>, Value) {
    let values: Vec<f64> = units.iter().filter_map(|u| kpi.value(u)).collect();
    let b = breaks(&values);
    let n = b.len() + 1;
    let reversed = kpi.higher_is_better();
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
    let mut rows: Vec<LegendRow> = (0..n)
        .map(|c| LegendRow {
            colour: colour(c, n, reversed),
            from: if c == 0 { lo } else { b[c - 1] },
            to: if c + 1 == n { hi } else { b[c] },
            units: 0,
        })
        .collect();
    let mut expr = vec![json!("match"), json!(["to-string", ["get", "code"]])];
    for u in units {
        let colour = match kpi.value(u) {
            Some(v) => {
                let c = class_of(v, &b);
                rows[c].units += 1;
                rows[c].colour
            }
            None => NO_VALUE,
        };
        expr.push(json!(u.code));
        expr.push(json!(colour));
    }
    expr.push(json!("rgba(0, 0, 0, 0)"));
    if values.is_empty() {
        rows.clear();
    }
    // `match` needs at least one label.
    let expr = if units.is_empty() { json!("rgba(0, 0, 0, 0)") } else { Value::Array(expr) };
    (rows, expr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn unit(code: &str, incidents: i64, closure: Option<f64>) -> UnitStats {
        UnitStats {
            level: AdminLevel::Village,
            code: code.into(),
            name: code.into(),
            residents: 1000,
            incidents,
            per_1000_residents: Some(incidents as f64),
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
    fn quantile_classes_hold_about_as_many_units() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(breaks(&values), vec![20.0, 40.0, 60.0, 80.0]);
        assert_eq!(class_of(20.0, &breaks(&values)), 0);
        assert_eq!(class_of(20.5, &breaks(&values)), 1);
        assert_eq!(class_of(100.0, &breaks(&values)), 4);
        // Ties collapse classes; a constant has one class.
        assert_eq!(breaks(&[0.0, 0.0, 0.0, 0.0, 1.0, 5.0]), vec![0.0, 1.0]);
        assert_eq!(breaks(&[3.0, 3.0]), Vec::<f64>::new());
        assert_eq!(breaks(&[]), Vec::<f64>::new());
    }

    #[test]
    fn colours_spread_over_the_ramp_and_flip_when_higher_is_better() {
        assert_eq!(colour(0, 5, false), RAMP[0]);
        assert_eq!(colour(4, 5, false), RAMP[4]);
        assert_eq!(colour(1, 3, false), RAMP[2]);
        assert_eq!(colour(0, 5, true), RAMP[4]);
        assert_eq!(colour(0, 1, false), RAMP[4]);
    }

    #[test]
    fn the_expression_and_the_legend_agree() {
        let units: Vec<UnitStats> =
            (0..10).map(|i| unit(&format!("32080100100{i}"), i64::from(i), (i > 0).then_some(0.5))).collect();
        let (rows, expr) = classes(&units, Kpi::Incidents);
        assert_eq!(rows.iter().map(|r| r.units).sum::<usize>(), 10);
        assert_eq!((rows[0].from, rows.last().map(|r| r.to)), (0.0, Some(9.0)));
        assert_eq!(expr[0], "match");
        assert_eq!(expr.as_array().map(Vec::len), Some(2 + 2 * 10 + 1));
        let at = |code: &str| {
            let a = expr.as_array().expect("match");
            a.iter().position(|v| v == code).map(|i| a[i + 1].clone())
        };
        assert_eq!(at("320801001009"), Some(json!(RAMP[4])));
        assert_eq!(at("320801001000"), Some(json!(RAMP[0])));
        // A closure rate is undefined without incidents: grey, and not in a class.
        let (rows, expr) = classes(&units, Kpi::ClosureRate);
        assert_eq!(rows.iter().map(|r| r.units).sum::<usize>(), 9);
        let a = expr.as_array().expect("match");
        assert_eq!(a[3], json!(NO_VALUE));
        assert_eq!(classes(&[], Kpi::Incidents), (Vec::new(), json!("rgba(0, 0, 0, 0)")));
        assert_eq!(Kpi::parse("closure-rate"), Some(Kpi::ClosureRate));
        assert_eq!(Kpi::ClosureRate.format(Lang::En, 0.625), "62.5 %");
    }
}
