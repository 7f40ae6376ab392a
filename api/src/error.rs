//! The error catalogue: every error body is
//! `{"error": {"code", "message", "field"?, "details"?}}` with `code` from [`ErrorCode`].
//!
//! The code is the contract: clients translate and branch on it; `message` is the server's
//! English explanation, a detail for logs and developers; `field` names the offending input
//! (`lon`, `points[3]`, `description`, `cursor`); `details` carries machine-readable context
//! where a code documents some. Adding a code is one line in the [`codes!`] table below; the
//! OpenAPI document and `ARCHITECTURE.md` print the same table.

use serde::{Deserialize, Serialize};

macro_rules! codes {
    ($($name:ident = $wire:literal, $status:literal, $what:literal;)*) => {
        /// A stable, machine-readable error code (see the module docs for the catalogue).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $(#[doc = $what] #[serde(rename = $wire)] $name,)*
        }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The wire name, such as `outside_scope`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $wire,)*
                }
            }

            /// The HTTP status every response with this code has.
            #[must_use]
            pub const fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$name => $status,)*
                }
            }

            /// What the code means, for people reading the catalogue.
            #[must_use]
            pub const fn what(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $what,)*
                }
            }
        }
    };
}

codes! {
    BadRequest = "bad_request", 400, "The request is malformed.";
    InvalidJson = "invalid_json", 400, "The body is not valid JSON.";
    InvalidParameter = "invalid_parameter", 400, "A path or query parameter does not parse or is out of range; `field` names it.";
    InvalidCharacter = "invalid_character", 400, "A string holds a NUL character; `field` names it.";
    InvalidCoordinates = "invalid_coordinates", 400, "A longitude or latitude is not a finite number in range; `field` names it.";
    Unauthorized = "unauthorized", 401, "No bearer token, or an unknown or expired one: log in.";
    BadCredentials = "bad_credentials", 401, "Unknown username, wrong password or a disabled account.";
    Forbidden = "forbidden", 403, "The user's role may not take this action.";
    OutsideScope = "outside_scope", 403, "What the request names lies outside the user's county.";
    NotFound = "not_found", 404, "No such thing, or no such route.";
    MethodNotAllowed = "method_not_allowed", 405, "The route exists but not with this method.";
    RequestTimeout = "request_timeout", 408, "The request was not received in time.";
    Conflict = "conflict", 409, "The request conflicts with the current state.";
    UsernameTaken = "username_taken", 409, "Another account has this username.";
    TransitionNotAllowed = "transition_not_allowed", 409, "The action is not allowed in the incident's current state; `details.allowed_actions` lists those that are.";
    StaleVersion = "stale_version", 409, "The thing changed since the client read it: reload and retry.";
    MissingBaseVersion = "missing_base_version", 409, "A plan changes grids its `base_versions` does not name; `details.versions` lists them with their current versions.";
    PayloadTooLarge = "payload_too_large", 413, "The body, or a list or text in it, is too large.";
    UriTooLong = "uri_too_long", 414, "The request target (path and query) is too long.";
    UnsupportedMediaType = "unsupported_media_type", 415, "The body must be sent as `Content-Type: application/json`.";
    InvalidBody = "invalid_body", 422, "The JSON body lacks a field or a field has the wrong type.";
    InvalidValue = "invalid_value", 422, "A field is well-formed but its value cannot be accepted; `field` names it.";
    OutsideCity = "outside_city", 422, "The point lies outside every grid; `details` names the nearest grid and its distance.";
    UnknownCategory = "unknown_category", 422, "No incident category has this code.";
    UnknownSource = "unknown_source", 422, "No incident source has this code.";
    InvalidGeometry = "invalid_geometry", 422, "A geometry is not valid (self-intersecting, empty, wrong type).";
    PartitionRule = "partition_rule", 422, "A plan's result would break a partition rule (outside the village, a sliver, more than one polygon…); `details.reason` says which and `details.geometry` shows where.";
    Unprocessable = "unprocessable", 422, "The request is well-formed but cannot be carried out.";
    RateLimited = "rate_limited", 429, "Too many attempts: retry after the `Retry-After` seconds.";
    HeadersTooLarge = "headers_too_large", 431, "The request headers are too large.";
    Internal = "internal", 500, "The server failed; its log has the details.";
    BadGateway = "bad_gateway", 502, "The tile server behind the backend failed or did not answer in time.";
    Unavailable = "unavailable", 503, "The server cannot take this now (too busy, or PostgreSQL unreachable): retry after the `Retry-After` seconds.";
}

impl ErrorCode {
    /// Parses the wire name; `None` for anything else.
    #[must_use]
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// The catalogue as a Markdown table, as printed in `ARCHITECTURE.md` and the OpenAPI
    /// document.
    #[must_use]
    pub fn markdown_table() -> String {
        use std::fmt::Write as _;
        let mut out = String::from("| code | status | meaning |\n| --- | --- | --- |\n");
        for c in ErrorCode::ALL {
            let _ = writeln!(out, "| `{}` | {} | {} |", c.as_str(), c.status(), c.what());
        }
        out
    }
}

/// The schema is the catalogue itself: the wire names, and the table as its description.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
            .description(Some(format!(
                "A stable error code; each has one HTTP status. Clients translate by code.\n\n{}",
                ErrorCode::markdown_table()
            )))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ErrorCode {}

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A code from the catalogue, a message for people, and where the problem is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// The server's explanation in English (clients show a translation of `code`).
    pub message: String,
    /// The input at fault: a body field (`description`, `points[3]`), a query or path parameter
    /// (`cursor`, `id`) or a header (`Authorization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Machine-readable context where the code documents some (the nearest grid of a point
    /// outside the city, the allowed actions of an incident).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_statuses_are_errors() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
            assert_eq!(serde_json::to_value(c).expect("json"), serde_json::json!(c.as_str()));
            assert!((400..600).contains(&c.status()), "{c:?}");
            let wire = c.as_str();
            assert!(wire.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{wire}");
        }
        let names: std::collections::HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len(), "wire names are unique");
    }

    #[test]
    fn bodies_omit_what_they_lack() {
        let body = ErrorBody {
            error: ErrorDetail {
                code: ErrorCode::OutsideScope,
                message: "m".into(),
                field: Some("lon".into()),
                details: None,
            },
        };
        assert_eq!(
            serde_json::to_value(&body).expect("json"),
            serde_json::json!({"error": {"code": "outside_scope", "message": "m", "field": "lon"}})
        );
    }
}
