//! The Coverage workspace (覆盖): what the cameras see, where the blind spots are, and where new
//! cameras would cover the most residents.
//!
//! - `panel.rs`: the layout, nothing else.
//! - `on_map.rs`: the style's coverage layers (sectors by status, covered buildings, the
//!   per-grid choropleth) and the overlay (blind spots, suggested sites, the selected camera).
//! - `ranking.rs`: the worst-covered grids of the view or of the selected unit.
//! - `grid_card.rs`: the selected grid's figures, without and with occlusion.
//! - `suggest.rs`: "suggest k cameras here" and adding the sites as planned cameras.
//! - `camera_card.rs`: the selected camera, its what-if figures while dragged, undo.
//! - `state.rs`: this workspace's slice of the app store; `figures.rs`: pure formatting;
//!   `i18n.rs`: its text.

use citygrid_api::{allows, Action, Role};

mod camera_card;
pub mod figures;
mod grid_card;
pub mod i18n;
mod on_map;
mod panel;
mod ranking;
pub mod state;
mod suggest;

pub use i18n::CoverageKey;
pub use panel::CoveragePanel;
pub use state::{CoverageAction, CoverageState};

/// Who sees the Coverage page: the roles that may read coverage (the backend's matrix).
#[must_use]
pub fn may_read_coverage(role: Role) -> bool {
    allows(role, Action::CoverageRead)
}

/// Who may add or change cameras (leaders read only).
#[must_use]
pub fn may_edit_cameras(role: Role) -> bool {
    allows(role, Action::CamerasEdit)
}

/// The code of the area a suggestion can be asked for: a grid, village or township (not a
/// county: too many candidates).
#[must_use]
pub fn suggest_area(selection: Option<&crate::state::Selection>) -> Option<String> {
    use crate::state::Selection;
    match selection? {
        Selection::Grid(c) => Some(c.clone()),
        Selection::Unit(c) if c.len() == 9 || c.len() == 12 => Some(c.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Selection;

    #[test]
    fn roles() {
        assert!(!may_read_coverage(Role::Dispatcher));
        for r in [Role::Planner, Role::Leader, Role::Admin] {
            assert!(may_read_coverage(r), "{r:?}");
        }
        assert!(!may_edit_cameras(Role::Leader));
        assert!(may_edit_cameras(Role::Planner));
    }

    #[test]
    fn suggestions_for_grids_villages_and_townships() {
        assert_eq!(suggest_area(Some(&Selection::Grid("320812001001001".into()))).as_deref(), Some("320812001001001"));
        assert_eq!(suggest_area(Some(&Selection::Unit("320812001001".into()))).as_deref(), Some("320812001001"));
        assert_eq!(suggest_area(Some(&Selection::Unit("320812001".into()))).as_deref(), Some("320812001"));
        assert_eq!(suggest_area(Some(&Selection::Unit("320812".into()))), None);
        assert_eq!(suggest_area(Some(&Selection::Camera(3))), None);
        assert_eq!(suggest_area(None), None);
    }
}
