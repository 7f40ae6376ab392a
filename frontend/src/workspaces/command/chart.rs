//! A line chart drawn as SVG by Yew (no chart library, no external service): one line per
//! series, a dashed one for last year's, a y axis with round ticks and a few date labels.

use yew::prelude::*;

/// One line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Also the `data-series` attribute (tests read the values from `data-values`).
    pub key: String,
    pub label: String,
    pub colour: &'static str,
    /// One value per interval; `None` breaks the line (no data).
    pub values: Vec<Option<f64>>,
    pub dashed: bool,
}

/// The smallest "round" number (1, 2 or 5 × 10^k) at or above `v`.
#[must_use]
pub fn nice_ceil(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= v * (1.0 - 1e-12) {
            return m * p;
        }
    }
    10.0 * p
}

/// An SVG path through `values` in a `w` × `h` box scaled to `max`, broken where a value is
/// missing.
#[must_use]
pub fn path(values: &[Option<f64>], w: f64, h: f64, max: f64) -> String {
    let n = values.len().max(2) - 1;
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let x = w * i as f64 / n as f64;
                let y = h - h * (v / max).clamp(0.0, 1.0);
                d.push_str(&format!("{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" }));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d.trim_end().to_owned()
}

#[derive(Properties, PartialEq)]
pub struct LineChartProps {
    pub series: Vec<Series>,
    /// One label per interval (only a few are drawn).
    pub labels: Vec<String>,
    #[prop_or(320.0)]
    pub width: f64,
    #[prop_or(150.0)]
    pub height: f64,
}

/// The chart.
#[function_component(LineChart)]
pub fn line_chart(props: &LineChartProps) -> Html {
    let (left, bottom, top, right) = (34.0, 18.0, 6.0, 6.0);
    let (w, h) = (props.width - left - right, props.height - top - bottom);
    let max = nice_ceil(props.series.iter().flat_map(|s| s.values.iter().flatten()).copied().fold(0.0, f64::max));
    let ticks = [0.0, max / 2.0, max];
    let n = props.labels.len();
    let shown: Vec<usize> = if n <= 1 { (0..n).collect() } else { vec![0, n / 2, n - 1] };
    html! {
        <svg class="line-chart" width={props.width.to_string()} height={props.height.to_string()}
             viewBox={format!("0 0 {} {}", props.width, props.height)} role="img">
            <g transform={format!("translate({left},{top})")}>
                { for ticks.iter().map(|t| {
                    let y = h - h * t / max;
                    html! { <>
                        <line x1="0" x2={w.to_string()} y1={format!("{y:.1}")} y2={format!("{y:.1}")} class="grid-line" />
                        <text x="-4" y={format!("{:.1}", y + 3.0)} text-anchor="end" class="tick">{ format!("{t}") }</text>
                    </> }
                }) }
                { for shown.iter().map(|&i| {
                    let x = if n > 1 { w * i as f64 / (n - 1) as f64 } else { 0.0 };
                    let anchor = if i == 0 { "start" } else if i + 1 == n { "end" } else { "middle" };
                    html! { <text x={format!("{x:.1}")} y={format!("{}", h + 13.0)} text-anchor={anchor} class="tick">{ props.labels[i].clone() }</text> }
                }) }
                { for props.series.iter().map(|s| {
                    let values: Vec<String> = s.values.iter().map(|v| v.map(|x| x.to_string()).unwrap_or_default()).collect();
                    html! {
                        <path d={path(&s.values, w, h, max)} fill="none" stroke={s.colour} stroke-width="1.6"
                              stroke-dasharray={if s.dashed { "4 3" } else { "none" }}
                              data-series={s.key.clone()} data-values={values.join(",")}>
                            <title>{ s.label.clone() }</title>
                        </path>
                    }
                }) }
            </g>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_ceilings_and_paths() {
        assert_eq!(nice_ceil(0.0), 1.0);
        assert_eq!(nice_ceil(7.0), 10.0);
        assert_eq!(nice_ceil(10.0), 10.0);
        assert_eq!(nice_ceil(11.0), 20.0);
        assert_eq!(nice_ceil(420.0), 500.0);
        assert_eq!(path(&[Some(0.0), Some(10.0)], 100.0, 50.0, 10.0), "M0.0,50.0 L100.0,0.0");
        assert_eq!(
            path(&[Some(5.0), None, Some(5.0)], 100.0, 50.0, 10.0),
            "M0.0,25.0 M100.0,25.0",
            "a missing value lifts the pen"
        );
    }
}
