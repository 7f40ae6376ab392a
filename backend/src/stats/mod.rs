//! Statistics for the command view (指挥), without HTTP: rollups of incidents kept current by
//! triggers, heat tiles and their scale, and hotspot surveillance.
//!
//! - [`filter`]: windows (Asia/Shanghai days), category and source filters, parsed at the
//!   boundary.
//! - [`rollups`]: the rollup tables of migration `0050_heat_rollups.sql` — what they hold, and
//!   their rebuild.
//! - [`heat`]: the `incidents_heat` tile layer: zoom → cell levels, the query martin gets, the
//!   freshness token and the reference scale.
//! - [`surveillance`]: the statistics of hotspot early warning.

pub mod filter;
pub mod heat;
pub mod rollups;
pub mod surveillance;
