//! Map layers as clients see them.

use serde::{Deserialize, Serialize};

/// The current version of one map layer and its version-stamped tile URL template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerVersion {
    /// The layer (and its source in `/style.json`).
    pub layer: String,
    pub version: i64,
    /// `…/tiles/{layer}/{z}/{x}/{y}?v={version}`.
    pub tiles: Vec<String>,
}

/// `GET /tiles/versions`: every layer, in the style's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerVersions {
    pub layers: Vec<LayerVersion>,
}
