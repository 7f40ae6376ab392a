//! One error type for every handler. Client mistakes become 4xx with a message that says what
//! is wrong and where; anything else is logged and answered with a plain 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use citygrid_api::{ErrorBody, ErrorDetail};

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// 400: the request is malformed (a parameter does not parse, is out of range…).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no token, or an unknown or expired one.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: logged in, but the role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the thing named in the path does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with the current state (a name already taken…).
    #[error("{0}")]
    Conflict(String),
    /// 413: the request is too large.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 422: well-formed but semantically impossible.
    #[error("{0}")]
    Unprocessable(String),
    /// Any of the above with machine-readable context, sent as `error.details`.
    #[error("{0}")]
    Detailed(Box<ApiError>, serde_json::Value),
    /// 502: a service behind the backend (martin) failed or did not answer in time.
    #[error("{0}")]
    BadGateway(String),
    /// 500: our fault; the message is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// Attaches machine-readable context (sent as `error.details`).
    #[must_use]
    pub fn with_details(self, details: serde_json::Value) -> Self {
        ApiError::Detailed(Box::new(self), details)
    }
}

/// `Result` for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// The status code and the machine-readable code sent in the body.
    #[must_use]
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            ApiError::Detailed(inner, _) => inner.status_and_code(),
            ApiError::BadGateway(_) => (StatusCode::BAD_GATEWAY, "bad_gateway"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal error; the server log has the details".to_owned()
            }
            other => other.to_string(),
        };
        let details = match self {
            ApiError::Detailed(_, details) => Some(details),
            _ => None,
        };
        let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message, details } };
        (status, Json(body)).into_response()
    }
}

/// Turns axum's own rejections (bad JSON, bad path or query) into our error body.
#[must_use]
pub fn rejection(status: StatusCode, message: String) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(message),
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::Unprocessable(message),
        StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::BAD_REQUEST => ApiError::BadRequest(message),
        _ if status.is_client_error() => ApiError::BadRequest(message),
        _ => ApiError::Internal(anyhow::anyhow!(message)),
    }
}
