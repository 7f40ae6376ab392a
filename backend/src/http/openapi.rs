//! `/api/openapi.json`: the OpenAPI 3 document, derived from the handlers' annotations and the
//! `citygrid-api` types.

use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::extract::Json;
use super::{admin_units, auth, dispatch, grids, health, plans, users, AppState};

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

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "CityGrid API", description = "Spatial governance for Huai'an: grids, admin units, accounts. Coordinates are WGS84 lon/lat; geometries RFC 7946 GeoJSON."),
    paths(
        health::health,
        auth::login, auth::me, auth::logout,
        users::list, users::create,
        grids::one, grids::list, grids::search,
        admin_units::unit, admin_units::building, admin_units::camera,
        dispatch::route, dispatch::route_batch, dispatch::create, dispatch::list, dispatch::one, dispatch::transition,
        dispatch::sla, dispatch::update_sla,
        plans::create, plans::list, plans::one, plans::commit, plans::discard, plans::revert, plans::validate,
        plans::set_workers,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
