//! Choropleth classes: quantile breaks of a KPI over the units shown, a colour per class, and
//! legend labels in the KPI's own units.

/// Colours of the classes, light to dark (ColorBrewer YlOrRd, 5 classes).
pub const CLASS_COLOURS: [&str; 5] = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
/// The colour of a unit without a value (no residents, nothing resolved…).
pub const NO_VALUE: &str = "#d9d9d9";

/// The upper bounds of up to `k` quantile classes of `values` (finite ones only): class i holds
/// values ≤ `breaks[i]` (and above `breaks[i - 1]`). Equal quantiles merge, so a KPI with few
/// distinct values gets fewer classes.
#[must_use]
pub fn quantile_breaks(values: &[f64], k: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() || k == 0 {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let mut breaks: Vec<f64> = Vec::new();
    for i in 1..=k {
        // The nearest-rank quantile i/k.
        let rank = ((i as f64 / k as f64) * v.len() as f64).ceil() as usize;
        let q = v[rank.clamp(1, v.len()) - 1];
        if breaks.last().is_none_or(|b| q > *b) {
            breaks.push(q);
        }
    }
    breaks
}

/// The class of `v` (an index into `breaks`), `None` without a value.
#[must_use]
pub fn class_of(v: Option<f64>, breaks: &[f64]) -> Option<usize> {
    let v = v.filter(|x| x.is_finite())?;
    Some(breaks.iter().position(|b| v <= *b).unwrap_or(breaks.len().saturating_sub(1)))
}

/// The colour of class `i` of `n` classes: spread over the ramp so few classes stay distinct.
#[must_use]
pub fn class_colour(i: usize, n: usize) -> &'static str {
    if n <= 1 {
        return CLASS_COLOURS[CLASS_COLOURS.len() / 2];
    }
    CLASS_COLOURS[(i * (CLASS_COLOURS.len() - 1)).div_ceil(n - 1).min(CLASS_COLOURS.len() - 1)]
}

/// The legend rows: (colour, "from – to") with `fmt` printing a value in the KPI's units.
#[must_use]
pub fn legend(breaks: &[f64], min: f64, fmt: impl Fn(f64) -> String) -> Vec<(&'static str, String)> {
    let mut lower = min;
    breaks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let label = if i == 0 || (lower - *b).abs() < f64::EPSILON {
                format!("{} – {}", fmt(lower), fmt(*b))
            } else {
                format!("> {} – {}", fmt(lower), fmt(*b))
            };
            lower = *b;
            (class_colour(i, breaks.len()), label)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_split_the_units_evenly() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile_breaks(&v, 5), [2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(class_of(Some(1.0), &[2.0, 4.0]), Some(0));
        assert_eq!(class_of(Some(3.0), &[2.0, 4.0]), Some(1));
        assert_eq!(class_of(Some(9.0), &[2.0, 4.0]), Some(1));
        assert_eq!(class_of(None, &[2.0]), None);
        // Ties merge.
        assert_eq!(quantile_breaks(&[0.0, 0.0, 0.0, 0.0, 5.0], 5), [0.0, 5.0]);
        assert!(quantile_breaks(&[f64::NAN], 5).is_empty());
        assert_eq!(class_colour(0, 2), CLASS_COLOURS[0]);
        assert_eq!(class_colour(1, 2), CLASS_COLOURS[4]);
        assert_eq!(class_colour(4, 5), CLASS_COLOURS[4]);
        let l = legend(&[2.0, 4.0], 1.0, |x| format!("{x:.0}"));
        assert_eq!(l, [(CLASS_COLOURS[0], "1 – 2".to_owned()), (CLASS_COLOURS[4], "> 2 – 4".to_owned())]);
    }
}
