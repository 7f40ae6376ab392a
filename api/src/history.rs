//! Boundary history as it concerns other records: the grid version an incident was routed to.

use serde::{Deserialize, Serialize};

/// The grid an incident was routed to — at registration, or by the last plan that moved it —
/// as that grid's boundary was then, and the grid holding its point now if that has changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentGrid {
    /// The incident's `grid_code` (kept when the incident closes: closed incidents are never
    /// re-routed).
    pub code: String,
    /// The version of that grid's boundary the incident was routed into.
    pub version: i32,
    /// When that version was valid: from …
    pub valid_from: String,
    /// … until (absent: it is still the current boundary).
    pub valid_to: Option<String>,
    /// When the incident was routed there: its report, or the `moved` event of the plan that
    /// last moved it.
    pub routed_at: String,
    /// The plan that last moved the incident, if one did.
    pub moved_by_plan: Option<i64>,
    /// The grid whose current boundary holds the incident's point (point → grid rule), when it
    /// is not that version: the boundary was redrawn or the grid merged away since. Absent when
    /// nothing changed, or when the point now lies outside every grid.
    pub current: Option<CurrentGrid>,
}

/// A current grid: code, name and boundary version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentGrid {
    pub code: String,
    pub name: String,
    pub version: i32,
}
