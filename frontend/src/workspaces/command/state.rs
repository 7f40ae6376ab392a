//! The Command workspace's slice of the app state ([`crate::state::Workspaces`]): kept across tab
//! switches, reset at logout. Empty until the workspace has tools.

/// What the Command workspace is working on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandState {}

/// A change to [`CommandState`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandAction {}

impl CommandState {
    /// The reducer of this slice.
    pub fn apply(&mut self, action: CommandAction) {
        match action {}
    }
}
