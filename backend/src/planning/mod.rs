//! Planning: boundary edits that keep the partition exact, previewed before they are committed.
//!
//! A plan is drafted from a request (reshape, split, merge): [`edit`] decides, on the
//! [`topology`] arrangement of the village's grids, which grid every piece of area belongs to;
//! [`validate`] checks the result; [`diff`] works out its consequences (areas, buildings,
//! households, residents, cameras, incidents, workload per worker, colours). The draft stores
//! the exact result, and [`plan::commit`] applies exactly that — in one transaction, after
//! checking that no grid moved since — or refuses with 409. [`plan::revert`] restores what a
//! commit changed. No HTTP here; `http::plans` maps it onto routes.
//!
//! Submodules: [`lattice`] (the 1e-7° integer grid), [`topology`] (the shared-edge arrangement),
//! [`edit`] (the four edits), [`validate`] (partition check), [`colour`] (four-colour classes),
//! [`input`] (GeoJSON in), [`diff`] (consequences), [`plan`] (the plan life cycle in PostGIS),
//! [`reroute`] (moving open incidents to their new grid), [`schedule`] (plans committed for a
//! later instant, applied by a background task), [`workers`] (grid worker assignment),
//! [`history`] (every version of a grid; the instant `as_of` names), [`workload`] (a grid's
//! figures against its village's average, its neighbours).

pub mod apply;
pub mod colour;
pub mod diff;
pub mod edit;
pub mod history;
pub mod input;
pub mod lattice;
pub mod plan;
pub mod reroute;
pub mod schedule;
pub mod topology;
pub mod validate;
pub mod workers;
pub mod workload;

use citygrid_api::ReshapeMode;
use serde_json::{json, Value};

use lattice::{Poly, Pt};

/// Everything a planning call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// 404: no such plan.
    #[error("{0}")]
    NotFound(String),
    /// 422: the request names something that does not exist or does not fit.
    #[error("{0}")]
    Invalid(String),
    /// 422: the geometry (input or result) breaks a rule; `geometry` shows where.
    #[error("{message}")]
    Geometry { reason: &'static str, message: String, geometry: Option<Value> },
    /// 413: the geometry is too large.
    #[error("{0}")]
    TooLarge(String),
    /// 403: outside the caller's county.
    #[error(transparent)]
    OutsideScope(#[from] crate::scope::OutsideScope),
    /// 409: grids changed since the planner looked (base versions are stale).
    #[error("{message}")]
    Stale { message: String, grids: Vec<StaleGrid> },
    /// 409: the change reaches grids the request did not name in `base_versions`.
    #[error("the plan also changes {}; add their versions to base_versions", grids.join(", "))]
    MissingBase { grids: Vec<String>, versions: Vec<(String, i32)> },
    /// 409: a scheduled plan (`plan_id`, taking effect at `effective_from`) changes `grid`.
    #[error("grid {grid} has a change scheduled by plan {plan_id} for {effective_from}; cancel that plan (discard) or wait until it takes effect")]
    Scheduled { grid: String, plan_id: i64, effective_from: String },
    /// 409: the plan is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] anyhow::Error),
}

impl From<sqlx::Error> for PlanError {
    fn from(e: sqlx::Error) -> Self {
        PlanError::Db(e.into())
    }
}

/// A grid that moved on since its base version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaleGrid {
    pub code: String,
    pub base_version: Option<i32>,
    /// `None` when the grid no longer exists as a current grid.
    pub current_version: Option<i32>,
    /// Who made the current version (the plan's author), when a plan did.
    pub changed_by: Option<String>,
    pub plan_id: Option<i64>,
}

/// GeoJSON (RFC 7946: counter-clockwise shells) of a lattice shape.
#[must_use]
pub fn shape_geojson(shape: &[Poly]) -> Value {
    let ring = |r: &Vec<Pt>| {
        let mut c: Vec<Value> = r.iter().map(|p| json!([p.lon(), p.lat()])).collect();
        if let Some(first) = c.first().cloned() {
            c.push(first);
        }
        Value::Array(c)
    };
    let polys: Vec<Value> = shape
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p.orient_rings();
            Value::Array(p.rings.iter().map(ring).collect())
        })
        .collect();
    json!({"type": "MultiPolygon", "coordinates": polys})
}

/// GeoJSON of line pieces.
#[must_use]
pub fn segments_geojson(pieces: &[[Pt; 2]]) -> Value {
    let lines: Vec<Value> = pieces.iter().map(|[a, b]| json!([[a.lon(), a.lat()], [b.lon(), b.lat()]])).collect();
    json!({"type": "MultiLineString", "coordinates": lines})
}

/// GeoJSON of a point.
#[must_use]
pub fn point_geojson(p: Pt) -> Value {
    json!({"type": "Point", "coordinates": [p.lon(), p.lat()]})
}

/// The wire name of a reshape mode.
#[must_use]
pub fn mode_str(m: ReshapeMode) -> &'static str {
    match m {
        ReshapeMode::Boundary => "boundary",
        ReshapeMode::Edge => "edge",
    }
}

/// The current partition on the lattice, converted once when the routing snapshot is loaded
/// (after every change's NOTIFY), so the whole-city check does not convert 5,000 grids per call.
#[derive(Debug, Default)]
pub struct PartitionShapes {
    /// Index-aligned with the snapshot's grids.
    pub grids: Vec<lattice::Shape>,
    /// Village outlines by code.
    pub villages: std::collections::HashMap<String, lattice::Shape>,
    /// The city outline.
    pub city: Option<lattice::Shape>,
}

impl PartitionShapes {
    /// Converts the snapshot's grids and outlines.
    #[must_use]
    pub fn new(
        grids: &crate::routing::grid_index::GridIndex,
        outlines: &std::collections::HashMap<String, geo::MultiPolygon<f64>>,
        city: Option<&str>,
    ) -> Self {
        PartitionShapes {
            grids: (0..grids.len()).map(|i| lattice::shape_from_geo(&grids.get(i as u32).shape)).collect(),
            villages: outlines
                .iter()
                .filter(|(code, _)| code.len() == 12)
                .map(|(code, mp)| (code.clone(), lattice::shape_from_geo(mp)))
                .collect(),
            city: city.and_then(|c| outlines.get(c)).map(lattice::shape_from_geo),
        }
    }
}

/// Checks the partition the routing engine holds (the current grids) against the villages and
/// the city outline; `prefix` limits the report to one village, township or county.
#[must_use]
pub fn check_partition(
    snap: &crate::routing::Snapshot,
    prefix: Option<&str>,
    rules: validate::Rules,
) -> validate::Report {
    let shapes = &snap.partition;
    let refs: Vec<validate::GridRef<'_>> = shapes
        .grids
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let g = snap.grids.get(i as u32);
            validate::GridRef { code: &g.code, village: &g.village_code, shape: s }
        })
        .collect();
    let in_scope = |g: &validate::GridRef<'_>| prefix.is_none_or(|p| g.code.starts_with(p));
    validate::city(&refs, &in_scope, &shapes.villages, shapes.city.as_deref(), rules)
}
