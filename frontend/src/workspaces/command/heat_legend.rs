//! The heatmap's legend: the colour ramp the heat layers paint (`citygrid_api::symbology::HEAT`),
//! from few to many incidents relative to the window's reference count.

use citygrid_api::symbology::{rgba, HEAT};
use yew::prelude::*;

use super::i18n::CommandKey as C;
use crate::i18n::t;
use crate::state::use_app;

/// The CSS gradient of the ramp.
#[must_use]
pub fn gradient() -> String {
    let stops: Vec<String> =
        HEAT.iter().map(|(at, colour, a)| format!("{} {:.0}%", rgba(colour, *a), at * 100.0)).collect();
    format!("linear-gradient(to right, {})", stops.join(", "))
}

#[function_component(HeatLegend)]
pub fn heat_legend() -> Html {
    let lang = use_app().lang;
    html! {
        <div class="heat-legend" data-testid="heat-legend">
            <span>{ t(lang, C::Heatmap) }</span>
            <small>{ t(lang, C::HeatLow) }</small>
            <span class="ramp" style={format!("background: {}", gradient())}></span>
            <small>{ t(lang, C::HeatHigh) }</small>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_ramp_has_every_stop() {
        let g = super::gradient();
        assert!(g.starts_with("linear-gradient(to right, rgba(255, 255, 178, 0) 0%"));
        assert!(g.ends_with("rgba(189, 0, 38, 0.95) 100%)"));
    }
}
