//! Calls to the CityGrid backend (`/api/...`) with `fetch`, typed with `citygrid-api`.
//!
//! Every non-2xx answer becomes an [`ApiError`]; a 401 is [`ApiError::Unauthorized`], which the
//! caller turns into a logout. [`decode`] is the pure part and is tested natively.

use citygrid_api::{
    AdminUnit, BuildingInfo, CameraInfo, CreateIncidentRequest, ErrorBody, Feature, GridProperties, Incident,
    IncidentCreated, IncidentDetail, IncidentPage, LayerVersions, LoginRequest, LoginResponse, RouteRequest,
    RouteResult, SearchHit, TransitionRequest, User,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{t, Key, Lang};

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401: no token, or the token has expired.
    Unauthorized(String),
    /// Any other non-2xx answer, with the backend's `ErrorBody` when it sent one (`details`:
    /// its machine-readable context, such as the nearest grid of a point outside the city).
    Server { status: u16, code: String, message: String, details: Option<serde_json::Value> },
    /// `fetch` itself failed (offline, server down).
    Network(String),
    /// A 2xx answer whose body is not what `citygrid-api` says.
    Decode(String),
}

impl ApiError {
    /// A message for people.
    #[must_use]
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ApiError::Unauthorized(m) => m.clone(),
            ApiError::Server { status, code, message, .. } => format!("{message} ({status} {code})"),
            ApiError::Network(m) => format!("{}: {m}", t(lang, Key::NetworkError)),
            ApiError::Decode(m) => format!("{}: {m}", t(lang, Key::BadResponse)),
        }
    }
}

/// Turns a status and body into the expected value or an [`ApiError`].
pub fn decode<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        return serde_json::from_str(body).map_err(|e| ApiError::Decode(e.to_string()));
    }
    let (code, message, details) = if let Ok(b) = serde_json::from_str::<ErrorBody>(body) {
        (b.error.code.as_str().to_owned(), b.error.message, b.error.details)
    } else {
        let snippet: String = body.chars().take(160).collect();
        (format!("http_{status}"), if snippet.trim().is_empty() { format!("HTTP {status}") } else { snippet }, None)
    };
    if status == 401 {
        Err(ApiError::Unauthorized(message))
    } else {
        Err(ApiError::Server { status, code, message, details })
    }
}

fn js_err(v: &JsValue) -> String {
    v.as_string()
        .or_else(|| js_sys::Reflect::get(v, &"message".into()).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| format!("{v:?}"))
}

async fn send(method: &str, path: &str, token: Option<&str>, body: Option<String>) -> Result<(u16, String), ApiError> {
    let net = |e: JsValue| ApiError::Network(js_err(&e));
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(net)?;
    headers.set("Accept", "application/json").map_err(net)?;
    if let Some(token) = token {
        headers.set("Authorization", &format!("Bearer {token}")).map_err(net)?;
    }
    if let Some(body) = body {
        headers.set("Content-Type", "application/json").map_err(net)?;
        init.set_body(&JsValue::from_str(&body));
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(path, &init).map_err(net)?;
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let resp: web_sys::Response =
        JsFuture::from(window.fetch_with_request(&request)).await.map_err(net)?.dyn_into().map_err(net)?;
    let text = JsFuture::from(resp.text().map_err(net)?).await.map_err(net)?;
    Ok((resp.status(), text.as_string().unwrap_or_default()))
}

async fn get<T: DeserializeOwned>(path: &str, token: &str) -> Result<T, ApiError> {
    let (status, body) = send("GET", path, Some(token), None).await?;
    decode(status, &body)
}

fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

async fn post<B: Serialize, T: DeserializeOwned>(path: &str, token: &str, body: &B) -> Result<T, ApiError> {
    let body = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
    let (status, text) = send("POST", path, Some(token), Some(body)).await?;
    decode(status, &text)
}

pub async fn login(req: &LoginRequest) -> Result<LoginResponse, ApiError> {
    let body = serde_json::to_string(req).map_err(|e| ApiError::Decode(e.to_string()))?;
    let (status, text) = send("POST", "/api/auth/login", None, Some(body)).await?;
    decode(status, &text)
}

pub async fn me(token: &str) -> Result<User, ApiError> {
    get("/api/auth/me", token).await
}

/// Best effort: the token is forgotten locally whatever the answer.
pub async fn logout(token: &str) {
    let _ = send("POST", "/api/auth/logout", Some(token), None).await;
}

/// Every map layer's current version and tile URL (public).
pub async fn layer_versions() -> Result<LayerVersions, ApiError> {
    let (status, body) = send("GET", "/tiles/versions", None, None).await?;
    decode(status, &body)
}

pub async fn grid(token: &str, code: &str) -> Result<Feature<GridProperties>, ApiError> {
    get(&format!("/api/grids/{}", enc(code)), token).await
}

pub async fn admin_unit(token: &str, code: &str) -> Result<AdminUnit, ApiError> {
    get(&format!("/api/admin-units/{}", enc(code)), token).await
}

pub async fn building(token: &str, id: i64) -> Result<BuildingInfo, ApiError> {
    get(&format!("/api/buildings/{id}"), token).await
}

pub async fn camera(token: &str, id: i64) -> Result<CameraInfo, ApiError> {
    get(&format!("/api/cameras/{id}"), token).await
}

pub async fn search(token: &str, q: &str) -> Result<Vec<SearchHit>, ApiError> {
    get(&format!("/api/search?q={}", enc(q)), token).await
}

pub async fn route(token: &str, req: &RouteRequest) -> Result<RouteResult, ApiError> {
    post("/api/route", token, req).await
}

pub async fn create_incident(token: &str, req: &CreateIncidentRequest) -> Result<IncidentCreated, ApiError> {
    post("/api/incidents", token, req).await
}

/// Incidents inside `bbox` (`minLon,minLat,maxLon,maxLat`) matching `query` (filters and sort,
/// see `GET /api/incidents`).
pub async fn incidents_in(token: &str, bbox: &str, query: &str, limit: u32) -> Result<IncidentPage, ApiError> {
    get(&format!("/api/incidents?bbox={}&{query}&limit={limit}", enc(bbox)), token).await
}

/// A query-string value, percent-encoded.
#[must_use]
pub fn encode(s: &str) -> String {
    enc(s)
}

pub async fn incident(token: &str, id: i64) -> Result<IncidentDetail, ApiError> {
    get(&format!("/api/incidents/{id}"), token).await
}

pub async fn transition(token: &str, id: i64, req: &TransitionRequest) -> Result<Incident, ApiError> {
    post(&format!("/api/incidents/{id}/transitions"), token, req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_success() {
        let u: User = decode(200, r#"{"username":"a","display_name":"A","role":"leader","county_code":null}"#)
            .expect("valid user");
        assert_eq!(u.role, citygrid_api::Role::Leader);
    }

    #[test]
    fn error_bodies_become_errors() {
        let e = decode::<User>(404, r#"{"error":{"code":"not_found","message":"no grid 1"}}"#);
        assert_eq!(
            e,
            Err(ApiError::Server { status: 404, code: "not_found".into(), message: "no grid 1".into(), details: None })
        );
        let e =
            decode::<User>(422, r#"{"error":{"code":"unprocessable","message":"outside","details":{"distance_m":5}}}"#);
        assert!(
            matches!(e, Err(ApiError::Server { status: 422, details: Some(d), .. }) if d["distance_m"] == 5),
            "details are kept"
        );
        let e = decode::<User>(401, r#"{"error":{"code":"unauthorized","message":"log in"}}"#);
        assert_eq!(e, Err(ApiError::Unauthorized("log in".into())));
        let e = decode::<User>(502, "");
        assert_eq!(
            e,
            Err(ApiError::Server { status: 502, code: "http_502".into(), message: "HTTP 502".into(), details: None })
        );
        assert!(matches!(decode::<User>(200, "{}"), Err(ApiError::Decode(_))));
    }

    #[test]
    fn messages_name_the_problem() {
        let e = ApiError::Server { status: 403, code: "forbidden".into(), message: "no".into(), details: None };
        assert_eq!(e.message(Lang::En), "no (403 forbidden)");
        assert!(ApiError::Network("down".into()).message(Lang::Zh).starts_with("网络错误"));
    }
}
