//! `/api/openapi.json`: the OpenAPI 3 document, derived from the handlers' annotations and the
//! `citygrid-api` types.

use axum::routing::get;
use axum::Router;
use citygrid_api::{Action, ErrorCode};
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::extract::Json;
use super::{admin_units, auth, coverage, dispatch, grids, health, plans, stats, tiles, users, AppState};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Adds to every operation the answers any route can give: 401 where a token is needed, the
/// body errors where there is a body, and the server-wide limits (see `http::serve`).
struct CommonResponses;

fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build(),
    )
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                let mut add = |status: &str, description: &str| {
                    op.responses.responses.entry(status.to_owned()).or_insert_with(|| error_response(description));
                };
                add("414", "`uri_too_long`: the request target is longer than 8 KiB");
                add("431", "`headers_too_large`: the headers are larger than 32 KiB");
                add("503", "`unavailable`: the request took longer than 30 s, or the database is busy (`Retry-After`)");
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                if secured {
                    add("401", "`unauthorized`: no bearer token, or an unknown or expired one");
                }
                // Every secured route but the session's own (`/api/auth/…`) names an action.
                if secured && !path.starts_with("/api/auth/") {
                    add("403", "`forbidden`: the role may not; `outside_scope`: outside the user's county");
                }
                if op.request_body.is_some() {
                    add("400", "`invalid_json`, `invalid_character` or another malformed body");
                    add("408", "`request_timeout`: the body did not arrive within 15 s");
                    add("413", "`payload_too_large`");
                    add("415", "`unsupported_media_type`: send `Content-Type: application/json`");
                    add("422", "`invalid_body` or `invalid_value`, naming the field");
                } else if !op.parameters.as_ref().is_none_or(Vec::is_empty) {
                    add("400", "`invalid_parameter` or `invalid_character`, naming the parameter");
                }
            }
        }
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "CityGrid API", description = "Spatial governance for Huai'an: grids, admin units, accounts. Coordinates are WGS84 lon/lat; geometries RFC 7946 GeoJSON."),
    paths(
        health::health,
        health::ready,
        auth::login, auth::me, auth::logout,
        users::list, users::create,
        grids::one, grids::list, grids::search,
        admin_units::unit, admin_units::building, admin_units::camera,
        dispatch::route, dispatch::route_batch, dispatch::create, dispatch::list, dispatch::one, dispatch::transition,
        dispatch::sla, dispatch::update_sla,
        users::update, users::reset_password,
        tiles::style, tiles::versions, tiles::tilejson, tiles::tile, tiles::font,
        plans::create, plans::list, plans::one, plans::commit, plans::discard, plans::revert, plans::validate,
        plans::set_workers, plans::history, plans::workload,
        stats::summary_handler, stats::units_handler, stats::timeseries_handler, stats::hotspots_handler, stats::heat_tiles, stats::heat_scale,
        coverage::summary, coverage::grid, coverage::what_if, coverage::suggest,
        coverage::create, coverage::update, coverage::remove, coverage::add_planned,
        document,
    ),
    components(schemas(citygrid_api::ErrorBody, ErrorCode, Action)),
    modifiers(&BearerAuth, &CommonResponses)
)]
pub struct ApiDoc;

// The zoom pattern below spells 20..=MAX_REQUEST_ZOOM as `2[0-N]`.
const _: () = assert!(crate::tiles::MAX_REQUEST_ZOOM >= 20 && crate::tiles::MAX_REQUEST_ZOOM < 30);

/// The facts the annotations cannot state because they live in the catalogues and parsers:
/// enums of codes, the patterns our parsers accept, and the coordinate ranges of batch points.
fn refine(doc: &mut Value) {
    let one_of = |codes: &mut dyn Iterator<Item = &str>| -> Vec<Value> { codes.map(Value::from).collect() };
    let categories = one_of(&mut citygrid_api::CATEGORIES.iter().map(|c| c.code));
    let sources = one_of(&mut citygrid_api::SOURCES.iter().map(|c| c.code));
    let actions = one_of(&mut crate::incidents::ACTIONS.iter().copied());
    let layers = one_of(&mut crate::tiles::LAYERS.iter().map(|l| l.name));
    let status = {
        let any = format!("(open|{})", crate::incidents::STATUSES.join("|"));
        format!("^{any}(,{any})*$")
    };
    let glyphs = format!(
        "^({})(\\.pbf)?$",
        (0..=255).map(|i| format!("{}-{}", i * 256, i * 256 + 255)).collect::<Vec<_>>().join("|")
    );
    let time = json!({"pattern": dispatch::TIME_PATTERN});
    // (paths starting with, parameter, in, what it adds): the incident list's filters are its
    // own (other routes have a `from`, `status` or `sort` of another grammar).
    let incidents = "/api/incidents";
    let params: [(&str, &str, &str, Value); 14] = [
        (incidents, "from", "query", time.clone()),
        (incidents, "to", "query", time.clone()),
        ("/", "bbox", "query", json!({"pattern": crate::grids::BBOX_PATTERN})),
        (incidents, "status", "query", json!({"pattern": status})),
        (incidents, "cursor", "query", json!({"pattern": crate::incidents::list::CURSOR_PATTERN})),
        (incidents, "sort", "query", json!({"enum": ["newest", "deadline", "priority"]})),
        (incidents, "unit", "query", json!({"pattern": "^([0-9]{6}|[0-9]{9}|[0-9]{12})$"})),
        (incidents, "category", "query", json!({"enum": categories})),
        ("/tiles/", "layer", "path", json!({"enum": layers})),
        (
            "/tiles/",
            "z",
            "path",
            json!({"pattern": format!("^([0-9]|1[0-9]|2[0-{}])$", crate::tiles::MAX_REQUEST_ZOOM % 10)}),
        ),
        ("/tiles/", "x", "path", json!({"pattern": "^[0-9]{1,7}$"})),
        ("/tiles/", "y", "path", json!({"pattern": "^[0-9]{1,7}(\\.pbf|\\.mvt)?$"})),
        ("/tiles/", "range", "path", json!({"pattern": glyphs})),
        (
            "/tiles/",
            "fontstack",
            "path",
            json!({"pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f/\\\\]+$", "maxLength": 512}),
        ),
    ];
    for (path, item) in doc["paths"].as_object_mut().into_iter().flat_map(|p| p.iter_mut()) {
        for op in item.as_object_mut().into_iter().flat_map(|i| i.values_mut()) {
            for p in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
                for (prefix, name, place, extra) in &params {
                    if path.starts_with(prefix) && p["name"] == *name && p["in"] == *place {
                        merge(&mut p["schema"], extra);
                    }
                }
                no_nul(&mut p["schema"]);
            }
        }
    }
    let schemas = &mut doc["components"]["schemas"];
    let nullable = |v: &Vec<Value>| Value::from(v.iter().cloned().chain([Value::Null]).collect::<Vec<_>>());
    merge(&mut schemas["RouteRequest"]["properties"]["category"], &json!({"enum": nullable(&categories)}));
    merge(&mut schemas["CreateIncidentRequest"]["properties"]["category"], &json!({"enum": categories}));
    merge(&mut schemas["CreateIncidentRequest"]["properties"]["source"], &json!({"enum": sources}));
    merge(&mut schemas["CreateIncidentRequest"]["properties"]["reported_at"], &time);
    merge(&mut schemas["SlaUpdate"]["properties"]["category"], &json!({"enum": categories}));
    merge(&mut schemas["TransitionRequest"]["properties"]["action"], &json!({"enum": actions}));
    for schema in schemas.as_object_mut().into_iter().flat_map(|s| s.values_mut()) {
        no_nul(schema);
    }
    schemas["BatchRouteRequest"]["properties"]["points"]["items"] = json!({
        "type": "array", "minItems": 2, "maxItems": 2, "items": false,
        "prefixItems": [
            {"type": "number", "minimum": -180, "maximum": 180, "description": "longitude"},
            {"type": "number", "minimum": -90, "maximum": 90, "description": "latitude"}
        ]
    });
}

/// Every string without a pattern or an enum of its own gets one refusing NUL characters
/// (`http::extract` answers 400 `invalid_character` to them), in `schema` and what it nests.
fn no_nul(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else { return };
    let is_string = match obj.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    if is_string && !obj.contains_key("pattern") && !obj.contains_key("enum") {
        obj.insert("pattern".into(), json!("^[^\\u0000]*$"));
    }
    for (key, value) in obj.iter_mut() {
        match (key.as_str(), value) {
            ("properties", Value::Object(props)) => props.values_mut().for_each(no_nul),
            ("items" | "additionalProperties", v) => no_nul(v),
            ("oneOf" | "anyOf" | "allOf" | "prefixItems", Value::Array(list)) => list.iter_mut().for_each(no_nul),
            _ => {}
        }
    }
}

/// Copies the keys of `extra` into the object `target`.
fn merge(target: &mut Value, extra: &Value) {
    if let (Some(t), Some(e)) = (target.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            t.insert(k.clone(), v.clone());
        }
    }
}

/// The document as served: [`ApiDoc`] refined with the catalogues.
#[must_use]
pub fn document_json() -> &'static Value {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
        refine(&mut doc);
        doc
    })
}

/// This document (OpenAPI 3.1).
#[utoipa::path(get, path = "/api/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI document of this API", body = Object)))]
pub async fn document() -> Json<&'static Value> {
    Json(document_json())
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(document))
}
