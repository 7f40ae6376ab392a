//! The four workspaces around the shared map: Dispatch 调度, Planning 规划, Coverage 覆盖 and
//! Command 指挥. Each is a folder that owns its panel (`<Name>Panel`, shown by
//! [`crate::components::tab_panel`]), its slice of the app state (`state.rs`, kept across tab
//! switches), its interface text (`i18n.rs`) and its components; its map drawings live in
//! `crate::map::layers::<name>`.

use yew::Properties;

use crate::map::MapHandle;

pub mod command;
pub mod coverage;
pub mod dispatch;
pub mod planning;

/// What every workspace panel receives.
#[derive(Properties, PartialEq)]
pub struct WorkspaceProps {
    /// The shared map, once it exists.
    pub map: Option<MapHandle>,
}
