//! The Command workspace (指挥): the page for leaders. The whole city (or the leader's county)
//! with the heatmap of the window, county and township names above it, KPI cards and the
//! hotspot warnings; a window picker, a day slider with playback, and category and source
//! filters; a choropleth of a KPI over the children of the unit shown (drilling down from the
//! city's counties to a village's grids); the unit's cards, trend, ranked children and CSV
//! export.
//!
//! - `panel.rs`: the layout and the requests behind it.
//! - `time.rs`: window picker, day slider and playback controls, filters.
//! - `kpi.rs`: the KPI cards; `hotspots.rs`: the warning list; `heat_legend.rs`: the ramp.
//! - `map_mode.rs`: heatmap or choropleth (KPI, legend); `choropleth.rs`: its classes.
//! - `unit.rs`: the unit shown (the city or the selection): cards, trend (`trend.rs`, SVG),
//!   children ranked, CSV export.
//! - `on_map.rs`: the heat layers (two, swapped without flicker), the labels kept visible.
//! - `state.rs`: this workspace's slice of the app store (days, windows, filters, playback);
//!   `i18n.rs`: its text.

use citygrid_api::{allows, Action, Role};

pub mod choropleth;
mod heat_legend;
mod hotspots;
pub mod i18n;
pub mod kpi;
mod map_mode;
mod on_map;
mod panel;
pub mod state;
mod time;
pub mod trend;
mod unit;
pub mod url;

pub use i18n::CommandKey;
pub use panel::CommandPanel;
pub use state::{CommandAction, CommandState};

/// Who sees the Command page: the roles that may read statistics (the backend's matrix).
#[must_use]
pub fn may_command(role: Role) -> bool {
    allows(role, Action::StatisticsRead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaders_and_admins_command() {
        assert!(may_command(Role::Leader) && may_command(Role::Admin));
        assert!(!may_command(Role::Dispatcher) && !may_command(Role::Planner));
    }
}
