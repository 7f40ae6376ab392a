//! `/api/stats/*`: heat tiles of incidents and their reference scale (the statistics of the
//! command view). The domain is [`crate::stats`]; the tiles themselves go through the tile
//! proxy ([`super::tiles`]), which asks [`heat_request`] what to send martin.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use citygrid_api::{HeatScale, HeatTiles};
use serde::Deserialize;

use super::auth::{Authorized, StatisticsRead};
use super::extract::Json;
use super::{ApiError, ApiResult, AppState};
use crate::stats::filter::{self, FilterError};
use crate::scope::Scope;
use crate::stats::heat::{self, HeatQuery};

pub fn router() -> Router<AppState> {
    Router::new().route("/stats/heat-tiles", get(heat_tiles)).route("/stats/heat-scale", get(heat_scale))
}

/// A filter error as a 400 naming the parameter.
pub fn bad_filter(e: FilterError) -> ApiError {
    ApiError::BadRequest(e.to_string())
}

/// The heat request of a query string in `scope`: the parsed window and filter with the scope's
/// county (a `county` the client sends is ignored), the heat layer's version and the window's
/// freshness token (both cached per process for [`super::LAYER_VERSION_TTL`]).
pub async fn heat_request(state: &AppState, scope: &Scope, query: Option<&str>) -> ApiResult<(HeatQuery, i64, i64)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| ApiError::BadRequest(format!("query string: {e}")))?;
    let q = HeatQuery::parse(&pairs, filter::day_of(Utc::now()), scope.county_code()).map_err(bad_filter)?;
    let version = super::tiles::layer_version(state, heat::LAYER).await?;
    let token = match state.heat_tokens.get(&q.days) {
        Some(t) => t,
        None => {
            let t = heat::token(&state.pool, q.days).await?;
            state.heat_tokens.insert(q.days, t);
            t
        }
    };
    Ok((q, version, token))
}

/// Query of the heat endpoints (documentation only: they read the raw query string, so that
/// repeated parameters add up and unknown ones are ignored, exactly as the tile proxy does).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[allow(dead_code)]
pub struct HeatParams {
    /// First day, `YYYY-MM-DD` (Asia/Shanghai). Default: 27 days before today.
    from: Option<String>,
    /// The day after the last, `YYYY-MM-DD` (exclusive). Default: tomorrow. At most 3 years
    /// after `from`.
    to: Option<String>,
    /// Comma-separated category codes or families (`dispute`, `alarm`, `citizen`); default all.
    category: Option<String>,
    /// Comma-separated source codes; default all.
    source: Option<String>,
}

/// The heat tile URL of a window and filter, normalised (sorted, de-duplicated lists), with
/// the freshness token `t`: poll it and swap the URL when the token changes. A county-scoped
/// user's tiles count their county only.
#[utoipa::path(get, path = "/api/stats/heat-tiles", tag = "stats", security(("bearer" = [])), params(HeatParams),
    responses((status = 200, body = HeatTiles), (status = 400, body = citygrid_api::ErrorBody)))]
pub async fn heat_tiles(
    State(state): State<AppState>,
    auth: Authorized<StatisticsRead>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<HeatTiles>> {
    let (q, version, token) = heat_request(&state, &auth.scope, query.as_deref()).await?;
    Ok(Json(heat::tiles(&super::tiles::origin(&headers, &state), &q, version, token)))
}

/// The reference scale of the heat layer for a window and filter: per zoom band, the
/// 99th-percentile count of the cells with incidents. Weigh features by `count / reference`
/// (MapLibre `heatmap-weight`), so that a week and a year show the same hot places instead of
/// a saturated map.
#[utoipa::path(get, path = "/api/stats/heat-scale", tag = "stats", security(("bearer" = [])), params(HeatParams),
    responses((status = 200, body = HeatScale), (status = 400, body = citygrid_api::ErrorBody)))]
pub async fn heat_scale(
    State(state): State<AppState>,
    auth: Authorized<StatisticsRead>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<HeatScale>> {
    let (q, version, _) = heat_request(&state, &auth.scope, query.as_deref()).await?;
    Ok(Json(cached_scale(&state, q, version).await?))
}

/// The heat scale of `q`, computed at most once per [`super::HEAT_SCALE_TTL`] and version.
pub async fn cached_scale(state: &AppState, q: HeatQuery, version: i64) -> ApiResult<HeatScale> {
    let key = (q, version);
    if let Some(s) = state.heat_scales.get(&key) {
        return Ok(s);
    }
    let scale = heat::scale(&state.pool, &key.0).await?;
    state.heat_scales.insert(key, scale.clone());
    Ok(scale)
}
