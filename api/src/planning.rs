//! Planning: boundary edits (plans) with their previewed consequences, grid workers, and the
//! partition check.
//!
//! A plan is drafted (`POST /api/plans`), which computes and stores its [`PlanDiff`], then
//! committed or discarded. Geometries are RFC 7946 GeoJSON on the 1e-7° lattice (7 decimals).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::GridWorker;

/// Every `details.reason` of a 422 refusing a plan (`partition_rule`, or `invalid_geometry`
/// for the last): which rule the edit or its result breaks. The client has a sentence for each.
pub const PLAN_REFUSAL_REASONS: [&str; 11] = [
    "outside_parent",
    "no_neighbour",
    "edge_leaves",
    "edge_ends",
    "split_line",
    "not_adjacent",
    "different_villages",
    "sliver",
    "multipolygon",
    "too_close",
    "invalid_geometry",
];

/// What a plan does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanOperation {
    /// A new boundary for one grid (`mode: boundary`), or a new line for the edge it shares with
    /// one neighbour (`mode: edge`).
    Reshape,
    /// A line across one grid cuts it in two.
    Split,
    /// Two or more adjacent grids of one village become one (the smallest code survives).
    Merge,
    /// Restores what an earlier plan changed (made by `POST /api/plans/{id}/revert`).
    Revert,
}

impl PlanOperation {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PlanOperation::Reshape => "reshape",
            PlanOperation::Split => "split",
            PlanOperation::Merge => "merge",
            PlanOperation::Revert => "revert",
        }
    }
}

/// How a reshape gives the new shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReshapeMode {
    /// `geometry` is the grid's new (Multi)Polygon.
    Boundary,
    /// `geometry` is a LineString replacing the edge shared with `neighbour`, same two ends.
    Edge,
}

/// Where a plan is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Draft,
    Committed,
    Discarded,
    /// Committed, then undone by a later revert plan.
    Reverted,
    /// Committed for a later instant (`effective_from`); nothing has changed yet.
    Scheduled,
    /// Scheduled, then refused when its time came (a grid moved meanwhile); `failure` says why.
    Failed,
}

impl PlanStatus {
    pub const ALL: [PlanStatus; 6] = [
        PlanStatus::Draft,
        PlanStatus::Committed,
        PlanStatus::Discarded,
        PlanStatus::Reverted,
        PlanStatus::Scheduled,
        PlanStatus::Failed,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Committed => "committed",
            PlanStatus::Discarded => "discarded",
            PlanStatus::Reverted => "reverted",
            PlanStatus::Scheduled => "scheduled",
            PlanStatus::Failed => "failed",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<PlanStatus> {
        PlanStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// `POST /api/plans`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatePlanRequest {
    pub operation: PlanOperation,
    /// For `reshape`.
    #[serde(default)]
    pub mode: Option<ReshapeMode>,
    /// The grid to reshape or split, or the grids to merge (15-digit codes).
    pub grids: Vec<String>,
    /// For `reshape` with `mode: edge`: the grid on the other side of the edge.
    #[serde(default)]
    pub neighbour: Option<String>,
    /// GeoJSON: the new (Multi)Polygon (`boundary`), the new edge or the split line (LineString).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geometry: Option<serde_json::Value>,
    /// The version of every grid the plan changes, as the planner saw it. A draft whose change
    /// reaches a grid not named here is refused with the full list (409).
    pub base_versions: BTreeMap<String, i32>,
    #[serde(default)]
    pub note: String,
    /// Accept results of more than one polygon.
    #[serde(default)]
    pub allow_multipolygon: bool,
}

/// One grid's figures on one side of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridFigures {
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geometry: serde_json::Value,
    pub area_m2: f64,
    pub buildings: i64,
    pub households: i64,
    pub residents: i64,
    pub cameras: i64,
    pub open_incidents: i64,
    /// Incidents reported in the last 90 days at places inside the grid.
    pub incidents_90d: i64,
    pub workers: i64,
    /// The figures divided by the workers; `None` when the grid has no worker.
    pub per_worker: Option<Workload>,
}

/// Workload of one grid worker.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workload {
    pub households: f64,
    pub residents: f64,
    pub incidents_90d: f64,
    pub buildings: f64,
}

/// How a grid is touched by a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GridChangeKind {
    /// The boundary changes.
    Reshaped,
    /// Only vertices are added where a new edge meets it (its area does not change).
    Noded,
    /// A new grid (split).
    Created,
    /// The grid retires (merge).
    Retired,
    /// The boundary comes back as it was (revert).
    Restored,
}

/// One affected grid, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridChange {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub change: GridChangeKind,
    /// The version the plan starts from (`None` for a new grid).
    pub base_version: Option<i32>,
    pub before: Option<GridFigures>,
    pub after: Option<GridFigures>,
}

/// Area that changes hands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AreaTransfer {
    pub from: String,
    pub to: String,
    pub area_m2: f64,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geometry: serde_json::Value,
}

/// A building, camera or incident that changes grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectMove {
    pub id: i64,
    pub from: String,
    pub to: String,
}

/// A grid's four-colour class changes (so that neighbours keep different fills).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColourChange {
    pub code: String,
    pub from: Option<i16>,
    pub to: i16,
}

/// The village average workload per worker, before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VillageAverage {
    pub village_code: String,
    pub village_name: String,
    pub before: Option<Workload>,
    pub after: Option<Workload>,
}

/// Everything a plan changes, computed when it is drafted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanDiff {
    pub grids: Vec<GridChange>,
    pub transfers: Vec<AreaTransfer>,
    pub buildings_moved: Vec<ObjectMove>,
    pub cameras_moved: Vec<ObjectMove>,
    pub incidents_moved: Vec<ObjectMove>,
    pub colour_changes: Vec<ColourChange>,
    /// Grids that will have no grid worker (a split-off grid starts without one).
    pub without_worker: Vec<String>,
    /// Administrative units whose boundary takes a new vertex where a new edge meets it (their
    /// shape moves by less than a centimetre there).
    pub noded_units: Vec<String>,
    pub village_average: VillageAverage,
}

/// A plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    pub id: i64,
    pub status: PlanStatus,
    pub operation: PlanOperation,
    pub mode: Option<ReshapeMode>,
    pub village_code: String,
    /// The grids the request named.
    pub grids: Vec<String>,
    pub neighbour: Option<String>,
    pub base_versions: BTreeMap<String, i32>,
    /// Every grid whose boundary or existence the plan changes.
    pub affected: Vec<String>,
    pub note: String,
    pub author: String,
    pub created_at: String,
    /// When it was committed or discarded, and by whom.
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    /// The plan this one reverts.
    pub reverts: Option<i64>,
    /// The plan that reverted this one.
    pub reverted_by: Option<i64>,
    /// When a scheduled plan takes (or took) effect (RFC 3339); `None` for an immediate commit.
    #[serde(default)]
    pub effective_from: Option<String>,
    /// Why a scheduled plan was refused at its time (status `failed`).
    #[serde(default)]
    pub failure: Option<String>,
    pub diff: PlanDiff,
}

/// A plan in a list (without its diff).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanSummary {
    pub id: i64,
    pub status: PlanStatus,
    pub operation: PlanOperation,
    pub mode: Option<ReshapeMode>,
    pub village_code: String,
    pub grids: Vec<String>,
    pub affected: Vec<String>,
    pub note: String,
    pub author: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub reverts: Option<i64>,
    pub reverted_by: Option<i64>,
    /// When a scheduled plan takes (or took) effect (RFC 3339).
    #[serde(default)]
    pub effective_from: Option<String>,
    /// Why a scheduled plan was refused at its time (status `failed`).
    #[serde(default)]
    pub failure: Option<String>,
}

/// `POST /api/plans/{id}/commit` (the body is optional): with `effective_from` (RFC 3339) later
/// than now, the plan is `scheduled` and takes effect then, at most one year ahead; a time up to
/// five minutes past (clock skew) commits at once, an earlier one is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitRequest {
    #[serde(default)]
    pub effective_from: Option<String>,
}

/// `GET /api/plans`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanList {
    pub items: Vec<PlanSummary>,
}

/// `PUT /api/grids/{code}/workers`: the grid's workers in order (the first is responsible).
/// A worker named by `employee_no` alone moves here from wherever they are; with `name` and
/// `phone` a new worker is registered. Workers of the grid left out become unassigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridWorkersUpdate {
    pub workers: Vec<WorkerAssignment>,
}

/// One entry of [`GridWorkersUpdate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerAssignment {
    pub employee_no: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// The answer of `PUT /api/grids/{code}/workers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridWorkers {
    pub code: String,
    pub workers: Vec<GridWorker>,
}

/// One problem found by the partition check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartitionIssue {
    /// `gap`, `overlap`, `outside_parent`, `unshared_vertex`, `invalid`, `sliver`.
    pub kind: String,
    pub grids: Vec<String>,
    pub village_code: Option<String>,
    pub area_m2: f64,
    pub width_m: Option<f64>,
    pub reason: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geometry: serde_json::Value,
}

/// `GET /api/partition/validate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartitionReport {
    /// `city`, `county`, `township` or `village`.
    pub scope: String,
    pub code: Option<String>,
    pub valid: bool,
    pub grids: usize,
    pub villages: usize,
    /// Grids made of more than one polygon (allowed in stored data, not in a plan's result).
    pub multipart_grids: usize,
    /// Issues per kind.
    pub counts: BTreeMap<String, usize>,
    pub issues: Vec<PartitionIssue>,
    /// Minimum width (m) and area (m²) every polygon of a grid must have.
    pub min_width_m: f64,
    pub min_area_m2: f64,
    pub elapsed_ms: f64,
}

/// One boundary version of a grid, valid from `valid_from` (inclusive) to `valid_to` (exclusive;
/// `None` while current).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridVersion {
    pub version: i32,
    pub valid_from: String,
    pub valid_to: Option<String>,
    /// The plan that made it (`None`: loaded with the dataset), its author and note.
    pub plan_id: Option<i64>,
    pub author: Option<String>,
    pub note: Option<String>,
    pub area_m2: f64,
    /// The boundary as a GeoJSON MultiPolygon.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geometry: serde_json::Value,
}

/// `GET /api/grids/{code}/history`: every version, oldest first (retired grids included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridHistory {
    pub code: String,
    pub name: String,
    /// When the grid was retired (merged away), if it was.
    pub retired_at: Option<String>,
    pub versions: Vec<GridVersion>,
}

/// A grid next to the one asked about (their boundaries touch), with the version the client
/// names in `base_versions` when a plan may change it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NeighbourGrid {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub version: i32,
    /// The boundary as a GeoJSON MultiPolygon.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geometry: serde_json::Value,
}

/// `GET /api/grids/{code}/workload`: what a planner weighs before redrawing a grid. Counts are
/// of what is assigned to the grid (buildings and incidents by their stored `grid_code`;
/// incidents of the last 90 days, duplicates included, as in a plan's diff), per worker against
/// the same figures over the whole village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridWorkload {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub village_name: String,
    /// The current boundary version.
    pub version: i32,
    pub area_m2: f64,
    pub buildings: i64,
    pub households: i64,
    pub residents: i64,
    pub cameras: i64,
    pub open_incidents: i64,
    pub incidents_90d: i64,
    /// On duty, the responsible one first.
    pub workers: Vec<GridWorker>,
    /// The figures divided by the workers; `None` when the grid has no worker.
    pub per_worker: Option<Workload>,
    /// The village's current grids.
    pub village_grids: i64,
    /// The village's figures divided by its workers; `None` when it has none.
    pub village_average: Option<Workload>,
    /// The grid's boundary (GeoJSON MultiPolygon).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geometry: serde_json::Value,
    /// The village outline (GeoJSON MultiPolygon).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub village_geometry: serde_json::Value,
    /// Current grids whose boundary touches this one (other villages' included), by code.
    pub neighbours: Vec<NeighbourGrid>,
}
