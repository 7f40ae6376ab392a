//! Vector tiles, domain side: the layer catalogue (names, martin sources, zoom ranges, fields,
//! who may see them), tile coordinates, TileJSON and the MapLibre style. No HTTP here:
//! [`crate::http::tiles`] proxies martin and serves these documents.
//!
//! The tiles themselves are made by the SQL functions in `migrations/0003_tiles.sql` and served
//! by martin (`tiles/martin.yaml`); the zoom ranges below must match the guards in that SQL.

use std::collections::BTreeMap;

use citygrid_api::symbology::{self, Swatch, GRID_FILLS};
use citygrid_api::{Action, HeatScale};
use serde_json::{json, Value};
use sqlx::PgPool;

pub mod follow;

/// Huai'an's extent (west, south, east, north), EPSG:4326, with a small margin.
pub const BOUNDS: [f64; 4] = [118.1, 32.6, 119.7, 34.2];
/// The map's initial view: the city centre (清江浦区).
pub const CENTER: [f64; 2] = [119.02, 33.6];
/// The initial zoom of the style.
pub const DEFAULT_ZOOM: f64 = 9.0;
/// The largest zoom the proxy accepts (MapLibre overzooms beyond a source's `maxzoom`).
pub const MAX_REQUEST_ZOOM: u8 = 22;
/// The fontstack of every label (`citygrid_api::symbology::FONT`, which the overlays use too).
pub const FONT: &str = symbology::FONT;

/// MapLibre `heatmap-intensity` of the heat layer, `(zoom, intensity)` stops interpolated
/// linearly. MapLibre's kernel peaks at 1/√(2π) ≈ 0.40 of a feature's weight, and with radii
/// 1.5 times the cell spacing a field of cells at their band's reference sums to about 1.6
/// peaks, so its density is ≈ 0.64 × intensity: 1.6 brings such a field to the top of the ramp
/// at city and district zooms (a flat 0.6 left it at ≈ 0.38, pale); towards the raw points of
/// the street zooms it returns to 0.6.
pub const HEAT_INTENSITY: [(f64, f64); 2] = [(11.0, 1.6), (15.0, 0.6)];

/// The geometry kind of a layer (for docs and the style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryKind {
    /// Polygons, plus one label point per feature for the admin and grid layers.
    Polygon,
    Line,
    Point,
}

/// One map layer: one martin function source, one MVT layer of the same name.
#[derive(Debug, Clone, Copy)]
pub struct Layer {
    /// The layer name: URL segment, MVT layer name, `layer_versions.layer`, style group.
    pub name: &'static str,
    /// martin's source id (`tiles/martin.yaml`).
    pub source: &'static str,
    /// Below this zoom the tile is empty.
    pub minzoom: u8,
    /// The deepest zoom martin is asked for in TileJSON/style (MapLibre overzooms beyond it).
    pub maxzoom: u8,
    pub description: &'static str,
    pub geometry: GeometryKind,
    /// Attribute name and TileJSON type ("String" or "Number").
    pub fields: &'static [(&'static str, &'static str)],
    /// What a user must be allowed to do to fetch the tiles.
    pub action: Action,
    /// The tile function filters by county: the proxy passes the caller's county as the
    /// `county` query parameter (and never a client-supplied one).
    pub scoped: bool,
    /// Tables whose changes bump this layer's version automatically, within about a second
    /// ([`follow`]); empty for layers whose editors bump the version themselves (or never change).
    pub follows: &'static [&'static str],
    /// What the tile URL's query string carries besides `v`.
    pub query: TileQuery,
}

/// The query parameters a layer's tiles take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileQuery {
    /// Only the layer version `v`.
    Version,
    /// `v`, and optionally `as_of=YYYY-MM-DD`: the layer as it was at the end of that
    /// Asia/Shanghai day ([`crate::planning::history::parse_day`]; the tile function reads
    /// `grids_at` of that instant). The proxy passes martin the instant, not the client's text.
    VersionAsOf,
    /// A heat window and filter (`from`, `to`, `category`, `source`), normalised by the proxy,
    /// which adds the caller's county and the window's freshness token
    /// ([`crate::stats::heat::HeatQuery`]).
    Heat,
}

const ADMIN_FIELDS: &[(&str, &str)] = &[("code", "String"), ("name", "String"), ("name_en", "String")];

/// The catalogue, bottom layer first.
pub const LAYERS: [Layer; 12] = [
    Layer {
        name: "counties",
        source: "counties",
        minzoom: 0,
        maxzoom: 16,
        description: "County boundaries (区县)",
        geometry: GeometryKind::Polygon,
        fields: ADMIN_FIELDS,
        action: Action::MapRead,
        scoped: false,
        follows: &[],
        query: TileQuery::Version,
    },
    Layer {
        name: "townships",
        source: "townships",
        // Every zoom (migration 0052): the command view names townships over the whole city.
        minzoom: 0,
        maxzoom: 16,
        description: "Township and street boundaries (乡镇/街道)",
        geometry: GeometryKind::Polygon,
        fields: ADMIN_FIELDS,
        action: Action::MapRead,
        scoped: false,
        follows: &[],
        query: TileQuery::Version,
    },
    Layer {
        name: "villages",
        source: "villages",
        minzoom: 11,
        maxzoom: 16,
        description: "Village and community boundaries (村/社区)",
        geometry: GeometryKind::Polygon,
        fields: ADMIN_FIELDS,
        action: Action::MapRead,
        scoped: false,
        follows: &[],
        query: TileQuery::Version,
    },
    Layer {
        name: "grids",
        source: "grids",
        minzoom: 11,
        maxzoom: 16,
        description: "Current grid boundaries (网格)",
        geometry: GeometryKind::Polygon,
        fields: &[
            ("code", "String"),
            ("name", "String"),
            ("village_code", "String"),
            ("colour", "Number"),
            ("version", "Number"),
            ("kind", "String"),
        ],
        action: Action::MapRead,
        scoped: false,
        follows: &[],
        query: TileQuery::VersionAsOf,
    },
    Layer {
        name: "buildings",
        source: "buildings",
        minzoom: 14,
        maxzoom: 16,
        description: "Building footprints",
        geometry: GeometryKind::Polygon,
        fields: &[("id", "Number"), ("kind", "String"), ("floors", "Number"), ("grid_code", "String")],
        action: Action::MapRead,
        scoped: false,
        follows: &[],
        query: TileQuery::Version,
    },
    Layer {
        name: "streets",
        source: "streets",
        minzoom: 12,
        maxzoom: 16,
        description: "Streets of the towns (街道路网)",
        geometry: GeometryKind::Line,
        fields: &[("id", "Number"), ("kind", "String"), ("name", "String")],
        action: Action::MapRead,
        scoped: false,
        follows: &[],
        query: TileQuery::Version,
    },
    Layer {
        name: "cameras",
        source: "cameras",
        minzoom: 13,
        maxzoom: 16,
        description: "Video cameras",
        geometry: GeometryKind::Point,
        fields: &[
            ("id", "Number"),
            ("code", "String"),
            ("kind", "String"),
            ("status", "String"),
            ("heading_deg", "Number"),
            ("fov_deg", "Number"),
            ("range_m", "Number"),
        ],
        action: Action::MapRead,
        scoped: false,
        follows: &[],
        query: TileQuery::Version,
    },
    Layer {
        name: "incidents",
        source: "incidents",
        minzoom: 15,
        maxzoom: 16,
        description: "Incidents (restricted: admin, dispatcher, leader)",
        geometry: GeometryKind::Point,
        fields: &[("id", "Number"), ("category", "String"), ("status", "String"), ("priority", "Number")],
        action: Action::IncidentsRead,
        scoped: true,
        follows: &["incidents"],
        query: TileQuery::Version,
    },
    Layer {
        name: crate::stats::heat::LAYER,
        source: crate::stats::heat::LAYER,
        minzoom: 0,
        maxzoom: 16,
        description: "Incident heat: counts per map cell for a time window (restricted: admin, leader)",
        geometry: GeometryKind::Point,
        fields: &[("count", "Number")],
        action: Action::StatisticsRead,
        // The proxy puts the caller's county into the heat query itself (`HeatQuery::county`).
        scoped: true,
        // Its freshness is the window's token `t` (`stats::heat::token`), not a version bump.
        follows: &[],
        query: TileQuery::Heat,
    },
    Layer {
        name: "coverage_grids",
        source: "coverage_grids",
        minzoom: 8,
        maxzoom: 16,
        description: "Camera coverage per grid (restricted: admin, planner, leader)",
        geometry: GeometryKind::Polygon,
        fields: &[
            ("code", "String"),
            ("name", "String"),
            ("buildings", "Number"),
            ("covered_buildings", "Number"),
            ("residents", "Number"),
            ("share", "Number"),
            ("share_occluded", "Number"),
        ],
        action: Action::CoverageRead,
        scoped: true,
        follows: &[],
        query: TileQuery::Version,
    },
    Layer {
        name: "coverage_buildings",
        source: "coverage_buildings",
        minzoom: 14,
        maxzoom: 16,
        description: "Buildings covered by cameras or not (restricted: admin, planner, leader)",
        geometry: GeometryKind::Polygon,
        fields: &[("id", "Number"), ("residents", "Number"), ("covered", "Number"), ("covered_occluded", "Number")],
        action: Action::CoverageRead,
        scoped: true,
        follows: &[],
        query: TileQuery::Version,
    },
    Layer {
        name: "coverage",
        source: "coverage",
        minzoom: 13,
        maxzoom: 16,
        description: "Camera fields of view (restricted: admin, planner, leader)",
        geometry: GeometryKind::Polygon,
        fields: &[
            ("id", "Number"),
            ("code", "String"),
            ("kind", "String"),
            ("status", "String"),
            ("heading_deg", "Number"),
            ("fov_deg", "Number"),
            ("range_m", "Number"),
        ],
        action: Action::CoverageRead,
        scoped: true,
        follows: &[],
        query: TileQuery::Version,
    },
];

/// The layer called `name`.
#[must_use]
pub fn layer(name: &str) -> Option<&'static Layer> {
    LAYERS.iter().find(|l| l.name == name)
}

impl Layer {
    /// Is a tile at zoom `z` certainly empty?
    #[must_use]
    pub fn empty_at(&self, z: u8) -> bool {
        z < self.minzoom
    }
}

/// A tile address: z ≤ [`MAX_REQUEST_ZOOM`], x and y < 2^z.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileCoord {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// Why a tile address is rejected (a 400 for the client).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileCoordError {
    #[error("tile {0} {1:?} is not a non-negative integer")]
    NotANumber(&'static str, String),
    #[error("zoom {0} is out of range 0..={MAX_REQUEST_ZOOM}")]
    ZoomOutOfRange(u64),
    #[error("tile {axis} = {value} is out of range 0..{limit} at zoom {z}")]
    OutOfRange { axis: &'static str, value: u64, limit: u64, z: u8 },
}

impl TileCoord {
    /// Parses path segments; `y` may end in `.pbf` or `.mvt`.
    pub fn parse(z: &str, x: &str, y: &str) -> Result<TileCoord, TileCoordError> {
        let y = y.strip_suffix(".pbf").or_else(|| y.strip_suffix(".mvt")).unwrap_or(y);
        let num = |axis: &'static str, s: &str| -> Result<u64, TileCoordError> {
            if s.is_empty() || s.len() > 7 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TileCoordError::NotANumber(axis, s.to_owned()));
            }
            s.parse().map_err(|_| TileCoordError::NotANumber(axis, s.to_owned()))
        };
        let zv = num("z", z)?;
        if zv > u64::from(MAX_REQUEST_ZOOM) {
            return Err(TileCoordError::ZoomOutOfRange(zv));
        }
        let z = zv as u8;
        let limit = 1u64 << z;
        let (xv, yv) = (num("x", x)?, num("y", y)?);
        for (axis, value) in [("x", xv), ("y", yv)] {
            if value >= limit {
                return Err(TileCoordError::OutOfRange { axis, value, limit, z });
            }
        }
        Ok(TileCoord { z, x: xv as u32, y: yv as u32 })
    }

    /// The XYZ (Web Mercator) tile containing (`lon`, `lat`) at zoom `z`. Points on a tile edge
    /// belong to the tile east / south of it; longitude 180° and latitudes beyond the Mercator
    /// limit (±85.0511°) fall into the edge tiles.
    ///
    /// # Panics
    /// If `z` is above [`MAX_REQUEST_ZOOM`].
    #[must_use]
    pub fn containing(lon: f64, lat: f64, z: u32) -> TileCoord {
        /// atan(sinh(π)) in degrees: the latitude of the top edge of tile 0/0/0.
        const MAX_LAT: f64 = 85.051_128_779_806_59;
        assert!(z <= u32::from(MAX_REQUEST_ZOOM), "zoom {z} is out of range 0..={MAX_REQUEST_ZOOM}");
        let n = f64::from(1u32 << z);
        let last = n - 1.0;
        let x = ((lon + 180.0) / 360.0 * n).floor().clamp(0.0, last);
        let phi = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
        let y = ((1.0 - phi.tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor().clamp(0.0, last);
        TileCoord { z: z as u8, x: x as u32, y: y as u32 }
    }
}

/// The current version of every layer (`layer_versions`); a layer missing there counts as 1.
pub async fn layer_versions(pool: &PgPool) -> sqlx::Result<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = sqlx::query_as("select layer, version from layer_versions").fetch_all(pool).await?;
    Ok(rows.into_iter().collect())
}

/// The current version of one layer.
pub async fn layer_version(pool: &PgPool, layer: &str) -> sqlx::Result<i64> {
    let v: Option<i64> = sqlx::query_scalar("select version from layer_versions where layer = $1")
        .bind(layer)
        .fetch_optional(pool)
        .await?;
    Ok(v.unwrap_or(1))
}

/// The version-stamped tile URL template of a layer, under `origin` (`http://host:port`).
#[must_use]
pub fn tile_url(origin: &str, layer: &Layer, version: i64) -> String {
    format!("{origin}/tiles/{}/{{z}}/{{x}}/{{y}}?v={version}", layer.name)
}

/// TileJSON 3.0.0 for a layer.
#[must_use]
pub fn tilejson(origin: &str, layer: &Layer, version: i64) -> Value {
    let fields: serde_json::Map<String, Value> =
        layer.fields.iter().map(|(k, t)| ((*k).to_owned(), Value::from(*t))).collect();
    json!({
        "tilejson": "3.0.0",
        "name": layer.name,
        "description": layer.description,
        "version": format!("{version}.0.0"),
        "scheme": "xyz",
        "tiles": [tile_url(origin, layer, version)],
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "bounds": BOUNDS,
        "center": [CENTER[0], CENTER[1], DEFAULT_ZOOM.max(f64::from(layer.minzoom))],
        "vector_layers": [{
            "id": layer.name,
            "description": layer.description,
            "minzoom": layer.minzoom,
            "maxzoom": layer.maxzoom,
            "fields": fields,
        }],
    })
}

/// Only polygons (the admin and grid layers also carry one label point per feature).
fn polygons() -> Value {
    json!(["==", ["geometry-type"], "Polygon"])
}

/// Only the label points.
fn points() -> Value {
    json!(["==", ["geometry-type"], "Point"])
}

fn style_layer(id: &str, group: &str, kind: &str, minzoom: u8, body: Value) -> Value {
    let mut layer = json!({
        "id": id,
        "type": kind,
        "source": group,
        "source-layer": group,
        "minzoom": minzoom,
        "metadata": { "citygrid:group": group },
    });
    if let (Some(obj), Value::Object(extra)) = (layer.as_object_mut(), body) {
        obj.extend(extra);
    }
    layer
}

fn label(id: &str, group: &str, minzoom: u8, maxzoom: u8, size: &Value, colour: &str) -> Value {
    style_layer(
        id,
        group,
        "symbol",
        minzoom,
        json!({
            "maxzoom": maxzoom,
            "filter": points(),
            "layout": {
                "text-field": ["get", "name"],
                "text-font": [FONT],
                "text-size": size,
                "text-max-width": 8,
                "text-padding": 4,
            },
            "paint": {
                "text-color": colour,
                "text-halo-color": "rgba(255, 255, 255, 0.9)",
                "text-halo-width": 1.5,
            },
        }),
    )
}

/// `["match", ["get", "status"], value, colour, …, fallback]` over a symbology table.
fn match_status(table: &[Swatch], fallback: &str) -> Value {
    let mut expr = vec![json!("match"), json!(["get", "status"])];
    for s in table {
        expr.push(json!(s.value));
        expr.push(json!(s.colour));
    }
    expr.push(json!(fallback));
    Value::Array(expr)
}

/// `["in", ["get", "status"], ["literal", [statuses]]]`.
fn status_in(table: &[Swatch]) -> Value {
    json!(["in", ["get", "status"], ["literal", table.iter().map(|s| s.value).collect::<Vec<_>>()]])
}

/// The MapLibre style: every layer of the catalogue from martin through the backend, at their
/// current versions, under `origin`; the heat layer (hidden until a workspace shows it) at the
/// tile URL `heat_tiles` and weighed by `heat_scale`. Layer ids and `metadata["citygrid:group"]`
/// are a contract with the frontend (it toggles groups).
#[must_use]
pub fn style(origin: &str, versions: &BTreeMap<String, i64>, heat_tiles: &str, heat_scale: &HeatScale) -> Value {
    let sources: serde_json::Map<String, Value> = LAYERS
        .iter()
        .map(|l| {
            let version = versions.get(l.name).copied().unwrap_or(1);
            let url = match l.query {
                TileQuery::Version | TileQuery::VersionAsOf => tile_url(origin, l, version),
                TileQuery::Heat => heat_tiles.to_owned(),
            };
            let source = json!({
                "type": "vector",
                "tiles": [url],
                "minzoom": l.minzoom,
                "maxzoom": l.maxzoom,
                "bounds": BOUNDS,
            });
            (l.name.to_owned(), source)
        })
        .collect();
    let zoom_width = |z0: u8, w0: f64, z1: u8, w1: f64| json!(["interpolate", ["linear"], ["zoom"], z0, w0, z1, w1]);

    let layers = vec![
        json!({
            "id": "background",
            "type": "background",
            "metadata": { "citygrid:group": "background" },
            "paint": { "background-color": symbology::BACKGROUND },
        }),
        style_layer(
            "grids-fill",
            "grids",
            "fill",
            11,
            json!({
                "filter": polygons(),
                "paint": {
                    "fill-color": ["match", ["get", "kind"], "water", symbology::WATER,
                        ["match", ["get", "colour"],
                            0, GRID_FILLS[0], 1, GRID_FILLS[1], 2, GRID_FILLS[2], 3, GRID_FILLS[3], "#cccccc"]],
                    "fill-opacity": ["interpolate", ["linear"], ["zoom"], 11, 0.45, 16, 0.3],
                },
            }),
        ),
        style_layer(
            "grids-line",
            "grids",
            "line",
            12,
            json!({
                "filter": polygons(),
                "paint": { "line-color": symbology::GRID_LINE, "line-width": zoom_width(12, 0.3, 17, 1.2), "line-opacity": 0.8 },
            }),
        ),
        style_layer(
            "streets-line",
            "streets",
            "line",
            12,
            json!({
                "layout": { "line-join": "round", "line-cap": "round" },
                "paint": {
                    "line-color": symbology::STREET_LINE,
                    // Arterials 1 → 9 px from z12 to z17, local streets (from z14) 0.8 → 5 px.
                    "line-width": ["interpolate", ["linear"], ["zoom"],
                        12, ["match", ["get", "kind"], "arterial", 1.0, 0.0],
                        14, ["match", ["get", "kind"], "arterial", 4.2, 0.8],
                        17, ["match", ["get", "kind"], "arterial", 9.0, 5.0]],
                },
            }),
        ),
        style_layer(
            "buildings-fill",
            "buildings",
            "fill",
            14,
            json!({
                "paint": {
                    "fill-color": symbology::BUILDING_FILL,
                    "fill-outline-color": symbology::BUILDING_OUTLINE,
                    "fill-opacity": ["interpolate", ["linear"], ["zoom"], 14, 0.6, 16, 0.85],
                },
            }),
        ),
        coverage_style(COVERAGE_GRIDS_FILL, "coverage_grids", "share"),
        coverage_style(COVERAGE_GRIDS_FILL_OCCLUDED, "coverage_grids", "share_occluded"),
        coverage_style(COVERAGE_BUILDINGS_FILL, "coverage_buildings", "covered"),
        coverage_style(COVERAGE_BUILDINGS_FILL_OCCLUDED, "coverage_buildings", "covered_occluded"),
        coverage_style("coverage-fill", "coverage", "status"),
        coverage_style("coverage-line", "coverage", "status"),
        coverage_style("coverage-line-dashed", "coverage", "status"),
        style_layer(
            "villages-line",
            "villages",
            "line",
            11,
            json!({
                "filter": polygons(),
                "layout": { "line-join": "round" },
                "paint": {
                    "line-color": symbology::VILLAGE_LINE,
                    "line-width": zoom_width(11, 0.6, 16, 1.5),
                    "line-dasharray": [3, 2],
                },
            }),
        ),
        style_layer(
            "townships-line",
            "townships",
            "line",
            9,
            json!({
                "filter": polygons(),
                "layout": { "line-join": "round" },
                "paint": { "line-color": symbology::TOWNSHIP_LINE, "line-width": zoom_width(9, 1.0, 16, 2.5) },
            }),
        ),
        style_layer(
            "counties-line",
            "counties",
            "line",
            0,
            json!({
                "filter": polygons(),
                "layout": { "line-join": "round" },
                "paint": { "line-color": symbology::COUNTY_LINE, "line-width": zoom_width(6, 1.5, 16, 4.0) },
            }),
        ),
        style_layer(
            "cameras-circle",
            "cameras",
            "circle",
            13,
            json!({
                "paint": {
                    "circle-radius": zoom_width(13, 2.5, 18, 6.0),
                    "circle-color": match_status(&symbology::CAMERA_STATUS, symbology::CAMERA_OTHER),
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1,
                },
            }),
        ),
        // Finished incidents (the vast majority): small hollow rings, under the open ones.
        style_layer(
            "incidents-finished",
            "incidents",
            "circle",
            15,
            json!({
                "filter": status_in(&symbology::INCIDENT_FINISHED),
                "paint": {
                    "circle-radius": 3.5,
                    "circle-color": "rgba(0, 0, 0, 0)",
                    "circle-stroke-color": match_status(&symbology::INCIDENT_FINISHED, symbology::INCIDENT_FINISHED[1].colour),
                    "circle-stroke-width": 1.6,
                },
            }),
        ),
        // Open incidents: solid dots, larger and on top the more urgent (priority 1).
        style_layer(
            "incidents-circle",
            "incidents",
            "circle",
            15,
            json!({
                "filter": status_in(&symbology::INCIDENT_OPEN),
                "layout": { "circle-sort-key": ["-", 5, ["get", "priority"]] },
                "paint": {
                    "circle-radius": ["match", ["get", "priority"], 1, 8, 2, 7, 3, 6, 5],
                    "circle-color": match_status(&symbology::INCIDENT_OPEN, symbology::INCIDENT_OPEN[0].colour),
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1.5,
                },
            }),
        ),
        style_layer(
            "incidents_heat-heatmap",
            crate::stats::heat::LAYER,
            "heatmap",
            0,
            json!({
                "layout": { "visibility": "none" },
                "paint": {
                    "heatmap-weight": heat_scale.weight_expression(),
                    "heatmap-radius": heat_scale.radius_expression(),
                    "heatmap-intensity": ["interpolate", ["linear"], ["zoom"],
                        HEAT_INTENSITY[0].0, HEAT_INTENSITY[0].1, HEAT_INTENSITY[1].0, HEAT_INTENSITY[1].1],
                    "heatmap-color": HeatScale::colour_expression(),
                    "heatmap-opacity": 0.85,
                },
            }),
        ),
        style_layer(
            "streets-label",
            "streets",
            "symbol",
            15,
            json!({
                "layout": {
                    "symbol-placement": "line",
                    "text-field": ["get", "name"],
                    "text-font": [FONT],
                    "text-size": 11,
                },
                "paint": {
                    "text-color": symbology::STREET_LABEL,
                    "text-halo-color": symbology::STREET_LINE,
                    "text-halo-width": 1.5,
                },
            }),
        ),
        label("grids-label", "grids", 15, 24, &json!(10), "#3d4b5c"),
        label("villages-label", "villages", 13, 16, &json!(11), "#4f4563"),
        label("townships-label", "townships", 10, 14, &json!(13), "#36314a"),
        label(
            "counties-label",
            "counties",
            0,
            12,
            &json!(["interpolate", ["linear"], ["zoom"], 7, 12, 11, 16]),
            "#1f1c29",
        ),
    ];

    json!({
        "version": 8,
        "name": "CityGrid 淮安",
        "metadata": { "citygrid:layers": LAYERS.iter().map(|l| l.name).collect::<Vec<_>>() },
        "center": CENTER,
        "zoom": DEFAULT_ZOOM,
        "glyphs": format!("{origin}/tiles/font/{{fontstack}}/{{range}}"),
        "sources": sources,
        "layers": layers,
    })
}

/// The coverage style layers. They are hidden in the style (`visibility: none`): a client that
/// shows coverage turns on one of each `…-occluded` pair, by occlusion.
pub const COVERAGE_GRIDS_FILL: &str = "coverage_grids-fill";
pub const COVERAGE_GRIDS_FILL_OCCLUDED: &str = "coverage_grids-fill-occluded";
pub const COVERAGE_BUILDINGS_FILL: &str = "coverage_buildings-fill";
pub const COVERAGE_BUILDINGS_FILL_OCCLUDED: &str = "coverage_buildings-fill-occluded";
/// The zoom from which buildings show their coverage (and the per-grid choropleth ends).
const COVERAGE_BUILDINGS_MINZOOM: u8 = 14;

/// One coverage style layer (colours: [`citygrid_api::symbols`]).
fn coverage_style(id: &str, group: &str, property: &str) -> Value {
    use citygrid_api::symbols as sym;
    let hidden = json!({ "visibility": "none" });
    let by_status = || {
        let mut colour = vec![json!("match"), json!(["get", "status"])];
        for (status, c) in sym::SECTOR_STATUS {
            colour.push(json!(status));
            colour.push(json!(c));
        }
        colour.push(json!("#4d4d4d"));
        Value::Array(colour)
    };
    match (group, id) {
        ("coverage_grids", _) => {
            let mut ramp = vec![json!("step"), json!(["get", property]), json!(sym::SHARE_RAMP[0].1)];
            for (from, colour) in &sym::SHARE_RAMP[1..] {
                ramp.push(json!(from));
                ramp.push(json!(colour));
            }
            let colour = json!(["case", ["has", property], Value::Array(ramp), sym::NO_RESIDENTS]);
            style_layer(
                id,
                group,
                "fill",
                8,
                json!({
                    // Below zoom 14; from there the buildings show what is covered.
                    "maxzoom": COVERAGE_BUILDINGS_MINZOOM,
                    "layout": hidden,
                    "filter": polygons(),
                    "paint": { "fill-color": colour, "fill-opacity": 0.62, "fill-outline-color": "rgba(60, 60, 60, 0.35)" },
                }),
            )
        }
        ("coverage_buildings", _) => style_layer(
            id,
            group,
            "fill",
            COVERAGE_BUILDINGS_MINZOOM,
            json!({
                "layout": hidden,
                "paint": {
                    "fill-color": ["case", ["==", ["get", property], 1], sym::COVERED, sym::UNCOVERED],
                    "fill-opacity": 0.85,
                },
            }),
        ),
        (_, "coverage-fill") => style_layer(
            id,
            group,
            "fill",
            13,
            json!({
                "layout": hidden,
                "filter": ["in", ["get", "status"], ["literal", ["online", "planned"]]],
                "paint": {
                    "fill-color": by_status(),
                    "fill-opacity": ["match", ["get", "status"], "online", sym::SECTOR_OPACITY, sym::SECTOR_OPACITY / 2.0],
                },
            }),
        ),
        // Online sectors outlined solid; the others (they do not see) dashed.
        (_, "coverage-line") => style_layer(
            id,
            group,
            "line",
            13,
            json!({
                "layout": { "visibility": "none", "line-join": "round" },
                "filter": ["==", ["get", "status"], "online"],
                "paint": { "line-color": by_status(), "line-width": 1.0 },
            }),
        ),
        _ => style_layer(
            id,
            group,
            "line",
            13,
            json!({
                "layout": { "visibility": "none", "line-join": "round" },
                "filter": ["!=", ["get", "status"], "online"],
                "paint": { "line-color": by_status(), "line-width": 1.4, "line-dasharray": [3, 2] },
            }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_parse_and_range_check() {
        assert_eq!(TileCoord::parse("14", "13606", "6566"), Ok(TileCoord { z: 14, x: 13606, y: 6566 }));
        assert_eq!(TileCoord::parse("0", "0", "0.pbf"), Ok(TileCoord { z: 0, x: 0, y: 0 }));
        assert_eq!(TileCoord::parse("1", "1", "1.mvt"), Ok(TileCoord { z: 1, x: 1, y: 1 }));
        assert!(matches!(TileCoord::parse("1", "2", "0"), Err(TileCoordError::OutOfRange { axis: "x", .. })));
        assert!(matches!(TileCoord::parse("0", "0", "1"), Err(TileCoordError::OutOfRange { axis: "y", .. })));
        assert!(matches!(TileCoord::parse("23", "0", "0"), Err(TileCoordError::ZoomOutOfRange(23))));
        assert!(TileCoord::parse("22", "4194303", "4194303").is_ok());
        for bad in ["", "-1", "a", "1.5", "+1", "99999999999999999999"] {
            assert!(matches!(TileCoord::parse(bad, "0", "0"), Err(TileCoordError::NotANumber(..))), "{bad:?}");
            assert!(matches!(TileCoord::parse("3", bad, "0"), Err(TileCoordError::NotANumber(..))), "{bad:?}");
        }
    }

    #[test]
    fn the_tile_containing_a_point() {
        assert_eq!(TileCoord::containing(119.02, 33.6, 14), TileCoord { z: 14, x: 13608, y: 6566 });
        assert_eq!(TileCoord::containing(119.02, 33.6, 15), TileCoord { z: 15, x: 27217, y: 13133 });
        assert_eq!(TileCoord::containing(-150.0, 0.0, 14), TileCoord { z: 14, x: 1365, y: 8192 });
        assert_eq!(TileCoord::containing(0.0, 0.0, 0), TileCoord { z: 0, x: 0, y: 0 });
        // Edges and beyond the Mercator limit clamp into the edge tiles.
        assert_eq!(TileCoord::containing(-180.0, 89.0, 1), TileCoord { z: 1, x: 0, y: 0 });
        assert_eq!(TileCoord::containing(180.0, -89.0, 1), TileCoord { z: 1, x: 1, y: 1 });
        assert_eq!(TileCoord::containing(180.0, -89.0, 22), TileCoord { z: 22, x: (1 << 22) - 1, y: (1 << 22) - 1 });
        // The point lies inside the tile's bounds (inverse projection of its corners).
        for z in [0u32, 5, 9, 14, 18, 22] {
            for (lon, lat) in [(119.02, 33.6), (118.1, 32.6), (119.7, 34.2), (-73.98, 40.75), (151.2, -33.86)] {
                let t = TileCoord::containing(lon, lat, z);
                let n = f64::from(1u32 << z);
                let lon_at = |x: u32| f64::from(x) / n * 360.0 - 180.0;
                let lat_at =
                    |y: u32| (std::f64::consts::PI * (1.0 - 2.0 * f64::from(y) / n)).sinh().atan().to_degrees();
                assert!(lon_at(t.x) <= lon && lon < lon_at(t.x + 1), "{lon} in {t:?}");
                assert!(lat_at(t.y + 1) < lat && lat <= lat_at(t.y), "{lat} in {t:?}");
            }
        }
        // The parsed form of the same tile.
        let t = TileCoord::containing(119.02, 33.6, 14);
        assert_eq!(TileCoord::parse(&t.z.to_string(), &t.x.to_string(), &t.y.to_string()), Ok(t));
    }

    #[test]
    fn catalogue_is_consistent() {
        let names: Vec<_> = LAYERS.iter().map(|l| l.name).collect();
        assert_eq!(
            names,
            [
                "counties",
                "townships",
                "villages",
                "grids",
                "buildings",
                "streets",
                "cameras",
                "incidents",
                "incidents_heat",
                "coverage_grids",
                "coverage_buildings",
                "coverage"
            ]
        );
        for l in &LAYERS {
            assert!(l.minzoom <= l.maxzoom && l.maxzoom <= MAX_REQUEST_ZOOM, "{}", l.name);
            assert!(layer(l.name).is_some());
        }
        assert_eq!(layer("incidents").expect("incidents").action, Action::IncidentsRead);
        assert_eq!(layer("grids").expect("grids").action, Action::MapRead);
        for name in ["coverage", "coverage_buildings", "coverage_grids"] {
            let l = layer(name).expect(name);
            assert_eq!(l.action, Action::CoverageRead, "{name}");
            assert!(l.scoped && l.follows.is_empty(), "{name}");
            assert!(!citygrid_api::access::allows(citygrid_api::Role::Dispatcher, l.action), "{name}");
        }
        assert!(layer("nope").is_none());
        assert!(layer("buildings").expect("buildings").empty_at(13));
        assert!(!layer("buildings").expect("buildings").empty_at(14));
    }

    #[test]
    fn tilejson_points_back_at_the_backend() {
        let l = layer("grids").expect("grids");
        let tj = tilejson("http://example.test:8080", l, 7);
        assert_eq!(tj["tilejson"], "3.0.0");
        assert_eq!(tj["tiles"][0], "http://example.test:8080/tiles/grids/{z}/{x}/{y}?v=7");
        assert_eq!(tj["minzoom"], 11);
        assert_eq!(tj["vector_layers"][0]["id"], "grids");
        assert_eq!(tj["vector_layers"][0]["fields"]["colour"], "Number");
        assert_eq!(tj["bounds"].as_array().map(Vec::len), Some(4));
    }

    #[test]
    fn style_structure_matches_the_frontend_contract() {
        let versions = BTreeMap::from([("grids".to_owned(), 5)]);
        let scale = HeatScale {
            from: "2026-11-04".into(),
            to: "2026-12-02".into(),
            categories: vec![],
            sources: vec![],
            percentile: 0.99,
            bands: vec![],
        };
        let heat = "http://h:1/tiles/incidents_heat/{z}/{x}/{y}?from=2026-11-04&to=2026-12-02&v=1&t=9";
        let s = style("http://h:1", &versions, heat, &scale);
        assert_eq!(s["sources"]["incidents_heat"]["tiles"][0], heat);
        assert_eq!(s["version"], 8);
        assert_eq!(s["glyphs"], "http://h:1/tiles/font/{fontstack}/{range}");
        assert!(s.get("sprite").is_none());
        assert_eq!(s["sources"]["grids"]["tiles"][0], "http://h:1/tiles/grids/{z}/{x}/{y}?v=5");
        assert_eq!(s["sources"]["buildings"]["tiles"][0], "http://h:1/tiles/buildings/{z}/{x}/{y}?v=1");
        let layers = s["layers"].as_array().expect("layers");
        let ids: Vec<&str> = layers.iter().filter_map(|l| l["id"].as_str()).collect();
        for id in [
            "counties-line",
            "counties-label",
            "townships-line",
            "townships-label",
            "villages-line",
            "villages-label",
            "grids-fill",
            "grids-line",
            "grids-label",
            "buildings-fill",
            "streets-line",
            "streets-label",
            "cameras-circle",
            "incidents-finished",
            "incidents-circle",
            "incidents_heat-heatmap",
            "coverage_grids-fill",
            "coverage_grids-fill-occluded",
            "coverage_buildings-fill",
            "coverage_buildings-fill-occluded",
            "coverage-fill",
            "coverage-line",
            "coverage-line-dashed",
        ] {
            let layer = layers.iter().find(|l| l["id"] == id).unwrap_or_else(|| panic!("missing {id}"));
            let group = id.split('-').next().expect("group");
            assert_eq!(layer["metadata"]["citygrid:group"], group, "{id}");
            assert_eq!(layer["source"], group, "{id}");
            assert_eq!(layer["source-layer"], group, "{id}");
            assert!(s["sources"].get(group).is_some(), "{id}");
        }
        // Unique ids, every layer grouped, labels in the CJK font, no URL outside the origin.
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        assert!(layers.iter().all(|l| l["metadata"]["citygrid:group"].is_string()));
        for l in layers.iter().filter(|l| l["type"] == "symbol") {
            assert_eq!(l["layout"]["text-font"], json!([FONT]));
        }
        let text = s.to_string();
        for url in text.split('"').filter(|t| t.contains("://")) {
            assert!(url.starts_with("http://h:1/"), "external URL {url}");
        }
    }

    #[test]
    fn the_style_paints_with_the_symbology() {
        let scale = HeatScale {
            from: "2026-11-04".into(),
            to: "2026-12-02".into(),
            categories: vec![],
            sources: vec![],
            percentile: 0.99,
            bands: vec![],
        };
        let s = style("http://h:1", &BTreeMap::new(), "http://h:1/tiles/incidents_heat/{z}/{x}/{y}", &scale);
        let layer = |id: &str| s["layers"].as_array().and_then(|l| l.iter().find(|l| l["id"] == id)).cloned();
        let colour_of = |expr: &Value, status: &str| {
            let e = expr.as_array().expect("a match expression");
            e.iter().position(|v| v == status).map(|i| e[i + 1].clone())
        };
        let open = layer("incidents-circle").expect("open incidents");
        let finished = layer("incidents-finished").expect("finished incidents");
        let cameras = layer("cameras-circle").expect("cameras");
        for sw in symbology::INCIDENT_OPEN {
            assert_eq!(colour_of(&open["paint"]["circle-color"], sw.value), Some(json!(sw.colour)), "{}", sw.value);
        }
        for sw in symbology::INCIDENT_FINISHED {
            let got = colour_of(&finished["paint"]["circle-stroke-color"], sw.value);
            assert_eq!(got, Some(json!(sw.colour)), "{}", sw.value);
        }
        for sw in symbology::CAMERA_STATUS {
            assert_eq!(colour_of(&cameras["paint"]["circle-color"], sw.value), Some(json!(sw.colour)), "{}", sw.value);
        }
        // Open and finished incidents never share a layer.
        assert_eq!(open["filter"][2][1].as_array().map(Vec::len), Some(symbology::INCIDENT_OPEN.len()));
        assert_eq!(finished["filter"][2][1].as_array().map(Vec::len), Some(symbology::INCIDENT_FINISHED.len()));
    }
}
