//! `/api/users` (administrators): list and create accounts. Every creation is audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use citygrid_api::{CreateUserRequest, User};

use super::auth::{AdminOnly, Authorized};
use super::extract::Json;
use super::{ApiError, ApiResult, AppState};
use crate::accounts::{self, AccountError, AuditEntry, AuthUser};

pub fn router() -> Router<AppState> {
    Router::new().route("/users", get(list).post(create))
}

/// All accounts, by username.
#[utoipa::path(get, path = "/api/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<User>), (status = 403, body = citygrid_api::ErrorBody)))]
pub async fn list(State(state): State<AppState>, _auth: Authorized<AdminOnly>) -> ApiResult<Json<Vec<User>>> {
    let users = accounts::list_users(&state.pool).await?;
    Ok(Json(users.iter().map(AuthUser::to_api).collect()))
}

/// Creates an account (and its audit record, in one transaction).
#[utoipa::path(post, path = "/api/users", tag = "users", security(("bearer" = [])), request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 403, body = citygrid_api::ErrorBody),
              (status = 409, body = citygrid_api::ErrorBody), (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized<AdminOnly>,
    Json(req): Json<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let mut tx = state.pool.begin().await?;
    let id = accounts::create_user(&mut *tx, &req).await.map_err(|e| match e {
        AccountError::UsernameTaken(_) => ApiError::Conflict(e.to_string()),
        AccountError::Invalid(_) => ApiError::Unprocessable(e.to_string()),
        AccountError::BadCredentials | AccountError::Db(_) => ApiError::Internal(e.into()),
    })?;
    let user = accounts::user_by_id(&mut *tx, id).await?.ok_or_else(|| anyhow::anyhow!("new user vanished"))?;
    let after = serde_json::to_value(user.to_api()).map_err(anyhow::Error::from)?;
    accounts::audit(
        &mut *tx,
        AuditEntry {
            user_id: auth.user.id,
            action: "create",
            entity: "user",
            entity_ids: vec![id.to_string()],
            before: None,
            after: Some(after),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(user.to_api())))
}
