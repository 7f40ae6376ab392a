//! Dispatch: routing a location to who is responsible, and following incidents until closed.

use serde::{Deserialize, Serialize};

use crate::{AdminLevel, GridWorker};

/// `POST /api/route`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteRequest {
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub lon: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub lat: f64,
    /// An incident category code such as `dispute.neighbor`; enables deadlines, duplicates and
    /// (for disputes) mediation. Unknown codes are 422 `unknown_category`.
    pub category: Option<String>,
    /// Priority 1 (most urgent) to 4, for the deadlines; default: the category's usual one.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 4))]
    pub priority: Option<i16>,
    /// Route against the partition valid at this instant: an RFC 3339 time, or a `YYYY-MM-DD`
    /// day in Asia/Shanghai (the end of that day). Default: now. For a past instant the grid
    /// (with its version then) and the escalation chain are those valid then, no grid worker is
    /// named (worker assignments keep no history), duplicates are incidents open now that were
    /// reported in the category's window before that instant, and cameras and mediation are
    /// today's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// The grid responsible for a point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridRef {
    pub code: String,
    pub name: String,
    pub version: i32,
}

/// One level of the escalation chain: "small matters stay in the village, big matters stay in
/// the township".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscalationStep {
    /// 0 grid, 1 village, 2 township, 3 county centre.
    pub step: i16,
    pub level: AdminLevel,
    pub code: String,
    pub name: String,
    /// Who answers at this level (the grid worker's name at level 0, the centre above).
    pub responsible: String,
    /// Hours this level has before the case escalates to the next (from the SLA table), when a
    /// category was given.
    pub deadline_hours: Option<f64>,
}

/// A camera relative to the routed point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraSight {
    pub id: i64,
    pub code: String,
    pub kind: String,
    pub status: String,
    pub lon: f64,
    pub lat: f64,
    pub heading_deg: f64,
    pub fov_deg: f64,
    pub range_m: f64,
    /// Metres from the camera to the point.
    pub distance_m: f64,
    /// Bearing from the camera to the point, degrees clockwise from north.
    pub bearing_deg: f64,
    /// True when the point lies inside the camera's field-of-view sector and the camera is
    /// online: only online cameras see.
    pub sees_point: bool,
}

/// An open incident that may be the same case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateCandidate {
    pub id: i64,
    pub category: String,
    pub status: String,
    pub reported_at: String,
    pub distance_m: f64,
}

/// A mediator who can take a dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediatorRef {
    pub id: i64,
    pub name: String,
    pub specialties: Vec<String>,
}

/// The nearest mediation room with mediators for the dispute's category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediationSuggestion {
    pub room_id: i64,
    pub room_name: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub distance_m: f64,
    pub mediators: Vec<MediatorRef>,
}

/// The answer of `POST /api/route`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteResult {
    pub lon: f64,
    pub lat: f64,
    pub grid: GridRef,
    /// The worker responsible for the grid.
    pub grid_worker: Option<GridWorker>,
    /// Grid, village, township, county centre.
    pub escalation: Vec<EscalationStep>,
    /// Online cameras whose field of view contains the point, nearest first. Only online
    /// cameras see: an offline, maintenance or planned camera never does.
    pub cameras_seeing: Vec<CameraSight>,
    /// Cameras whose field of view contains the point but that are not online (so they do not
    /// see it), nearest first.
    #[serde(default)]
    pub cameras_not_online: Vec<CameraSight>,
    /// When no camera sees the point: the nearest installed (not planned) cameras.
    pub nearest_cameras: Vec<CameraSight>,
    /// Open incidents of the same category nearby and recent.
    pub duplicates: Vec<DuplicateCandidate>,
    /// For disputes: where to mediate.
    pub mediation: Option<MediationSuggestion>,
}

/// `POST /api/route/batch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchRouteRequest {
    /// `[lon, lat]` pairs (longitude −180…180, latitude −90…90), at most 100,000.
    #[cfg_attr(feature = "openapi", schema(max_items = 100_000))]
    pub points: Vec<[f64; 2]>,
}

/// The grid of each point in input order (`null` outside the city).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchRouteResponse {
    pub grids: Vec<Option<String>>,
}

/// Details of the 422 for a point outside the city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutsideCity {
    pub nearest_grid: GridRef,
    pub distance_m: f64,
}

/// `POST /api/incidents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateIncidentRequest {
    #[cfg_attr(feature = "openapi", schema(minimum = -180, maximum = 180))]
    pub lon: f64,
    #[cfg_attr(feature = "openapi", schema(minimum = -90, maximum = 90))]
    pub lat: f64,
    /// A category code such as `citizen.infrastructure` (422 `unknown_category` otherwise).
    pub category: String,
    /// What happened, at most 4,000 characters, not blank (422 `invalid_value`).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 4000))]
    pub description: String,
    /// `hotline`, `patrol`, `wechat`, `video` or `walk_in` (422 `unknown_source` otherwise).
    pub source: String,
    /// 1 (most urgent) to 4; default: the category's usual priority.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 4))]
    pub priority: Option<i16>,
    /// RFC 3339; default: now. At most 5 minutes in the future (422 `invalid_value`).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub reported_at: Option<String>,
}

/// The answer of `POST /api/incidents`: the stored incident and where it was routed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentCreated {
    pub incident: Incident,
    pub routing: RouteResult,
}

/// One incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    pub id: i64,
    pub category: String,
    pub source: String,
    pub priority: i16,
    /// `new`, `assigned`, `accepted`, `in_progress`, `resolved`, `closed` or `duplicate`.
    pub status: String,
    /// Where responsibility sits: 0 grid, 1 village, 2 township, 3 county centre.
    pub escalation_level: i16,
    pub description: String,
    pub reported_at: String,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    /// The grid responsible when it was reported.
    pub grid_code: Option<String>,
    pub duplicate_of: Option<i64>,
    /// The assigned grid worker's employee number, and name.
    pub assignee: Option<String>,
    pub assignee_name: Option<String>,
    pub lon: f64,
    pub lat: f64,
    /// When the current level's time runs out (open incidents below the county level).
    pub step_deadline: Option<String>,
    /// True when `step_deadline` has passed.
    pub overdue: bool,
}

/// An incident with its history, for `GET /api/incidents/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentDetail {
    pub incident: Incident,
    /// Oldest first.
    pub timeline: Vec<IncidentEvent>,
    /// Actions the caller may take from the current state (none for roles that only read).
    pub allowed_actions: Vec<String>,
    /// The grid version the incident was routed to and, if it changed since, today's grid for
    /// its point (absent for an incident outside every grid).
    #[serde(default)]
    pub grid: Option<crate::IncidentGrid>,
}

/// One entry of an incident's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentEvent {
    pub at: String,
    /// Username, or `system` for automatic escalation.
    pub actor: String,
    /// The actor's display name (`None` for the system).
    pub actor_name: Option<String>,
    /// The grid worker whose step this is, recorded by the dispatcher on their behalf (accept,
    /// start: grid workers have no logins).
    pub on_behalf_of: Option<GridWorker>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub from_level: Option<i16>,
    pub to_level: i16,
    pub note: Option<String>,
}

/// A page of `GET /api/incidents`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentPage {
    pub items: Vec<Incident>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The grid worker's own steps (签收, 开始处置). Grid workers have no logins: a dispatcher
/// records them on the worker's behalf, and the event names both.
pub const WORKER_STEPS: [&str; 2] = ["accept", "start"];

/// The actions that need a note (办结: what was done; 关闭: how the case was checked); the map
/// client asks for it with a confirmation.
pub const NOTE_REQUIRED: [&str; 2] = ["resolve", "close"];

/// `POST /api/incidents/{id}/transitions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransitionRequest {
    /// `assign`, `accept`, `start`, `resolve`, `close`, `escalate`, `reopen` or `mark_duplicate`
    /// (422 `invalid_value` otherwise; 409 `transition_not_allowed` from the wrong state).
    /// `accept` and `start` are the grid worker's steps, recorded on their behalf.
    pub action: String,
    /// Required for `resolve` (what was done) and `close`.
    #[cfg_attr(feature = "openapi", schema(max_length = 4000))]
    pub note: Option<String>,
    /// Required for `mark_duplicate`.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub duplicate_of: Option<i64>,
}

/// One row of the escalation SLA table: how long `level` has for `category` at `priority`
/// before the case escalates to the next level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaEntry {
    pub category: String,
    pub priority: i16,
    /// 0 grid, 1 village, 2 township (the county centre does not escalate).
    pub level: i16,
    pub hours: f64,
}

/// `PUT /api/escalation-sla` (admin): new hours for one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaUpdate {
    pub category: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 4))]
    pub priority: i16,
    /// 0 grid, 1 village, 2 township.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 2))]
    pub level: i16,
    /// More than 0 and at most 8,760 (a year).
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0, maximum = 8760))]
    pub hours: f64,
}
