//! `/api/admin-units`, `/api/buildings`, `/api/cameras`: what the inspector shows.

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use citygrid_api::{AdminUnit, BuildingInfo, CameraInfo, ErrorCode};

use super::auth::{Authorized, MapRead};
use super::extract::{parse_id, Json, Path};
use super::{ApiError, ApiResult, AppState};
use crate::admin_units::{self, UnitCode};
use crate::buildings;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin-units/{code}", get(unit))
        .route("/buildings/{id}", get(building))
        .route("/cameras/{id}", get(camera))
}

/// A county, township, village or grid with its parent chain and its children's codes.
#[utoipa::path(get, path = "/api/admin-units/{code}", tag = "admin units", security(("bearer" = [])),
    params(("code" = String, Path, description = "6, 9, 12 or 15-digit code", pattern = "^[0-9]{6}([0-9]{3}){0,3}$")),
    responses((status = 200, body = AdminUnit), (status = 400, body = citygrid_api::ErrorBody),
              (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn unit(
    State(state): State<AppState>,
    auth: Authorized<MapRead>,
    Path(code): Path<String>,
) -> ApiResult<Json<AdminUnit>> {
    let code = UnitCode::parse(&code).map_err(|e| ApiError::new(ErrorCode::InvalidParameter, e).field("code"))?;
    admin_units::get(&state.pool, &auth.scope, &code)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no administrative unit or grid with code {}", code.as_str())))
}

/// One building, for the inspector.
#[utoipa::path(get, path = "/api/buildings/{id}", tag = "admin units", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = BuildingInfo), (status = 400, body = citygrid_api::ErrorBody),
              (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn building(
    State(state): State<AppState>,
    auth: Authorized<MapRead>,
    Path(id): Path<String>,
) -> ApiResult<Json<BuildingInfo>> {
    let id = parse_id("building", &id)?;
    buildings::building(&state.pool, &auth.scope, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no building with id {id}")))
}

/// One camera, for the inspector.
#[utoipa::path(get, path = "/api/cameras/{id}", tag = "admin units", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = CameraInfo), (status = 400, body = citygrid_api::ErrorBody),
              (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn camera(
    State(state): State<AppState>,
    auth: Authorized<MapRead>,
    Path(id): Path<String>,
) -> ApiResult<Json<CameraInfo>> {
    let id = parse_id("camera", &id)?;
    buildings::camera(&state.pool, &auth.scope, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no camera with id {id}")))
}
