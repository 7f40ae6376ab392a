//! The Planning workspace's slice of the app state ([`crate::state::Workspaces`]): kept across tab
//! switches, reset at logout. Empty until the workspace has tools.

/// What the Planning workspace is working on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanningState {}

/// A change to [`PlanningState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanningAction {}

impl PlanningState {
    /// The reducer of this slice.
    pub fn apply(&mut self, action: PlanningAction) {
        match action {}
    }
}
