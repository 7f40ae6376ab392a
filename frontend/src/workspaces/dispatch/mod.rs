//! The Dispatch workspace (调度): route a location to who is responsible, register an incident
//! there, and follow the open incidents through their state machine.
//!
//! - `panel.rs`: the layout, nothing else.
//! - `route_card.rs`: the location field and who is responsible for it (`/api/route`).
//! - `register_form.rs`: registering an incident at the routed location.
//! - `incident_detail.rs`: the open incident, its actions and timeline.
//! - `incident_list.rs`: the open incidents in the map view, refreshed as the map moves and on
//!   a timer.
//! - `on_map.rs`: map clicks pick the location; the overlay (grid, cameras, point, incident).
//! - `state.rs`: this workspace's slice of the app store; `location.rs`, `list.rs`: pure logic;
//!   `i18n.rs`: its text.

use citygrid_api::{allows, Action, Role};

pub mod i18n;
mod incident_detail;
mod incident_list;
pub mod list;
pub mod location;
mod on_map;
mod panel;
mod register_form;
mod route_card;
pub mod state;

pub use i18n::DispatchKey;
pub use panel::DispatchPanel;
pub use state::{DispatchAction, DispatchDraft, DispatchState};

/// Who sees the Dispatch tools: the roles that may read incidents (the backend's matrix).
#[must_use]
pub fn may_dispatch(role: Role) -> bool {
    allows(role, Action::IncidentsRead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planners_do_not_dispatch() {
        assert!(!may_dispatch(Role::Planner));
        for r in [Role::Dispatcher, Role::Leader, Role::Admin] {
            assert!(may_dispatch(r), "{r:?}");
        }
    }
}
