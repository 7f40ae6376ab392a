//! Camera coverage: what the cameras see of the buildings per unit, blind spots, what-if
//! figures, placement suggestions, and the camera register.

use serde::{Deserialize, Serialize};

use crate::{AdminLevel, CameraInfo, FeatureCollection};

/// Camera kinds (`cameras.kind`).
pub const CAMERA_KINDS: [&str; 5] = ["dome", "bullet", "face", "anpr", "panoramic"];
/// Camera owners (`cameras.owner`).
pub const CAMERA_OWNERS: [&str; 4] = ["public_security", "urban_management", "transport", "community"];
/// Camera statuses (`cameras.status`). Only `online` cameras see; `planned` ones (not installed
/// yet) count in what-if figures only.
pub const CAMERA_STATUSES: [&str; 4] = ["online", "offline", "maintenance", "planned"];

/// Cameras by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraCounts {
    pub online: i64,
    pub offline: i64,
    pub maintenance: i64,
    pub planned: i64,
}

/// Buildings and residents, and how many of them are covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageFigures {
    pub buildings: i64,
    pub covered_buildings: i64,
    pub residents: i64,
    pub covered_residents: i64,
}

/// One unit of `GET /api/coverage/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitCoverage {
    pub code: String,
    pub name: String,
    pub level: AdminLevel,
    pub buildings: i64,
    pub covered_buildings: i64,
    pub residents: i64,
    pub covered_residents: i64,
    /// covered_residents / residents (null without residents).
    pub covered_residents_share: Option<f64>,
    pub cameras: CameraCounts,
    /// Total blind-spot area of the unit's grids (m²), as last computed.
    pub blind_spot_area_m2: f64,
    /// Grids of the unit whose blind spots are being recomputed after a change (their area above
    /// is the previous one).
    pub blind_spots_pending: i64,
}

/// `GET /api/coverage/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageSummary {
    pub level: AdminLevel,
    /// The unit the summary is limited to, if any.
    pub code: Option<String>,
    pub occlusion: bool,
    /// The share of a footprint one camera must see for the building to be covered.
    pub min_share: f64,
    pub units: Vec<UnitCoverage>,
    /// True when `limit` cut the list.
    pub truncated: bool,
}

/// `properties` of a blind-spot Feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlindSpotProperties {
    pub area_m2: f64,
}

/// `GET /api/coverage/grids/{code}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridCoverage {
    pub code: String,
    pub name: String,
    pub buildings: i64,
    pub covered_buildings: i64,
    pub residents: i64,
    pub covered_residents: i64,
    pub cameras: CameraCounts,
    pub occlusion: bool,
    pub min_share: f64,
    pub blind_spot_area_m2: f64,
    /// One Feature per blind-spot polygon (populated area no camera sees).
    pub blind_spots: FeatureCollection<BlindSpotProperties>,
}

/// A field of view, for what-if changes and suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhatIfChange {
    /// An existing camera to move or re-aim; absent: a new camera.
    pub id: Option<i64>,
    pub lon: f64,
    pub lat: f64,
    /// Degrees clockwise from north, `0 ≤ h < 360`.
    pub heading_deg: f64,
    /// `0 < fov ≤ 360`.
    pub fov_deg: f64,
    /// `0 < range ≤ 1000` metres.
    pub range_m: f64,
}

/// `POST /api/coverage/what-if`: figures as if the changes were applied; nothing is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhatIfRequest {
    /// A grid code; or use `area_code`.
    #[serde(default)]
    pub grid: Option<String>,
    /// A grid, village, township or county code.
    #[serde(default)]
    pub area_code: Option<String>,
    #[serde(default)]
    pub occlusion: bool,
    /// At most 50.
    pub changes: Vec<WhatIfChange>,
}

/// The answer of a what-if.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhatIfResult {
    pub area_code: String,
    pub occlusion: bool,
    pub min_share: f64,
    /// Real coverage: online cameras.
    pub current: CoverageFigures,
    /// Online and planned cameras, before the changes.
    pub baseline: CoverageFigures,
    /// Online and planned cameras, after the changes.
    pub after: CoverageFigures,
    /// Ids of the area's buildings covered after the changes but not before (baseline).
    pub newly_covered: Vec<i64>,
    /// Ids of the area's buildings covered before the changes but not after.
    pub no_longer_covered: Vec<i64>,
}

/// `POST /api/cameras`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraCreate {
    /// Unique, 1–40 letters, digits, `-` or `_`.
    pub code: String,
    /// One of [`CAMERA_KINDS`].
    pub kind: String,
    /// One of [`CAMERA_OWNERS`].
    pub owner: String,
    pub lon: f64,
    pub lat: f64,
    pub heading_deg: f64,
    pub fov_deg: f64,
    pub range_m: f64,
    /// One of [`CAMERA_STATUSES`].
    pub status: String,
    /// `YYYY-MM-DD`; for a planned camera the intended date. Default: today.
    #[serde(default)]
    pub installed_on: Option<String>,
}

/// `PATCH /api/cameras/{id}`: any of the fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraPatch {
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub heading_deg: Option<f64>,
    #[serde(default)]
    pub fov_deg: Option<f64>,
    #[serde(default)]
    pub range_m: Option<f64>,
    #[serde(default)]
    pub status: Option<String>,
}

/// What a camera edit changed in the coverage (without occlusion).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageEffect {
    /// Buildings that became covered.
    pub newly_covered: i64,
    /// Buildings that are no longer covered.
    pub no_longer_covered: i64,
    /// Grids whose coverage or blind spots the edit touched.
    pub grids: Vec<String>,
}

/// The answer of `POST /api/cameras` and `PATCH /api/cameras/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraSaved {
    pub camera: CameraInfo,
    pub coverage: CoverageEffect,
}

/// The answer of `DELETE /api/cameras/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraDeleted {
    pub id: i64,
    pub coverage: CoverageEffect,
}

/// The camera type of a suggestion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestCamera {
    /// Default: the median FOV of the most common installed kind.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0, maximum = 360))]
    pub fov_deg: Option<f64>,
    /// Default: the median range of the most common installed kind.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(exclusive_minimum = 0, maximum = 1000))]
    pub range_m: Option<f64>,
}

/// `POST /api/coverage/suggest`: where k new cameras would newly cover the most residents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestRequest {
    /// A grid, village or township code (one that does not exist is 404).
    #[cfg_attr(feature = "openapi", schema(pattern = "^([0-9]{9}|[0-9]{12}|[0-9]{15})$"))]
    pub area_code: String,
    /// 1–50 cameras.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub k: i64,
    #[serde(default)]
    pub camera: Option<SuggestCamera>,
    /// No two sites closer than this (metres, default 30; 0 allows several cameras on one pole).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000))]
    pub min_spacing_m: Option<f64>,
    #[serde(default)]
    pub occlusion: bool,
}

/// One suggested site, in pick order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestedSite {
    pub lon: f64,
    pub lat: f64,
    pub heading_deg: f64,
    pub fov_deg: f64,
    pub range_m: f64,
    /// Residents this site newly covers, given the sites picked before it.
    pub gain_residents: i64,
    pub gain_buildings: i64,
}

/// The answer of `POST /api/coverage/suggest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestResult {
    pub area_code: String,
    /// The camera kind the sites are for (the most common installed one unless FOV and range
    /// were both given, then derived from the FOV).
    pub kind: String,
    pub fov_deg: f64,
    pub range_m: f64,
    pub min_spacing_m: f64,
    pub occlusion: bool,
    /// Sites in pick order; fewer than k when more would gain nothing.
    pub sites: Vec<SuggestedSite>,
    /// Positions and position × heading candidates considered.
    pub positions: i64,
    pub candidates: i64,
    pub residents: i64,
    pub covered_residents_before: i64,
    pub covered_residents_after: i64,
}

/// A site to add as a planned camera.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedSite {
    pub lon: f64,
    pub lat: f64,
    pub heading_deg: f64,
    pub fov_deg: f64,
    pub range_m: f64,
}

/// `POST /api/cameras/planned`: suggested sites become `planned` cameras, in one transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedCamerasRequest {
    /// One of [`CAMERA_KINDS`].
    pub kind: String,
    /// 1–50 sites.
    pub sites: Vec<PlannedSite>,
}

/// The answer of `POST /api/cameras/planned`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedCameras {
    /// The new cameras' ids, in the order of the sites.
    pub ids: Vec<i64>,
    /// Their codes (`PLAN-<id>`).
    pub codes: Vec<String>,
}

/// The colours of the coverage layers in the backend's style (in `citygrid-api` so that a
/// client's legend can use the same ones).
pub mod symbols {
    /// Per-grid share of covered residents: `(from, colour)` steps, lowest first (RdYlGn).
    pub const SHARE_RAMP: [(f64, &str); 5] =
        [(0.0, "#d7191c"), (0.2, "#fdae61"), (0.4, "#ffffbf"), (0.6, "#a6d96a"), (0.8, "#1a9641")];
    /// A grid without residents.
    pub const NO_RESIDENTS: &str = crate::symbology::NO_VALUE;
    /// Buildings seen enough by one camera, and not.
    pub const COVERED: &str = "#1a9641";
    pub const UNCOVERED: &str = "#d7191c";
    /// Sector outlines and fills by camera status (online ones filled, the others dashed
    /// outlines: they do not see).
    pub const SECTOR_STATUS: [(&str, &str); 4] =
        [("online", "#1f78b4"), ("offline", "#4d4d4d"), ("maintenance", "#e69a28"), ("planned", "#7b3294")];
    /// Fill opacity of an online sector (planned ones get half).
    pub const SECTOR_OPACITY: f64 = 0.18;
    /// The Coverage page's overlay: a grid's blind spots, suggested sites (numbered in pick
    /// order) and the selected camera's field of view.
    pub const BLIND_SPOT: &str = "#c51b7d";
    pub const SITE: &str = "#ff5a00";
    pub const SELECTED_CAMERA: &str = crate::symbology::HIGHLIGHT;
}
