//! Login, and the one extractor through which every route declares what it needs.
//!
//! ```ignore
//! async fn handler(auth: Authorized<IncidentsWrite>, ...) // 401 without a valid token,
//!                                                         // 403 `forbidden` for other roles
//! ```
//!
//! The policy names one action of the role × action matrix (`citygrid_api::access`), or
//! [`AnyUser`]. The extractor hands the handler the user and their [`Scope`]; domain queries
//! take the scope as a parameter.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
pub use citygrid_api::access::can::*;
use citygrid_api::access::Policy;
use citygrid_api::{Action, ErrorCode, LoginRequest, LoginResponse, User};

use super::error::{ApiError, ApiResult};
use super::extract::Json;
use super::AppState;
pub use crate::accounts::AuthUser;
use crate::accounts::{self, AccountError};
use crate::login_throttle::Refusal;
use crate::scope::Scope;

/// Transitional name for [`PlansWrite`]: name the action instead.
pub type Planners = PlansWrite;
/// Transitional name for [`StatisticsRead`]: name the action instead.
pub type Command = StatisticsRead;
/// Transitional name for [`UsersAdmin`]: name the action instead.
pub type AdminOnly = UsersAdmin;

/// The caller, admitted by policy `P`, and where they may work.
#[derive(Debug)]
pub struct Authorized<P: Policy> {
    pub user: AuthUser,
    /// The whole city, or the user's county: pass it to every domain query.
    pub scope: Scope,
    policy: PhantomData<P>,
}

impl<P: Policy> Authorized<P> {
    /// 403 unless the user may also take `action` (for handlers whose action depends on the
    /// request).
    pub fn require(&self, action: Action) -> ApiResult<()> {
        require(&self.user, action)
    }
}

/// The bearer token of a request: `Authorization: Bearer …`.
#[must_use]
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?.trim();
    if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") {
        let token = v[7..].trim();
        (!token.is_empty()).then(|| token.to_owned())
    } else {
        None
    }
}

/// While PostgreSQL is unreachable, a session checked by this process within this time is still
/// accepted (a logout or an expiry during an outage takes effect when the database is back).
pub const STALE_SESSION_GRACE: Duration = Duration::from_mins(15);

/// Finds the logged-in user of a request: 401 when there is no valid token.
///
/// Sessions are cached per process for [`crate::http::SESSION_CACHE_TTL`], so a tile costs no
/// database round trip for its login check; a logout takes effect at once on the replica that
/// served it and within that TTL on the others.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> ApiResult<AuthUser> {
    let token = bearer_token(headers).ok_or_else(|| {
        ApiError::new(ErrorCode::Unauthorized, "log in first: no bearer token in the Authorization header")
            .field("Authorization")
    })?;
    let key = accounts::token_digest(&token);
    if let Some(user) = state.sessions.get(&key) {
        return Ok(user);
    }
    let user = match accounts::user_for_token(&state.pool, &token).await {
        Ok(user) => user,
        // PostgreSQL unreachable: a session this process checked shortly before still holds,
        // so work that needs no database (routing from memory) goes on through an outage.
        Err(e) if crate::db::is_unavailable(&e) => {
            if let Some(user) = state.sessions.get_within(&key, STALE_SESSION_GRACE) {
                tracing::warn!(user = %user.username, "database unreachable: using the session checked before");
                return Ok(user);
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    }
    .ok_or_else(|| {
        ApiError::new(ErrorCode::Unauthorized, "the token is unknown or has expired: log in again")
            .field("Authorization")
    })?;
    state.sessions.insert(key, user.clone());
    Ok(user)
}

/// 403 `forbidden` unless `user`'s role may take `action`.
pub fn require(user: &AuthUser, action: Action) -> ApiResult<()> {
    if citygrid_api::allows(user.role, action) {
        Ok(())
    } else {
        let allowed: Vec<&str> = action.roles().iter().map(|r| r.as_str()).collect();
        Err(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "role {} may not use {} ({}); allowed: {}",
                user.role.as_str(),
                action.what(),
                action.as_str(),
                allowed.join(", ")
            ),
        )
        .with_details(serde_json::json!({ "action": action })))
    }
}

impl<P: Policy> FromRequestParts<AppState> for Authorized<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = authenticate(state, &parts.headers).await?;
        if let Some(action) = P::ACTION {
            require(&user, action)?;
        }
        let scope = user.scope();
        Ok(Authorized { user, scope, policy: PhantomData })
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/auth/login", post(login)).route("/auth/me", get(me)).route("/auth/logout", post(logout))
}

/// The client's address: the TCP peer (`ConnectInfo`, set by [`super::serve`]); unspecified
/// when the app is served without it.
fn client_addr(parts_extensions: &axum::http::Extensions) -> IpAddr {
    parts_extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), |c| c.0.ip())
}

/// Maps an account refusal to its error.
#[must_use]
pub fn account_error(e: AccountError) -> ApiError {
    match e {
        AccountError::BadCredentials => ApiError::new(ErrorCode::BadCredentials, e.to_string()),
        AccountError::Throttled(ref r @ Refusal::Blocked { retry_after }) => {
            ApiError::new(ErrorCode::RateLimited, r.to_string()).retry_after(retry_after)
        }
        AccountError::Throttled(ref r @ Refusal::Busy { retry_after }) => {
            ApiError::new(ErrorCode::Unavailable, r.to_string()).retry_after(retry_after)
        }
        AccountError::NotFound(_) => ApiError::new(ErrorCode::NotFound, e.to_string()),
        AccountError::OutsideScope(e) => e.into(),
        AccountError::UsernameTaken(_) => ApiError::new(ErrorCode::UsernameTaken, e.to_string()).field("username"),
        AccountError::Invalid { field, .. } => ApiError::new(ErrorCode::InvalidValue, e.to_string()).field(field),
        AccountError::Db(e) => ApiError::Internal(e),
    }
}

/// Exchanges a username and password for a bearer token. Failures are throttled per username
/// and client address (429 with `Retry-After`); when every password check is busy the answer is
/// 503 with `Retry-After`.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = citygrid_api::ErrorBody),
              (status = 401, body = citygrid_api::ErrorBody), (status = 429, body = citygrid_api::ErrorBody),
              (status = 503, body = citygrid_api::ErrorBody)))]
pub async fn login(State(state): State<AppState>, request: axum::extract::Request) -> ApiResult<Json<LoginResponse>> {
    let addr = client_addr(request.extensions());
    let Json(req) = Json::<LoginRequest>::from_request(request, &state).await?;
    for (field, value, max) in
        [("username", &req.username, accounts::MAX_USERNAME), ("password", &req.password, accounts::MAX_PASSWORD)]
    {
        if value.is_empty() {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("{field}: username and password are both required"),
            )
            .field(field));
        }
        if value.chars().count() > max {
            return Err(ApiError::new(ErrorCode::BadRequest, format!("{field}: at most {max} characters")).field(field));
        }
    }
    let (token, expires_at, user) = accounts::login(
        &state.pool,
        &state.login,
        (&req.username, &req.password),
        addr,
        state.config.token_hours,
        Utc::now(),
    )
    .await
    .map_err(account_error)?;
    Ok(Json(LoginResponse { token, expires_at: expires_at.to_rfc3339(), user: user.to_api() }))
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = citygrid_api::ErrorBody)))]
pub async fn me(auth: Authorized<AnyUser>) -> Json<User> {
    Json(auth.user.to_api())
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = citygrid_api::ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    _auth: Authorized<AnyUser>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    if let Some(token) = bearer_token(&headers) {
        state.sessions.remove(&accounts::token_digest(&token));
        accounts::logout(&state.pool, &token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_from_the_header_only() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer_token(&h), None);
        h.insert("authorization", "Bearer  xyz ".parse().expect("header"));
        assert_eq!(bearer_token(&h), Some("xyz".into()));
        h.insert("authorization", "bearer abc".parse().expect("header"));
        assert_eq!(bearer_token(&h), Some("abc".into()));
        h.insert("authorization", "Bearer   ".parse().expect("header"));
        assert_eq!(bearer_token(&h), None);
        h.insert("authorization", "Basic xyz".parse().expect("header"));
        assert_eq!(bearer_token(&h), None);
    }
}
