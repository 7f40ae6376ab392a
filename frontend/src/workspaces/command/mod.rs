//! The Command workspace (指挥): the page for leaders. The whole city (or the leader's county)
//! with the heatmap of the window, county and township names above it, KPI cards and the
//! hotspot warnings; a window picker, a day slider with playback, and category and source
//! filters.
//!
//! - `panel.rs`: the layout and the requests behind it.
//! - `time.rs`: window picker, day slider and playback controls, filters.
//! - `kpi.rs`: the KPI cards; `hotspots.rs`: the warning list; `heat_legend.rs`: the ramp.
//! - `on_map.rs`: the heat layers (two, swapped without flicker), the labels kept visible.
//! - `state.rs`: this workspace's slice of the app store (days, windows, filters, playback);
//!   `i18n.rs`: its text.

use citygrid_api::{allows, Action, Role};

mod heat_legend;
mod hotspots;
pub mod i18n;
pub mod kpi;
mod on_map;
mod panel;
pub mod state;
mod time;

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
