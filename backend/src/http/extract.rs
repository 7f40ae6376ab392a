//! Our extractors: a bad path, query or JSON body answers our error body with a catalogued code
//! and the `field` at fault, never axum's plain-text rejection.
//!
//! Strings are checked at the boundary: a NUL character in a path parameter, a query parameter
//! or a JSON body is refused with 400 `invalid_character` naming the field (PostgreSQL `text` cannot
//! hold one, so it would otherwise surface as a 500 deep inside a handler).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use citygrid_api::ErrorCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::error::ApiError;
use super::serve::BodyReadTimeout;
use crate::config::Timeouts;

/// A JSON body (`Content-Type: application/json`).
pub struct Json<T>(pub T);

/// Path parameters; a NUL in one is 400 `invalid_character` naming the parameter.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::new(ErrorCode::InvalidParameter, format!("path: {}", r.body_text())))?;
        if let Some((name, _)) = raw.iter().find(|(_, v)| v.contains('\0')) {
            return Err(
                ApiError::new(ErrorCode::InvalidCharacter, format!("path: {name} holds a NUL character")).field(name)
            );
        }
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}

/// Query-string parameters.
pub struct Query<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Parses a positive integer id from a path segment; `what` names it in the 400.
pub fn parse_id(what: &str, s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidParameter, format!("{what} id {s:?} must be a positive integer")).field("id")
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
    })
}

impl<T: DeserializeOwned + Serialize, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "request body: send JSON with `Content-Type: application/json`",
            )
            .field("Content-Type"));
        }
        let limit = req.extensions().get::<BodyReadTimeout>().map_or(Timeouts::default().body_read, |t| t.0);
        let bytes = tokio::time::timeout(limit, Bytes::from_request(req, state))
            .await
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::RequestTimeout,
                    format!("request body: not received within {} s", limit.as_secs()),
                )
            })?
            .map_err(|r| body_rejection(&r))?;
        parse_json(&bytes).map(Json)
    }
}

/// An optional JSON body (`Option<Json<T>>`): a request with neither a `Content-Type` nor a
/// body is `None`; anything else is read as [`Json`].
impl<T: DeserializeOwned + Serialize, S: Send + Sync> OptionalFromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let empty = req.headers().get(axum::http::header::CONTENT_LENGTH).is_none_or(|v| v.as_bytes() == b"0");
        if !req.headers().contains_key(CONTENT_TYPE) && empty {
            return Ok(None);
        }
        <Json<T> as FromRequest<S>>::from_request(req, state).await.map(Some)
    }
}

fn body_rejection(r: &BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, format!("request body: {}", r.body_text()))
    } else {
        ApiError::new(ErrorCode::BadRequest, format!("request body could not be read: {}", r.body_text()))
    }
}

/// The path of the first string holding a NUL character, JSON-path style
/// (`description`, `points[2].name`); `None` when there is none.
fn find_nul(v: &Value, path: &str) -> Option<String> {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match v {
        Value::String(s) if s.contains('\0') => Some(if path.is_empty() { ".".into() } else { path.to_owned() }),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| find_nul(x, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| find_nul(x, &join(k))),
        _ => None,
    }
}

/// 400 `invalid_character` naming the first string of `value` that holds a NUL.
fn refuse_nul<T: Serialize>(value: &T, part: &str) -> Result<(), ApiError> {
    let tree = serde_json::to_value(value).map_err(|e| ApiError::Internal(e.into()))?;
    match find_nul(&tree, "") {
        Some(path) => {
            Err(ApiError::new(ErrorCode::InvalidCharacter, format!("{part}: {path} holds a NUL character")).field(path))
        }
        None => Ok(()),
    }
}

/// Parses a JSON body into `T`: 400 `invalid_json` for a syntax error, 400 `invalid_character`
/// for a NUL in a string, 422 `invalid_body` naming the field that is missing or mistyped.
pub fn parse_json<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = field_of(&e.path().to_string(), &e.inner().to_string());
        let inner = e.into_inner();
        if inner.classify() == serde_json::error::Category::Data {
            let err =
                ApiError::new(ErrorCode::InvalidBody, format!("request body: {}", described(field.as_deref(), &inner)));
            match field {
                Some(f) => err.field(f),
                None => err,
            }
        } else {
            ApiError::new(ErrorCode::InvalidJson, format!("request body is not valid JSON: {inner}"))
        }
    })?;
    de.end().map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("request body is not valid JSON: {e}")))?;
    // A NUL can only arrive escaped (`\u0000`; raw control characters are a syntax error), so the
    // walk that names the field only runs when the escape is there at all. It walks what `T`
    // kept, so a NUL in a property the operation ignores is ignored too.
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        refuse_nul(&value, "request body")?;
    }
    Ok(value)
}

/// The field a deserialisation error is about: its path, or for "missing field `x`" the
/// missing one (under the path).
fn field_of(path: &str, message: &str) -> Option<String> {
    let missing = message.strip_prefix("missing field `").and_then(|m| m.split('`').next());
    let path = (path != "." && !path.is_empty()).then_some(path);
    match (path, missing) {
        (Some(p), Some(m)) => Some(format!("{p}.{m}")),
        (None, Some(m)) => Some(m.to_owned()),
        (Some(p), None) => Some(p.to_owned()),
        (None, None) => None,
    }
}

/// The error message, prefixed with the field unless it already names it.
fn described(field: Option<&str>, e: &dyn std::fmt::Display) -> String {
    match field {
        Some(f) if !e.to_string().contains(&format!("`{f}`")) => format!("{f}: {e}"),
        _ => e.to_string(),
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(Query)
    }
}

/// 400 `invalid_parameter` for a bbox that is not four decimals, 422 `invalid_value` for one
/// out of range.
#[must_use]
pub fn bbox_error(e: &crate::grids::BBoxError) -> ApiError {
    let code = match e {
        crate::grids::BBoxError::Syntax(_) => ErrorCode::InvalidParameter,
        crate::grids::BBoxError::Value(_) => ErrorCode::InvalidValue,
    };
    ApiError::new(code, e.to_string()).field("bbox")
}

/// Parses a query string into `T`: 400 `invalid_character` for a NUL (in any parameter, named),
/// 400 `invalid_parameter` naming the parameter that does not parse or is missing.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    if query.as_bytes().windows(3).any(|w| w.eq_ignore_ascii_case(b"%00")) || query.contains('\0') {
        if let Some((name, _)) =
            form_urlencoded::parse(query.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            let name = name.replace('\0', "\\0");
            return Err(ApiError::new(
                ErrorCode::InvalidCharacter,
                format!("query string: {name} holds a NUL character"),
            )
            .field(name));
        }
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = field_of(&e.path().to_string(), &e.inner().to_string());
        let err = ApiError::new(
            ErrorCode::InvalidParameter,
            format!("query string: {}", described(field.as_deref(), e.inner())),
        );
        match field {
            Some(f) => err.field(f),
            None => err,
        }
    })
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        if r.status().is_client_error() {
            ApiError::new(ErrorCode::InvalidParameter, format!("path: {}", r.body_text()))
        } else {
            ApiError::Internal(anyhow::anyhow!("path: {}", r.body_text()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, serde::Serialize)]
    #[allow(dead_code)]
    struct Body {
        lon: f64,
        name: String,
        points: Option<Vec<[f64; 2]>>,
    }

    fn err<T: std::fmt::Debug>(r: Result<T, ApiError>) -> (u16, String, Option<String>) {
        match r.expect_err("an error") {
            ApiError::Coded(p) => (p.code.status(), p.code.as_str().to_owned(), p.field),
            other => panic!("uncoded {other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(err(parse_json::<Body>(b"{")), (400, "invalid_json".into(), None));
        assert_eq!(err(parse_json::<Body>(br#"{"lon": 1, "name": "a"} x"#)), (400, "invalid_json".into(), None));
        assert_eq!(err(parse_json::<Body>(br#"{"name": "a"}"#)), (422, "invalid_body".into(), Some("lon".into())));
        assert_eq!(
            err(parse_json::<Body>(br#"{"lon": "x", "name": "a"}"#)),
            (422, "invalid_body".into(), Some("lon".into()))
        );
        assert_eq!(
            err(parse_json::<Body>(br#"{"lon": 1, "name": "a", "points": [[1, 2], [1]]}"#)),
            (422, "invalid_body".into(), Some("points[1]".into()))
        );
        assert!(parse_json::<Body>(br#"{"lon": 1, "name": "a"}"#).is_ok());
    }

    #[test]
    fn nul_characters_are_refused_where_they_are() {
        assert_eq!(
            err(parse_json::<Body>(br#"{"lon": 1, "name": "adm\u0000in"}"#)),
            (400, "invalid_character".into(), Some("name".into()))
        );
        assert_eq!(
            err(parse_json::<Value>(br#"{"a": [{"b": "x"}, {"b": "\u0000"}]}"#)),
            (400, "invalid_character".into(), Some("a[1].b".into()))
        );
        // A NUL in a property the operation does not read is not its business.
        assert!(parse_json::<Body>(br#"{"lon": 1, "name": "a", "extra\u0000": "\u0000"}"#).is_ok());
        // An escaped backslash followed by "u0000" is six ordinary characters.
        assert!(parse_json::<Body>(br#"{"lon": 1, "name": "\\u0000"}"#).is_ok());
    }

    #[derive(Debug, serde::Deserialize, serde::Serialize)]
    #[allow(dead_code)]
    struct Params {
        q: String,
        limit: Option<i64>,
    }

    #[test]
    fn query_errors_name_the_parameter() {
        assert_eq!(err(parse_query::<Params>("q=a%00b")), (400, "invalid_character".into(), Some("q".into())));
        // Any parameter: the tile proxy and the heat endpoints read the raw query too.
        assert_eq!(
            err(parse_query::<Params>("q=a&other=%00")),
            (400, "invalid_character".into(), Some("other".into()))
        );
        assert_eq!(err(parse_query::<Params>("limit=1")), (400, "invalid_parameter".into(), Some("q".into())));
        assert_eq!(err(parse_query::<Params>("q=a&limit=x")), (400, "invalid_parameter".into(), Some("limit".into())));
        assert!(parse_query::<Params>("q=%E6%B8%85&limit=2").is_ok());
    }
}
