//! Login, and the one extractor through which every route declares the roles it admits.
//!
//! ```ignore
//! async fn handler(auth: Authorized<Planners>, ...) // 401 without a valid token, 403 for other roles
//! ```

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use citygrid_api::{LoginRequest, LoginResponse, Role, User};

use super::error::{ApiError, ApiResult};
use super::extract::Json;
use super::AppState;
pub use crate::accounts::AuthUser;
use crate::accounts::{self, AccountError};

/// A set of roles a route admits.
pub trait Policy: Send + Sync + 'static {
    /// The admitted roles.
    const ROLES: &'static [Role];
    /// What the route is for, in the 403 message.
    const WHAT: &'static str;
}

macro_rules! policy {
    ($(#[$doc:meta])* $name:ident, $what:literal, $roles:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl Policy for $name {
            const ROLES: &'static [Role] = $roles;
            const WHAT: &'static str = $what;
        }
    };
}

policy!(/// Any logged-in user.
    AnyUser, "reading the map", &Role::ALL);
policy!(/// Administrators only.
    AdminOnly, "administration", &[Role::Admin]);
policy!(/// Boundary editing.
    Planners, "planning", Role::PLANNING);
policy!(/// Incident routing and handling.
    Dispatch, "dispatch", Role::DISPATCH);
policy!(/// Statistics and early warning.
    Command, "the command view", Role::COMMAND);

/// The caller, admitted by policy `P`.
#[derive(Debug)]
pub struct Authorized<P: Policy> {
    pub user: AuthUser,
    policy: PhantomData<P>,
}

/// The bearer token of a request: `Authorization: Bearer …`, or `access_token=` in `query` —
/// which only the tile routes pass (a map style cannot always set headers); API routes take the
/// header only, so tokens stay out of logged URLs.
#[must_use]
pub fn bearer_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") {
            return Some(v[7..].trim().to_owned());
        }
    }
    query?.split('&').find_map(|kv| kv.strip_prefix("access_token=")).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// Finds the logged-in user of a request: 401 when there is no valid token.
///
/// Sessions are cached per process for [`crate::http::SESSION_CACHE_TTL`], so a tile costs no
/// database round trip for its login check; a logout takes effect at once on the replica that
/// served it and within that TTL on the others.
pub async fn authenticate(state: &AppState, headers: &HeaderMap, query: Option<&str>) -> ApiResult<AuthUser> {
    let token = bearer_token(headers, query)
        .ok_or_else(|| ApiError::Unauthorized("log in first: no bearer token in the Authorization header".into()))?;
    let key = accounts::token_digest(&token);
    if let Some(user) = state.sessions.get(&key) {
        return Ok(user);
    }
    let user = accounts::user_for_token(&state.pool, &token)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the token is unknown or has expired: log in again".into()))?;
    state.sessions.insert(key, user.clone());
    Ok(user)
}

/// 403 unless `user`'s role is in `roles`.
pub fn require_role(user: &AuthUser, roles: &[Role], what: &str) -> ApiResult<()> {
    if roles.contains(&user.role) {
        Ok(())
    } else {
        let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::Forbidden(format!(
            "role {} may not use {what}; allowed: {}",
            user.role.as_str(),
            allowed.join(", ")
        )))
    }
}

impl<P: Policy> FromRequestParts<AppState> for Authorized<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = authenticate(state, &parts.headers, None).await?;
        require_role(&user, P::ROLES, P::WHAT)?;
        Ok(Authorized { user, policy: PhantomData })
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/auth/login", post(login)).route("/auth/me", get(me)).route("/auth/logout", post(logout))
}

/// Exchanges a username and password for a bearer token.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = citygrid_api::ErrorBody)))]
pub async fn login(State(state): State<AppState>, Json(req): Json<LoginRequest>) -> ApiResult<Json<LoginResponse>> {
    if req.username.is_empty() || req.password.is_empty() {
        return Err(ApiError::BadRequest("username and password are both required".into()));
    }
    match accounts::login(&state.pool, &req.username, &req.password, state.config.token_hours).await {
        Ok((token, expires_at, user)) => {
            Ok(Json(LoginResponse { token, expires_at: expires_at.to_rfc3339(), user: user.to_api() }))
        }
        Err(AccountError::BadCredentials) => Err(ApiError::Unauthorized("unknown username or wrong password".into())),
        Err(e) => Err(ApiError::Internal(e.into())),
    }
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
    if let Some(token) = bearer_token(&headers, None) {
        state.sessions.remove(&accounts::token_digest(&token));
        accounts::logout(&state.pool, &token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_from_header_or_query() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer_token(&h, None), None);
        assert_eq!(bearer_token(&h, Some("v=3&access_token=abc")), Some("abc".into()));
        assert_eq!(bearer_token(&h, Some("access_token=")), None);
        h.insert("authorization", "Bearer  xyz ".parse().expect("header"));
        assert_eq!(bearer_token(&h, Some("access_token=abc")), Some("xyz".into()));
        h.insert("authorization", "Basic xyz".parse().expect("header"));
        assert_eq!(bearer_token(&h, None), None);
    }
}
