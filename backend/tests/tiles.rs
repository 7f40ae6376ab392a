//! Vector tiles end to end: each test's own city in PostGIS, its own martin started with
//! `tiles/martin.yaml`, and the backend's proxy, TileJSON, glyphs and style in front of it.
//! The size budgets are checked on the demo-scale city, straight from martin.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use citygrid::tiles::{self, LAYERS};
use common::{assert_error, TestApp};
use serde_json::json;
use sqlx::PgPool;

/// The size budget of one tile.
const MAX_TILE_BYTES: usize = 500 * 1024;

/// The tiny city, martin, and the app proxying it, all this test's own.
async fn setup() -> TestApp {
    common::spawn_app_with_martin().await
}

// ---------------------------------------------------------------------------------------------
// A minimal Mapbox Vector Tile reader (protobuf wire format; only what the assertions need).
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct MvtLayer {
    name: String,
    keys: Vec<String>,
    features: usize,
    /// Feature geometry types (1 point, 2 line, 3 polygon) and their counts.
    types: BTreeMap<u64, usize>,
    /// Per feature, the keys it sets.
    feature_keys: Vec<BTreeSet<String>>,
    string_values: Vec<String>,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.buf[self.pos];
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return v;
            }
        }
        panic!("varint too long");
    }

    fn bytes(&mut self) -> &'a [u8] {
        let len = usize::try_from(self.varint()).unwrap();
        let out = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        out
    }

    /// The next field: (number, wire type); the value must then be read or skipped.
    fn key(&mut self) -> (u64, u64) {
        let k = self.varint();
        (k >> 3, k & 7)
    }

    fn skip(&mut self, wire: u64) {
        match wire {
            0 => {
                self.varint();
            }
            1 => self.pos += 8,
            2 => {
                self.bytes();
            }
            5 => self.pos += 4,
            other => panic!("unsupported wire type {other}"),
        }
    }
}

fn decode_mvt(buf: &[u8]) -> Vec<MvtLayer> {
    let mut layers = Vec::new();
    let mut tile = Reader::new(buf);
    while !tile.done() {
        let (field, wire) = tile.key();
        if field != 3 || wire != 2 {
            tile.skip(wire);
            continue;
        }
        let mut r = Reader::new(tile.bytes());
        let mut layer = MvtLayer::default();
        let mut raw_tags = Vec::new();
        while !r.done() {
            match r.key() {
                (1, 2) => layer.name = String::from_utf8(r.bytes().to_vec()).unwrap(),
                (2, 2) => {
                    layer.features += 1;
                    let mut f = Reader::new(r.bytes());
                    let mut tags = Vec::new();
                    while !f.done() {
                        match f.key() {
                            (2, 2) => {
                                let mut p = Reader::new(f.bytes());
                                while !p.done() {
                                    tags.push(usize::try_from(p.varint()).unwrap());
                                }
                            }
                            (3, 0) => *layer.types.entry(f.varint()).or_default() += 1,
                            (_, wire) => f.skip(wire),
                        }
                    }
                    raw_tags.push(tags);
                }
                (3, 2) => layer.keys.push(String::from_utf8(r.bytes().to_vec()).unwrap()),
                (4, 2) => {
                    let mut v = Reader::new(r.bytes());
                    while !v.done() {
                        match v.key() {
                            (1, 2) => layer.string_values.push(String::from_utf8(v.bytes().to_vec()).unwrap()),
                            (_, wire) => v.skip(wire),
                        }
                    }
                }
                (_, wire) => r.skip(wire),
            }
        }
        layer.feature_keys =
            raw_tags.iter().map(|tags| tags.chunks(2).map(|kv| layer.keys[kv[0]].clone()).collect()).collect();
        layers.push(layer);
    }
    layers
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Attributes that may be absent from a tile when every value is null (an English name, the
/// coverage share of a grid without residents).
const NULLABLE: [&str; 3] = ["name_en", "share", "share_occluded"];

/// A representative location of each layer's data, and the zoom to look at it.
async fn sample_point(pool: &PgPool, layer: &str) -> (f64, f64, u32) {
    let (sql, z) = match layer {
        "counties" => ("select label_point from admin_units where level = 'county' order by code limit 1", 8),
        "townships" => ("select label_point from admin_units where level = 'township' order by code limit 1", 9),
        "villages" => ("select label_point from admin_units where level = 'village' order by code limit 1", 12),
        "grids" => ("select st_pointonsurface(geom) from current_grids order by code limit 1", 14),
        "buildings" | "coverage_buildings" => (
            "select st_centroid(footprint) from buildings order by footprint <-> st_setsrid(st_point(119.02, 33.6), 4326) limit 1",
            14,
        ),
        "streets" => ("select st_lineinterpolatepoint(st_geometryn(geom, 1), 0.5) from streets order by id limit 1", 14),
        "cameras" => ("select geom from cameras order by id limit 1", 14),
        "incidents" => ("select geom from incidents order by id limit 1", 15),
        "coverage" => ("select st_centroid(sector) from coverage_cameras order by camera_id limit 1", 14),
        "coverage_grids" => ("select st_pointonsurface(geom) from current_grids order by code limit 1", 12),
        other => panic!("no sample for {other}"),
    };
    let (lon, lat): (f64, f64) = sqlx::query_as(&format!("select st_x(p), st_y(p) from ({sql}) s(p)"))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{layer}: no data to sample ({e})"));
    (lon, lat, z)
}

async fn get_tile(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn version(pool: &PgPool, layer: &str) -> i64 {
    sqlx::query_scalar("select version from layer_versions where layer = $1").bind(layer).fetch_one(pool).await.unwrap()
}

/// The XYZ tile containing a point (Web Mercator, as every slippy map numbers them).
#[derive(Debug, Clone, Copy)]
struct Tile {
    z: u32,
    x: u32,
    y: u32,
}

impl Tile {
    fn containing(lon: f64, lat: f64, z: u32) -> Tile {
        let n = f64::from(1u32 << z);
        let x = ((lon + 180.0) / 360.0 * n).floor();
        let y = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor();
        Tile { z, x: x.clamp(0.0, n - 1.0) as u32, y: y.clamp(0.0, n - 1.0) as u32 }
    }
}

/// Each layer's attributes, spelled out here (the catalogue in `citygrid::tiles` must agree).
fn expected_fields(layer: &str) -> &'static [&'static str] {
    match layer {
        "counties" | "townships" | "villages" => &["code", "name", "name_en"],
        "grids" => &["code", "name", "village_code", "colour", "version"],
        "buildings" => &["id", "kind", "floors", "grid_code"],
        "streets" => &["id", "kind", "name"],
        "cameras" | "coverage" => &["id", "code", "kind", "status", "heading_deg", "fov_deg", "range_m"],
        "incidents" => &["id", "category", "status", "priority"],
        "coverage_buildings" => &["id", "residents", "covered", "covered_occluded"],
        "coverage_grids" => &["code", "name", "buildings", "covered_buildings", "residents", "share", "share_occluded"],
        other => panic!("no expected attributes for layer {other}: add them here"),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_layer_serves_its_attributes_and_nothing_else() {
    let app = setup().await;
    let token = app.login("admin").await;
    // Heat tiles take a time window and have their own tests (`backend/tests/heat.rs`).
    for layer in LAYERS.iter().filter(|l| matches!(l.query, tiles::TileQuery::Version)) {
        let (lon, lat, z) = sample_point(&app.pool, layer.name).await;
        let Tile { z, x, y } = Tile::containing(lon, lat, z);
        let v = version(&app.pool, layer.name).await;
        let path = format!("/tiles/{}/{z}/{x}/{y}?v={v}", layer.name);
        let res = get_tile(&app, &path, Some(&token)).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-type"], "application/x-protobuf", "{path}");
        // Version-stamped tiles are immutable: a change to the data bumps the version (for
        // layers that follow tables, by itself; see `backend/tests/tile_freshness.rs`).
        assert_eq!(res.headers()["cache-control"], "private, max-age=86400, immutable", "{path}");
        let body = res.bytes().await.unwrap();
        assert!(body.len() < MAX_TILE_BYTES, "{path}: {} bytes", body.len());
        let decoded = decode_mvt(&body);
        assert_eq!(decoded.len(), 1, "{path}: one MVT layer");
        let mvt = &decoded[0];
        assert_eq!(mvt.name, layer.name);
        assert!(mvt.features > 0, "{path}: no features");
        let fields: BTreeSet<String> = expected_fields(layer.name).iter().map(|k| (*k).to_owned()).collect();
        let catalogue: BTreeSet<String> = layer.fields.iter().map(|(k, _)| (*k).to_owned()).collect();
        assert_eq!(catalogue, fields, "{}: the catalogue's fields", layer.name);
        let keys: BTreeSet<String> = mvt.keys.iter().cloned().collect();
        // Exactly the catalogue's fields ([`NULLABLE`] ones may be absent).
        let mut expected = fields.clone();
        for k in NULLABLE {
            if !keys.contains(k) {
                expected.remove(k);
            }
        }
        assert_eq!(keys, expected, "{path}: attributes");
        for f in &mvt.feature_keys {
            let required = fields.iter().filter(|k| !NULLABLE.contains(&k.as_str())).all(|k| f.contains(k));
            assert!(required, "{path}: a feature lacks attributes: {f:?}");
        }
        // MVT geometry types: 1 point, 2 line string, 3 polygon.
        let want = match layer.geometry {
            tiles::GeometryKind::Point => 1,
            tiles::GeometryKind::Line => 2,
            tiles::GeometryKind::Polygon => 3,
        };
        assert!(mvt.types.contains_key(&want), "{path}: geometry types {:?}", mvt.types);
    }
}

#[tokio::test]
async fn incidents_reveal_no_text() {
    let app = setup().await;
    let token = app.login("dispatcher").await;
    let (lon, lat, z) = sample_point(&app.pool, "incidents").await;
    let Tile { z, x, y } = Tile::containing(lon, lat, z);
    let res = get_tile(&app, &format!("/tiles/incidents/{z}/{x}/{y}"), Some(&token)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache", "no v: revalidate");
    let body = res.bytes().await.unwrap();
    let mvt = decode_mvt(&body);
    assert!(mvt[0].features > 0, "the sample tile has incidents");
    // The descriptions of exactly the incidents this tile covers: none may be an attribute
    // value, nor (if long enough not to match by chance) appear anywhere in the tile's bytes.
    let descriptions: Vec<String> = sqlx::query_scalar(
        "select distinct description from incidents
         where st_transform(geom, 3857) && st_tileenvelope($1, $2, $3) and description <> ''",
    )
    .bind(z as i32)
    .bind(x as i32)
    .bind(y as i32)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(!descriptions.is_empty(), "incidents in {z}/{x}/{y} have descriptions");
    for d in &descriptions {
        assert!(!mvt[0].string_values.contains(d), "incident text {d:?} leaked into tile {z}/{x}/{y}");
        let leaked = d.len() >= 6 && body.windows(d.len()).any(|w| w == d.as_bytes());
        assert!(!leaked, "incident text {d:?} found in the bytes of tile {z}/{x}/{y}");
    }
    for s in &mvt[0].string_values {
        assert!(!s.chars().all(|c| c.is_ascii_digit()) || s.len() != 11, "a phone number? {s:?}");
    }
}

#[tokio::test]
async fn empty_and_out_of_range_tiles() {
    let app = setup().await;
    let martin = app.martin.as_ref().unwrap();
    let token = app.login("admin").await;
    // Mid-Pacific, and buildings below their minimum zoom.
    let Tile { z, x, y } = Tile::containing(-150.0, 0.0, 14);
    for layer in &LAYERS {
        let res = get_tile(&app, &format!("/tiles/{}/{z}/{x}/{y}", layer.name), Some(&token)).await;
        let status = res.status().as_u16();
        let body = res.bytes().await.unwrap();
        assert!(status == 204 || (status == 200 && decode_mvt(&body).iter().all(|l| l.features == 0)), "{status}");
        assert!(body.is_empty(), "{}: {} bytes in the Pacific", layer.name, body.len());
    }
    let (lon, lat, _) = sample_point(&app.pool, "buildings").await;
    let Tile { z, x, y } = Tile::containing(lon, lat, 13);
    let res = get_tile(&app, &format!("/tiles/buildings/{z}/{x}/{y}"), Some(&token)).await;
    assert_eq!(res.status(), 204, "buildings at z13");
    // The same tile straight from martin: the SQL guard answers empty too.
    let res = app.client.get(format!("{}/buildings/{z}/{x}/{y}", martin.url)).send().await.unwrap();
    assert_eq!(res.status(), 204, "martin: buildings at z13");
}

#[tokio::test]
async fn bad_requests_are_rejected_clearly() {
    let app = setup().await;
    let token = app.login("admin").await;
    for (path, status, needle) in [
        // A well-formed address of a tile that does not exist at that zoom: 404.
        ("/tiles/grids/3/8/0", 404, "out of range"),
        ("/tiles/grids/3/0/8", 404, "out of range"),
        ("/tiles/grids/23/0/0", 400, "zoom"),
        ("/tiles/grids/a/0/0", 400, "not a non-negative integer"),
        ("/tiles/grids/3/-1/0", 400, "not a non-negative integer"),
        ("/tiles/grids/3/1/1.png", 400, "not a non-negative integer"),
        ("/tiles/roads/3/1/1", 404, "no tile layer"),
        ("/tiles/roads", 404, "no tile layer"),
        ("/tiles/font/Noto%20Sans%20CJK%20SC%20Regular/abc", 400, "range"),
    ] {
        let (s, body) = app.get(path, Some(&token)).await;
        assert_error(s, &body, status, needle);
    }
    // `.pbf` and `.mvt` suffixes are fine.
    let res = get_tile(&app, "/tiles/counties/0/0/0.pbf", Some(&token)).await;
    assert_eq!(res.status(), 200);
    let res = get_tile(&app, "/tiles/counties/0/0/0.mvt", Some(&token)).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn tiles_need_a_login_and_incidents_a_dispatch_role() {
    let app = setup().await;
    let (s, b) = app.get("/tiles/incidents/15/27212/13133", None).await;
    assert_error(s, &b, 401, "log in");
    let (s, b) = app.get("/tiles/grids/11/1700/820", None).await;
    assert_error(s, &b, 401, "log in");
    let (s, b) = app.get("/tiles/grids/11/1700/820", Some("nonsense")).await;
    assert_error(s, &b, 401, "log in again");

    let planner = app.login("planner").await;
    let (s, b) = app.get("/tiles/incidents/15/27212/13133", Some(&planner)).await;
    assert_error(s, &b, 403, "incidents");
    let res = get_tile(&app, "/tiles/grids/11/1700/820", Some(&planner)).await;
    assert!(res.status().is_success(), "{}", res.status());
    // Camera coverage: planners and leaders, not dispatchers.
    let dispatcher = app.login("dispatcher").await;
    for layer in ["coverage/14/13607/6566", "coverage_buildings/14/13607/6566", "coverage_grids/11/1700/820"] {
        let (s, b) = app.get(&format!("/tiles/{layer}"), Some(&dispatcher)).await;
        assert_error(s, &b, 403, "coverage");
        let res = get_tile(&app, &format!("/tiles/{layer}"), Some(&planner)).await;
        assert!(res.status().is_success(), "{layer}: {}", res.status());
    }
    for role in ["admin", "dispatcher", "leader"] {
        let token = app.login(role).await;
        let res = get_tile(&app, "/tiles/incidents/15/27212/13133?v=1", Some(&token)).await;
        assert!(res.status().is_success(), "{role}: {}", res.status());
        // A token in the query string is never accepted: it would land in access logs.
        let (s, b) = app.get(&format!("/tiles/incidents/15/27212/13133?v=1&access_token={token}"), None).await;
        assert_error(s, &b, 401, "Authorization");
    }
}

#[tokio::test]
async fn martin_down_is_a_bad_gateway_not_a_hang() {
    let db = common::test_city().await;
    let port = common::free_port(); // nothing listens there
    let app = common::spawn_app_on(db.pool.clone(), format!("http://127.0.0.1:{port}")).await;
    let token = app.login("admin").await;
    let (s, b) = app.get("/tiles/counties/5/26/12", Some(&token)).await;
    assert_error(s, &b, 502, "martin");
    assert_eq!(b["error"]["code"], "bad_gateway");
    let (s, b) = app.get("/tiles/font/Noto%20Sans%20CJK%20SC%20Regular/0-255", None).await;
    assert_error(s, &b, 502, "martin");
}

#[tokio::test]
async fn compression_and_conditional_requests_pass_through() {
    let app = setup().await;
    let token = app.login("admin").await;
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let (lon, lat, _) = sample_point(&app.pool, "buildings").await;
    let Tile { z, x, y } = Tile::containing(lon, lat, 14);
    let url = app.url(&format!("/tiles/buildings/{z}/{x}/{y}"));
    let res = client.get(&url).bearer_auth(&token).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(res.headers()["vary"], "Accept-Encoding");
    let etag = res.headers().get("etag").cloned().expect("martin sends an ETag");
    let body = res.bytes().await.unwrap();
    assert_eq!(&body[..2], &[0x1f, 0x8b], "gzip magic");
    let res = client
        .get(&url)
        .bearer_auth(&token)
        .header("accept-encoding", "gzip")
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304, "If-None-Match with the tile's ETag");
    assert!(res.bytes().await.unwrap().is_empty(), "a 304 has no body");
}

#[tokio::test]
async fn tilejson_style_and_glyphs() {
    let app = setup().await;
    let martin = app.martin.as_ref().unwrap();
    let (s, tj) = app.get("/tiles/grids", None).await;
    assert_eq!(s, 200);
    assert_eq!(tj["tilejson"], "3.0.0");
    let v = version(&app.pool, "grids").await;
    assert_eq!(tj["tiles"][0], format!("{}/tiles/grids/{{z}}/{{x}}/{{y}}?v={v}", app.base));
    assert_eq!(tj["vector_layers"][0]["id"], "grids");

    let (s, style) = app.get("/style.json", None).await;
    assert_eq!(s, 200);
    assert_eq!(style["version"], 8);
    assert_eq!(style["glyphs"], format!("{}/tiles/font/{{fontstack}}/{{range}}", app.base));
    for layer in &LAYERS {
        let url = style["sources"][layer.name]["tiles"][0].as_str().unwrap();
        assert!(url.starts_with(&format!("{}/tiles/{}/", app.base, layer.name)), "{url}");
    }
    validate_with_maplibre(&style);
    // The label font exists in martin, and glyphs come through the backend for CJK ranges.
    let catalog: serde_json::Value =
        app.client.get(format!("{}/catalog", martin.url)).send().await.unwrap().json().await.unwrap();
    assert!(catalog["fonts"].get(tiles::FONT).is_some(), "martin has no font {}", tiles::FONT);
    let res = app.client.get(app.url("/tiles/font/Noto%20Sans%20CJK%20SC%20Regular/28672-28927")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    assert!(res.bytes().await.unwrap().len() > 1000, "glyphs for 淮 (U+6DEE)");
    let (s, b) = app.get("/tiles/font/No%20Such%20Font/0-255", None).await;
    assert_error(s, &b, 404, "font");
}

/// Validates `style` with MapLibre's own validator (`@maplibre/maplibre-gl-style-spec`, installed
/// next to the browser tests by `cargo xtask test` before any test runs).
fn validate_with_maplibre(style: &serde_json::Value) {
    let spec = common::repo_root().join("tests/browser/node_modules/@maplibre/maplibre-gl-style-spec");
    assert!(
        spec.is_dir(),
        "MapLibre's style validator is not installed at {}: run `npm ci` in tests/browser (cargo xtask test does)",
        spec.display()
    );
    let file =
        std::env::temp_dir().join(format!("citygrid-style-{}-{}.json", std::process::id(), rand::random::<u32>()));
    std::fs::write(&file, style.to_string()).unwrap();
    let script = "const spec = require(process.argv[1]); \
        const errors = spec.validateStyleMin(require(process.argv[2])); \
        if (errors.length) { console.error(JSON.stringify(errors)); process.exit(1); }";
    let out = Command::new("node").arg("-e").arg(script).arg(&spec).arg(&file).output().expect("node");
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "style.json is not valid MapLibre: {}", String::from_utf8_lossy(&out.stderr));
}

/// The densest tiles of the heavy layers of the demo-scale city stay under the size budget
/// (straight from martin: the proxy passes the bytes through).
#[tokio::test]
async fn densest_tiles_fit_the_budget() {
    let pool = common::demo_city().await;
    let martin = common::start_martin(&common::demo_city_url(), 0).await;
    let client = reqwest::Client::new();
    let densest = |table: &str, geom: &str, z: u8| {
        format!(
            "select x, y from (select floor((st_x(p) + 180) / 360 * 2 ^ {z})::int as x, \
             floor((1 - ln(tan(radians(st_y(p))) + 1 / cos(radians(st_y(p)))) / pi()) / 2 * 2 ^ {z})::int as y \
             from (select st_centroid({geom}) as p from {table}) s) t group by x, y order by count(*) desc limit 1"
        )
    };
    for (layer, table, geom, z) in [
        ("buildings", "buildings", "footprint", 14u8),
        ("buildings", "buildings", "footprint", 16),
        ("grids", "current_grids", "geom", 11),
        ("grids", "current_grids", "geom", 14),
        ("villages", "admin_units where level = 'village'", "geom", 11),
        ("cameras", "cameras", "geom", 13),
        ("incidents", "incidents", "geom", 15),
        ("coverage", "coverage_cameras", "sector", 13),
        ("coverage_buildings", "buildings", "footprint", 14),
        ("coverage_grids", "current_grids", "geom", 8),
    ] {
        let (x, y): (i32, i32) = sqlx::query_as(&densest(table, geom, z)).fetch_one(&pool).await.unwrap();
        let res = client.get(format!("{}/{layer}/{z}/{x}/{y}", martin.url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{layer} {z}/{x}/{y}");
        let body = res.bytes().await.unwrap();
        println!("densest {layer} tile {z}/{x}/{y}: {} bytes", body.len());
        assert!(body.len() < MAX_TILE_BYTES, "{layer} {z}/{x}/{y}: {} bytes", body.len());
        assert!(decode_mvt(&body)[0].features > 0);
    }
}

#[tokio::test]
async fn incident_tiles_carry_the_callers_county_only() {
    let app = setup().await;
    // An incident with one of another county nearby: its z15 tile straddles the border.
    let (lon, lat, home, away): (f64, f64, String, String) = sqlx::query_as(
        "select st_x(a.geom), st_y(a.geom), left(a.grid_code, 6), left(b.grid_code, 6)
         from incidents a join incidents b
           on st_dwithin(a.geom, b.geom, 0.002) and left(a.grid_code, 6) <> left(b.grid_code, 6)
         limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let n = f64::from(1u32 << 15);
    let x = ((lon + 180.0) / 360.0 * n).floor() as i32;
    let y = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor() as i32;
    let count = |county: Option<String>| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from incidents
                 where st_intersects(st_transform(geom, 3857), st_tileenvelope(15, $1, $2, margin => 64.0 / 4096))
                   and ($3::text is null or left(grid_code, 6) = $3)",
            )
            .bind(x)
            .bind(y)
            .bind(county)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (in_home, in_all) = (count(Some(home.clone())).await, count(None).await);
    assert!(in_home > 0 && in_all > in_home && in_all < 10_000, "{in_home} of {in_all}");

    let hash = citygrid::accounts::hash_password("scoped-tiles").unwrap();
    let username = format!("tiles{:08x}", rand::random::<u32>());
    sqlx::query(
        "insert into users (username, display_name, password_hash, role, county_code) values ($1, $1, $2, 'dispatcher', $3)",
    )
    .bind(&username)
    .bind(hash)
    .bind(&home)
    .execute(&app.pool)
    .await
    .unwrap();
    let (s, b) =
        app.post("/api/auth/login", None, &serde_json::json!({"username": username, "password": "scoped-tiles"})).await;
    assert_eq!(s, 200, "{b}");
    let scoped = b["token"].as_str().unwrap().to_owned();
    let city = app.login("dispatcher").await;
    let features = |token: String, query: String| {
        let app = &app;
        async move {
            let res = get_tile(app, &format!("/tiles/incidents/15/{x}/{y}{query}"), Some(&token)).await;
            assert_eq!(res.status(), 200);
            decode_mvt(&res.bytes().await.unwrap()).first().map_or(0, |l| l.features as i64)
        }
    };
    assert_eq!(features(scoped.clone(), String::new()).await, in_home, "the proxy adds the county");
    assert_eq!(features(scoped, format!("?county={away}")).await, in_home, "a client's county is dropped");
    assert_eq!(features(city.clone(), String::new()).await, in_all);
    assert_eq!(features(city, format!("?county={home}")).await, in_all, "city-wide users cannot narrow it either");
}

/// A split scheduled for tomorrow: the tiles of the day after draw the grid it creates (which
/// has no `grids` row until the plan is applied, 0085), today's do not; both draw the grid it
/// splits. The tile is the one around a point of the split line (from the plan's rows).
#[tokio::test]
async fn grid_tiles_as_of_a_day_draw_the_grid_a_scheduled_split_creates() {
    let app = setup().await;
    let token = app.login("planner").await;
    let g: String = sqlx::query_scalar(
        "select g.code from current_grids g where st_numgeometries(g.geom) = 1
           and exists (select 1 from buildings b where b.grid_code = g.code) order by g.code limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let draft = common::draft_split(&app, &token, &g, "定时拆分").await;
    let created = draft["diff"]["grids"].as_array().unwrap().iter().find(|c| c["change"] == "created").unwrap();
    let new_code = created["code"].as_str().unwrap().to_owned();
    let effective = (chrono::Utc::now() + chrono::TimeDelta::days(1)).to_rfc3339();
    let (today, after): (String, String) = sqlx::query_as(
        "select to_char(d, 'YYYY-MM-DD'), to_char(d + 2, 'YYYY-MM-DD')
         from (select (now() at time zone 'Asia/Shanghai')::date d) s",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (s, res) = app
        .post(&format!("/api/plans/{}/commit", draft["id"]), Some(&token), &json!({"effective_from": effective}))
        .await;
    assert_eq!((s, res["status"].as_str()), (200, Some("scheduled")), "{res}");
    let (lon, lat): (f64, f64) = sqlx::query_as(
        "select st_x(p), st_y(p) from (
             select st_pointonsurface(st_intersection(n.geom, k.geom)) p
             from plan_grids n join plan_grids k on k.plan_id = n.plan_id and k.grid_code = $3
             where n.plan_id = $1 and n.grid_code = $2) s",
    )
    .bind(draft["id"].as_i64().unwrap())
    .bind(&new_code)
    .bind(&g)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let tile = Tile::containing(lon, lat, 14);
    for (day, drawn) in [(&today, false), (&after, true)] {
        let res =
            get_tile(&app, &format!("/tiles/grids/{}/{}/{}?as_of={day}", tile.z, tile.x, tile.y), Some(&token)).await;
        assert_eq!(res.status(), 200, "{day}");
        let codes = grid_codes(&res.bytes().await.unwrap());
        assert_eq!(codes.contains(&new_code), drawn, "{new_code} on {day}: {codes:?}");
        assert!(codes.contains(&g), "the split grid keeps its code on {day}: {codes:?}");
    }
}

/// The grid codes a decoded `grids` tile draws (grid codes are the 15-digit strings).
fn grid_codes(body: &[u8]) -> BTreeSet<String> {
    decode_mvt(body)
        .iter()
        .flat_map(|l| l.string_values.iter())
        .filter(|s| s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()))
        .cloned()
        .collect()
}

/// The grids valid at the end of Shanghai day `day` whose boundary meets tile `t` (`margin`: the
/// tile's buffer in extent units), by SQL over `grid_versions` written here.
async fn grids_in_tile_on(pool: &PgPool, day: &str, t: Tile, margin: f64) -> BTreeSet<String> {
    sqlx::query_scalar::<_, String>(
        "with d as (select (($1::date + 1)::timestamp at time zone 'Asia/Shanghai') - interval '1 microsecond' as t)
         select v.grid_code from grid_versions v, d
         where v.valid_from <= d.t and (v.valid_to is null or v.valid_to > d.t)
           and st_intersects(st_transform(v.geom, 3857), st_tileenvelope($2, $3, $4, margin => $5 / 4096.0))",
    )
    .bind(day)
    .bind(i32::try_from(t.z).unwrap())
    .bind(i32::try_from(t.x).unwrap())
    .bind(i32::try_from(t.y).unwrap())
    .bind(margin)
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// `as_of=YYYY-MM-DD` on the grids layer: yesterday's tile still draws the grid a plan merged
/// away today and never changes; today's and the current tile do not draw it; each tile draws
/// the grids SQL over `grid_versions` finds valid at the end of that Shanghai day.
#[tokio::test]
async fn grid_tiles_as_of_a_day() {
    let app = setup().await;
    let token = app.login("planner").await;
    let (a, b, va, vb): (String, String, i32, i32) = sqlx::query_as(
        "select a.code, b.code, a.version, b.version from current_grids a
         join current_grids b on b.village_code = a.village_code and a.code < b.code and b.geom && a.geom
              and st_relate(a.geom, b.geom, 'F***1****')
              and st_numgeometries(st_linemerge(st_intersection(st_boundary(a.geom), st_boundary(b.geom)))) = 1
         where st_numgeometries(a.geom) = 1 and st_numgeometries(b.geom) = 1
         order by a.code, b.code offset 10 limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (lon, lat): (f64, f64) = sqlx::query_as(
        "select st_x(p), st_y(p) from (select st_pointonsurface(geom) p from current_grids where code = $1) s",
    )
    .bind(&b)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (yesterday, today): (String, String) = sqlx::query_as(
        "select to_char(d - 1, 'YYYY-MM-DD'), to_char(d, 'YYYY-MM-DD')
         from (select (now() at time zone 'Asia/Shanghai')::date d) s",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let tile = Tile::containing(lon, lat, 14);
    let path = |q: &str| format!("/tiles/grids/{}/{}/{}?{q}", tile.z, tile.x, tile.y);
    let fetch = |q: String| {
        let (app, token) = (&app, &token);
        async move {
            let res = get_tile(app, &path(&q), Some(token)).await;
            assert_eq!(res.status(), 200, "{q}");
            let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
            (grid_codes(&res.bytes().await.unwrap()), cache)
        }
    };
    let check = |day: &str, got: &BTreeSet<String>| {
        let (pool, day, got) = (&app.pool, day.to_owned(), got.clone());
        async move {
            let inner = grids_in_tile_on(pool, &day, tile, 0.0).await;
            let outer = grids_in_tile_on(pool, &day, tile, 64.0).await;
            assert!(inner.is_subset(&got) && got.is_subset(&outer), "{day}: {got:?} vs {inner:?} ⊆ · ⊆ {outer:?}");
        }
    };

    // A past day's boundaries never change, but its tiles draw today's names and colours, so
    // they follow the layer version like every other tile.
    let v = version(&app.pool, "grids").await;
    let (before_past, cache) = fetch(format!("as_of={yesterday}")).await;
    assert_eq!(cache, "no-cache", "without the layer version");
    let (_, cache) = fetch(format!("as_of={yesterday}&v={v}")).await;
    assert_eq!(cache, "private, max-age=86400, immutable", "at the current layer version");
    assert!(before_past.contains(&b), "{before_past:?}");
    check(&yesterday, &before_past).await;
    let (before_now, _) = fetch(String::new()).await;
    assert_eq!(before_past, before_now, "no plan since yesterday");

    let body = json!({"operation": "merge", "grids": [a, b], "note": "瓦片时间旅行",
        "base_versions": {a.clone(): va, b.clone(): vb}});
    let (s, draft) = app.post("/api/plans", Some(&token), &body).await;
    assert_eq!(s, 201, "{draft}");
    let (s, res) = app.post(&format!("/api/plans/{}/commit", draft["id"]), Some(&token), &json!({})).await;
    assert_eq!(s, 200, "{res}");

    // Yesterday's tile is what it was; unknown parameters are still dropped. The commit bumped
    // the layer version, so the old URL is no longer immutable.
    let (past, _) = fetch(format!("as_of={yesterday}&county=320803&foo=1")).await;
    assert_eq!(past, before_past);
    check(&yesterday, &past).await;
    // (Replicas learn the new version from the NOTIFY, so this is eventual.)
    common::eventually("yesterday's tile at the old version revalidates", std::time::Duration::from_secs(20), || {
        let fetch = &fetch;
        let q = format!("as_of={yesterday}&v={v}");
        async move { (fetch(q).await.1 == "no-cache").then_some(()) }
    })
    .await;
    // Today's end and the current partition: the merged-away grid is gone.
    let v = version(&app.pool, "grids").await;
    let (on_today, cache) = fetch(format!("as_of={today}")).await;
    assert_eq!(cache, "no-cache", "today may still change");
    let (_, cache) = fetch(format!("as_of={today}&v={v}")).await;
    assert_eq!(cache, "private, max-age=86400, immutable");
    assert!(on_today.contains(&a) && !on_today.contains(&b), "{on_today:?}");
    check(&today, &on_today).await;
    let (now, _) = fetch(format!("v={v}")).await;
    assert_eq!(now, on_today);

    // A malformed day is a 400 naming `as_of`; times are refused (a day's tiles are one URL); a
    // day of the documented shape that does not exist is 422.
    for (bad, status) in [("2026-02-30", 422), ("2026-03-05T10:00:00Z", 400), ("last-march", 400), ("", 400)] {
        let (s, body) = app.get(&path(&format!("as_of={bad}")), Some(&token)).await;
        assert_error(s, &body, status, "as_of");
        assert_eq!(body["error"]["field"], "as_of", "{bad}");
    }
    // Other layers have no history and draw today, but the parameter is checked all the same.
    let counties = format!("/tiles/counties/{}/{}/{}", tile.z, tile.x, tile.y);
    let (s, body) = app.get(&format!("{counties}?as_of=null"), Some(&token)).await;
    assert_error(s, &body, 400, "as_of");
    let res = get_tile(&app, &format!("{counties}?as_of={yesterday}"), Some(&token)).await;
    assert_eq!(res.status(), 200, "a well-formed day on a layer without history");
}
