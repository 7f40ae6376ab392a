//! `/api/grids`, `/api/search`.

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use citygrid_api::{ErrorCode, Feature, FeatureCollection, GridProperties, SearchHit};
use serde::Deserialize;

use super::auth::{Authorized, MapRead};
use super::extract::{Json, Path, Query};
use super::{ApiError, ApiResult, AppState};
use crate::grids::{self, BBox, GridCode};
use crate::planning::history;

pub fn router() -> Router<AppState> {
    Router::new().route("/grids", get(list)).route("/grids/{code}", get(one)).route("/search", get(search))
}

/// Query of `GET /api/grids/{code}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OneParams {
    /// The version valid at this instant: an RFC 3339 time, or a `YYYY-MM-DD` day in
    /// Asia/Shanghai (the end of that day). Default: the current version.
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T.+)?$")]
    as_of: Option<String>,
}

/// Parses `as_of` into the instant it names.
fn as_of(s: Option<&str>) -> ApiResult<Option<DateTime<Utc>>> {
    s.map(|s| {
        history::parse_as_of(s).map_err(|e| {
            // The documented pattern decides 400 or 422: a text of the right shape that names no
            // instant (`2026-02-30`) is a value the API cannot accept.
            let code = if as_of_shaped(s) { ErrorCode::InvalidValue } else { ErrorCode::InvalidParameter };
            ApiError::new(code, format!("as_of: {e}")).field("as_of")
        })
    })
    .transpose()
}

/// Does `s` match the pattern `as_of` is documented with, `^[0-9]{4}-[0-9]{2}-[0-9]{2}(T.+)?$`?
pub(super) fn as_of_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && (b.len() == 10 || (b[10] == b'T' && s.len() > 11 && !s[11..].contains(['\n', '\r'])))
}

/// One grid as a GeoJSON Feature with its hierarchy, worker and counts (`as_of`: the version
/// valid then, retired grids included).
#[utoipa::path(get, path = "/api/grids/{code}", tag = "grids", security(("bearer" = [])),
    params(("code" = String, Path, description = "15-digit grid code", pattern = "^[0-9]{15}$"), OneParams),
    responses((status = 200, body = Feature<GridProperties>), (status = 400, body = citygrid_api::ErrorBody),
              (status = 401, body = citygrid_api::ErrorBody), (status = 404, body = citygrid_api::ErrorBody),
              (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn one(
    State(state): State<AppState>,
    auth: Authorized<MapRead>,
    Path(code): Path<String>,
    Query(params): Query<OneParams>,
) -> ApiResult<Json<Feature<GridProperties>>> {
    let code = GridCode::parse(&code).map_err(|e| ApiError::new(ErrorCode::InvalidParameter, e).field("code"))?;
    let at = as_of(params.as_of.as_deref())?;
    grids::get(&state.pool, &auth.scope, &code, at).await?.map(Json).ok_or_else(|| {
        ApiError::NotFound(match at {
            None => format!("no current grid with code {}", code.as_str()),
            Some(t) => format!("no grid with code {} at {}", code.as_str(), t.to_rfc3339()),
        })
    })
}

/// Query of `GET /api/grids`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `minLon,minLat,maxLon,maxLat` (WGS84): four decimals; out of range or min ≥ max is 422.
    bbox: String,
    /// At most this many grids (default 100, capped at 1000).
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// The partition valid at this instant (RFC 3339, or a `YYYY-MM-DD` Asia/Shanghai day).
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T.+)?$")]
    as_of: Option<String>,
}

/// Grids intersecting a bounding box (current, or valid `as_of`), as a FeatureCollection ordered
/// by code.
#[utoipa::path(get, path = "/api/grids", tag = "grids", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = FeatureCollection<GridProperties>), (status = 400, body = citygrid_api::ErrorBody),
              (status = 401, body = citygrid_api::ErrorBody), (status = 403, body = citygrid_api::ErrorBody),
              (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized<MapRead>,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<FeatureCollection<GridProperties>>> {
    let bbox = BBox::parse(&params.bbox).map_err(|e| super::extract::bbox_error(&e))?;
    let limit = match params.limit {
        None => 100,
        Some(n) if n < 1 => {
            return Err(
                ApiError::new(ErrorCode::InvalidParameter, format!("limit {n} must be at least 1")).field("limit")
            )
        }
        Some(n) => n.min(grids::MAX_LIMIT),
    };
    let at = as_of(params.as_of.as_deref())?;
    let (features, truncated) = grids::in_bbox(&state.pool, &auth.scope, bbox, limit, at).await?;
    Ok(Json(FeatureCollection { kind: "FeatureCollection".into(), features, truncated }))
}

/// Query of `GET /api/search`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// A grid code (or its prefix), or part of a grid, village, township or county name. Empty
    /// or over 64 characters is 400 (this schema); only spaces is 422 (nothing to search for).
    #[param(min_length = 1, max_length = 64)]
    q: String,
}

/// Finds grids and admin units by code or name, grids first (at most 20).
#[utoipa::path(get, path = "/api/search", tag = "grids", security(("bearer" = [])), params(SearchParams),
    responses((status = 200, body = Vec<SearchHit>), (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    auth: Authorized<MapRead>,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<Vec<SearchHit>>> {
    // The document's bounds first (on the text as sent), then what it means.
    if params.q.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidParameter, "q: at least 1 character").field("q"));
    }
    if params.q.chars().count() > 64 {
        return Err(ApiError::new(ErrorCode::InvalidParameter, "q: at most 64 characters").field("q"));
    }
    let q = params.q.trim();
    if q.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidValue, "q: type part of a code or a name").field("q"));
    }
    Ok(Json(grids::search(&state.pool, &auth.scope, q, 20).await?))
}
