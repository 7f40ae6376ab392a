//! `/api/coverage/*` (camera coverage, blind spots, what-if) and the camera register
//! (`POST /api/cameras`, `PATCH` / `DELETE /api/cameras/{id}`).

use axum::extract::State;
use axum::routing::{get, patch, post};
use axum::Router;
use citygrid_api::{
    AdminLevel, CameraCreate, CameraDeleted, CameraPatch, CameraSaved, CoverageEffect, CoverageFigures,
    CoverageSummary, ErrorCode, GridCoverage, PlannedCameras, PlannedCamerasRequest, SuggestRequest, SuggestResult,
    SuggestedSite, WhatIfRequest, WhatIfResult, CAMERA_KINDS,
};
use serde::Deserialize;

use super::auth::{Authorized, CamerasEdit, CoverageRead};
use super::extract::{parse_id, Json, Path, Query};
use super::{ApiError, ApiResult, AppState};
use crate::coverage::model::{Figures, Status};
use crate::coverage::register::{self, NewCamera, RegisterError};
use crate::coverage::report::{self, SummaryQuery, MAX_UNITS};
use crate::coverage::sector::Sector;
use crate::coverage::store::{self, Reconciled};
use crate::coverage::suggest::{SuggestQuery, MAX_POSITIONS};
use crate::coverage::{Change, WhatIfError, MAX_WHAT_IF_CHANGES};
use crate::grids::{BBox, GridCode};
use crate::scope::Scope;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/coverage/summary", get(summary))
        .route("/coverage/grids/{code}", get(grid))
        .route("/coverage/what-if", post(what_if))
        .route("/coverage/suggest", post(suggest))
        .route("/cameras", post(create))
        .route("/cameras/planned", post(add_planned))
        .route("/cameras/{id}", patch(update).delete(remove))
}

impl From<RegisterError> for ApiError {
    fn from(e: RegisterError) -> Self {
        let message = e.to_string();
        match e {
            RegisterError::Invalid { field, .. } => ApiError::new(ErrorCode::InvalidValue, message).field(field),
            RegisterError::NotFound(_) => ApiError::NotFound(message).field("id"),
            RegisterError::OutsideCity { field, .. } => ApiError::new(ErrorCode::OutsideCity, message).field(field),
            RegisterError::OutsideScope(e) => e.into(),
            RegisterError::CodeTaken(_) => ApiError::new(ErrorCode::Conflict, message).field("code"),
            RegisterError::Db(e) => ApiError::Internal(e),
        }
    }
}

fn effect(r: Reconciled) -> CoverageEffect {
    CoverageEffect { newly_covered: r.newly_covered, no_longer_covered: r.no_longer_covered, grids: r.grids }
}

fn figures(f: Figures) -> CoverageFigures {
    CoverageFigures {
        buildings: f.buildings,
        covered_buildings: f.covered_buildings,
        residents: f.residents,
        covered_residents: f.covered_residents,
    }
}

/// A unit or grid code (6, 9, 12 or 15 digits) in the caller's scope.
fn area_code(field: &str, code: &str, scope: &Scope) -> ApiResult<String> {
    if ![6, 9, 12, 15].contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(
            ErrorCode::InvalidValue,
            format!("{field} {code:?} must be a county, township, village or grid code (6, 9, 12 or 15 digits)"),
        )
        .field(field));
    }
    scope.check(code, || format!("area {code}")).map_err(|e| e.field(field))?;
    Ok(code.to_owned())
}

/// Query of `GET /api/coverage/summary`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// `county`, `township`, `village` or `grid`.
    #[param(pattern = "^(county|township|village|grid)$")]
    level: String,
    /// Only units under (or equal to) this unit or grid code.
    code: Option<String>,
    /// `minLon,minLat,maxLon,maxLat`: only units meeting this box.
    bbox: Option<String>,
    /// `code` (default) or `worst` (lowest covered-residents share first).
    #[param(pattern = "^(code|worst)$")]
    sort: Option<String>,
    /// At most this many units (default and cap 6,000).
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// Count only what cameras see past the footprints in front (default false).
    occlusion: Option<bool>,
}

/// Coverage per county, township, village or grid: buildings, residents, how many are covered,
/// cameras by status and blind-spot area.
#[utoipa::path(get, path = "/api/coverage/summary", tag = "coverage", security(("bearer" = [])), params(SummaryParams),
    responses((status = 200, body = CoverageSummary), (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    auth: Authorized<CoverageRead>,
    Query(p): Query<SummaryParams>,
) -> ApiResult<Json<CoverageSummary>> {
    let level = match p.level.as_str() {
        "county" => AdminLevel::County,
        "township" => AdminLevel::Township,
        "village" => AdminLevel::Village,
        "grid" => AdminLevel::Grid,
        other => {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("level {other:?} must be county, township, village or grid"),
            )
            .field("level"))
        }
    };
    let code = p.code.as_deref().map(|c| area_code("code", c, &auth.scope)).transpose()?;
    let bbox = p.bbox.as_deref().map(|b| BBox::parse(b).map_err(|e| super::extract::bbox_error(&e))).transpose()?;
    let worst_first = match p.sort.as_deref() {
        None | Some("code") => false,
        Some("worst") => true,
        Some(other) => {
            return Err(ApiError::new(ErrorCode::InvalidParameter, format!("sort {other:?} must be code or worst"))
                .field("sort"))
        }
    };
    let limit = match p.limit {
        None => MAX_UNITS,
        Some(n) if n < 1 => {
            return Err(
                ApiError::new(ErrorCode::InvalidParameter, format!("limit {n} must be at least 1")).field("limit")
            )
        }
        Some(n) => n.min(MAX_UNITS),
    };
    let q = SummaryQuery { level, code, bbox, occlusion: p.occlusion.unwrap_or(false), worst_first, limit };
    Ok(Json(report::summary(&state.pool, &auth.scope, &q, state.coverage.get().await?.min_share()).await?))
}

/// Query of `GET /api/coverage/grids/{code}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GridParams {
    /// Count only what cameras see past the footprints in front (default false).
    occlusion: Option<bool>,
}

/// One grid's coverage figures, cameras by status and blind spots (GeoJSON).
#[utoipa::path(get, path = "/api/coverage/grids/{code}", tag = "coverage", security(("bearer" = [])),
    params(("code" = String, Path, description = "15-digit grid code", pattern = "^[0-9]{15}$"), GridParams),
    responses((status = 200, body = GridCoverage), (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn grid(
    State(state): State<AppState>,
    auth: Authorized<CoverageRead>,
    Path(code): Path<String>,
    Query(p): Query<GridParams>,
) -> ApiResult<Json<GridCoverage>> {
    let code = GridCode::parse(&code).map_err(|e| ApiError::new(ErrorCode::InvalidParameter, e).field("code"))?;
    auth.scope.check(code.as_str(), || format!("grid {}", code.as_str())).map_err(|e| e.field("code"))?;
    report::grid(&state.pool, code.as_str(), p.occlusion.unwrap_or(false), state.coverage.get().await?.min_share())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no current grid with code {}", code.as_str())).field("code"))
}

/// Coverage of a grid or unit as if the cameras were moved, re-aimed or added; writes nothing.
#[utoipa::path(post, path = "/api/coverage/what-if", tag = "coverage", security(("bearer" = [])),
    request_body = WhatIfRequest,
    responses((status = 200, body = WhatIfResult), (status = 404, body = citygrid_api::ErrorBody),
              (status = 413, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn what_if(
    State(state): State<AppState>,
    auth: Authorized<CoverageRead>,
    Json(req): Json<WhatIfRequest>,
) -> ApiResult<Json<WhatIfResult>> {
    let area = match (&req.grid, &req.area_code) {
        (Some(g), None) => {
            GridCode::parse(g).map_err(|e| ApiError::new(ErrorCode::InvalidValue, e).field("grid"))?;
            area_code("grid", g, &auth.scope)?
        }
        (None, Some(a)) => area_code("area_code", a, &auth.scope)?,
        _ => return Err(ApiError::new(ErrorCode::InvalidValue, "give exactly one of grid and area_code").field("grid")),
    };
    if req.changes.len() > MAX_WHAT_IF_CHANGES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("changes: {} changes, at most {MAX_WHAT_IF_CHANGES}", req.changes.len()),
        )
        .field("changes"));
    }
    let mut changes = Vec::with_capacity(req.changes.len());
    for (i, c) in req.changes.iter().enumerate() {
        let prefix = format!("changes[{i}].");
        register::check_position(&prefix, c.lon, c.lat)?;
        register::check_view(&prefix, c.heading_deg, c.fov_deg, c.range_m)?;
        let grid = state.engine.locate_batch(&[[c.lon, c.lat]]).pop().flatten().ok_or_else(|| {
            ApiError::new(
                ErrorCode::OutsideCity,
                format!("{prefix}lon: point ({}, {}) is outside every grid", c.lon, c.lat),
            )
            .field(format!("{prefix}lon"))
        })?;
        auth.scope
            .check(&grid, || format!("point ({}, {})", c.lon, c.lat))
            .map_err(|e| e.field(format!("{prefix}lon")))?;
        let sector =
            Sector { lon: c.lon, lat: c.lat, heading_deg: c.heading_deg, fov_deg: c.fov_deg, range_m: c.range_m };
        changes.push(Change { id: c.id, sector, status: None });
    }
    let coverage = state.coverage.get().await?;
    let coverage_min_share = coverage.min_share();
    let occlusion = req.occlusion;
    let area2 = area.clone();
    let answer = tokio::task::spawn_blocking(move || coverage.what_if(&area2, occlusion, &changes))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|e| {
            let field = match e {
                WhatIfError::UnknownCamera { index, .. } | WhatIfError::DuplicateCamera { index, .. } => {
                    format!("changes[{index}].id")
                }
            };
            match e {
                WhatIfError::UnknownCamera { .. } => ApiError::NotFound(e.to_string()).field(field),
                WhatIfError::DuplicateCamera { .. } => {
                    ApiError::new(ErrorCode::InvalidValue, e.to_string()).field(field)
                }
            }
        })?;
    Ok(Json(WhatIfResult {
        area_code: area,
        occlusion,
        min_share: coverage_min_share,
        current: figures(answer.current),
        baseline: figures(answer.baseline),
        after: figures(answer.after),
        newly_covered: answer.newly_covered,
        no_longer_covered: answer.no_longer_covered,
    }))
}

async fn saved(state: &AppState, scope: &Scope, id: i64, r: Reconciled) -> ApiResult<Json<CameraSaved>> {
    let camera = crate::buildings::camera(&state.pool, scope, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no camera with id {id}")))?;
    Ok(Json(CameraSaved { camera, coverage: effect(r) }))
}

/// Adds a camera (planners and admins, in their county): validated, audited, coverage updated.
#[utoipa::path(post, path = "/api/cameras", tag = "coverage", security(("bearer" = [])), request_body = CameraCreate,
    responses((status = 200, body = CameraSaved), (status = 403, body = citygrid_api::ErrorBody),
              (status = 409, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized<CamerasEdit>,
    Json(req): Json<CameraCreate>,
) -> ApiResult<Json<CameraSaved>> {
    let camera = NewCamera::parse("", &req, chrono::Local::now().date_naive())?;
    let coverage = state.coverage.get().await?;
    let (ids, r) = register::create(&state.pool, &coverage, &auth.scope, auth.user.id, &[camera]).await?;
    saved(&state, &auth.scope, ids[0], r).await
}

/// Moves, re-aims or changes the status of a camera: coverage updated in the same transaction.
#[utoipa::path(patch, path = "/api/cameras/{id}", tag = "coverage", security(("bearer" = [])),
    params(("id" = i64, Path, description = "camera id", minimum = 1)), request_body = CameraPatch,
    responses((status = 200, body = CameraSaved), (status = 403, body = citygrid_api::ErrorBody),
              (status = 404, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Authorized<CamerasEdit>,
    Path(id): Path<String>,
    Json(req): Json<CameraPatch>,
) -> ApiResult<Json<CameraSaved>> {
    let id = parse_id("camera", &id)?;
    let coverage = state.coverage.get().await?;
    let r = register::update(&state.pool, &coverage, &auth.scope, auth.user.id, id, &req).await?;
    saved(&state, &auth.scope, id, r).await
}

/// Removes a camera: coverage updated in the same transaction.
#[utoipa::path(delete, path = "/api/cameras/{id}", tag = "coverage", security(("bearer" = [])),
    params(("id" = i64, Path, description = "camera id", minimum = 1)),
    responses((status = 200, body = CameraDeleted), (status = 403, body = citygrid_api::ErrorBody),
              (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    auth: Authorized<CamerasEdit>,
    Path(id): Path<String>,
) -> ApiResult<Json<CameraDeleted>> {
    let id = parse_id("camera", &id)?;
    let coverage = state.coverage.get().await?;
    let r = register::delete(&state.pool, &coverage, &auth.scope, auth.user.id, id).await?;
    Ok(Json(CameraDeleted { id, coverage: effect(r) }))
}

// The most sites one suggestion (or one planned batch) may have.
use citygrid_api::limits::MAX_SITES;

fn bad(field: &str, message: String) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, message).field(field)
}

/// Where `k` new cameras would newly cover the most residents of a grid, village or township
/// (greedy maximal covering); writes nothing.
#[utoipa::path(post, path = "/api/coverage/suggest", tag = "coverage", security(("bearer" = [])),
    request_body = SuggestRequest,
    responses((status = 200, body = SuggestResult), (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn suggest(
    State(state): State<AppState>,
    auth: Authorized<CoverageRead>,
    Json(req): Json<SuggestRequest>,
) -> ApiResult<Json<SuggestResult>> {
    let area = req.area_code.trim().to_owned();
    if ![9, 12, 15].contains(&area.len()) || !area.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(
            "area_code",
            format!("area_code {area:?} must be a township, village or grid code (9, 12 or 15 digits)"),
        ));
    }
    auth.scope.check(&area, || format!("area {area}")).map_err(|e| e.field("area_code"))?;
    if store::area_name(&state.pool, &area).await?.is_none() {
        let message = format!("area_code {area}: no township, village or grid has this code");
        return Err(ApiError::NotFound(message).field("area_code"));
    }
    if !(1..=i64::from(MAX_SITES)).contains(&req.k) {
        return Err(bad("k", format!("k {} must be 1 to {MAX_SITES}", req.k)));
    }
    let min_spacing_m = req.min_spacing_m.unwrap_or(30.0);
    if !min_spacing_m.is_finite() || !(0.0..=1000.0).contains(&min_spacing_m) {
        return Err(bad("min_spacing_m", format!("min_spacing_m {min_spacing_m} must be 0 to 1000 metres")));
    }
    let asked = req.camera.unwrap_or_default();
    let (kind, fov_deg, range_m) = match (asked.fov_deg, asked.range_m) {
        (Some(f), Some(r)) => {
            let kind = if f >= 360.0 {
                "dome"
            } else if f >= 180.0 {
                "panoramic"
            } else {
                "bullet"
            };
            (kind.to_owned(), f, r)
        }
        (f, r) => {
            let (kind, tf, tr) = store::typical_camera(&state.pool).await?;
            (kind, f.unwrap_or(tf), r.unwrap_or(tr))
        }
    };
    register::check_view("camera.", 0.0, fov_deg, range_m).map_err(|e| bad(&e_field(&e), e.to_string()))?;
    let q = SuggestQuery {
        area: area.clone(),
        k: req.k as usize,
        fov_deg,
        range_m,
        min_spacing_m,
        occlusion: req.occlusion,
        max_positions: MAX_POSITIONS,
    };
    let coverage = state.coverage.get().await?;
    let snapshot = state.engine.snapshot();
    let prefix = area.clone();
    let s = tokio::task::spawn_blocking(move || {
        let inside = |p: [f64; 2]| {
            snapshot.grids.locate(p[0], p[1]).is_some_and(|i| snapshot.grids.get(i).code.starts_with(&prefix))
        };
        coverage.suggest(&q, &inside)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(SuggestResult {
        area_code: area,
        kind,
        fov_deg,
        range_m,
        min_spacing_m,
        occlusion: req.occlusion,
        sites: s
            .sites
            .iter()
            .map(|x| SuggestedSite {
                lon: x.sector.lon,
                lat: x.sector.lat,
                heading_deg: x.sector.heading_deg,
                fov_deg: x.sector.fov_deg,
                range_m: x.sector.range_m,
                gain_residents: x.gain_residents,
                gain_buildings: x.gain_buildings,
            })
            .collect(),
        positions: s.positions as i64,
        candidates: s.candidates as i64,
        residents: s.residents,
        covered_residents_before: s.covered_residents_before,
        covered_residents_after: s.covered_residents_after,
    }))
}

fn e_field(e: &RegisterError) -> String {
    match e {
        RegisterError::Invalid { field, .. } => field.clone(),
        _ => "camera".into(),
    }
}

/// Adds suggested sites as `planned` cameras (codes `PLAN-<id>`), in one audited transaction:
/// they show on the map and count in what-if figures, never in real coverage.
#[utoipa::path(post, path = "/api/cameras/planned", tag = "coverage", security(("bearer" = [])),
    request_body = PlannedCamerasRequest,
    responses((status = 200, body = PlannedCameras), (status = 403, body = citygrid_api::ErrorBody),
              (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn add_planned(
    State(state): State<AppState>,
    auth: Authorized<CamerasEdit>,
    Json(req): Json<PlannedCamerasRequest>,
) -> ApiResult<Json<PlannedCameras>> {
    if !CAMERA_KINDS.contains(&req.kind.as_str()) {
        return Err(ApiError::new(
            ErrorCode::InvalidValue,
            format!("kind {:?} is not allowed; use one of {}", req.kind, CAMERA_KINDS.join(", ")),
        )
        .field("kind"));
    }
    if req.sites.is_empty() || req.sites.len() > usize::from(MAX_SITES) {
        return Err(
            ApiError::new(ErrorCode::InvalidValue, format!("sites: give 1 to {MAX_SITES} sites")).field("sites")
        );
    }
    let today = chrono::Local::now().date_naive();
    let mut cameras = Vec::with_capacity(req.sites.len());
    for (i, s) in req.sites.iter().enumerate() {
        let prefix = format!("sites[{i}].");
        register::check_position(&prefix, s.lon, s.lat)?;
        register::check_view(&prefix, s.heading_deg, s.fov_deg, s.range_m)?;
        cameras.push(NewCamera {
            code: String::new(),
            kind: req.kind.clone(),
            owner: "public_security".into(),
            sector: Sector {
                lon: s.lon,
                lat: s.lat,
                heading_deg: s.heading_deg,
                fov_deg: s.fov_deg,
                range_m: s.range_m,
            },
            status: Status::Planned,
            installed_on: today,
        });
    }
    let coverage = state.coverage.get().await?;
    let (ids, _) = register::create(&state.pool, &coverage, &auth.scope, auth.user.id, &cameras).await?;
    let codes = ids.iter().map(|id| format!("PLAN-{id}")).collect();
    Ok(Json(PlannedCameras { ids, codes }))
}
