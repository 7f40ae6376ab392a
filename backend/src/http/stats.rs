//! `/api/stats/*`: figures per unit, time series, hotspot warnings, and the heat tiles of
//! incidents with their reference scale (the statistics of the command view). The domain is
//! [`crate::stats`]; the tiles themselves go through the tile proxy ([`super::tiles`]), which
//! asks [`heat_request`] what to send martin.
//!
//! Every figure endpoint answers JSON, or CSV (UTF-8 with a byte-order mark, so that Excel reads
//! Chinese) with `Accept: text/csv` or `?format=csv`: the same rows, one per unit, interval or
//! warning.

use axum::extract::{RawQuery, State};
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Duration, Utc};
use citygrid_api::{ErrorCode, HeatScale, HeatTiles, Hotspots, StatsSummary, StatsUnits, TimeSeries, UnitStats};
use serde::Deserialize;

use super::auth::{Authorized, StatisticsRead};
use super::extract::{Json, Query};
use super::{ApiError, ApiResult, AppState};
use crate::scope::Scope;
use crate::stats::filter::{self, DayWindow, Filter, FilterError, Window};
use crate::stats::heat::{self, HeatQuery};
use crate::stats::units::{self, StatsError};
use crate::stats::{hotspots, summary, surveillance, timeseries};

/// The default window of the summary and the time series: the last 28 days, today included.
pub const DEFAULT_DAYS: i64 = 28;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stats/summary", get(summary_handler))
        .route("/stats/units", get(units_handler))
        .route("/stats/timeseries", get(timeseries_handler))
        .route("/stats/hotspots", get(hotspots_handler))
        .route("/stats/heat-tiles", get(heat_tiles))
        .route("/stats/heat-scale", get(heat_scale))
}

/// A statistics error as the API answers it.
fn stats_error(e: StatsError) -> ApiError {
    match e {
        StatsError::Filter(f) => bad_filter(f),
        StatsError::NotFound(m) => ApiError::new(ErrorCode::NotFound, m).field("code"),
        StatsError::Outside(o) => ApiError::from(o.field("code")),
        StatsError::Db(e) => ApiError::Internal(e),
    }
}

/// Does the client want CSV (`?format=csv` or `Accept: text/csv`)?
fn wants_csv(headers: &HeaderMap, format: Option<&str>) -> ApiResult<bool> {
    match format.map(str::trim).filter(|f| !f.is_empty()) {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(bad_filter(FilterError::new("format", format!("{other:?} is not json or csv")))),
        None => Ok(headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/csv"))),
    }
}

/// An optional number as a CSV field (empty for `null`).
fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// A CSV document (RFC 4180): a byte-order mark, the header, the rows.
fn csv(header: &[String], rows: &[Vec<String>], name: &str) -> Response {
    let mut out = String::from("\u{feff}");
    for line in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        for (j, v) in line.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            if v.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&v.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(v);
            }
        }
        out.push_str("\r\n");
    }
    let disposition = format!("attachment; filename=\"{name}.csv\"");
    ([(CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (CONTENT_DISPOSITION, disposition)], out).into_response()
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// The CSV columns of unit figures: the figures, then one per category and per source (those
/// of `s`, which every row of a response has).
fn unit_header(s: &UnitStats) -> Vec<String> {
    let mut h = strings(&[
        "level",
        "code",
        "name",
        "residents",
        "incidents",
        "per_1000_residents",
        "resolved",
        "closure_rate",
        "handling_median_hours",
        "handling_p90_hours",
        "resolved_grid_village",
        "resolved_township",
        "resolved_county",
        "share_grid_village",
        "share_township",
        "share_county",
        "overdue",
        "escalated",
    ]);
    h.extend(s.by_category.keys().map(|c| format!("category:{c}")));
    h.extend(s.by_source.keys().map(|c| format!("source:{c}")));
    h
}

fn unit_row(u: &UnitStats) -> Vec<String> {
    let mut r = vec![
        units::level_name(u.level).to_owned(),
        u.code.clone(),
        u.name.clone(),
        u.residents.to_string(),
        u.incidents.to_string(),
        opt(u.per_1000_residents),
        u.resolved.to_string(),
        opt(u.closure_rate),
        opt(u.handling_median_hours),
        opt(u.handling_p90_hours),
        u.resolved_grid_village.to_string(),
        u.resolved_township.to_string(),
        u.resolved_county.to_string(),
        opt(u.share_grid_village),
        opt(u.share_township),
        opt(u.share_county),
        u.overdue.to_string(),
        u.escalated.to_string(),
    ];
    r.extend(u.by_category.values().map(ToString::to_string));
    r.extend(u.by_source.values().map(ToString::to_string));
    r
}

/// The end of today (Asia/Shanghai): the default end of windows of days.
fn end_of_today() -> chrono::DateTime<Utc> {
    filter::midnight(filter::day_of(Utc::now()) + Duration::days(1))
}

/// Query of `GET /api/stats/summary`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// `city` (the default without `code`), `county`, `township`, `village` or `grid`; must name
    /// the level of the code when both are given (a 9-digit code is a township).
    #[param(pattern = r"^\s*(city|county|township|village|grid)?\s*$")]
    level: Option<String>,
    /// The unit's statistical code (6, 9, 12 or 15 digits); absent: the city (a county-scoped
    /// user gets their county).
    #[param(pattern = r"^\s*([0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15})?\s*$")]
    code: Option<String>,
    /// `YYYY-MM-DD` (midnight, Asia/Shanghai) or RFC 3339; default 27 days before today.
    from: Option<String>,
    /// Exclusive; default the end of today. At most 3 years after `from`.
    to: Option<String>,
    /// Comma-separated category codes or families (`dispute`, `alarm`, `citizen`).
    category: Option<String>,
    /// Comma-separated source codes.
    source: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = r"^\s*(json|csv)?\s*$")]
    format: Option<String>,
}

/// The figures of a unit and of each of its children for a window (definitions in the
/// `UnitStats` schema): incidents, per 1,000 residents, by category and source, closure rate
/// (办结率), median and 90th-percentile handling time, level of resolution, overdue and
/// escalated incidents.
#[utoipa::path(get, path = "/api/stats/summary", tag = "stats", security(("bearer" = [])), params(SummaryParams),
    responses((status = 200, description = "JSON, or CSV with `Accept: text/csv` / `format=csv`",
               content((StatsSummary = "application/json"), (String = "text/csv"))),
              (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn summary_handler(
    State(state): State<AppState>,
    auth: Authorized<StatisticsRead>,
    headers: HeaderMap,
    Query(p): Query<SummaryParams>,
) -> ApiResult<Response> {
    let csv_out = wants_csv(&headers, p.format.as_deref())?;
    let code = units::parse_unit(p.level.as_deref(), p.code.as_deref()).map_err(bad_filter)?;
    let window = Window::parse(p.from.as_deref(), p.to.as_deref(), end_of_today(), DEFAULT_DAYS).map_err(bad_filter)?;
    let filter = Filter::parse(p.category.as_deref(), p.source.as_deref()).map_err(bad_filter)?;
    let s = summary::summary(&state.pool, &auth.scope, code.as_deref(), window, &filter, Utc::now())
        .await
        .map_err(stats_error)?;
    if csv_out {
        let rows: Vec<Vec<String>> = std::iter::once(&s.unit).chain(&s.children).map(unit_row).collect();
        return Ok(csv(&unit_header(&s.unit), &rows, &format!("summary-{}", s.unit.code)));
    }
    Ok(Json(s).into_response())
}

/// Query of `GET /api/stats/units`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitsParams {
    /// The units listed: `county`, `township`, `village` or `grid` (required; finer than the
    /// unit of `code`).
    #[param(pattern = r"^\s*(county|township|village|grid)\s*$")]
    level: Option<String>,
    /// The unit they lie in (6, 9 or 12 digits); absent: the city (a county-scoped user gets
    /// their county).
    #[param(pattern = r"^\s*([0-9]{6}|[0-9]{9}|[0-9]{12})?\s*$")]
    code: Option<String>,
    /// `YYYY-MM-DD` (midnight, Asia/Shanghai) or RFC 3339; default 27 days before today.
    from: Option<String>,
    /// Exclusive; default the end of today. At most 3 years after `from`.
    to: Option<String>,
    /// Comma-separated category codes or families (`dispute`, `alarm`, `citizen`).
    category: Option<String>,
    /// Comma-separated source codes.
    source: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = r"^\s*(json|csv)?\s*$")]
    format: Option<String>,
}

/// The figures of every current unit of one level inside a unit (the city by default), zeros
/// included, with the definitions of the summary (`UnitStats`): what a choropleth of all
/// townships, villages or grids of the city colours.
#[utoipa::path(get, path = "/api/stats/units", tag = "stats", security(("bearer" = [])), params(UnitsParams),
    responses((status = 200, description = "JSON, or CSV with `Accept: text/csv` / `format=csv`",
               content((StatsUnits = "application/json"), (String = "text/csv"))),
              (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn units_handler(
    State(state): State<AppState>,
    auth: Authorized<StatisticsRead>,
    headers: HeaderMap,
    Query(p): Query<UnitsParams>,
) -> ApiResult<Response> {
    let csv_out = wants_csv(&headers, p.format.as_deref())?;
    let level = units::parse_level(p.level.as_deref()).map_err(bad_filter)?;
    let within = units::parse_unit(None, p.code.as_deref()).map_err(bad_filter)?;
    let window = Window::parse(p.from.as_deref(), p.to.as_deref(), end_of_today(), DEFAULT_DAYS).map_err(bad_filter)?;
    let filter = Filter::parse(p.category.as_deref(), p.source.as_deref()).map_err(bad_filter)?;
    let u = summary::level_units(&state.pool, &auth.scope, level, within.as_deref(), window, &filter, Utc::now())
        .await
        .map_err(stats_error)?;
    if csv_out {
        let rows: Vec<Vec<String>> = u.units.iter().map(unit_row).collect();
        let header = match u.units.first() {
            Some(first) => unit_header(first),
            None => unit_header(&summary::Measures::default().figures(
                &units::Unit { level: u.level, code: String::new(), name: String::new() },
                0,
                &filter,
            )),
        };
        return Ok(csv(&header, &rows, &format!("units-{}-{}", units::level_name(u.level), u.within)));
    }
    Ok(Json(u).into_response())
}

/// Query of `GET /api/stats/timeseries`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesParams {
    /// The unit's statistical code; absent: the city (or the caller's county).
    #[param(pattern = r"^\s*([0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15})?\s*$")]
    code: Option<String>,
    /// `YYYY-MM-DD`; default 27 days before today.
    from: Option<String>,
    /// `YYYY-MM-DD`, exclusive; default tomorrow.
    to: Option<String>,
    /// `day` (default) or `week` (7 days from `from`; the last interval may be shorter).
    #[param(pattern = r"^\s*(day|week)?\s*$")]
    interval: Option<String>,
    /// Comma-separated category codes or families.
    category: Option<String>,
    /// Comma-separated source codes.
    source: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = r"^\s*(json|csv)?\s*$")]
    format: Option<String>,
}

/// Counts of a unit per day or week and category, with the same days a year earlier where the
/// data covers them.
#[utoipa::path(get, path = "/api/stats/timeseries", tag = "stats", security(("bearer" = [])), params(SeriesParams),
    responses((status = 200, description = "JSON, or CSV with `Accept: text/csv` / `format=csv`",
               content((TimeSeries = "application/json"), (String = "text/csv"))),
              (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn timeseries_handler(
    State(state): State<AppState>,
    auth: Authorized<StatisticsRead>,
    headers: HeaderMap,
    Query(p): Query<SeriesParams>,
) -> ApiResult<Response> {
    let csv_out = wants_csv(&headers, p.format.as_deref())?;
    let code = units::parse_unit(None, p.code.as_deref()).map_err(bad_filter)?;
    let days = match (p.from.as_deref(), p.to.as_deref()) {
        (None, None) => DayWindow::ending_today(filter::day_of(Utc::now()), DEFAULT_DAYS),
        (from, to) => DayWindow::parse(from, to).map_err(bad_filter)?,
    };
    let interval = timeseries::Interval::parse(p.interval.as_deref()).map_err(bad_filter)?;
    let filter = Filter::parse(p.category.as_deref(), p.source.as_deref()).map_err(bad_filter)?;
    let t = timeseries::timeseries(&state.pool, &auth.scope, code.as_deref(), days, interval, &filter)
        .await
        .map_err(stats_error)?;
    if csv_out {
        let cats: Vec<String> = t.points.first().map(|p| p.by_category.keys().cloned().collect()).unwrap_or_default();
        let mut header = strings(&["start", "end", "total", "last_year_total"]);
        header.extend(cats.iter().map(|c| format!("category:{c}")));
        header.extend(cats.iter().map(|c| format!("last_year:{c}")));
        let rows: Vec<Vec<String>> = t
            .points
            .iter()
            .map(|p| {
                let mut r = vec![p.start.clone(), p.end.clone(), p.total.to_string(), opt(p.last_year_total)];
                r.extend(cats.iter().map(|c| p.by_category.get(c).copied().unwrap_or(0).to_string()));
                r.extend(cats.iter().map(|c| opt(p.last_year_by_category.as_ref().and_then(|m| m.get(c)))));
                r
            })
            .collect();
        return Ok(csv(&header, &rows, &format!("timeseries-{}", t.code)));
    }
    Ok(Json(t).into_response())
}

/// Query of `GET /api/stats/hotspots`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotspotParams {
    /// `grid` (default) or `village`.
    #[param(pattern = r"^\s*(grid|village)?\s*$")]
    level: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339; default 7 × 24 hours before `to`.
    from: Option<String>,
    /// Exclusive; default now. The window is at most 28 days long.
    to: Option<String>,
    /// Comma-separated category codes or families.
    category: Option<String>,
    /// Comma-separated source codes.
    source: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = r"^\s*(json|csv)?\s*$")]
    format: Option<String>,
}

/// Early warning: the grids or villages whose incidents in the window (default: the last 7
/// days up to now; a new incident counts at once) rise significantly above their own baseline
/// (the 28 days before). Method: for each unit the exact one-sided conditional test of its two
/// Poisson counts (given their sum, the window's count is binomial with p = window / (window +
/// baseline)); Benjamini–Hochberg at FDR 0.01 over every unit in scope; at least 5 incidents in
/// the window. Each warning: observed, expected, p- and q-value, since when.
#[utoipa::path(get, path = "/api/stats/hotspots", tag = "stats", security(("bearer" = [])), params(HotspotParams),
    responses((status = 200, description = "JSON, or CSV with `Accept: text/csv` / `format=csv`",
               content((Hotspots = "application/json"), (String = "text/csv"))),
              (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody)))]
pub async fn hotspots_handler(
    State(state): State<AppState>,
    auth: Authorized<StatisticsRead>,
    headers: HeaderMap,
    Query(p): Query<HotspotParams>,
) -> ApiResult<Response> {
    let csv_out = wants_csv(&headers, p.format.as_deref())?;
    let level = hotspots::parse_level(p.level.as_deref()).map_err(bad_filter)?;
    let window =
        Window::parse(p.from.as_deref(), p.to.as_deref(), Utc::now(), hotspots::DEFAULT_DAYS).map_err(bad_filter)?;
    let filter = Filter::parse(p.category.as_deref(), p.source.as_deref()).map_err(bad_filter)?;
    let h: Hotspots =
        hotspots::hotspots(&state.pool, &auth.scope, level, window, &filter, surveillance::Method::DEFAULT)
            .await
            .map_err(stats_error)?;
    if csv_out {
        let header = strings(&[
            "level",
            "code",
            "name",
            "parent_name",
            "observed",
            "baseline",
            "expected",
            "ratio",
            "p_value",
            "q_value",
            "since",
            "min_lon",
            "min_lat",
            "max_lon",
            "max_lat",
        ]);
        let rows: Vec<Vec<String>> = h
            .warnings
            .iter()
            .map(|w| {
                let mut r = vec![
                    units::level_name(w.level).to_owned(),
                    w.code.clone(),
                    w.name.clone(),
                    w.parent_name.clone(),
                    w.observed.to_string(),
                    w.baseline.to_string(),
                    w.expected.to_string(),
                    opt(w.ratio),
                    w.p_value.to_string(),
                    w.q_value.to_string(),
                    w.since.clone(),
                ];
                r.extend(w.bbox.iter().map(ToString::to_string));
                r
            })
            .collect();
        return Ok(csv(&header, &rows, "hotspots"));
    }
    Ok(Json(h).into_response())
}

/// A filter error: 400 `invalid_parameter`, naming the parameter.
#[must_use]
#[allow(clippy::needless_pass_by_value)] // `map_err(bad_filter)`
pub fn bad_filter(e: FilterError) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, e.to_string()).field(e.field)
}

/// The heat request of a query string in `scope`: the parsed window and filter with the scope's
/// county (a `county` the client sends is ignored), the heat layer's version and the window's
/// freshness token (both cached per process for [`super::LAYER_VERSION_TTL`]).
pub async fn heat_request(state: &AppState, scope: &Scope, query: Option<&str>) -> ApiResult<(HeatQuery, i64, i64)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| ApiError::new(ErrorCode::InvalidParameter, format!("query string: {e}")).field("query"))?;
    let q = HeatQuery::parse(&pairs, filter::day_of(Utc::now()), scope.county_code()).map_err(bad_filter)?;
    let version = super::tiles::layer_version(state, super::tiles::find_layer(heat::LAYER)?, None).await?;
    let token = if let Some(t) = state.heat_tokens.get(&q.days) {
        t
    } else {
        let t = heat::token(&state.pool, q.days).await?;
        state.heat_tokens.insert(q.days, t);
        t
    };
    Ok((q, version, token))
}

/// Query of the heat endpoints (documentation only: they read the raw query string, so that
/// repeated parameters add up and unknown ones are ignored, exactly as the tile proxy does).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
