//! The Planning workspace (规划): select a grid and weigh its workload against the village,
//! redraw it (split by a line, merge with adjacent grids, move the edge it shares with a
//! neighbour), preview the consequences, commit or discard; after a conflict, redo the edit on
//! the current boundaries; assign its workers.
//!
//! - `panel.rs`: the layout, nothing else.
//! - `grid_card.rs`: the selected grid's workload against the village average, its workers and
//!   neighbours (`GET /api/grids/{code}/workload`).
//! - `edge.rs`: the shared edge being edited (read from the two boundaries, its vertices moved,
//!   added, removed and undone) and the snap to the grids around.
//! - `edit.rs`: the split, merge and edge tools, the preview (`POST /api/plans`) with its diff
//!   table, commit and discard, refusals and conflicts as translated sentences.
//! - `history.rs`: the grid's versions (date, author, plan note), "view as of" a date, and the
//!   plan to revert (previewed reversed in the edit card).
//! - `on_map.rs`: map clicks (select, shift-click to merge, split vertices), the keyboard
//!   (Enter, Esc, Ctrl+Z) and the overlay.
//! - `workers.rs`: the grid's workers, reordered, removed and added by editors
//!   (`PUT /api/grids/{code}/workers`).
//! - `state.rs`: this workspace's slice of the app store; `i18n.rs`: its text.
//!
//! Who sees what follows the backend's matrix: `plans.read` sees the page, `plans.write` also
//! the edit tools (leaders read only; the tools are not rendered for them).

use citygrid_api::{allows, Action, Role};

mod edge;
mod edit;
mod grid_card;
mod history;
pub mod i18n;
mod on_map;
mod panel;
pub mod state;
mod workers;

pub use i18n::PlanningKey;
pub use panel::PlanningPanel;
pub use state::{PlanningAction, PlanningState};

/// Who sees the Planning page: the roles that may read plans.
#[must_use]
pub fn may_read(role: Role) -> bool {
    allows(role, Action::PlansRead)
}

/// Who sees the edit tools: the roles that may change grid boundaries.
#[must_use]
pub fn may_edit(role: Role) -> bool {
    allows(role, Action::PlansWrite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaders_read_planners_and_admins_edit() {
        assert!(may_read(Role::Leader) && !may_edit(Role::Leader));
        for r in [Role::Planner, Role::Admin] {
            assert!(may_read(r) && may_edit(r), "{r:?}");
        }
        assert!(!may_read(Role::Dispatcher));
    }
}
