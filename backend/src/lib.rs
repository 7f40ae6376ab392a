//! CityGrid's backend as a library: configuration, the database layer, the domain modules and
//! the HTTP API. The `citygrid` binary (`main.rs`) only parses a command and calls into here.
//!
//! Domain modules hold no HTTP: [`dataset`] generates and loads the city, [`grids`] and
//! [`admin_units`] read the hierarchy, [`accounts`] owns users, sessions and the audit trail,
//! [`scope`] says where a user may work, [`stats`] holds the rollups, heat tiles and statistics
//! of the command view.
//! [`http`] maps them onto routes.

pub mod accounts;
pub mod admin_units;
pub mod buildings;
pub mod cache;
pub mod config;
pub mod coverage;
pub mod dataset;
pub mod db;
pub mod grids;
pub mod http;
pub mod incidents;
pub mod login_throttle;
pub mod planning;
pub mod routing;
pub mod scope;
pub mod stats;
pub mod tiles;
