//! `/api/route`, `/api/route/batch`, `/api/incidents`: routing by location and incident follow-up.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use citygrid_api::{
    BatchRouteRequest, BatchRouteResponse, Category, CreateIncidentRequest, ErrorCode, IncidentCreated, IncidentDetail,
    IncidentPage, OutsideCity, RouteRequest, RouteResult, SlaEntry, SlaUpdate, Source, TransitionRequest,
};
use serde::Deserialize;

use super::auth::{Authorized, IncidentsRead, IncidentsWrite, SlaAdmin};
use super::extract::{parse_id, Json, Path, Query};
use super::{ApiError, ApiResult, AppState};
use crate::grids::BBox;
use crate::incidents::list::{self, Cursor, ListFilter, Sort};
use crate::incidents::{self, NewIncident, TransitionError};
use crate::planning::history;
use crate::routing::{RouteError, RouteQuery};

/// The most points one batch may carry.
pub const MAX_BATCH: usize = 100_000;
// The most characters of a description.
use citygrid_api::limits::MAX_DESCRIPTION_CHARS as MAX_DESCRIPTION;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/route", post(route))
        .route("/route/batch", post(route_batch).layer(DefaultBodyLimit::max(16 * 1024 * 1024)))
        .route("/incidents", post(create).get(list))
        .route("/incidents/{id}", get(one))
        .route("/incidents/{id}/transitions", post(transition))
        .route("/escalation-sla", get(sla).put(update_sla))
}

/// Checks a coordinate pair; `field` is the path of the pair in the body (`""` at the top,
/// `points[3]` in a batch), named in the message and `error.field`.
fn check_point(field: &str, lon: f64, lat: f64) -> ApiResult<()> {
    let (lon_field, lat_field) = if field.is_empty() {
        ("lon".to_owned(), "lat".to_owned())
    } else {
        (format!("{field}[0]"), format!("{field}[1]"))
    };
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        let msg = format!("{lon_field} {lon} is outside [-180, 180] (longitude)");
        return Err(ApiError::new(ErrorCode::InvalidCoordinates, msg).field(lon_field));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        let msg = format!("{lat_field} {lat} is outside [-90, 90] (latitude)");
        return Err(ApiError::new(ErrorCode::InvalidCoordinates, msg).field(lat_field));
    }
    Ok(())
}

fn check_category(code: &str) -> ApiResult<&'static Category> {
    Category::by_code(code).ok_or_else(|| {
        let known: Vec<&str> = citygrid_api::CATEGORIES.iter().map(|c| c.code).collect();
        ApiError::new(
            ErrorCode::UnknownCategory,
            format!("category {code:?} is unknown; use one of {}", known.join(", ")),
        )
        .field("category")
    })
}

fn check_priority(p: Option<i16>) -> ApiResult<Option<i16>> {
    match p {
        Some(p) if !(1..=4).contains(&p) => {
            Err(ApiError::new(ErrorCode::InvalidValue, format!("priority {p} must be 1 (most urgent) to 4"))
                .field("priority"))
        }
        p => Ok(p),
    }
}

fn outside(e: RouteError, lon: f64, lat: f64) -> ApiError {
    let (nearest, distance_m) = match e {
        RouteError::OutsideCity { nearest, distance_m } => (nearest, distance_m),
        RouteError::OutsideScope(e) => return e.into(),
    };
    match nearest {
        Some(grid) => {
            let message = format!(
                "point ({lon}, {lat}) is outside every grid; the nearest grid is {} ({}) {:.0} m away",
                grid.code, grid.name, distance_m
            );
            let details = serde_json::to_value(OutsideCity { nearest_grid: grid, distance_m }).unwrap_or_default();
            ApiError::new(ErrorCode::OutsideCity, message).with_details(details)
        }
        None => ApiError::new(ErrorCode::OutsideCity, format!("point ({lon}, {lat}) is outside every grid")),
    }
}

/// Who is responsible for a point, what sees it, possible duplicates and mediation. No write.
#[utoipa::path(post, path = "/api/route", tag = "dispatch", security(("bearer" = [])), request_body = RouteRequest,
    responses((status = 200, body = RouteResult), (status = 400, body = citygrid_api::ErrorBody),
              (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn route(
    State(state): State<AppState>,
    auth: Authorized<IncidentsRead>,
    Json(req): Json<RouteRequest>,
) -> ApiResult<Json<RouteResult>> {
    check_point("", req.lon, req.lat)?;
    if let Some(c) = &req.category {
        check_category(c)?;
    }
    let now = Utc::now();
    let at = req
        .at
        .as_deref()
        .map(|s| {
            history::parse_as_of(s).map_err(|e| ApiError::new(ErrorCode::InvalidValue, format!("at: {e}")).field("at"))
        })
        .transpose()?;
    let q = RouteQuery {
        lon: req.lon,
        lat: req.lat,
        category: req.category.as_deref(),
        priority: check_priority(req.priority)?,
        now: at.unwrap_or(now),
        scope: &auth.scope,
    };
    // An instant from now on has today's partition unless a scheduled plan takes effect by then.
    let past_or_scheduled = match at {
        Some(t) => t < now || crate::planning::schedule::any_by(&state.pool, t).await?,
        None => false,
    };
    let answer = match at {
        Some(_) if past_or_scheduled => state.engine.route_at(&state.pool, &q).await?,
        _ => state.engine.route(&q),
    };
    answer.map(Json).map_err(|e| outside(e, req.lon, req.lat))
}

/// The grid of each point (up to 100,000), in input order; `null` outside the city.
#[utoipa::path(post, path = "/api/route/batch", tag = "dispatch", security(("bearer" = [])),
    request_body = BatchRouteRequest,
    responses((status = 200, body = BatchRouteResponse), (status = 400, body = citygrid_api::ErrorBody),
              (status = 413, body = citygrid_api::ErrorBody)))]
pub async fn route_batch(
    State(state): State<AppState>,
    auth: Authorized<IncidentsRead>,
    Json(req): Json<BatchRouteRequest>,
) -> ApiResult<Json<BatchRouteResponse>> {
    if req.points.len() > MAX_BATCH {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("points: {} points, at most {MAX_BATCH} per batch", req.points.len()),
        )
        .field("points"));
    }
    for (i, p) in req.points.iter().enumerate() {
        check_point(&format!("points[{i}]"), p[0], p[1])?;
    }
    let engine = state.engine.clone();
    let grids = tokio::task::spawn_blocking(move || engine.locate_batch(&req.points))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    for (i, grid) in grids.iter().enumerate() {
        if let Some(g) = grid {
            auth.scope.check(g, || format!("points[{i}] (grid {g})")).map_err(|e| e.field(format!("points[{i}]")))?;
        }
    }
    Ok(Json(BatchRouteResponse { grids }))
}

/// The RFC 3339 times [`parse_time`] reads, as the OpenAPI document states them.
pub const TIME_PATTERN: &str =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

/// Whether `s` has the shape of [`TIME_PATTERN`] (its digits may still name no real time).
fn time_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let fixed = b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !fixed {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|d| d.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    matches!(rest, [b'Z' | b'z'])
        || matches!(rest, [b'+' | b'-', h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()))
}

/// An RFC 3339 time: `code` (400) when `s` does not have the documented shape, 422
/// `invalid_value` when it has but names no time (month 13, 25 o'clock).
fn parse_time(code: ErrorCode, field: &str, s: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|e| {
        let code = if time_shaped(s) { ErrorCode::InvalidValue } else { code };
        ApiError::new(code, format!("{field} {s:?} is not an RFC 3339 time: {e}")).field(field)
    })
}

/// 400 `invalid_parameter` naming a query parameter.
fn invalid_param(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, message).field(field)
}

/// Registers an incident, routes it, and answers once it is committed.
#[utoipa::path(post, path = "/api/incidents", tag = "dispatch", security(("bearer" = [])),
    request_body = CreateIncidentRequest,
    responses((status = 201, body = IncidentCreated), (status = 400, body = citygrid_api::ErrorBody),
              (status = 413, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized<IncidentsWrite>,
    Json(req): Json<CreateIncidentRequest>,
) -> ApiResult<(StatusCode, Json<IncidentCreated>)> {
    check_point("", req.lon, req.lat)?;
    let category = check_category(&req.category)?;
    if Source::by_code(&req.source).is_none() {
        let known: Vec<&str> = citygrid_api::SOURCES.iter().map(|s| s.code).collect();
        return Err(ApiError::new(
            ErrorCode::UnknownSource,
            format!("source {:?} is unknown; use one of {}", req.source, known.join(", ")),
        )
        .field("source"));
    }
    let chars = req.description.chars().count();
    if chars > MAX_DESCRIPTION {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("description: {chars} characters, at most {MAX_DESCRIPTION}"),
        )
        .field("description"));
    }
    if req.description.trim().is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidValue, "description: say what happened").field("description"));
    }
    let now = Utc::now();
    let reported_at = match &req.reported_at {
        Some(s) => parse_time(ErrorCode::BadRequest, "reported_at", s)?,
        None => now,
    };
    if reported_at > now + chrono::Duration::minutes(5) {
        return Err(ApiError::new(ErrorCode::InvalidValue, format!("reported_at {reported_at} lies in the future"))
            .field("reported_at"));
    }
    // A few minutes of clock skew are forgiven, but a report never postdates its handling.
    let reported_at = reported_at.min(now);
    let q = RouteQuery {
        lon: req.lon,
        lat: req.lat,
        category: Some(category.code),
        priority: check_priority(req.priority)?,
        now,
        scope: &auth.scope,
    };
    let mut routing = state.engine.route(&q).map_err(|e| outside(e, req.lon, req.lat))?;
    let priority = req
        .priority
        .or_else(|| state.engine.snapshot().categories.get(category.code).map(|c| c.default_priority))
        .unwrap_or(3);
    let mut tx = state.pool.begin().await?;
    // A plan committed moments ago may not have reached the engine yet: never register into a
    // grid that no longer owns the point.
    if let Some((grid, worker)) = crate::routing::confirm_in_db(&mut tx, req.lon, req.lat, &routing.grid).await? {
        if let Some(step) = routing.escalation.first_mut() {
            step.code.clone_from(&grid.code);
            step.name.clone_from(&grid.name);
            step.responsible = worker.as_ref().map_or_else(|| "网格员".to_owned(), |w| w.name.clone());
        }
        routing.grid = grid;
        routing.grid_worker = worker;
    }
    let new = NewIncident {
        lon: req.lon,
        lat: req.lat,
        category: category.code.to_owned(),
        source: req.source,
        priority,
        description: req.description.trim().to_owned(),
        reported_at,
        grid_code: routing.grid.code.clone(),
    };
    let id = incidents::create(&mut tx, &new, auth.user.id).await?;
    crate::accounts::audit(
        &mut *tx,
        crate::accounts::AuditEntry {
            user_id: auth.user.id,
            action: "create",
            entity: "incident",
            entity_ids: vec![id.to_string()],
            before: None,
            after: Some(
                serde_json::json!({"category": new.category, "grid_code": new.grid_code, "priority": priority}),
            ),
        },
    )
    .await?;
    let incident = incidents::get(&mut tx, id, now).await?.ok_or_else(|| anyhow::anyhow!("new incident vanished"))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(IncidentCreated { incident, routing })))
}

/// One incident with its timeline and the actions allowed next.
#[utoipa::path(get, path = "/api/incidents/{id}", tag = "dispatch", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = IncidentDetail), (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn one(
    State(state): State<AppState>,
    auth: Authorized<IncidentsRead>,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentDetail>> {
    let id = parse_id("incident", &id)?;
    incidents::read(&state.pool, &auth.scope, auth.user.role, id, Utc::now())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no incident with id {id}")))
}

/// Query of `GET /api/incidents`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `minLon,minLat,maxLon,maxLat`: four decimals; out of range or min ≥ max is 422.
    bbox: Option<String>,
    /// A status, a comma-separated list, or `open` for new, assigned, accepted and in_progress.
    status: Option<String>,
    /// A category code (422 `unknown_category` otherwise).
    category: Option<String>,
    /// 1 (most urgent) to 4.
    #[param(minimum = 1, maximum = 4)]
    priority: Option<i16>,
    /// RFC 3339, inclusive.
    #[param(format = DateTime)]
    from: Option<String>,
    /// RFC 3339, exclusive.
    #[param(format = DateTime)]
    to: Option<String>,
    /// 15-digit grid code.
    #[param(pattern = "^[0-9]{15}$")]
    grid: Option<String>,
    /// A county (6 digits), township (9) or village (12) code.
    unit: Option<String>,
    /// `true`: open incidents whose current deadline has passed.
    overdue: Option<bool>,
    /// `true`: open incidents nobody is assigned to.
    unassigned: Option<bool>,
    /// `newest` (default), `deadline` (open incidents, earliest deadline first) or `priority`
    /// (open incidents, most urgent first, then by deadline).
    sort: Option<String>,
    /// Page size, default 50, at most 500 (larger values give 500).
    #[param(minimum = 1)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page (same filters and sort).
    cursor: Option<String>,
}

/// Incidents matching the filters in the chosen order, paged by cursor. Every filter and order
/// is answered from an index.
#[utoipa::path(get, path = "/api/incidents", tag = "dispatch", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = IncidentPage), (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized<IncidentsRead>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<IncidentPage>> {
    if let Some(c) = &p.category {
        check_category(c)?;
    }
    if let Some(g) = &p.grid {
        crate::grids::GridCode::parse(g).map_err(|e| invalid_param("grid", e))?;
    }
    let time = |field, s: &str| parse_time(ErrorCode::InvalidParameter, field, s);
    let param = |field: &'static str| move |e: String| invalid_param(field, e);
    let filter = ListFilter {
        bbox: p.bbox.as_deref().map(BBox::parse).transpose().map_err(|e| super::extract::bbox_error(&e))?,
        statuses: p
            .status
            .as_deref()
            .map(list::parse_statuses)
            .transpose()
            .map_err(param("status"))?
            .unwrap_or_default(),
        category: p.category,
        priority: p.priority,
        from: p.from.as_deref().map(|s| time("from", s)).transpose()?,
        to: p.to.as_deref().map(|s| time("to", s)).transpose()?,
        grid: p.grid,
        unit: p.unit.as_deref().map(list::parse_unit).transpose().map_err(param("unit"))?,
        overdue: p.overdue.unwrap_or(false),
        unassigned: p.unassigned.unwrap_or(false),
        sort: p.sort.as_deref().map(Sort::parse).transpose().map_err(param("sort"))?.unwrap_or_default(),
        after: p.cursor.as_deref().map(Cursor::parse).transpose().map_err(param("cursor"))?,
        limit: p.limit.map_or(list::DEFAULT_LIMIT, |n| n.min(list::MAX_LIMIT)),
    };
    // A cursor of another order, or an order that excludes the statuses asked for: each
    // parameter is well-formed, together they cannot be answered (422).
    filter.check().map_err(|(field, e)| {
        if matches!(field, "cursor" | "sort") {
            ApiError::new(ErrorCode::InvalidValue, e).field(field)
        } else {
            invalid_param(field, e)
        }
    })?;
    let (items, next_cursor) = list::list(&state.pool, &auth.scope, &filter, Utc::now()).await?;
    Ok(Json(IncidentPage { items, next_cursor }))
}

/// Moves an incident through its state machine; 409 with the allowed actions when illegal.
#[utoipa::path(post, path = "/api/incidents/{id}/transitions", tag = "dispatch", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)), request_body = TransitionRequest,
    responses((status = 200, body = citygrid_api::Incident), (status = 404, body = citygrid_api::ErrorBody),
              (status = 409, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn transition(
    State(state): State<AppState>,
    auth: Authorized<IncidentsWrite>,
    Path(id): Path<String>,
    Json(req): Json<TransitionRequest>,
) -> ApiResult<Json<citygrid_api::Incident>> {
    let id = parse_id("incident", &id)?;
    incidents::transition(
        &state.pool,
        &auth.scope,
        id,
        &req.action,
        req.note.as_deref(),
        req.duplicate_of,
        auth.user.id,
        Utc::now(),
    )
    .await
    .map(Json)
    .map_err(|e| match e {
        TransitionError::NotFound(_) => ApiError::NotFound(e.to_string()),
        TransitionError::NotAllowed { ref allowed, .. } => {
            let details = serde_json::json!({ "allowed_actions": allowed });
            ApiError::new(ErrorCode::TransitionNotAllowed, e.to_string()).with_details(details)
        }
        TransitionError::Invalid { field, .. } => ApiError::new(ErrorCode::InvalidValue, e.to_string()).field(field),
        TransitionError::OutsideScope(e) => e.into(),
        TransitionError::Db(e) => ApiError::Internal(e),
    })
}

/// The escalation SLA table, by category, priority and level.
#[utoipa::path(get, path = "/api/escalation-sla", tag = "dispatch", security(("bearer" = [])),
    responses((status = 200, body = Vec<SlaEntry>), (status = 403, body = citygrid_api::ErrorBody)))]
pub async fn sla(State(state): State<AppState>, _auth: Authorized<IncidentsRead>) -> ApiResult<Json<Vec<SlaEntry>>> {
    Ok(Json(incidents::sla_table(&state.pool).await?))
}

/// Changes one SLA row (admins). Every backend applies it within moments (LISTEN/NOTIFY); open
/// incidents are measured against the new hours from then on.
#[utoipa::path(put, path = "/api/escalation-sla", tag = "dispatch", security(("bearer" = [])),
    request_body = SlaUpdate,
    responses((status = 200, body = SlaEntry), (status = 403, body = citygrid_api::ErrorBody),
              (status = 404, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn update_sla(
    State(state): State<AppState>,
    auth: Authorized<SlaAdmin>,
    Json(req): Json<SlaUpdate>,
) -> ApiResult<Json<SlaEntry>> {
    auth.scope.check_city_wide(|| "the escalation SLA table (city-wide)".into())?;
    check_category(&req.category)?;
    check_priority(Some(req.priority))?;
    if !(0..incidents::TOP_LEVEL).contains(&req.level) {
        return Err(ApiError::new(
            ErrorCode::InvalidValue,
            format!("level {}: 0 (grid), 1 (village) or 2 (township); the county centre does not escalate", req.level),
        )
        .field("level"));
    }
    if !(req.hours > 0.0 && req.hours <= 8760.0) {
        return Err(ApiError::new(
            ErrorCode::InvalidValue,
            format!("hours {}: more than 0 and at most 8760", req.hours),
        )
        .field("hours"));
    }
    incidents::update_sla(&state.pool, &req, auth.user.id).await?.map(Json).ok_or_else(|| {
        ApiError::NotFound(format!("no SLA row for {} priority {} level {}", req.category, req.priority, req.level))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_the_documented_shape_are_400_only_when_misshapen() {
        let code = |s: &str| parse_time(ErrorCode::BadRequest, "t", s).err().map(|e| e.code());
        assert_eq!(code("2026-03-01T08:00:00Z"), None);
        assert_eq!(code("2026-03-01t08:00:00.125+08:00"), None);
        for impossible in ["2026-13-01T08:00:00Z", "2026-02-30T08:00:00Z", "2026-03-01T25:00:00-01:00"] {
            assert_eq!(code(impossible), Some(ErrorCode::InvalidValue), "{impossible}");
        }
        for misshapen in ["", "2026-03-01", "2026-03-01T08:00Z", "2026-03-01T08:00:00.Z", "2026-03-01T08:00:00+0800"] {
            assert_eq!(code(misshapen), Some(ErrorCode::BadRequest), "{misshapen}");
        }
    }
}
