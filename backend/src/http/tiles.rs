//! Vector tiles through the backend: martin listens on loopback only and has no authentication,
//! so every tile, TileJSON, glyph and the style go through here.
//!
//! - `GET /tiles/{layer}`: TileJSON 3.0.0 (public; no data in it).
//! - `GET /tiles/{layer}/{z}/{x}/{y}[.pbf|.mvt]`: one MVT tile, for a logged-in user whose role
//!   may take the layer's action (token in `Authorization: Bearer` only, so tokens never land
//!   in access logs); scoped layers are limited to the user's county.
//! - `GET /tiles/font/{fontstack}/{range}`: glyph PBFs from martin (public).
//! - `GET /style.json`: the MapLibre style (public).
//! - `GET /tiles/versions`: every layer's current version and tile URL (public), for clients
//!   that keep a map open: a layer whose version changed is reloaded (see [`tiles::follow`]).
//!
//! These routes sit at the root of the app, not under `/api`.

use std::fmt::Write as _;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, HOST, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{SecondsFormat, Utc};

use super::auth::{authenticate, require};
use super::extract::{Json, Path, Query};
use super::{ApiError, ApiResult, AppState};
use crate::planning::history;
use crate::stats::filter::day_of;
use crate::stats::heat::HeatQuery;
use crate::tiles::{self, Layer, TileCoord, TileQuery};
use citygrid_api::ErrorCode;
use citygrid_api::{LayerVersion, LayerVersions};

/// A tile whose URL carries the current layer version never changes.
const CACHE_IMMUTABLE: &str = "private, max-age=86400, immutable";
/// Any other tile URL (no or an old `v`): revalidate every time.
const CACHE_REVALIDATE: &str = "no-cache";
/// Glyphs only change with the installed fonts.
const CACHE_FONTS: &str = "public, max-age=604800";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/style.json", get(style))
        .route("/tiles/versions", get(versions))
        .route("/tiles/font/{fontstack}/{range}", get(font))
        .route("/tiles/{layer}", get(tilejson))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(tile))
}

pub(super) fn find_layer(name: &str) -> ApiResult<&'static Layer> {
    tiles::layer(name).ok_or_else(|| {
        let known: Vec<&str> = tiles::LAYERS.iter().map(|l| l.name).collect();
        ApiError::NotFound(format!("no tile layer {name:?}; layers: {}", known.join(", ")))
    })
}

/// `http(s)://host[:port]` that tile URLs in the style and TileJSON point at:
/// `CITYGRID_PUBLIC_ORIGIN` when configured (behind a proxy, set it), else `http://` + the
/// request's `Host` (responses say `Vary: Host`), else the listen address. Forwarded headers are
/// not trusted: anyone can send them, and these URLs receive the user's token.
pub(super) fn origin(headers: &HeaderMap, state: &AppState) -> String {
    if let Some(origin) = &state.config.public_origin {
        return origin.clone();
    }
    let plausible = |h: &&str| {
        !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(plausible)
        .map_or_else(|| state.config.listen.to_string(), str::to_owned);
    format!("http://{host}")
}

/// The current version of a layer, cached for [`super::LAYER_VERSION_TTL`]; read afresh when
/// the caller has seen a newer one (`at_least`: a client that polled another replica, or this
/// one after the cache was filled).
pub(super) async fn layer_version(state: &AppState, layer: &'static Layer, at_least: Option<i64>) -> ApiResult<i64> {
    if let Some(v) = state.layer_versions.get(&layer.name).filter(|v| at_least.is_none_or(|min| *v >= min)) {
        return Ok(v);
    }
    let v = tiles::layer_version(&state.pool, layer.name).await?;
    state.layer_versions.insert(layer.name, v);
    Ok(v)
}

fn header_value(s: &'static str) -> HeaderValue {
    HeaderValue::from_static(s)
}

/// TileJSON 3.0.0 of one layer (public: it names the layer's fields, no features).
#[utoipa::path(get, path = "/tiles/{layer}", tag = "tiles",
    params(("layer" = String, Path, description = "A layer of the catalogue: counties, townships, villages, grids, buildings, cameras, incidents")),
    responses((status = 200, description = "TileJSON 3.0.0", body = Object),
              (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn tilejson(
    State(state): State<AppState>,
    Path(layer): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let layer = find_layer(&layer)?;
    let version = layer_version(&state, layer, None).await?;
    let body = tiles::tilejson(&origin(&headers, &state), layer, version);
    Ok(([(CACHE_CONTROL, header_value("no-cache")), (VARY, header_value("Host"))], Json(body)).into_response())
}

/// The MapLibre style (public): every layer's source at its current version, glyphs from
/// `/tiles/font/…`; the heat layer (hidden) shows the last 28 days — a workspace sets its own
/// window through `/api/stats/heat-tiles`.
#[utoipa::path(get, path = "/style.json", tag = "tiles",
    responses((status = 200, description = "A MapLibre GL style (version 8)", body = Object)))]
pub async fn style(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let versions = tiles::layer_versions(&state.pool).await?;
    let origin = origin(&headers, &state);
    let heat = HeatQuery::parse(&[], day_of(Utc::now()), None).map_err(super::stats::bad_filter)?;
    let heat_version = versions.get(crate::stats::heat::LAYER).copied().unwrap_or(1);
    let token = crate::stats::heat::token(&state.pool, heat.days).await?;
    let heat_tiles = crate::stats::heat::tiles(&origin, &heat, heat_version, token).tiles;
    let scale = super::stats::cached_scale(&state, heat, heat_version).await?;
    let body = tiles::style(&origin, &versions, &heat_tiles, &scale);
    Ok(([(CACHE_CONTROL, header_value("no-cache")), (VARY, header_value("Host"))], Json(body)).into_response())
}

/// Every layer's current version and tile URL (public, like the style): an open map polls it
/// and reloads a layer whose version changed.
#[utoipa::path(get, path = "/tiles/versions", tag = "tiles",
    responses((status = 200, body = LayerVersions)))]
pub async fn versions(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let origin = origin(&headers, &state);
    let mut layers = Vec::with_capacity(tiles::LAYERS.len());
    for layer in &tiles::LAYERS {
        let version = layer_version(&state, layer, None).await?;
        layers.push(LayerVersion {
            layer: layer.name.to_owned(),
            version,
            tiles: vec![tiles::tile_url(&origin, layer, version)],
        });
    }
    let body = LayerVersions { layers };
    Ok(([(CACHE_CONTROL, header_value("no-cache")), (VARY, header_value("Host"))], Json(body)).into_response())
}

/// Query of a tile URL.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TileParams {
    /// The layer version the URL was made for (from the style or TileJSON): a current `v` makes
    /// the tile cacheable for a day.
    v: Option<String>,
    /// Heat layers: the freshness token of the filter (from `/api/stats/heat-tiles`); heat tiles
    /// also read `from`, `to`, `category` and `source`. Other parameters are ignored.
    t: Option<String>,
    /// The `grids` layer only: `YYYY-MM-DD`, the partition valid at the end of that
    /// Asia/Shanghai day (as `as_of` on `/api/grids`). Versioned by `v` like the current tiles
    /// (they draw today's names and colours).
    #[param(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    as_of: Option<String>,
}

/// One Mapbox Vector Tile, proxied from martin (token in the `Authorization` header only). A
/// county-scoped user gets only their county in scoped layers (incidents). Empty tiles are 204.
#[utoipa::path(get, path = "/tiles/{layer}/{z}/{x}/{y}", tag = "tiles", security(("bearer" = [])),
    params(("layer" = String, Path, description = "A layer of the catalogue"),
           ("z" = String, Path, description = "Zoom 0–22"), ("x" = String, Path, description = "Column"),
           ("y" = String, Path, description = "Row, optionally with `.pbf` or `.mvt`"), TileParams),
    responses((status = 200, description = "An MVT tile", body = [u8], content_type = "application/x-protobuf"),
              (status = 204, description = "No features in this tile"),
              (status = 304, description = "Not modified (`If-None-Match`)"),
              (status = 400, body = citygrid_api::ErrorBody), (status = 401, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 404, body = citygrid_api::ErrorBody),
              (status = 422, body = citygrid_api::ErrorBody), (status = 502, body = citygrid_api::ErrorBody)))]
pub async fn tile(
    State(state): State<AppState>,
    Path((layer, z, x, y)): Path<(String, String, String, String)>,
    Query(params): Query<TileParams>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    let layer = find_layer(&layer)?;
    let coord = TileCoord::parse(&z, &x, &y).map_err(|e| match e {
        // A well-formed address of a tile that does not exist at that zoom.
        tiles::TileCoordError::OutOfRange { .. } => ApiError::new(ErrorCode::NotFound, e.to_string()),
        _ => ApiError::new(ErrorCode::InvalidParameter, e.to_string()),
    })?;
    let user = authenticate(&state, &headers).await?;
    require(&user, layer.action)?;

    // `as_of` is checked on every layer (the document declares it on this route); only `grids`
    // has a history, the others draw today whatever the day.
    let as_of = params
        .as_of
        .as_deref()
        .map(|day| {
            history::parse_day(day).map_err(|e| {
                // As on `/api/grids`: the documented shape (a day, no time) naming no day is 422.
                let shaped = day.len() == 10 && super::grids::as_of_shaped(day);
                let code = if shaped { ErrorCode::InvalidValue } else { ErrorCode::InvalidParameter };
                ApiError::new(code, format!("as_of: {e}")).field("as_of")
            })
        })
        .transpose()?;

    // The proxy builds martin's query itself: a client's own `county=` never reaches it.
    let (martin_query, cache) = match (layer.query, as_of) {
        (TileQuery::VersionAsOf, Some(at)) => {
            let at_text = at.to_rfc3339_opts(SecondsFormat::Micros, true);
            // Even a past day's tiles follow the layer version: the boundaries of an instant
            // already past do not change, but the tiles also draw today's names and colours,
            // which a later commit may change (and then bumps `v`).
            let asked: Option<i64> = params.v.as_deref().and_then(|v| v.parse().ok());
            let version = layer_version(&state, layer, asked).await?;
            (
                format!("v={version}&as_of={at_text}"),
                if asked == Some(version) { CACHE_IMMUTABLE } else { CACHE_REVALIDATE },
            )
        }
        (TileQuery::Version | TileQuery::VersionAsOf, _) => {
            let asked: Option<i64> = params.v.as_deref().and_then(|v| v.parse().ok());
            let version = layer_version(&state, layer, asked).await?;
            let mut query = format!("v={version}");
            if let (true, Some(county)) = (layer.scoped, user.scope().county_code()) {
                let _ = write!(query, "&county={county}");
            }
            // A URL at the current version never changes: data changes bump the version.
            (query, if asked == Some(version) { CACHE_IMMUTABLE } else { CACHE_REVALIDATE })
        }
        (TileQuery::Heat, _) => {
            // The window, filter and the user's county, normalised; the tile is immutable when
            // the client's URL carries the current version and token.
            let (q, version, token) = super::stats::heat_request(&state, &user.scope(), uri.query()).await?;
            let current = params.v.as_deref() == Some(version.to_string().as_str())
                && params.t.as_deref() == Some(token.to_string().as_str());
            (q.martin_query(version, token), if current { CACHE_IMMUTABLE } else { CACHE_REVALIDATE })
        }
    };
    let mut out = HeaderMap::new();
    out.insert(CACHE_CONTROL, header_value(cache));
    out.insert(VARY, header_value("Accept-Encoding"));
    if layer.empty_at(coord.z) {
        // martin would answer the same (the SQL returns an empty tile); save the round trip.
        return Ok((StatusCode::NO_CONTENT, out).into_response());
    }

    let url = format!(
        "{}/{}/{}/{}/{}?{martin_query}",
        state.config.martin_url.trim_end_matches('/'),
        layer.source,
        coord.z,
        coord.x,
        coord.y
    );
    let (status, mut upstream, body) = fetch(&state, &url, &headers, &format!("tile {}", layer.name)).await?;
    match status {
        StatusCode::OK | StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED => {}
        other => {
            return Err(ApiError::BadGateway(format!(
                "the tile server answered {other} for {} {}/{}/{}",
                layer.name, coord.z, coord.x, coord.y
            )))
        }
    }
    for name in [CONTENT_TYPE, CONTENT_ENCODING, ETAG] {
        if let Some(v) = upstream.remove(&name) {
            out.insert(name, v);
        }
    }
    Ok((status, out, body).into_response())
}

/// Glyph PBFs for the style's labels (public, cached for a week).
#[utoipa::path(get, path = "/tiles/font/{fontstack}/{range}", tag = "tiles",
    params(("fontstack" = String, Path, description = "Comma-separated font names, such as `Noto Sans CJK SC Regular`"),
           ("range" = String, Path, description = "A block of 256 code points: `0-255`, `256-511`, … (optionally `.pbf`)")),
    responses((status = 200, description = "Glyphs", body = [u8], content_type = "application/x-protobuf"),
              (status = 304, description = "Not modified (`If-None-Match`)"),
              (status = 400, body = citygrid_api::ErrorBody), (status = 404, body = citygrid_api::ErrorBody),
              (status = 502, body = citygrid_api::ErrorBody)))]
pub async fn font(
    State(state): State<AppState>,
    Path((fontstack, range)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if fontstack.split(',').any(|f| matches!(f.trim(), "." | "..")) {
        return Err(ApiError::new(ErrorCode::NotFound, format!("no font {fontstack:?}")));
    }
    if fontstack.is_empty()
        || fontstack.chars().count() > 512
        || fontstack.chars().any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("fontstack {fontstack:?} is not a font name list"),
        )
        .field("fontstack"));
    }
    let bare = range.strip_suffix(".pbf").unwrap_or(&range);
    let bare = glyph_range(bare).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!("glyph range {range:?} is not a block of 256 code points such as 0-255 or 19968-20223"),
        )
        .field("range")
    })?;
    let url = format!("{}/font/{}/{bare}", state.config.martin_url.trim_end_matches('/'), percent_encode(&fontstack));
    let (status, mut upstream, body) = fetch(&state, &url, &headers, "glyphs").await?;
    match status {
        StatusCode::OK | StatusCode::NOT_MODIFIED => {}
        StatusCode::NOT_FOUND => return Err(ApiError::NotFound(format!("no font {fontstack:?} or range {bare}"))),
        other => return Err(ApiError::BadGateway(format!("the tile server answered {other} for glyphs"))),
    }
    let mut out = HeaderMap::new();
    out.insert(CACHE_CONTROL, header_value(CACHE_FONTS));
    out.insert(VARY, header_value("Accept-Encoding"));
    for name in [CONTENT_TYPE, CONTENT_ENCODING, ETAG] {
        if let Some(v) = upstream.remove(&name) {
            out.insert(name, v);
        }
    }
    Ok((status, out, body).into_response())
}

/// `START-END` of a glyph block: START a multiple of 256 up to 65280 and END = START + 255 (what
/// MapLibre asks for); `None` for anything else.
fn glyph_range(s: &str) -> Option<String> {
    let (a, b) = s.split_once('-')?;
    let digits = |n: &str| !n.is_empty() && n.len() <= 5 && n.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return None;
    }
    let (start, end): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    (start % 256 == 0 && start <= 65280 && end == start + 255).then(|| format!("{start}-{end}"))
}

/// GETs `url` from martin, passing the client's `Accept-Encoding` and `If-None-Match` through.
/// Connection failures and timeouts (the client's bounds) become 502.
async fn fetch(
    state: &AppState,
    url: &str,
    headers: &HeaderMap,
    what: &str,
) -> ApiResult<(StatusCode, HeaderMap, Body)> {
    let mut request = state.http.get(url);
    for name in [ACCEPT_ENCODING, IF_NONE_MATCH] {
        if let Some(v) = headers.get(&name) {
            request = request.header(name, v.clone());
        }
    }
    let unreachable = |e: reqwest::Error| {
        tracing::warn!(error = %e, url, "martin request failed");
        let why = if e.is_timeout() { "did not answer in time" } else { "is unreachable" };
        ApiError::BadGateway(format!("the tile server (martin) {why} for {what}"))
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    let upstream = response.headers().clone();
    let bytes = response.bytes().await.map_err(unreachable)?;
    Ok((status, upstream, Body::from(bytes)))
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `,` (the fontstack
/// separator martin splits on).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyph_ranges_are_256_aligned_blocks() {
        assert_eq!(glyph_range("0-255").as_deref(), Some("0-255"));
        assert_eq!(glyph_range("19968-20223").as_deref(), Some("19968-20223"));
        assert_eq!(glyph_range("65280-65535").as_deref(), Some("65280-65535"));
        for bad in ["0-254", "1-256", "256-255", "65536-65791", "-1-254", "0-", "a-b", "00000000-255", "0255"] {
            assert_eq!(glyph_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn encodes_font_names() {
        assert_eq!(percent_encode("Noto Sans CJK SC Regular"), "Noto%20Sans%20CJK%20SC%20Regular");
        assert_eq!(percent_encode("A,B/C"), "A,B%2FC");
        assert_eq!(percent_encode("思源"), "%E6%80%9D%E6%BA%90");
    }
}
