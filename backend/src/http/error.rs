//! One error type for every handler, answered as `{"error": {"code", "message", "field"?,
//! "details"?}}` with `code` from the catalogue `citygrid_api::ErrorCode` (which also fixes the
//! status). Client mistakes name what is wrong and where; anything else is logged and answered
//! with a plain 500 whose message reveals nothing.
//!
//! ```ignore
//! Err(ApiError::new(ErrorCode::InvalidCoordinates, format!("lon {lon} is outside [-180, 180]")).field("lon"))
//! ```
//!
//! The older shorthands (`ApiError::BadRequest(msg)` …) still work and carry the generic code of
//! their status (`bad_request` …); prefer a specific code where the catalogue has one.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use citygrid_api::{ErrorBody, ErrorCode, ErrorDetail};

use crate::scope::{OutsideScope, ScopeError};

/// A catalogued error: what [`ApiError::new`] builds.
#[derive(Debug)]
pub struct Problem {
    pub code: ErrorCode,
    pub message: String,
    /// The input at fault (`lon`, `points[3]`, `cursor`).
    pub field: Option<String>,
    /// Machine-readable context, sent as `error.details`.
    pub details: Option<serde_json::Value>,
    /// Sent as `Retry-After` (whole seconds, rounded up) with 429 and 503.
    pub retry_after: Option<Duration>,
}

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 400 `bad_request`: the request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401 `unauthorized`: no token, or an unknown or expired one.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 `forbidden`: logged in, but the role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`: the thing named in the path does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 409 `conflict`: the request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 413 `payload_too_large`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 422 `unprocessable`: well-formed but semantically impossible.
    #[error("{0}")]
    Unprocessable(String),
    /// 502 `bad_gateway`: martin failed or did not answer in time.
    #[error("{0}")]
    BadGateway(String),
    /// Any code of the catalogue, with its field and details.
    #[error("{}", .0.message)]
    Coded(Box<Problem>),
    /// 500 `internal`: our fault; the error is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// `Result` for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a code from the catalogue.
    #[must_use]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Coded(Box::new(Problem {
            code,
            message: message.into(),
            field: None,
            details: None,
            retry_after: None,
        }))
    }

    /// The catalogue code.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::Unprocessable(_) => ErrorCode::Unprocessable,
            ApiError::BadGateway(_) => ErrorCode::BadGateway,
            ApiError::Coded(p) => p.code,
            ApiError::Internal(e) if crate::db::is_unavailable(e) => ErrorCode::Unavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status (the code's).
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// This error as a [`Problem`] (an internal error keeps its code but not its message).
    fn into_problem(self) -> Problem {
        let code = self.code();
        match self {
            ApiError::Coded(p) => *p,
            ApiError::Internal(e) if crate::db::is_unavailable(&e) => {
                tracing::warn!(error = %e, "database unreachable");
                Problem {
                    code,
                    message: "the database is unreachable; retry shortly".into(),
                    field: None,
                    details: None,
                    retry_after: Some(Duration::from_secs(1)),
                }
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                Problem {
                    code,
                    message: "internal error; the server log has the details".into(),
                    field: None,
                    details: None,
                    retry_after: None,
                }
            }
            other => Problem { code, message: other.to_string(), field: None, details: None, retry_after: None },
        }
    }

    fn map_problem(self, f: impl FnOnce(&mut Problem)) -> Self {
        if matches!(self, ApiError::Internal(_)) {
            return self;
        }
        let mut p = self.into_problem();
        f(&mut p);
        ApiError::Coded(Box::new(p))
    }

    /// Names the input at fault (sent as `error.field`).
    #[must_use]
    pub fn field(self, field: impl Into<String>) -> Self {
        let field = field.into();
        self.map_problem(|p| p.field = Some(field))
    }

    /// Attaches machine-readable context (sent as `error.details`).
    #[must_use]
    pub fn with_details(self, details: serde_json::Value) -> Self {
        self.map_problem(|p| p.details = Some(details))
    }

    /// Asks the client to wait (`Retry-After`).
    #[must_use]
    pub fn retry_after(self, wait: Duration) -> Self {
        self.map_problem(|p| p.retry_after = Some(wait))
    }
}

/// A failed query is a 500; PostgreSQL unreachable (no connection within the pool's acquire
/// timeout, or a lost connection) is a 503 `unavailable` the client may retry (see [`ApiError::code`]).
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<OutsideScope> for ApiError {
    fn from(e: OutsideScope) -> Self {
        let details = serde_json::json!({ "county_code": e.county.code, "county_name": e.county.name });
        let err = ApiError::new(ErrorCode::OutsideScope, e.to_string()).with_details(details);
        match e.field {
            Some(f) => err.field(f),
            None => err,
        }
    }
}

impl From<ScopeError> for ApiError {
    fn from(e: ScopeError) -> Self {
        match e {
            ScopeError::Outside(e) => e.into(),
            ScopeError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// `s` with each NUL replaced by U+FFFD: a message or field that quotes the client's input (a
/// JSON key with a NUL in it) still matches the document's `^[^\u0000]*$`.
fn without_nul(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{fffd}")
    } else {
        s
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let Problem { code, message, field, details, retry_after } = self.into_problem();
        let (message, field) = (without_nul(message), field.map(without_nul));
        let body = ErrorBody { error: ErrorDetail { code, message, field, details } };
        let mut response = (status, Json(body)).into_response();
        if let Some(wait) = retry_after {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(e: ApiError) -> (StatusCode, Option<String>, serde_json::Value) {
        let r = e.into_response();
        let status = r.status();
        let retry = r.headers().get(header::RETRY_AFTER).map(|v| v.to_str().unwrap_or_default().to_owned());
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16).await.expect("body");
        (status, retry, serde_json::from_slice(&bytes).expect("json"))
    }

    #[tokio::test]
    async fn coded_errors_carry_status_field_and_details() {
        let e = ApiError::new(ErrorCode::InvalidCoordinates, "lon 200 is outside [-180, 180]").field("lon");
        let (s, _, b) = body(e).await;
        assert_eq!(s, 400);
        assert_eq!(
            b,
            serde_json::json!({"error": {"code": "invalid_coordinates", "message": "lon 200 is outside [-180, 180]", "field": "lon"}})
        );
        let (s, _, b) = body(ApiError::Conflict("taken".into()).with_details(serde_json::json!({"a": 1}))).await;
        assert_eq!(
            (s, &b["error"]["code"], &b["error"]["details"]["a"]),
            (StatusCode::CONFLICT, &"conflict".into(), &1.into())
        );
    }

    #[tokio::test]
    async fn internal_errors_reveal_nothing_and_keep_their_status() {
        let e = ApiError::Internal(anyhow::anyhow!("postgres://u:secret@h/d exploded")).field("x");
        let (s, _, b) = body(e).await;
        assert_eq!(s, 500);
        assert_eq!(b["error"]["code"], "internal");
        assert!(!b.to_string().contains("secret"), "{b}");
    }

    #[tokio::test]
    async fn retry_after_is_whole_seconds_rounded_up() {
        let e = ApiError::new(ErrorCode::RateLimited, "wait").retry_after(Duration::from_millis(1500));
        let (s, retry, _) = body(e).await;
        assert_eq!((s, retry.as_deref()), (StatusCode::TOO_MANY_REQUESTS, Some("2")));
    }

    #[tokio::test]
    async fn scope_refusals_name_the_county() {
        let county = crate::scope::County { code: "320812".into(), name: "清江浦区".into() };
        let e = OutsideScope { what: "grid 320803001001001".into(), field: Some("grid".into()), county };
        let (s, _, b) = body(e.into()).await;
        assert_eq!(s, 403);
        assert_eq!(b["error"]["code"], "outside_scope");
        assert_eq!(b["error"]["field"], "grid");
        assert_eq!(b["error"]["details"]["county_code"], "320812");
        assert!(b["error"]["message"].as_str().unwrap_or_default().contains("清江浦区"), "{b}");
    }
}
