//! Calls to the CityGrid backend (`/api/...`) with `fetch`, typed with `citygrid-api`.
//!
//! Every non-2xx answer becomes an [`ApiError`]; a 401 is [`ApiError::Unauthorized`], which the
//! caller turns into a logout. [`decode`] is the pure part and is tested natively. People read
//! an error as a translated sentence per error code ([`crate::error_text`]), with the server's
//! own message as a detail.

use citygrid_api::{
    AdminUnit, BuildingInfo, CameraInfo, CreateIncidentRequest, ErrorBody, ErrorCode, Feature, GridProperties,
    Incident, IncidentCreated, IncidentDetail, IncidentPage, LayerVersions, LoginRequest, LoginResponse, RouteRequest,
    RouteResult, SearchHit, TransitionRequest, User,
};
use citygrid_api::{
    CameraPatch, CameraSaved, CoverageSummary, GridCoverage, PlannedCameras, PlannedCamerasRequest, SuggestRequest,
    SuggestResult, WhatIfRequest, WhatIfResult,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::error_text;
use crate::i18n::{t, Key, Lang};

/// A non-2xx answer: the backend's `ErrorBody` when it sent one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    pub status: u16,
    /// `None` when the body was not an error body of the catalogue.
    pub code: Option<ErrorCode>,
    /// The server's explanation (English), or the start of whatever body it sent.
    pub message: String,
    /// The input at fault.
    pub field: Option<String>,
    /// Machine-readable context, such as the nearest grid of a point outside the city.
    pub details: Option<serde_json::Value>,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401: no token, an expired one, or (at login) bad credentials.
    Unauthorized(ServerError),
    /// Any other non-2xx answer.
    Server(ServerError),
    /// `fetch` itself failed (offline, server down).
    Network(String),
    /// A 2xx answer whose body is not what `citygrid-api` says.
    Decode(String),
}

impl ApiError {
    /// The sentence for people, in `lang`.
    #[must_use]
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ApiError::Unauthorized(e) | ApiError::Server(e) => error_text::sentence(lang, e.code, e.field.as_deref()),
            ApiError::Network(_) => t(lang, Key::NetworkError).to_owned(),
            ApiError::Decode(_) => t(lang, Key::BadResponse).to_owned(),
        }
    }

    /// What the server (or the browser) said, for the curious: shown smaller under the sentence.
    #[must_use]
    pub fn detail(&self) -> String {
        match self {
            ApiError::Unauthorized(e) | ApiError::Server(e) => {
                format!("{} ({} {})", e.message, e.status, e.code.map_or("-", ErrorCode::as_str))
            }
            ApiError::Network(m) | ApiError::Decode(m) => m.clone(),
        }
    }

    /// The server's error, when there was an answer.
    #[must_use]
    pub fn server(&self) -> Option<&ServerError> {
        match self {
            ApiError::Unauthorized(e) | ApiError::Server(e) => Some(e),
            ApiError::Network(_) | ApiError::Decode(_) => None,
        }
    }
}

/// Turns a status and body into the expected value or an [`ApiError`].
pub fn decode<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        return serde_json::from_str(body).map_err(|e| ApiError::Decode(e.to_string()));
    }
    let e = if let Ok(b) = serde_json::from_str::<ErrorBody>(body) {
        let d = b.error;
        ServerError { status, code: Some(d.code), message: d.message, field: d.field, details: d.details }
    } else {
        let snippet: String = body.chars().take(160).collect();
        let message = if snippet.trim().is_empty() { format!("HTTP {status}") } else { snippet };
        ServerError { status, code: None, message, field: None, details: None }
    };
    Err(if status == 401 { ApiError::Unauthorized(e) } else { ApiError::Server(e) })
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

// Coverage workspace (覆盖).

/// Coverage of the grids meeting `bbox` (`minLon,minLat,maxLon,maxLat`) or under the unit
/// `code`, lowest covered-residents share first, at most `limit`.
pub async fn coverage_worst_grids(
    token: &str,
    bbox: Option<&str>,
    code: Option<&str>,
    occlusion: bool,
    limit: u32,
) -> Result<CoverageSummary, ApiError> {
    let area = match (bbox, code) {
        (_, Some(c)) => format!("&code={}", enc(c)),
        (Some(b), None) => format!("&bbox={}", enc(b)),
        (None, None) => String::new(),
    };
    get(&format!("/api/coverage/summary?level=grid&sort=worst&limit={limit}&occlusion={occlusion}{area}"), token).await
}

/// One grid's coverage figures and blind spots.
pub async fn coverage_grid(token: &str, code: &str, occlusion: bool) -> Result<GridCoverage, ApiError> {
    get(&format!("/api/coverage/grids/{}?occlusion={occlusion}", enc(code)), token).await
}

pub async fn coverage_suggest(token: &str, req: &SuggestRequest) -> Result<SuggestResult, ApiError> {
    post("/api/coverage/suggest", token, req).await
}

/// Coverage figures as if the changes were applied (nothing is written).
pub async fn coverage_what_if(token: &str, req: &WhatIfRequest) -> Result<WhatIfResult, ApiError> {
    post("/api/coverage/what-if", token, req).await
}

/// Moves, re-aims or re-rates a camera (one audited transaction; coverage follows).
pub async fn patch_camera(token: &str, id: i64, patch: &CameraPatch) -> Result<CameraSaved, ApiError> {
    let body = serde_json::to_string(patch).map_err(|e| ApiError::Decode(e.to_string()))?;
    let (status, text) = send("PATCH", &format!("/api/cameras/{id}"), Some(token), Some(body)).await?;
    decode(status, &text)
}

pub async fn add_planned_cameras(token: &str, req: &PlannedCamerasRequest) -> Result<PlannedCameras, ApiError> {
    post("/api/cameras/planned", token, req).await
}

// --- User administration (the admin page, `crate::admin`) ---

/// Accounts the administrator manages (their county's, when scoped).
pub async fn users(token: &str) -> Result<Vec<User>, ApiError> {
    get("/api/users", token).await
}

pub async fn create_user(token: &str, req: &citygrid_api::CreateUserRequest) -> Result<User, ApiError> {
    post("/api/users", token, req).await
}

/// Changes the display name or role, or disables / enables the account.
pub async fn update_user(token: &str, username: &str, req: &citygrid_api::UpdateUserRequest) -> Result<User, ApiError> {
    let body = serde_json::to_string(req).map_err(|e| ApiError::Decode(e.to_string()))?;
    let (status, text) = send("PATCH", &format!("/api/users/{}", enc(username)), Some(token), Some(body)).await?;
    decode(status, &text)
}

/// Sets a new password (204: no body); the account's sessions end.
pub async fn reset_password(token: &str, username: &str, password: &str) -> Result<(), ApiError> {
    let body = serde_json::to_string(&citygrid_api::PasswordReset { password: password.to_owned() })
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    let path = format!("/api/users/{}/password", enc(username));
    let (status, text) = send("PUT", &path, Some(token), Some(body)).await?;
    if status == 204 {
        return Ok(());
    }
    decode::<serde_json::Value>(status, &text).map(|_| ())
}

// ---- Command workspace (statistics; every query is built by `workspaces::command::state`).

/// `GET /api/stats/summary?{query}`: a unit (absent `code`: the city, or the user's county)
/// and its children.
pub async fn stats_summary(token: &str, query: &str) -> Result<citygrid_api::StatsSummary, ApiError> {
    get(&format!("/api/stats/summary?{query}"), token).await
}

/// `GET /api/stats/units?{query}`: every unit of a level with its figures.
pub async fn stats_units(token: &str, query: &str) -> Result<citygrid_api::StatsUnits, ApiError> {
    get(&format!("/api/stats/units?{query}"), token).await
}

/// `GET /api/stats/summary?{query}&format=csv`: the same figures as CSV (UTF-8 with a BOM).
pub async fn stats_summary_csv(token: &str, query: &str) -> Result<String, ApiError> {
    let (status, body) = send("GET", &format!("/api/stats/summary?{query}&format=csv"), Some(token), None).await?;
    if (200..300).contains(&status) {
        // `Response.text()` drops the byte-order mark the server sends; put it back for Excel.
        Ok(if body.starts_with('\u{feff}') { body } else { format!("\u{feff}{body}") })
    } else {
        decode::<()>(status, &body).map(|()| body)
    }
}

/// `GET /api/stats/timeseries?{query}`.
pub async fn stats_timeseries(token: &str, query: &str) -> Result<citygrid_api::TimeSeries, ApiError> {
    get(&format!("/api/stats/timeseries?{query}"), token).await
}

/// `GET /api/stats/hotspots?{query}`.
pub async fn stats_hotspots(token: &str, query: &str) -> Result<citygrid_api::Hotspots, ApiError> {
    get(&format!("/api/stats/hotspots?{query}"), token).await
}

/// `GET /api/stats/heat-tiles?{query}`: the heat tile URL of a window and filter.
pub async fn heat_tiles(token: &str, query: &str) -> Result<citygrid_api::HeatTiles, ApiError> {
    get(&format!("/api/stats/heat-tiles?{query}"), token).await
}

/// `GET /api/stats/heat-scale?{query}`: the heat layer's reference counts per zoom band.
pub async fn heat_scale(token: &str, query: &str) -> Result<citygrid_api::HeatScale, ApiError> {
    get(&format!("/api/stats/heat-scale?{query}"), token).await
}

// Planning workspace.

pub async fn grid_workload(token: &str, code: &str) -> Result<citygrid_api::GridWorkload, ApiError> {
    get(&format!("/api/grids/{}/workload", enc(code)), token).await
}

pub async fn create_plan(token: &str, req: &citygrid_api::CreatePlanRequest) -> Result<citygrid_api::Plan, ApiError> {
    post("/api/plans", token, req).await
}

pub async fn plan(token: &str, id: i64) -> Result<citygrid_api::Plan, ApiError> {
    get(&format!("/api/plans/{id}"), token).await
}

pub async fn grid_history(token: &str, code: &str) -> Result<citygrid_api::GridHistory, ApiError> {
    get(&format!("/api/grids/{}/history", enc(code)), token).await
}

/// `PUT /api/grids/{code}/workers`: the grid's workers, in order (the first is responsible).
pub async fn set_grid_workers(
    token: &str,
    code: &str,
    req: &citygrid_api::GridWorkersUpdate,
) -> Result<citygrid_api::GridWorkers, ApiError> {
    let body = serde_json::to_string(req).map_err(|e| ApiError::Decode(e.to_string()))?;
    let (status, text) = send("PUT", &format!("/api/grids/{}/workers", enc(code)), Some(token), Some(body)).await?;
    decode(status, &text)
}

/// `POST /api/plans/{id}/commit` for a later instant (`effective_from`, RFC 3339): the plan is
/// scheduled.
pub async fn commit_plan_at(token: &str, id: i64, effective_from: &str) -> Result<citygrid_api::Plan, ApiError> {
    let req = citygrid_api::CommitRequest { effective_from: Some(effective_from.to_owned()) };
    post(&format!("/api/plans/{id}/commit"), token, &req).await
}

/// The scheduled plans that change or name grid `code`.
pub async fn scheduled_plans(token: &str, code: &str) -> Result<citygrid_api::PlanList, ApiError> {
    get(&format!("/api/plans?status=scheduled&grid={}", enc(code)), token).await
}

/// `POST /api/plans/{id}/<verb>` (`commit`, `discard`, `revert`).
pub async fn decide_plan(token: &str, id: i64, verb: &str) -> Result<citygrid_api::Plan, ApiError> {
    let (status, text) = send("POST", &format!("/api/plans/{id}/{verb}"), Some(token), None).await?;
    decode(status, &text)
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

    fn server(status: u16, code: Option<ErrorCode>, message: &str) -> ServerError {
        ServerError { status, code, message: message.into(), field: None, details: None }
    }

    #[test]
    fn error_bodies_become_errors() {
        let e = decode::<User>(404, r#"{"error":{"code":"not_found","message":"no grid 1"}}"#);
        assert_eq!(e, Err(ApiError::Server(server(404, Some(ErrorCode::NotFound), "no grid 1"))));
        let e = decode::<User>(
            422,
            r#"{"error":{"code":"outside_city","message":"outside","field":"lon","details":{"distance_m":5}}}"#,
        );
        let Err(ApiError::Server(e)) = e else { panic!("a server error") };
        assert_eq!((e.field.as_deref(), e.details.map(|d| d["distance_m"].clone())), (Some("lon"), Some(5.into())));
        let e = decode::<User>(401, r#"{"error":{"code":"bad_credentials","message":"no"}}"#);
        assert_eq!(e, Err(ApiError::Unauthorized(server(401, Some(ErrorCode::BadCredentials), "no"))));
        assert_eq!(decode::<User>(502, ""), Err(ApiError::Server(server(502, None, "HTTP 502"))));
        assert!(matches!(decode::<User>(200, "{}"), Err(ApiError::Decode(_))));
    }

    #[test]
    fn messages_are_translated_by_code() {
        let e =
            ApiError::Unauthorized(server(401, Some(ErrorCode::BadCredentials), "unknown username or wrong password"));
        assert_eq!(e.message(Lang::Zh), "用户名或密码错误，或账号已停用");
        assert_eq!(e.detail(), "unknown username or wrong password (401 bad_credentials)");
        let e = ApiError::Server(ServerError {
            field: Some("duplicate_of".into()),
            ..server(422, Some(ErrorCode::InvalidValue), "duplicate_of: no incident with id 9")
        });
        assert_eq!(e.message(Lang::Zh), "“原事件编号”的值不能接受");
        assert_eq!(ApiError::Server(server(502, None, "HTTP 502")).message(Lang::En), "The request failed");
        assert!(ApiError::Network("down".into()).message(Lang::Zh).starts_with("网络错误"));
    }
}
