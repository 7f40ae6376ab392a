//! `/api/users` (action `users.admin`): list, create, change and disable accounts, reset
//! passwords. Every change is audited; a county-scoped administrator manages their county's
//! accounts only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, put};
use axum::Router;
use citygrid_api::{CreateUserRequest, PasswordReset, UpdateUserRequest, User};

use super::auth::{account_error, Authorized, UsersAdmin};
use super::extract::{Json, Path};
use super::{ApiResult, AppState};
use crate::accounts::{self, AuthUser, Changed};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{username}", patch(update))
        .route("/users/{username}/password", put(reset_password))
}

/// Accounts (of the administrator's county, when scoped), by username, disabled ones included.
#[utoipa::path(get, path = "/api/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<User>), (status = 401, body = citygrid_api::ErrorBody),
              (status = 403, body = citygrid_api::ErrorBody)))]
pub async fn list(State(state): State<AppState>, auth: Authorized<UsersAdmin>) -> ApiResult<Json<Vec<User>>> {
    let users = accounts::list_users(&state.pool, &auth.scope).await?;
    Ok(Json(users.iter().map(AuthUser::to_api).collect()))
}

/// Creates an account (and its audit record, in one transaction).
#[utoipa::path(post, path = "/api/users", tag = "users", security(("bearer" = [])), request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 400, body = citygrid_api::ErrorBody),
              (status = 401, body = citygrid_api::ErrorBody), (status = 403, body = citygrid_api::ErrorBody),
              (status = 409, body = citygrid_api::ErrorBody), (status = 415, body = citygrid_api::ErrorBody),
              (status = 422, body = citygrid_api::ErrorBody), (status = 503, body = citygrid_api::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized<UsersAdmin>,
    Json(req): Json<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user =
        accounts::create(&state.pool, &state.login, &auth.user, &auth.scope, &req).await.map_err(account_error)?;
    Ok((StatusCode::CREATED, Json(user.to_api())))
}

/// Forgets the ended sessions in this process's cache (other replicas within the cache TTL).
fn forget(state: &AppState, changed: &Changed) -> User {
    for digest in &changed.ended_sessions {
        state.sessions.remove(digest);
    }
    changed.user.to_api()
}

/// Changes an account's display name or role, or disables / enables it. Disabling or changing
/// the role ends the account's sessions; administrators cannot disable or demote themselves.
#[utoipa::path(patch, path = "/api/users/{username}", tag = "users", security(("bearer" = [])),
    params(("username" = String, Path)), request_body = UpdateUserRequest,
    responses((status = 200, body = User), (status = 400, body = citygrid_api::ErrorBody),
              (status = 401, body = citygrid_api::ErrorBody), (status = 403, body = citygrid_api::ErrorBody),
              (status = 404, body = citygrid_api::ErrorBody), (status = 415, body = citygrid_api::ErrorBody),
              (status = 422, body = citygrid_api::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    auth: Authorized<UsersAdmin>,
    Path(username): Path<String>,
    Json(req): Json<UpdateUserRequest>,
) -> ApiResult<Json<User>> {
    let changed =
        accounts::update(&state.pool, &auth.user, &auth.scope, &username, &req).await.map_err(account_error)?;
    Ok(Json(forget(&state, &changed)))
}

/// Sets a new password for an account; its sessions end.
#[utoipa::path(put, path = "/api/users/{username}/password", tag = "users", security(("bearer" = [])),
    params(("username" = String, Path)), request_body = PasswordReset,
    responses((status = 204), (status = 400, body = citygrid_api::ErrorBody),
              (status = 401, body = citygrid_api::ErrorBody), (status = 403, body = citygrid_api::ErrorBody),
              (status = 404, body = citygrid_api::ErrorBody), (status = 415, body = citygrid_api::ErrorBody),
              (status = 422, body = citygrid_api::ErrorBody), (status = 503, body = citygrid_api::ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    auth: Authorized<UsersAdmin>,
    Path(username): Path<String>,
    Json(req): Json<PasswordReset>,
) -> ApiResult<StatusCode> {
    let changed =
        accounts::reset_password(&state.pool, &state.login, &auth.user, &auth.scope, &username, &req.password)
            .await
            .map_err(account_error)?;
    forget(&state, &changed);
    Ok(StatusCode::NO_CONTENT)
}
