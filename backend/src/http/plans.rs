//! `/api/plans`, `/api/partition/validate`, `/api/grids/{code}/workers`, `/api/grids/{code}/history`:
//! boundary planning and its history.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Router;
use chrono::Utc;
use citygrid_api::{
    CommitRequest, CreatePlanRequest, ErrorCode, GridHistory, GridWorkers, GridWorkersUpdate, GridWorkload,
    PartitionIssue, PartitionReport, Plan, PlanList, PlanOperation, PlanStatus,
};
use serde::Deserialize;
use serde_json::json;

use super::auth::{Authorized, MapRead, PlansRead, PlansWrite};
use super::extract::{parse_id, Json, Path, Query};
use super::{ApiError, ApiResult, AppState};
use crate::grids::GridCode;
use crate::planning::input::{self, Expect};
use crate::planning::plan::{self, DraftRequest, ListFilter};
use crate::planning::schedule;
use crate::planning::validate::Rules;
use crate::planning::{self as planning, shape_geojson, PlanError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plans", post(create).get(list))
        .route("/plans/{id}", get(one))
        .route("/plans/{id}/commit", post(commit))
        .route("/plans/{id}/discard", post(discard))
        .route("/plans/{id}/revert", post(revert))
        .route("/partition/validate", get(validate))
        .route("/grids/{code}/workers", put(set_workers))
        .route("/grids/{code}/history", get(history))
        .route("/grids/{code}/workload", get(workload))
}

/// Maps a planning error onto the catalogue; `details.reason` is the machine-readable cause.
impl From<PlanError> for ApiError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::NotFound(m) => ApiError::NotFound(m),
            PlanError::Invalid(m) => ApiError::new(ErrorCode::InvalidValue, m),
            PlanError::Geometry { reason, message, geometry } => {
                debug_assert!(citygrid_api::PLAN_REFUSAL_REASONS.contains(&reason), "{reason} is not catalogued");
                let code =
                    if reason == "invalid_geometry" { ErrorCode::InvalidGeometry } else { ErrorCode::PartitionRule };
                ApiError::new(code, message).with_details(json!({"reason": reason, "geometry": geometry}))
            }
            PlanError::TooLarge(m) => ApiError::PayloadTooLarge(m),
            PlanError::OutsideScope(o) => o.into(),
            PlanError::Stale { message, grids } => {
                ApiError::new(ErrorCode::StaleVersion, message).with_details(json!({"grids": grids}))
            }
            PlanError::MissingBase { grids, versions } => {
                let message =
                    format!("the plan also changes {}; add their versions to base_versions", grids.join(", "));
                let versions: serde_json::Map<String, serde_json::Value> =
                    versions.into_iter().map(|(c, v)| (c, json!(v))).collect();
                ApiError::new(ErrorCode::MissingBaseVersion, message)
                    .field("base_versions")
                    .with_details(json!({"grids": grids, "versions": versions}))
            }
            PlanError::Scheduled { grid, plan_id, effective_from } => {
                let details = json!({"grid": grid, "plan_id": plan_id, "effective_from": effective_from});
                ApiError::Conflict(PlanError::Scheduled { grid, plan_id, effective_from }.to_string())
                    .with_details(details)
            }
            PlanError::Conflict(m) => ApiError::Conflict(m),
            PlanError::Db(e) => ApiError::Internal(e),
        }
    }
}

fn grid_code(field: &str, s: &str) -> ApiResult<String> {
    GridCode::parse(s)
        .map(|c| c.as_str().to_owned())
        .map_err(|e| ApiError::new(ErrorCode::InvalidValue, format!("{field}: {e}")).field(field))
}

/// Drafts a plan: computes the new boundaries, checks them and previews the consequences.
#[utoipa::path(post, path = "/api/plans", tag = "planning", security(("bearer" = [])), request_body = CreatePlanRequest,
    responses((status = 201, body = Plan), (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 409, body = citygrid_api::ErrorBody),
              (status = 413, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized<PlansWrite>,
    Json(req): Json<CreatePlanRequest>,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    let grids = req
        .grids
        .iter()
        .enumerate()
        .map(|(i, g)| grid_code(&format!("grids[{i}]"), g))
        .collect::<ApiResult<Vec<_>>>()?;
    match (req.operation, grids.len()) {
        (PlanOperation::Merge, n) if n < 2 => {
            return Err(ApiError::Unprocessable("grids: a merge names two or more grids".into()))
        }
        (PlanOperation::Reshape | PlanOperation::Split, n) if n != 1 => {
            return Err(ApiError::Unprocessable(format!("grids: {} names exactly one grid", req.operation.as_str())))
        }
        (PlanOperation::Revert, _) => {
            return Err(ApiError::Unprocessable("operation: revert a plan with POST /api/plans/{id}/revert".into()))
        }
        _ => {}
    }
    if req.operation == PlanOperation::Reshape && req.mode.is_none() {
        return Err(ApiError::Unprocessable("mode: a reshape is `boundary` or `edge`".into()));
    }
    if req.note.chars().count() > 2000 {
        return Err(ApiError::Unprocessable("note: at most 2,000 characters".into()));
    }
    let neighbour = req.neighbour.as_deref().map(|n| grid_code("neighbour", n)).transpose()?;
    for (code, v) in &req.base_versions {
        grid_code(&format!("base_versions.{code}"), code)?;
        if *v < 1 {
            return Err(ApiError::Unprocessable(format!("base_versions.{code}: {v} is not a version")));
        }
    }
    let expect = match (req.operation, req.mode) {
        (PlanOperation::Merge, _) => None,
        (PlanOperation::Reshape, Some(citygrid_api::ReshapeMode::Boundary)) => Some(Expect::Area),
        _ => Some(Expect::Line),
    };
    let geometry = match (expect, &req.geometry) {
        (None, _) => None,
        (Some(_), None) => return Err(ApiError::Unprocessable("geometry: this operation needs one".into())),
        (Some(e), Some(g)) => Some(input::parse(g, e).map_err(|e| {
            if e.too_large {
                ApiError::PayloadTooLarge(e.message)
            } else {
                let at = e.at.map(|[x, y]| json!({"type": "Point", "coordinates": [x, y]}));
                ApiError::new(ErrorCode::InvalidGeometry, format!("geometry: {}", e.message))
                    .field("geometry")
                    .with_details(json!({"reason": "invalid_geometry", "geometry": at}))
            }
        })?),
    };
    let draft = DraftRequest {
        operation: req.operation,
        mode: req.mode,
        grids,
        neighbour,
        geometry,
        base_versions: req.base_versions,
        note: req.note.trim().to_owned(),
        allow_multipolygon: req.allow_multipolygon,
    };
    let plan = plan::draft(&state.pool, draft, auth.user.id, &auth.scope, Rules::default()).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// Query of `GET /api/plans`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `draft`, `scheduled`, `committed`, `failed`, `discarded` or `reverted`.
    #[param(pattern = "^(draft|scheduled|committed|failed|discarded|reverted)$")]
    status: Option<String>,
    /// A village, township or county code.
    #[param(pattern = "^([0-9]{6}|[0-9]{9}|[0-9]{12})$")]
    village: Option<String>,
    /// The author's username.
    author: Option<String>,
    /// Plans that name this grid or change it (recolouring it included).
    #[param(pattern = "^[0-9]{15}$")]
    grid: Option<String>,
    /// At most this many (default 50; more is answered as 500).
    #[param(minimum = 1)]
    limit: Option<i64>,
}

/// Plans, newest first.
#[utoipa::path(get, path = "/api/plans", tag = "planning", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = PlanList), (status = 400, body = citygrid_api::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized<PlansRead>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PlanList>> {
    let status = p
        .status
        .as_deref()
        .map(|s| {
            PlanStatus::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "status {s:?} is not draft, scheduled, committed, failed, discarded or reverted"
                ))
            })
        })
        .transpose()?;
    if let Some(v) = &p.village {
        if !(v.bytes().all(|b| b.is_ascii_digit()) && matches!(v.len(), 6 | 9 | 12)) {
            return Err(ApiError::BadRequest(format!(
                "village {v:?}: a county (6), township (9) or village (12) code"
            )));
        }
    }
    if let Some(g) = &p.grid {
        GridCode::parse(g).map_err(ApiError::BadRequest)?;
    }
    let limit = match p.limit {
        None => 50,
        Some(n) if n < 1 => return Err(ApiError::BadRequest(format!("limit {n} must be at least 1"))),
        Some(n) => n.min(500),
    };
    let filter = ListFilter { status, area: p.village, author: p.author, grid: p.grid, limit };
    Ok(Json(PlanList { items: plan::list(&state.pool, &filter, &auth.scope).await? }))
}

/// One plan with its diff.
#[utoipa::path(get, path = "/api/plans/{id}", tag = "planning", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Plan), (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn one(
    State(state): State<AppState>,
    auth: Authorized<PlansRead>,
    Path(id): Path<String>,
) -> ApiResult<Json<Plan>> {
    let id = parse_id("plan", &id)?;
    Ok(Json(plan::get(&state.pool, id, &auth.scope).await?))
}

/// Commits a draft atomically; 409 naming the grids that moved since it was drawn. With
/// `effective_from` later than now (at most a year ahead) the plan is `scheduled` instead: nothing
/// changes until then (the future partition shows with `as_of`), and then the backend commits it
/// — or marks it `failed` with the reason if a grid moved meanwhile. 409 (`details.grid`,
/// `details.plan_id`) while another scheduled plan changes one of its grids.
#[utoipa::path(post, path = "/api/plans/{id}/commit", tag = "planning", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    request_body(content = Option<CommitRequest>, description = "optional; without a body the plan is committed now"),
    responses((status = 200, body = Plan), (status = 404, body = citygrid_api::ErrorBody),
              (status = 409, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn commit(
    State(state): State<AppState>,
    auth: Authorized<PlansWrite>,
    Path(id): Path<String>,
    body: Option<Json<CommitRequest>>,
) -> ApiResult<Json<Plan>> {
    let id = parse_id("plan", &id)?;
    let now = Utc::now();
    let at = match body.and_then(|Json(b)| b.effective_from) {
        None => None,
        Some(s) => schedule::effective_from(&s, now).map_err(|e| {
            ApiError::new(ErrorCode::InvalidValue, format!("effective_from: {e}")).field("effective_from")
        })?,
    };
    Ok(Json(schedule::commit(&state.pool, id, auth.user.id, &auth.scope, now, at).await?))
}

/// Discards a draft, or cancels a scheduled plan before its time.
#[utoipa::path(post, path = "/api/plans/{id}/discard", tag = "planning", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Plan), (status = 404, body = citygrid_api::ErrorBody),
              (status = 409, body = citygrid_api::ErrorBody)))]
pub async fn discard(
    State(state): State<AppState>,
    auth: Authorized<PlansWrite>,
    Path(id): Path<String>,
) -> ApiResult<Json<Plan>> {
    let id = parse_id("plan", &id)?;
    Ok(Json(plan::discard(&state.pool, id, auth.user.id, &auth.scope, Utc::now()).await?))
}

/// Reverts a committed plan with a new committed plan that restores the previous boundaries
/// and assignments; 409 when later plans changed those grids.
#[utoipa::path(post, path = "/api/plans/{id}/revert", tag = "planning", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 201, body = Plan), (status = 404, body = citygrid_api::ErrorBody),
              (status = 409, body = citygrid_api::ErrorBody)))]
pub async fn revert(
    State(state): State<AppState>,
    auth: Authorized<PlansWrite>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    let id = parse_id("plan", &id)?;
    let plan = plan::revert(&state.pool, id, auth.user.id, &auth.scope, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// Query of `GET /api/partition/validate` (at most one).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValidateParams {
    /// A 12-digit village code.
    #[param(pattern = "^[0-9]{12}$")]
    village: Option<String>,
    /// A 9-digit township code.
    #[param(pattern = "^[0-9]{9}$")]
    township: Option<String>,
    /// A 6-digit county code.
    #[param(pattern = "^[0-9]{6}$")]
    county: Option<String>,
}

/// Checks the current partition (gaps, overlaps, grids outside their village, vertices only
/// one side of an edge has, invalid polygons, slivers) from the in-memory grids.
#[utoipa::path(get, path = "/api/partition/validate", tag = "planning", security(("bearer" = [])),
    params(ValidateParams),
    responses((status = 200, body = PartitionReport), (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn validate(
    State(state): State<AppState>,
    auth: Authorized<PlansRead>,
    Query(p): Query<ValidateParams>,
) -> ApiResult<Json<PartitionReport>> {
    let given: Vec<(&str, &String, usize)> =
        [("village", &p.village, 12), ("township", &p.township, 9), ("county", &p.county, 6)]
            .into_iter()
            .filter_map(|(k, v, n)| v.as_ref().map(|v| (k, v, n)))
            .collect();
    let (level, code) = match given.as_slice() {
        [] => ("city", None),
        [(k, v, n)] => {
            if v.len() != *n || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::BadRequest(format!("{k} {v:?} must be {n} digits")));
            }
            (*k, Some((*v).clone()))
        }
        // Each is well-formed; together they ask for two areas at once (no schema states that).
        _ => {
            return Err(ApiError::new(ErrorCode::InvalidValue, "give at most one of village, township, county")
                .field("village"))
        }
    };
    let scope = &auth.scope;
    match &code {
        Some(c) => scope.check(c, || format!("{level} {c}")).map_err(PlanError::from)?,
        None => scope.check_city_wide(|| "the whole city".into()).map_err(PlanError::from)?,
    }
    let rules = Rules::default();
    let snapshot = state.engine.snapshot();
    let prefix = code.clone();
    let started = Instant::now();
    let report = tokio::task::spawn_blocking(move || planning::check_partition(&snapshot, prefix.as_deref(), rules))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut counts = std::collections::BTreeMap::new();
    for i in &report.issues {
        *counts.entry(i.kind.as_str().to_owned()).or_insert(0) += 1;
    }
    Ok(Json(PartitionReport {
        scope: level.to_owned(),
        code,
        valid: report.issues.is_empty(),
        grids: report.grids,
        villages: report.villages,
        multipart_grids: report.multipart_grids,
        counts,
        issues: report
            .issues
            .into_iter()
            .map(|i| PartitionIssue {
                kind: i.kind.as_str().to_owned(),
                grids: i.grids,
                village_code: i.village,
                area_m2: i.area_m2,
                width_m: i.width_m,
                reason: i.reason,
                geometry: shape_geojson(&i.shape),
            })
            .collect(),
        min_width_m: rules.min_width_m,
        min_area_m2: rules.min_area_m2,
        elapsed_ms,
    }))
}

/// Assigns and orders a grid's workers (the first is responsible).
#[utoipa::path(put, path = "/api/grids/{code}/workers", tag = "planning", security(("bearer" = [])),
    params(("code" = String, Path, description = "15-digit grid code", pattern = "^[0-9]{15}$")), request_body = GridWorkersUpdate,
    responses((status = 200, body = GridWorkers), (status = 404, body = citygrid_api::ErrorBody),
              (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn set_workers(
    State(state): State<AppState>,
    auth: Authorized<PlansWrite>,
    Path(code): Path<String>,
    Json(req): Json<GridWorkersUpdate>,
) -> ApiResult<Json<GridWorkers>> {
    let code = GridCode::parse(&code).map_err(ApiError::BadRequest)?;
    if req.workers.len() > 50 {
        return Err(ApiError::Unprocessable("workers: at most 50 per grid".into()));
    }
    let out = planning::workers::set(&state.pool, code.as_str(), &req.workers, auth.user.id, &auth.scope).await?;
    Ok(Json(out))
}

/// Every boundary version of a grid, oldest first, with the plan, author and note that made it
/// (retired grids included).
#[utoipa::path(get, path = "/api/grids/{code}/history", tag = "planning", security(("bearer" = [])),
    params(("code" = String, Path, description = "15-digit grid code", pattern = "^[0-9]{15}$")),
    responses((status = 200, body = GridHistory), (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    auth: Authorized<MapRead>,
    Path(code): Path<String>,
) -> ApiResult<Json<GridHistory>> {
    let code = GridCode::parse(&code).map_err(|e| ApiError::new(ErrorCode::InvalidParameter, e).field("code"))?;
    planning::history::grid_history(&state.pool, &auth.scope, &code)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no grid ever had code {}", code.as_str())))
}

/// A grid's workload (households, residents, incidents of the last 90 days, buildings per
/// worker) against its village's average, with its neighbours and the village outline.
#[utoipa::path(get, path = "/api/grids/{code}/workload", tag = "planning", security(("bearer" = [])),
    params(("code" = String, Path, description = "15-digit grid code", pattern = "^[0-9]{15}$")),
    responses((status = 200, body = GridWorkload), (status = 400, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody), (status = 404, body = citygrid_api::ErrorBody)))]
pub async fn workload(
    State(state): State<AppState>,
    auth: Authorized<PlansRead>,
    Path(code): Path<String>,
) -> ApiResult<Json<GridWorkload>> {
    let code = GridCode::parse(&code).map_err(|e| ApiError::new(ErrorCode::InvalidParameter, e).field("code"))?;
    planning::workload::grid_workload(&state.pool, &auth.scope, &code)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no current grid has code {}", code.as_str())))
}
