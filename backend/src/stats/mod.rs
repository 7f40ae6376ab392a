//! Statistics for the command view (指挥), without HTTP: rollups of incidents kept current by
//! triggers, heat tiles and their scale, and hotspot surveillance.
//!
//! - [`filter`]: windows (Asia/Shanghai days), category and source filters, parsed at the
//!   boundary.
//! - [`rollups`]: the rollup tables of migrations `0050_heat_rollups.sql` and
//!   `0051_stats_cubes.sql` — what they hold, and their rebuild.
//! - [`heat`]: the `incidents_heat` tile layer: zoom → cell levels, the query martin gets, the
//!   freshness token and the reference scale.
//! - [`units`]: the units figures are about, resolved against the caller's scope.
//! - [`summary`]: the figures of a unit and its children; [`timeseries`]: counts per day or
//!   week with last year's; [`hotspots`]: early warnings, by the method of [`surveillance`].

pub mod filter;
pub mod heat;
pub mod hotspots;
pub mod rollups;
pub mod summary;
pub mod surveillance;
pub mod timeseries;
pub mod units;
