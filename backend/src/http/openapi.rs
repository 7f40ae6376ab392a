//! `/api/openapi.json`: the OpenAPI 3 document, derived from the handlers' annotations and the
//! `citygrid-api` types.

use axum::routing::get;
use axum::Router;
use citygrid_api::{Action, ErrorCode};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, Schema};
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
        for item in openapi.paths.paths.values_mut() {
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

/// Prints the error catalogue and the role × action matrix into the document.
struct Catalogues;

impl Modify for Catalogues {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut("ErrorCode") {
            o.description = Some(format!(
                "A stable error code; each has one HTTP status. Clients translate by code.\n\n{}",
                ErrorCode::markdown_table()
            ));
        }
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut("Action") {
            o.description = Some(format!(
                "The role × action matrix: which role may take which action.\n\n{}",
                Action::markdown_table()
            ));
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
        stats::summary_handler, stats::timeseries_handler, stats::hotspots_handler, stats::heat_tiles, stats::heat_scale,
        coverage::summary, coverage::grid, coverage::what_if, coverage::suggest,
        coverage::create, coverage::update, coverage::remove, coverage::add_planned,
        document,
    ),
    components(schemas(citygrid_api::ErrorBody, ErrorCode, Action)),
    modifiers(&BearerAuth, &Catalogues, &CommonResponses)
)]
pub struct ApiDoc;

/// This document (OpenAPI 3.1).
#[utoipa::path(get, path = "/api/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI document of this API", body = Object)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(document))
}
