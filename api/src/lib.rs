//! CityGrid's API vocabulary: every JSON body the backend accepts or returns.
//!
//! Both the axum backend and the Yew client depend on this crate, so the two cannot drift.
//! It depends on serde only (plus `utoipa` behind the `openapi` feature, which only the
//! backend turns on to publish `/api/openapi.json`). Coordinates are WGS84 longitude/latitude;
//! geometries are RFC 7946 GeoJSON objects kept as [`serde_json::Value`].

use serde::{Deserialize, Serialize};

pub mod access;
mod catalogue;
mod coverage;
mod dispatch;
mod error;
mod history;
pub mod limits;
mod planning;
mod stats;
pub mod symbology;
mod tiles;
mod users;
pub use access::{allows, Action};
pub use catalogue::{Category, CategoryKind, Source, CATEGORIES, SOURCES};
pub use coverage::*;
pub use dispatch::*;
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use history::{CurrentGrid, IncidentGrid};
pub use planning::*;
pub use stats::*;
pub use tiles::{LayerVersion, LayerVersions};
pub use users::{PasswordReset, UpdateUserRequest};

/// A user's role; what each role may do is the matrix in [`access`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users and reference tables; may do everything.
    Admin,
    /// Redraws grid boundaries.
    Planner,
    /// Routes incidents and follows them up.
    Dispatcher,
    /// Views statistics, heatmaps and early warnings.
    Leader,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Planner, Role::Dispatcher, Role::Leader];
    /// Roles that read incidents.
    #[deprecated(
        note = "name the action: `citygrid_api::allows(role, Action::IncidentsRead)` or `Action::IncidentsWrite`"
    )]
    pub const DISPATCH: &'static [Role] = Action::IncidentsRead.roles();
    /// Roles that redraw grid boundaries.
    #[deprecated(note = "name the action: `citygrid_api::allows(role, Action::PlansWrite)`")]
    pub const PLANNING: &'static [Role] = Action::PlansWrite.roles();
    /// Roles that see statistics and early warning.
    #[deprecated(note = "name the action: `citygrid_api::allows(role, Action::StatisticsRead)`")]
    pub const COMMAND: &'static [Role] = Action::StatisticsRead.roles();

    /// The role's name as stored in the database and sent over the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Dispatcher => "dispatcher",
            Role::Leader => "leader",
        }
    }

    /// Parses the wire name; `None` for anything else.
    #[must_use]
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1024))]
    pub password: String,
}

/// A bearer token for the `Authorization` header, and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    /// RFC 3339 time after which the token is refused.
    pub expires_at: String,
    pub user: User,
}

/// A CityGrid account as others see it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// A user scoped to one county sees and edits only that county (6-digit code).
    pub county_code: Option<String>,
    /// A disabled account cannot log in (administrators see it in the user list).
    #[serde(default)]
    pub disabled: bool,
}

/// `POST /api/users` (admin only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUserRequest {
    /// 2–32 characters: lower-case letters, digits, `_`, `.`, `-`, starting with a letter.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z][a-z0-9_.-]{1,31}$"))]
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 1024))]
    pub password: String,
    /// Not blank (422 `invalid_value` otherwise).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub display_name: String,
    pub role: Role,
    /// An existing county (422 `invalid_value` otherwise); `null`: city-wide.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9]{6}$"))]
    pub county_code: Option<String>,
}

/// `GET /api/health` (liveness) and `GET /api/ready` (readiness).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `/api/health`: `ok` whenever the backend answers. `/api/ready`: `ready` (200) when
    /// PostgreSQL and martin both answer, else `unavailable` (503).
    pub status: String,
    /// `ok` or `down`.
    pub db: String,
    /// `ok` or `down`.
    pub martin: String,
}

/// An RFC 7946 Feature whose `id` is a statistical code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Feature<P> {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    /// A GeoJSON geometry, WGS84, counter-clockwise exterior rings.
    pub geometry: serde_json::Value,
    pub properties: P,
}

/// An RFC 7946 FeatureCollection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeatureCollection<P> {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    pub features: Vec<Feature<P>>,
    /// True when `limit` cut the result: zoom in or page with a smaller bbox.
    pub truncated: bool,
}

/// The grid worker responsible for a grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridWorker {
    pub employee_no: String,
    pub name: String,
    pub phone: String,
}

/// `properties` of a grid Feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridProperties {
    /// 15 digits: the village code and three more.
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub village_name: String,
    pub township_code: String,
    pub township_name: String,
    pub county_code: String,
    pub county_name: String,
    /// Workers on duty in the grid, the responsible one first (asked `as_of` a past version:
    /// empty, as worker assignments keep no history).
    pub grid_workers: Vec<GridWorker>,
    pub households: i64,
    pub residents: i64,
    pub building_count: i64,
    pub camera_count: i64,
    /// Area in square metres (computed on the ellipsoid).
    pub area_m2: f64,
    /// The boundary version; bumped by every boundary edit.
    pub version: i32,
    /// When this version took effect, and when it stopped (`None` while current).
    pub valid_from: String,
    pub valid_to: Option<String>,
}

/// The level of an administrative unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdminLevel {
    City,
    County,
    Township,
    Village,
    Grid,
}

/// A unit named by code, as it appears in parent chains and child lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUnitRef {
    pub code: String,
    pub level: AdminLevel,
    pub name: String,
}

/// `GET /api/admin-units/{code}`: the unit, its parents (city first) and its children's codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUnit {
    pub code: String,
    pub level: AdminLevel,
    pub name: String,
    pub name_en: Option<String>,
    /// The command centre responsible at this level, for escalation.
    pub centre: Option<String>,
    pub area_m2: f64,
    /// From the city down to the direct parent.
    pub parents: Vec<AdminUnitRef>,
    /// Direct children: counties, townships, villages or grids.
    pub children: Vec<String>,
    /// `[lon, lat]` where a label for the unit belongs.
    pub label_point: [f64; 2],
}

/// One answer of `GET /api/search?q=`: a grid or an administrative unit whose code or name
/// matches, with where to fly to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    pub level: AdminLevel,
    pub code: String,
    pub name: String,
    /// The parent's name, to tell apart units with the same name.
    pub parent_name: Option<String>,
    /// `[minLon, minLat, maxLon, maxLat]`.
    pub bbox: [f64; 4],
}

/// `GET /api/buildings/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildingInfo {
    pub id: i64,
    /// `residential`, `commercial`, `industrial`, `public`, `school`, `hospital`, `rural_house`.
    pub kind: String,
    pub floors: i32,
    pub households: i32,
    pub residents: i32,
    pub footprint_m2: f64,
    pub grid_code: String,
    /// City first, down to the grid.
    pub chain: Vec<AdminUnitRef>,
}

/// `GET /api/cameras/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraInfo {
    pub id: i64,
    pub code: String,
    /// `dome`, `bullet`, `face`, `anpr`, `panoramic`.
    pub kind: String,
    pub owner: String,
    /// `online`, `offline`, `maintenance`, `planned` (not installed yet).
    pub status: String,
    pub heading_deg: f64,
    pub fov_deg: f64,
    pub range_m: f64,
    pub installed_on: String,
    pub lon: f64,
    pub lat: f64,
    pub grid_code: String,
    /// City first, down to the grid.
    pub chain: Vec<AdminUnitRef>,
}

#[cfg(test)]
mod tests {
    /// ARCHITECTURE.md prints the matrix and the catalogue; they must not drift from the code.
    #[test]
    fn architecture_md_prints_the_tables() {
        let doc = include_str!("../../ARCHITECTURE.md");
        for (name, table) in
            [("Action", crate::Action::markdown_table()), ("ErrorCode", crate::ErrorCode::markdown_table())]
        {
            assert!(doc.contains(&table), "ARCHITECTURE.md must contain {name}::markdown_table():\n{table}");
        }
    }
}
