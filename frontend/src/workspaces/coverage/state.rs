//! The Coverage workspace's slice of the app state ([`crate::state::Workspaces`]): kept across tab
//! switches, reset at logout. Empty until the workspace has tools.

/// What the Coverage workspace is working on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoverageState {}

/// A change to [`CoverageState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoverageAction {}

impl CoverageState {
    /// The reducer of this slice.
    pub fn apply(&mut self, action: CoverageAction) {
        match action {}
    }
}
