//! Who may do what: the role × action matrix, the one table the backend's `Authorized`
//! extractor enforces and the client reads to show or hide controls.
//!
//! Every route names one [`Action`] (or only asks for a login). Adding an action is one line in
//! the [`actions!`] table below: its wire name, the roles it admits, and what it is for. The
//! table is printed in `ARCHITECTURE.md` (a test keeps the two equal).
//!
//! Roles say *what* a user may do; the user's county (`User::county_code`) says *where*: the
//! backend limits every read and write of a county-scoped user to that county, whatever the
//! action.

use serde::{Deserialize, Serialize};

use crate::Role;

/// A route's requirement: an action from the matrix, or only a login.
pub trait Policy: Send + Sync + 'static {
    /// `None`: any logged-in user.
    const ACTION: Option<Action>;
}

macro_rules! actions {
    ($($(#[$doc:meta])* $name:ident = $wire:literal, [$($role:ident),*], $what:literal;)*) => {
        /// Something a user may be allowed to do; see the module docs for the matrix.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Action {
            $($(#[$doc])* #[serde(rename = $wire)] $name,)*
        }

        impl Action {
            /// Every action, in table order.
            pub const ALL: &'static [Action] = &[$(Action::$name),*];

            /// The roles that may take this action.
            #[must_use]
            pub const fn roles(self) -> &'static [Role] {
                match self {
                    $(Action::$name => &[$(Role::$role),*],)*
                }
            }

            /// The wire name, such as `incidents.write`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Action::$name => $wire,)*
                }
            }

            /// What the action is for, in an error message ("role planner may not …").
            #[must_use]
            pub const fn what(self) -> &'static str {
                match self {
                    $(Action::$name => $what,)*
                }
            }
        }

        /// One marker type per action, for the backend's `Authorized<P>` extractor
        /// (`Authorized<can::IncidentsWrite>`), plus [`can::AnyUser`] for routes that only need a
        /// login.
        pub mod can {
            /// Any logged-in user, whatever the role.
            #[derive(Debug)]
            pub struct AnyUser;
            impl super::Policy for AnyUser {
                const ACTION: Option<super::Action> = None;
            }
            $(
                $(#[$doc])*
                #[derive(Debug)]
                pub struct $name;
                impl super::Policy for $name {
                    const ACTION: Option<super::Action> = Some(super::Action::$name);
                }
            )*
        }
    };
}

actions! {
    /// The base map and the inspector: grids, administrative units, buildings, cameras, search.
    MapRead = "map.read", [Admin, Planner, Dispatcher, Leader], "the map";
    /// Incidents: lists, details, the incidents layer, routing a location, the SLA table.
    IncidentsRead = "incidents.read", [Admin, Dispatcher, Leader], "reading incidents";
    /// Registering incidents and moving them through their state machine.
    IncidentsWrite = "incidents.write", [Admin, Dispatcher], "registering and handling incidents";
    /// Boundary plans (drafts, previews, history).
    PlansRead = "plans.read", [Admin, Planner, Leader], "reading boundary plans";
    /// Drafting and committing boundary plans.
    PlansWrite = "plans.write", [Admin, Planner], "editing grid boundaries";
    /// Camera coverage figures, blind spots and placement suggestions.
    CoverageRead = "coverage.read", [Admin, Planner, Leader], "reading camera coverage";
    /// Adding, moving and removing cameras.
    CamerasEdit = "cameras.edit", [Admin, Planner], "editing cameras";
    /// Statistics, heatmaps, trends and early warnings.
    StatisticsRead = "statistics.read", [Admin, Leader], "statistics";
    /// Accounts: list, create, disable, reset passwords.
    UsersAdmin = "users.admin", [Admin], "administering users";
    /// Changing the escalation SLA table.
    SlaAdmin = "sla.admin", [Admin], "changing the escalation SLA";
}

/// The schema: the wire names, and the matrix as its description.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Action {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Action::ALL.iter().map(|a| a.as_str())))
            .description(Some(format!(
                "An action of the role × action matrix: which role may take it.\n\n{}",
                Action::markdown_table()
            )))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Action {}

/// May `role` take `action`? The one question every check asks.
#[must_use]
pub fn allows(role: Role, action: Action) -> bool {
    action.roles().contains(&role)
}

impl Action {
    /// Parses the wire name; `None` for anything else.
    #[must_use]
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.as_str() == s)
    }

    /// The matrix as a Markdown table (one row per action, one column per role), as printed in
    /// `ARCHITECTURE.md`.
    #[must_use]
    pub fn markdown_table() -> String {
        let mut out = String::from("| action |");
        for role in Role::ALL {
            out.push(' ');
            out.push_str(role.as_str());
            out.push_str(" |");
        }
        out.push_str(" for |\n| --- |");
        for _ in Role::ALL {
            out.push_str(" :-: |");
        }
        out.push_str(" --- |\n");
        for action in Action::ALL {
            out.push_str("| `");
            out.push_str(action.as_str());
            out.push_str("` |");
            for role in Role::ALL {
                out.push_str(if allows(role, *action) { " ✓ |" } else { " |" });
            }
            out.push(' ');
            out.push_str(action.what());
            out.push_str(" |\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(*a));
            assert_eq!(serde_json::to_value(a).expect("json"), serde_json::json!(a.as_str()));
        }
        assert_eq!(Action::parse("incidents"), None);
    }

    /// The intent of the issue, spelled out independently of the table.
    #[test]
    fn the_matrix_says_what_the_roles_are_for() {
        use Role::{Admin, Dispatcher, Leader, Planner};
        // Administrators may do everything.
        assert!(Action::ALL.iter().all(|a| allows(Admin, *a)));
        // Everyone reads the map.
        assert!(Role::ALL.iter().all(|r| allows(*r, Action::MapRead)));
        // Dispatchers read and write incidents, and nothing of planning, coverage or statistics.
        assert!(allows(Dispatcher, Action::IncidentsRead) && allows(Dispatcher, Action::IncidentsWrite));
        for a in [Action::PlansWrite, Action::CamerasEdit, Action::CoverageRead, Action::StatisticsRead] {
            assert!(!allows(Dispatcher, a), "{a:?}");
        }
        // Planners read spatial things and edit boundaries and cameras, not incidents.
        for a in [Action::PlansRead, Action::PlansWrite, Action::CoverageRead, Action::CamerasEdit] {
            assert!(allows(Planner, a), "{a:?}");
        }
        assert!(!allows(Planner, Action::IncidentsWrite));
        // Leaders read everything and write nothing operational.
        for a in [Action::IncidentsRead, Action::PlansRead, Action::CoverageRead, Action::StatisticsRead] {
            assert!(allows(Leader, a), "{a:?}");
        }
        for a in [Action::IncidentsWrite, Action::PlansWrite, Action::CamerasEdit] {
            assert!(!allows(Leader, a), "{a:?}");
        }
        // Only administrators administer.
        for r in [Planner, Dispatcher, Leader] {
            assert!(!allows(r, Action::UsersAdmin) && !allows(r, Action::SlaAdmin));
        }
    }

    #[test]
    fn markers_name_their_action() {
        assert_eq!(<can::IncidentsWrite as Policy>::ACTION, Some(Action::IncidentsWrite));
        assert_eq!(<can::AnyUser as Policy>::ACTION, None);
    }

    #[test]
    fn the_table_has_a_row_per_action() {
        let table = Action::markdown_table();
        assert_eq!(table.lines().count(), 2 + Action::ALL.len());
        assert!(table.contains("| `incidents.write` | ✓ | | ✓ | | registering and handling incidents |"), "{table}");
    }
}
