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
