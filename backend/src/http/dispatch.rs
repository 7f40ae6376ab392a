//! `/api/route`, `/api/route/batch`, `/api/incidents`: routing by location and incident follow-up.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use citygrid_api::{
    BatchRouteRequest, BatchRouteResponse, Category, CreateIncidentRequest, IncidentCreated, IncidentDetail,
    IncidentPage, OutsideCity, RouteRequest, RouteResult, SlaEntry, SlaUpdate, Source, TransitionRequest,
};
use serde::Deserialize;

use super::auth::{AdminOnly, Authorized, Dispatch};
use super::extract::{parse_id, Json, Path, Query};
use super::{ApiError, ApiResult, AppState};
use crate::grids::BBox;
use crate::incidents::list::{self, Cursor, ListFilter, Sort};
use crate::incidents::{self, NewIncident, TransitionError};
use crate::routing::{RouteError, RouteQuery};

/// The most points one batch may carry.
pub const MAX_BATCH: usize = 100_000;
/// The most characters of a description.
pub const MAX_DESCRIPTION: usize = 4000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/route", post(route))
        .route("/route/batch", post(route_batch).layer(DefaultBodyLimit::max(16 * 1024 * 1024)))
        .route("/incidents", post(create).get(list))
        .route("/incidents/{id}", get(one))
        .route("/incidents/{id}/transitions", post(transition))
        .route("/escalation-sla", get(sla).put(update_sla))
}

/// Checks a coordinate pair; `what` names it in the message.
fn check_point(what: &str, lon: f64, lat: f64) -> ApiResult<()> {
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(ApiError::BadRequest(format!("{what}lon {lon} is outside [-180, 180]")));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::BadRequest(format!("{what}lat {lat} is outside [-90, 90]")));
    }
    Ok(())
}

fn check_category(code: &str) -> ApiResult<&'static Category> {
    Category::by_code(code).ok_or_else(|| {
        let known: Vec<&str> = citygrid_api::CATEGORIES.iter().map(|c| c.code).collect();
        ApiError::Unprocessable(format!("category {code:?} is unknown; use one of {}", known.join(", ")))
    })
}

fn check_priority(p: Option<i16>) -> ApiResult<Option<i16>> {
    match p {
        Some(p) if !(1..=4).contains(&p) => {
            Err(ApiError::Unprocessable(format!("priority {p} must be 1 (most urgent) to 4")))
        }
        p => Ok(p),
    }
}

fn outside(e: RouteError, lon: f64, lat: f64) -> ApiError {
    let RouteError::OutsideCity { nearest, distance_m } = e;
    match nearest {
        Some(grid) => {
            let message = format!(
                "point ({lon}, {lat}) is outside every grid; the nearest grid is {} ({}) {:.0} m away",
                grid.code, grid.name, distance_m
            );
            let details = serde_json::to_value(OutsideCity { nearest_grid: grid, distance_m }).unwrap_or_default();
            ApiError::Unprocessable(message).with_details(details)
        }
        None => ApiError::Unprocessable(format!("point ({lon}, {lat}) is outside every grid")),
    }
}

/// Who is responsible for a point, what sees it, possible duplicates and mediation. No write.
#[utoipa::path(post, path = "/api/route", tag = "dispatch", security(("bearer" = [])), request_body = RouteRequest,
    responses((status = 200, body = RouteResult), (status = 400, body = citygrid_api::ErrorBody),
              (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn route(
    State(state): State<AppState>,
    _auth: Authorized<Dispatch>,
    Json(req): Json<RouteRequest>,
) -> ApiResult<Json<RouteResult>> {
    check_point("", req.lon, req.lat)?;
    if let Some(c) = &req.category {
        check_category(c)?;
    }
    let q = RouteQuery {
        lon: req.lon,
        lat: req.lat,
        category: req.category.as_deref(),
        priority: check_priority(req.priority)?,
        now: Utc::now(),
    };
    state.engine.route(&q).map(Json).map_err(|e| outside(e, req.lon, req.lat))
}

/// The grid of each point (up to 100,000), in input order; `null` outside the city.
#[utoipa::path(post, path = "/api/route/batch", tag = "dispatch", security(("bearer" = [])),
    request_body = BatchRouteRequest,
    responses((status = 200, body = BatchRouteResponse), (status = 400, body = citygrid_api::ErrorBody),
              (status = 413, body = citygrid_api::ErrorBody)))]
pub async fn route_batch(
    State(state): State<AppState>,
    _auth: Authorized<Dispatch>,
    Json(req): Json<BatchRouteRequest>,
) -> ApiResult<Json<BatchRouteResponse>> {
    if req.points.len() > MAX_BATCH {
        return Err(ApiError::PayloadTooLarge(format!(
            "points: {} points, at most {MAX_BATCH} per batch",
            req.points.len()
        )));
    }
    for (i, p) in req.points.iter().enumerate() {
        check_point(&format!("points[{i}]: "), p[0], p[1])?;
    }
    let engine = state.engine.clone();
    let grids = tokio::task::spawn_blocking(move || engine.locate_batch(&req.points))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(BatchRouteResponse { grids }))
}

fn parse_time(field: &str, s: &str) -> ApiResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ApiError::BadRequest(format!("{field} {s:?} is not an RFC 3339 time: {e}")))
}

/// Registers an incident, routes it, and answers once it is committed.
#[utoipa::path(post, path = "/api/incidents", tag = "dispatch", security(("bearer" = [])),
    request_body = CreateIncidentRequest,
    responses((status = 201, body = IncidentCreated), (status = 400, body = citygrid_api::ErrorBody),
              (status = 413, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized<Dispatch>,
    Json(req): Json<CreateIncidentRequest>,
) -> ApiResult<(StatusCode, Json<IncidentCreated>)> {
    check_point("", req.lon, req.lat)?;
    let category = check_category(&req.category)?;
    if Source::by_code(&req.source).is_none() {
        let known: Vec<&str> = citygrid_api::SOURCES.iter().map(|s| s.code).collect();
        return Err(ApiError::Unprocessable(format!(
            "source {:?} is unknown; use one of {}",
            req.source,
            known.join(", ")
        )));
    }
    let chars = req.description.chars().count();
    if chars > MAX_DESCRIPTION {
        return Err(ApiError::PayloadTooLarge(format!("description: {chars} characters, at most {MAX_DESCRIPTION}")));
    }
    if req.description.trim().is_empty() {
        return Err(ApiError::Unprocessable("description: say what happened".into()));
    }
    let now = Utc::now();
    let reported_at = match &req.reported_at {
        Some(s) => parse_time("reported_at", s)?,
        None => now,
    };
    if reported_at > now + chrono::Duration::minutes(5) {
        return Err(ApiError::Unprocessable(format!("reported_at {reported_at} lies in the future")));
    }
    // A few minutes of clock skew are forgiven, but a report never postdates its handling.
    let reported_at = reported_at.min(now);
    let q = RouteQuery {
        lon: req.lon,
        lat: req.lat,
        category: Some(category.code),
        priority: check_priority(req.priority)?,
        now,
    };
    let routing = state.engine.route(&q).map_err(|e| outside(e, req.lon, req.lat))?;
    let priority = req
        .priority
        .or_else(|| state.engine.snapshot().categories.get(category.code).map(|c| c.default_priority))
        .unwrap_or(3);
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
    let mut tx = state.pool.begin().await?;
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
    params(("id" = i64, Path)),
    responses((status = 200, body = IncidentDetail), (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn one(
    State(state): State<AppState>,
    _auth: Authorized<Dispatch>,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentDetail>> {
    let id = parse_id("incident", &id)?;
    let mut conn = state.pool.acquire().await?;
    let incident = incidents::get(&mut conn, id, Utc::now())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no incident with id {id}")))?;
    drop(conn);
    let timeline = incidents::timeline(&state.pool, id).await?;
    let allowed_actions = incidents::allowed_actions(&incident.status, incident.escalation_level);
    Ok(Json(IncidentDetail { incident, timeline, allowed_actions }))
}

/// Query of `GET /api/incidents`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// `minLon,minLat,maxLon,maxLat`.
    bbox: Option<String>,
    /// A status, a comma-separated list, or `open` for new, assigned, accepted and in_progress.
    status: Option<String>,
    category: Option<String>,
    /// 1 (most urgent) to 4.
    priority: Option<i16>,
    /// RFC 3339, inclusive.
    from: Option<String>,
    /// RFC 3339, exclusive.
    to: Option<String>,
    /// 15-digit grid code.
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
    /// Page size, default 50, at most 500.
    limit: Option<i64>,
    /// `next_cursor` of the previous page (same filters and sort).
    cursor: Option<String>,
}

/// Incidents matching the filters in the chosen order, paged by cursor. Every filter and order
/// is answered from an index.
#[utoipa::path(get, path = "/api/incidents", tag = "dispatch", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = IncidentPage), (status = 400, body = citygrid_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _auth: Authorized<Dispatch>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<IncidentPage>> {
    if let Some(c) = &p.category {
        check_category(c).map_err(|_| ApiError::BadRequest(format!("category {c:?} is unknown")))?;
    }
    if let Some(g) = &p.grid {
        crate::grids::GridCode::parse(g).map_err(ApiError::BadRequest)?;
    }
    let filter = ListFilter {
        bbox: p.bbox.as_deref().map(BBox::parse).transpose().map_err(ApiError::BadRequest)?,
        statuses: p
            .status
            .as_deref()
            .map(list::parse_statuses)
            .transpose()
            .map_err(ApiError::BadRequest)?
            .unwrap_or_default(),
        category: p.category,
        priority: p.priority,
        from: p.from.as_deref().map(|s| parse_time("from", s)).transpose()?,
        to: p.to.as_deref().map(|s| parse_time("to", s)).transpose()?,
        grid: p.grid,
        unit: p.unit.as_deref().map(list::parse_unit).transpose().map_err(ApiError::BadRequest)?,
        overdue: p.overdue.unwrap_or(false),
        unassigned: p.unassigned.unwrap_or(false),
        sort: p.sort.as_deref().map(Sort::parse).transpose().map_err(ApiError::BadRequest)?.unwrap_or_default(),
        after: p.cursor.as_deref().map(Cursor::parse).transpose().map_err(ApiError::BadRequest)?,
        limit: p.limit.map_or(list::DEFAULT_LIMIT, |n| n.min(list::MAX_LIMIT)),
    };
    filter.check().map_err(ApiError::BadRequest)?;
    let (items, next_cursor) = list::list(&state.pool, &filter, Utc::now()).await?;
    Ok(Json(IncidentPage { items, next_cursor }))
}

/// Moves an incident through its state machine; 409 with the allowed actions when illegal.
#[utoipa::path(post, path = "/api/incidents/{id}/transitions", tag = "dispatch", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = TransitionRequest,
    responses((status = 200, body = citygrid_api::Incident), (status = 404, body = citygrid_api::ErrorBody),
              (status = 409, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn transition(
    State(state): State<AppState>,
    auth: Authorized<Dispatch>,
    Path(id): Path<String>,
    Json(req): Json<TransitionRequest>,
) -> ApiResult<Json<citygrid_api::Incident>> {
    let id = parse_id("incident", &id)?;
    incidents::transition(&state.pool, id, &req.action, req.note.as_deref(), req.duplicate_of, auth.user.id, Utc::now())
        .await
        .map(Json)
        .map_err(|e| match e {
            TransitionError::NotFound(_) => ApiError::NotFound(e.to_string()),
            TransitionError::NotAllowed { ref allowed, .. } => {
                let details = serde_json::json!({ "allowed_actions": allowed });
                ApiError::Conflict(e.to_string()).with_details(details)
            }
            TransitionError::Invalid(_) => ApiError::Unprocessable(e.to_string()),
            TransitionError::Db(e) => ApiError::Internal(e),
        })
}

/// The escalation SLA table, by category, priority and level.
#[utoipa::path(get, path = "/api/escalation-sla", tag = "dispatch", security(("bearer" = [])),
    responses((status = 200, body = Vec<SlaEntry>), (status = 403, body = citygrid_api::ErrorBody)))]
pub async fn sla(State(state): State<AppState>, _auth: Authorized<Dispatch>) -> ApiResult<Json<Vec<SlaEntry>>> {
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
    auth: Authorized<AdminOnly>,
    Json(req): Json<SlaUpdate>,
) -> ApiResult<Json<SlaEntry>> {
    check_category(&req.category)?;
    check_priority(Some(req.priority))?;
    if !(0..incidents::TOP_LEVEL).contains(&req.level) {
        return Err(ApiError::Unprocessable(format!(
            "level {}: 0 (grid), 1 (village) or 2 (township); the county centre does not escalate",
            req.level
        )));
    }
    if !(req.hours > 0.0 && req.hours <= 8760.0) {
        return Err(ApiError::Unprocessable(format!("hours {}: more than 0 and at most 8760", req.hours)));
    }
    incidents::update_sla(&state.pool, &req, auth.user.id).await?.map(Json).ok_or_else(|| {
        ApiError::NotFound(format!("no SLA row for {} priority {} level {}", req.category, req.priority, req.level))
    })
}
