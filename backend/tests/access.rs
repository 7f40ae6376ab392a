//! The exact role matrix: for every route × role × scope, the status a caller gets.
//!
//! The routes come from the OpenAPI document and from the routers' source, so a route that is
//! not in [`matrix`] fails the test with the row to add. Who may call what is spelled out here
//! (letters A P D L), independently of `citygrid_api::access`; the expected answers of
//! county-scoped callers follow from each row's [`Scoping`].
//!
//! Callers: no token; and for each role a city-wide user and a user scoped to the `home`
//! county, each asking about something in `home` and something in `away` (another county).
#![allow(clippy::unwrap_used, clippy::missing_panics_doc, clippy::too_many_lines)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use citygrid_api::Role;
use common::TestApp;
use serde_json::{json, Value};

const PASSWORD: &str = "matrix-password";

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
enum Who {
    /// Anyone, without a token.
    Public,
    /// Any logged-in user.
    Login,
    /// These roles: letters of `A` admin, `P` planner, `D` dispatcher, `L` leader.
    Roles(&'static str),
}

/// How the answer of an allowed, county-scoped caller depends on the county.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scoping {
    /// Not county data: the same answer everywhere.
    Unscoped,
    /// The request names a thing or a point: outside the county is 403 `outside_scope`.
    Target,
    /// A list: the same status, the content filtered (checked in `tests/scope.rs`).
    Filtered,
    /// A tile of a scoped layer: outside the county it is empty (204).
    Tile,
    /// City-wide data that a county-scoped caller may not change: always 403 `outside_scope`.
    CityWide,
}

/// Where a request points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Home,
    Away,
}

/// A concrete request.
struct Req {
    path: String,
    body: Option<Value>,
    /// Use the caller's spare token (for logout, which ends the session).
    spare_token: bool,
}

fn req(path: impl Into<String>) -> Req {
    Req { path: path.into(), body: None, spare_token: false }
}

fn with(path: impl Into<String>, body: Value) -> Req {
    Req { path: path.into(), body: Some(body), spare_token: false }
}

/// One route of the matrix.
struct Row {
    method: &'static str,
    /// As in the OpenAPI document.
    path: &'static str,
    who: Who,
    /// The status of an allowed call.
    ok: u16,
    scoping: Scoping,
    /// Writes the audit log when it succeeds.
    audited: bool,
    /// The request for a place; `n` is unique per call (for fresh names and fresh incidents).
    make: fn(&Fixture, Place, usize) -> Req,
}

/// Every route. To add a route, add a row here: method, OpenAPI path, who may call it, the
/// status of a good call, how the county scope applies, whether it is audited, and a request.
fn matrix() -> Vec<Row> {
    use Scoping::{CityWide, Filtered, Target, Tile, Unscoped};
    use Who::{Login, Public, Roles};
    let row = |method, path, who, ok, scoping, audited, make| Row { method, path, who, ok, scoping, audited, make };
    vec![
        row("GET", "/api/health", Public, 200, Unscoped, false, |_, _, _| req("/api/health")),
        row("GET", "/api/openapi.json", Public, 200, Unscoped, false, |_, _, _| req("/api/openapi.json")),
        row("POST", "/api/auth/login", Public, 200, Unscoped, false, |f, _, _| {
            with("/api/auth/login", json!({"username": f.login_user, "password": PASSWORD}))
        }),
        row("GET", "/api/auth/me", Login, 200, Unscoped, false, |_, _, _| req("/api/auth/me")),
        row("POST", "/api/auth/logout", Login, 204, Unscoped, false, |_, _, _| Req {
            spare_token: true,
            ..req("/api/auth/logout")
        }),
        row("GET", "/api/users", Roles("A"), 200, Filtered, false, |_, _, _| req("/api/users")),
        row("POST", "/api/users", Roles("A"), 201, Target, true, |f, p, n| {
            with(
                "/api/users",
                json!({"username": format!("new{n}x{}", f.run), "password": "long enough", "display_name": "新",
                       "role": "dispatcher", "county_code": f.county(p)}),
            )
        }),
        row("PATCH", "/api/users/{username}", Roles("A"), 200, Target, true, |f, p, n| {
            with(format!("/api/users/{}", f.pick(p).target_user), json!({"display_name": format!("改名{n}")}))
        }),
        row("PUT", "/api/users/{username}/password", Roles("A"), 204, Target, true, |f, p, n| {
            with(
                format!("/api/users/{}/password", f.pick(p).target_user),
                json!({"password": format!("new password {n}")}),
            )
        }),
        row("GET", "/api/grids", Roles("APDL"), 200, Filtered, false, |f, p, _| {
            let (x, y) = f.pick(p).point;
            req(format!("/api/grids?bbox={},{},{},{}&limit=5", x - 0.01, y - 0.01, x + 0.01, y + 0.01))
        }),
        row("GET", "/api/grids/{code}", Roles("APDL"), 200, Target, false, |f, p, _| {
            req(format!("/api/grids/{}", f.pick(p).grid))
        }),
        row("GET", "/api/search", Roles("APDL"), 200, Filtered, false, |f, p, _| {
            req(format!("/api/search?q={}", f.county(p)))
        }),
        row("GET", "/api/admin-units/{code}", Roles("APDL"), 200, Target, false, |f, p, _| {
            req(format!("/api/admin-units/{}", f.county(p)))
        }),
        row("GET", "/api/buildings/{id}", Roles("APDL"), 200, Target, false, |f, p, _| {
            req(format!("/api/buildings/{}", f.pick(p).building))
        }),
        row("GET", "/api/cameras/{id}", Roles("APDL"), 200, Target, false, |f, p, _| {
            req(format!("/api/cameras/{}", f.pick(p).camera))
        }),
        row("POST", "/api/route", Roles("ADL"), 200, Target, false, |f, p, _| {
            let (lon, lat) = f.pick(p).point;
            with("/api/route", json!({"lon": lon, "lat": lat, "category": "dispute.neighbor"}))
        }),
        row("POST", "/api/route/batch", Roles("ADL"), 200, Target, false, |f, p, _| {
            let (lon, lat) = f.pick(p).point;
            with("/api/route/batch", json!({"points": [[lon, lat]]}))
        }),
        row("POST", "/api/incidents", Roles("AD"), 201, Target, true, |f, p, _| {
            let (lon, lat) = f.pick(p).point;
            with(
                "/api/incidents",
                json!({"lon": lon, "lat": lat, "category": "citizen.environment", "source": "hotline",
                       "description": "路面垃圾"}),
            )
        }),
        row("GET", "/api/incidents", Roles("ADL"), 200, Filtered, false, |_, _, _| req("/api/incidents?limit=5")),
        row("GET", "/api/incidents/{id}", Roles("ADL"), 200, Target, false, |f, p, _| {
            req(format!("/api/incidents/{}", f.pick(p).incident))
        }),
        row("POST", "/api/incidents/{id}/transitions", Roles("AD"), 200, Target, true, |f, p, _| {
            with(format!("/api/incidents/{}/transitions", f.fresh("incident", p)), json!({"action": "assign"}))
        }),
        row("GET", "/api/escalation-sla", Roles("ADL"), 200, Unscoped, false, |_, _, _| req("/api/escalation-sla")),
        row("PUT", "/api/escalation-sla", Roles("A"), 200, CityWide, true, |_, _, n| {
            with(
                "/api/escalation-sla",
                json!({"category": "citizen.environment", "priority": 3, "level": 0, "hours": 10.0 + n as f64}),
            )
        }),
        row("GET", "/api/ready", Public, 200, Unscoped, false, |_, _, _| req("/api/ready")),
        row("POST", "/api/plans", Roles("AP"), 201, Target, true, |f, p, n| {
            let (a, b) = &f.pick(p).draft_pair;
            with("/api/plans", merge(a, b, &format!("matrix {n}")))
        }),
        row("GET", "/api/plans", Roles("APL"), 200, Filtered, false, |_, _, _| req("/api/plans?limit=5")),
        row("GET", "/api/plans/{id}", Roles("APL"), 200, Target, false, |f, p, _| {
            req(format!("/api/plans/{}", f.pick(p).plan))
        }),
        row("POST", "/api/plans/{id}/commit", Roles("AP"), 200, Target, true, |f, p, _| {
            req(format!("/api/plans/{}/commit", f.fresh("commit", p)))
        }),
        row("POST", "/api/plans/{id}/discard", Roles("AP"), 200, Target, true, |f, p, _| {
            req(format!("/api/plans/{}/discard", f.fresh("discard", p)))
        }),
        row("POST", "/api/plans/{id}/revert", Roles("AP"), 201, Target, true, |f, p, _| {
            req(format!("/api/plans/{}/revert", f.fresh("revert", p)))
        }),
        row("GET", "/api/partition/validate", Roles("APL"), 200, Target, false, |f, p, _| {
            req(format!("/api/partition/validate?county={}", f.county(p)))
        }),
        row("PUT", "/api/grids/{code}/workers", Roles("AP"), 200, Target, true, |f, p, n| {
            with(
                format!("/api/grids/{}/workers", f.pick(p).grid),
                json!({"workers": [{"employee_no": format!("M{n}"), "name": "矩阵", "phone": "13800000000"}]}),
            )
        }),
        row("GET", "/api/grids/{code}/history", Roles("APDL"), 200, Target, false, |f, p, _| {
            req(format!("/api/grids/{}/history", f.pick(p).grid))
        }),
        row("GET", "/api/grids/{code}/workload", Roles("APL"), 200, Target, false, |f, p, _| {
            req(format!("/api/grids/{}/workload", f.pick(p).grid))
        }),
        row("GET", "/api/coverage/summary", Roles("APL"), 200, Target, false, |f, p, _| {
            req(format!("/api/coverage/summary?level=village&code={}&limit=5", f.county(p)))
        }),
        row("GET", "/api/coverage/grids/{code}", Roles("APL"), 200, Target, false, |f, p, _| {
            req(format!("/api/coverage/grids/{}", f.pick(p).grid))
        }),
        row("POST", "/api/coverage/what-if", Roles("APL"), 200, Target, false, |f, p, _| {
            with("/api/coverage/what-if", json!({"grid": f.pick(p).grid, "changes": []}))
        }),
        row("POST", "/api/coverage/suggest", Roles("APL"), 200, Target, false, |f, p, _| {
            with("/api/coverage/suggest", json!({"area_code": f.pick(p).grid, "k": 1}))
        }),
        row("POST", "/api/cameras", Roles("AP"), 200, Target, true, |f, p, n| {
            with("/api/cameras", camera(&format!("M{n}X{:08x}", f.run), f.pick(p).point))
        }),
        row("POST", "/api/cameras/planned", Roles("AP"), 200, Target, true, |f, p, _| {
            let (lon, lat) = f.pick(p).point;
            with(
                "/api/cameras/planned",
                json!({"kind": "dome", "sites": [{"lon": lon, "lat": lat, "heading_deg": 0.0, "fov_deg": 90.0,
                                                  "range_m": 30.0}]}),
            )
        }),
        row("PATCH", "/api/cameras/{id}", Roles("AP"), 200, Target, true, |f, p, n| {
            with(format!("/api/cameras/{}", f.pick(p).camera), json!({"heading_deg": (n % 360) as f64}))
        }),
        row("DELETE", "/api/cameras/{id}", Roles("AP"), 200, Target, true, |f, p, _| {
            req(format!("/api/cameras/{}", f.fresh("camera", p)))
        }),
        row("GET", "/api/stats/summary", Roles("AL"), 200, Target, false, |f, p, _| {
            req(format!("/api/stats/summary?code={}", f.county(p)))
        }),
        row("GET", "/api/stats/units", Roles("AL"), 200, Target, false, |f, p, _| {
            req(format!("/api/stats/units?level=village&code={}", f.county(p)))
        }),
        row("GET", "/api/stats/timeseries", Roles("AL"), 200, Target, false, |f, p, _| {
            req(format!("/api/stats/timeseries?code={}", f.county(p)))
        }),
        row("GET", "/api/stats/hotspots", Roles("AL"), 200, Filtered, false, |_, _, _| req("/api/stats/hotspots")),
        row("GET", "/api/stats/heat-tiles", Roles("AL"), 200, Filtered, false, |_, _, _| {
            req("/api/stats/heat-tiles?category=dispute")
        }),
        row("GET", "/api/stats/heat-scale", Roles("AL"), 200, Filtered, false, |_, _, _| {
            req("/api/stats/heat-scale?category=dispute")
        }),
        row("GET", "/style.json", Public, 200, Unscoped, false, |_, _, _| req("/style.json")),
        row("GET", "/tiles/versions", Public, 200, Unscoped, false, |_, _, _| req("/tiles/versions")),
        row("GET", "/tiles/{layer}", Public, 200, Unscoped, false, |_, _, _| req("/tiles/incidents")),
        row("GET", "/tiles/{layer}/{z}/{x}/{y}", Roles("ADL"), 200, Tile, false, |f, p, _| {
            let (x, y) = f.pick(p).tile;
            req(format!("/tiles/incidents/15/{x}/{y}"))
        }),
        row("GET", "/tiles/font/{fontstack}/{range}", Public, 200, Unscoped, false, |_, _, _| {
            req("/tiles/font/Noto%20Sans%20CJK%20SC%20Regular/0-255.pbf")
        }),
    ]
}

/// What a place holds.
struct Site {
    county: String,
    grid: String,
    point: (f64, f64),
    building: i64,
    camera: i64,
    incident: i64,
    /// A z15 tile around an incident of this county with no incident of the other county.
    tile: (u32, u32),
    /// A user of this county, changed by the user-admin rows.
    target_user: String,
    /// Two neighbouring grids the plan-drafting row merges (never committed).
    draft_pair: (String, String),
    /// A draft plan of this county.
    plan: i64,
}

struct Fixture {
    home: Site,
    away: Site,
    /// Things each call of a row uses up, per (kind, place): `new` incidents to transition,
    /// draft plans to commit or discard, committed plans to revert, cameras to delete.
    fresh: Mutex<BTreeMap<(&'static str, usize), Vec<i64>>>,
    /// A user whose login the public login row uses.
    login_user: String,
    run: u32,
}

impl Fixture {
    fn pick(&self, p: Place) -> &Site {
        match p {
            Place::Home => &self.home,
            Place::Away => &self.away,
        }
    }

    fn county(&self, p: Place) -> &str {
        &self.pick(p).county
    }

    fn fresh(&self, kind: &'static str, p: Place) -> i64 {
        let mut fresh = self.fresh.lock().unwrap();
        fresh.get_mut(&(kind, p as usize)).and_then(Vec::pop).unwrap_or_else(|| panic!("enough fresh {kind}s"))
    }
}

/// The z15 tile containing a point (the slippy-map formula).
fn tile_of(lon: f64, lat: f64) -> (u32, u32) {
    let n = f64::from(1u32 << 15);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let phi = lat.to_radians();
    let y = ((1.0 - phi.tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

/// A new online camera at a point.
fn camera(code: &str, (lon, lat): (f64, f64)) -> Value {
    json!({"code": code, "kind": "dome", "owner": "public_security", "lon": lon, "lat": lat, "heading_deg": 0.0,
           "fov_deg": 90.0, "range_m": 30.0, "status": "online"})
}

/// A plan merging two neighbouring grids at their current versions (1: the template's).
fn merge(a: &str, b: &str, note: &str) -> Value {
    json!({"operation": "merge", "grids": [a, b], "base_versions": {a: 1, b: 1}, "note": note})
}

/// Draft plans of one county, each merging two neighbouring grids (same village, one shared
/// stretch of edge) that no other of its plans touches, and never the site's grid (the first).
struct Drafter {
    /// Candidate pairs, the next one last.
    candidates: Vec<(String, String)>,
    used: BTreeSet<String>,
}

impl Drafter {
    async fn new(app: &TestApp, county: &str) -> Drafter {
        let mut candidates: Vec<(String, String)> = sqlx::query_as(
            "select a.code, b.code from current_grids a
             join current_grids b on b.village_code = a.village_code and b.code > a.code and b.geom && a.geom
                  and st_relate(a.geom, b.geom, 'F***1****')
                  and st_numgeometries(st_linemerge(st_intersection(st_boundary(a.geom), st_boundary(b.geom)))) = 1
             where left(a.code, 6) = $1 and a.version = 1 and b.version = 1
               and st_numgeometries(a.geom) = 1 and st_numgeometries(b.geom) = 1
               and (select min(code) from current_grids where left(code, 6) = $1) not in (a.code, b.code)
             order by a.code, b.code",
        )
        .bind(county)
        .fetch_all(&app.pool)
        .await
        .unwrap();
        candidates.reverse();
        Drafter { candidates, used: BTreeSet::new() }
    }

    /// The next plan drafted as `token` (and committed when asked), and the pair it merges.
    /// Pairs the planning rules refuse (422) are skipped.
    async fn next(&mut self, app: &TestApp, token: &str, commit: bool) -> (i64, (String, String)) {
        while let Some((a, b)) = self.candidates.pop() {
            if self.used.contains(&a) || self.used.contains(&b) {
                continue;
            }
            let (s, body) = app.post("/api/plans", Some(token), &merge(&a, &b, "matrix fixture")).await;
            if s == 422 {
                continue;
            }
            assert_eq!(s, 201, "drafting a merge of {a} and {b}: {body}");
            let id = body["id"].as_i64().unwrap();
            if commit {
                let (s, body) = app.post(&format!("/api/plans/{id}/commit"), Some(token), &json!({})).await;
                assert_eq!(s, 200, "committing plan {id}: {body}");
            }
            self.used.insert(a.clone());
            self.used.insert(b.clone());
            return (id, (a, b));
        }
        panic!("not enough neighbouring grids to merge");
    }
}

async fn site(app: &TestApp, county: &str, other: &str, run: u32, drafted: (i64, (String, String))) -> Site {
    let pool = &app.pool;
    let (grid, lon, lat): (String, f64, f64) = sqlx::query_as(
        "select code, st_x(p), st_y(p) from (
             select code, st_pointonsurface(geom) p from current_grids where left(code, 6) = $1 order by code limit 1) s",
    )
    .bind(county)
    .fetch_one(pool)
    .await
    .unwrap();
    let pick = |table: &'static str| async move {
        sqlx::query_scalar::<_, i64>(&format!("select min(id) from {table} where left(grid_code, 6) = $1"))
            .bind(county)
            .fetch_one(pool)
            .await
            .unwrap()
    };
    let (building, camera, incident) = (pick("buildings").await, pick("cameras").await, pick("incidents").await);
    // An incident whose z15 tile (with martin's 64/4096 buffer) holds none of the other county.
    let candidates: Vec<(f64, f64)> = sqlx::query_as(
        "select st_x(geom), st_y(geom) from incidents where left(grid_code, 6) = $1 order by id limit 200",
    )
    .bind(county)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut tile = None;
    for (x, y) in candidates {
        let (tx, ty) = tile_of(x, y);
        let mixed: bool = sqlx::query_scalar(
            "select exists (select 1 from incidents where left(grid_code, 6) = $1
                 and geom && st_transform(st_tileenvelope(15, $2, $3, margin => 64.0 / 4096), 4326))",
        )
        .bind(other)
        .bind(tx as i32)
        .bind(ty as i32)
        .fetch_one(pool)
        .await
        .unwrap();
        if !mixed {
            tile = Some((tx, ty));
            break;
        }
    }
    let target_user = format!("target{county}x{run:08x}");
    create_user(app, &target_user, Role::Dispatcher, Some(county)).await;
    let (plan, draft_pair) = drafted;
    Site {
        county: county.to_owned(),
        grid,
        point: (lon, lat),
        building,
        camera,
        incident,
        tile: tile.expect("an incident tile of one county only"),
        target_user,
        draft_pair,
        plan,
    }
}

async fn create_user(app: &TestApp, username: &str, role: Role, county: Option<&str>) {
    sqlx::query(
        "insert into users (username, display_name, password_hash, role, county_code) values ($1, $1, $2, $3, $4)",
    )
    .bind(username)
    .bind(citygrid::accounts::hash_password(PASSWORD).unwrap())
    .bind(role.as_str())
    .bind(county)
    .execute(&app.pool)
    .await
    .unwrap();
}

async fn login(app: &TestApp, username: &str) -> String {
    let (s, b) = app.post("/api/auth/login", None, &json!({"username": username, "password": PASSWORD})).await;
    assert_eq!(s, 200, "login {username}: {b}");
    b["token"].as_str().unwrap().to_owned()
}

/// A logged-in caller.
struct Caller {
    label: String,
    role: Role,
    scoped: bool,
    token: String,
    spare: Mutex<Vec<String>>,
}

fn letter(role: Role) -> char {
    match role {
        Role::Admin => 'A',
        Role::Planner => 'P',
        Role::Dispatcher => 'D',
        Role::Leader => 'L',
    }
}

/// The status `caller` (None: no token) must get from `row` about `place`, and the error code.
fn expected(row: &Row, caller: Option<&Caller>, place: Place) -> (u16, Option<&'static str>) {
    let Some(c) = caller else {
        return match row.who {
            Who::Public => (row.ok, None),
            _ => (401, Some("unauthorized")),
        };
    };
    if let Who::Roles(letters) = row.who {
        if !letters.contains(letter(c.role)) {
            return (403, Some("forbidden"));
        }
    }
    if !c.scoped {
        return (row.ok, None);
    }
    match (row.scoping, place) {
        (Scoping::CityWide, _) | (Scoping::Target, Place::Away) => (403, Some("outside_scope")),
        (Scoping::Tile, Place::Away) => (204, None),
        _ => (row.ok, None),
    }
}

async fn audit_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log").fetch_one(&app.pool).await.unwrap()
}

/// Every (method, path) of the OpenAPI document.
async fn documented(app: &TestApp) -> BTreeSet<(String, String)> {
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, 200);
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Every (method, path) the routers declare, read from `backend/src/http/*.rs`: the routers of
/// `tiles.rs` sit at the root, the others under `/api`.
fn routed() -> BTreeSet<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if path.extension().is_none_or(|e| e != "rs") || name == "mod.rs" {
            continue;
        }
        let prefix = if name == "tiles.rs" { "" } else { "/api" };
        let src = std::fs::read_to_string(&path).unwrap();
        for (i, _) in src.match_indices(".route(\"") {
            let rest = &src[i + ".route(\"".len()..];
            let route = &rest[..rest.find('"').unwrap()];
            // The method routers up to the closing parenthesis of `.route(`.
            let mut depth = 1;
            let mut end = 0;
            for (j, ch) in rest.char_indices() {
                match ch {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = j;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let methods = &rest[route.len()..end];
            for m in ["get", "post", "put", "patch", "delete"] {
                let called = methods.match_indices(&format!("{m}(")).any(|(k, _)| {
                    k == 0 || !methods.as_bytes()[k - 1].is_ascii_alphanumeric() && methods.as_bytes()[k - 1] != b'_'
                });
                if called {
                    out.insert((m.to_uppercase(), format!("{prefix}{route}")));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn every_route_is_in_the_matrix() {
    let app = common::spawn_app().await;
    let rows: BTreeSet<(String, String)> = matrix().iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    let (documented, routed) = (documented(&app).await, routed());
    let mut problems = Vec::new();
    for (method, path) in documented.union(&routed) {
        if !rows.contains(&(method.clone(), path.clone())) {
            problems.push(format!(
                "{method} {path} is served but not in the role matrix: add to matrix() in backend/tests/access.rs\n    \
                 row(\"{method}\", \"{path}\", Roles(\"A…\"), <status of a good call>, <Scoping>, <audited>, |f, p, n| ...),"
            ));
        }
    }
    for (method, path) in rows.difference(&documented) {
        problems.push(format!("{method} {path} is in the matrix but not in the OpenAPI document"));
    }
    for (method, path) in documented.difference(&routed) {
        problems.push(format!("{method} {path} is in the OpenAPI document but no router in src/http declares it"));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[tokio::test]
async fn every_route_answers_every_caller_exactly() {
    let app = common::spawn_app_with_martin().await;
    let run = rand::random::<u32>();
    let (home, away): (String, String) = {
        let codes: Vec<String> = sqlx::query_scalar(
            "select code from admin_units where level = 'county'
               and exists (select 1 from incidents where left(grid_code, 6) = code) order by code limit 2",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap();
        (codes[0].clone(), codes[1].clone())
    };
    let planner = app.login("planner").await;
    let admin = app.login("admin").await;
    let mut drafters = [Drafter::new(&app, &home).await, Drafter::new(&app, &away).await];
    let drafted = drafters[0].next(&app, &planner, false).await;
    let home_site = site(&app, &home, &away, run, drafted).await;
    let drafted = drafters[1].next(&app, &planner, false).await;
    let away_site = site(&app, &away, &home, run, drafted).await;
    let rows = matrix();
    let calls_per_place = 1 + 2 * Role::ALL.len();
    let mut fresh: BTreeMap<(&'static str, usize), Vec<i64>> = BTreeMap::new();
    for (i, site) in [&home_site, &away_site].into_iter().enumerate() {
        for (kind, commit) in [("commit", false), ("discard", false), ("revert", true)] {
            for _ in 0..calls_per_place {
                let (id, _) = drafters[i].next(&app, &planner, commit).await;
                fresh.entry((kind, i)).or_default().push(id);
            }
        }
        for _ in 0..calls_per_place {
            let id: i64 = sqlx::query_scalar(
                "insert into incidents (category, source, priority, status, description, reported_at, grid_code, geom,
                                        level_since, updated_at)
                 values ('citizen.environment', 'hotline', 3, 'new', 'matrix', now(), $1,
                         st_setsrid(st_makepoint($2, $3), 4326), now(), now()) returning id",
            )
            .bind(&site.grid)
            .bind(site.point.0)
            .bind(site.point.1)
            .fetch_one(&app.pool)
            .await
            .unwrap();
            fresh.entry(("incident", i)).or_default().push(id);
        }
        for k in 0..calls_per_place {
            let (s, body) =
                app.post("/api/cameras", Some(&admin), &camera(&format!("DEL{i}X{k}X{run:08x}"), site.point)).await;
            assert_eq!(s, 200, "a camera to delete: {body}");
            fresh.entry(("camera", i)).or_default().push(body["camera"]["id"].as_i64().unwrap());
        }
    }
    let login_user = format!("login{run:08x}");
    create_user(&app, &login_user, Role::Leader, None).await;
    let fixture = Fixture { home: home_site, away: away_site, fresh: Mutex::new(fresh), login_user, run };

    let mut callers = Vec::new();
    for role in Role::ALL {
        for scoped in [false, true] {
            let name = format!("{}{}{run:08x}", &role.as_str()[..3], if scoped { "c" } else { "w" });
            create_user(&app, &name, role, scoped.then_some(home.as_str())).await;
            let token = login(&app, &name).await;
            let spare = vec![login(&app, &name).await, login(&app, &name).await];
            let label = format!("{} ({})", role.as_str(), if scoped { "county" } else { "city" });
            callers.push(Caller { label, role, scoped, token, spare: Mutex::new(spare) });
        }
    }

    let n = AtomicUsize::new(0);
    let mut failures = Vec::new();
    for row in &rows {
        let mut cases: Vec<(Option<&Caller>, Place)> = vec![(None, Place::Home)];
        for c in &callers {
            cases.push((Some(c), Place::Home));
            cases.push((Some(c), Place::Away));
        }
        for (caller, place) in cases {
            let r = (row.make)(&fixture, place, n.fetch_add(1, Ordering::Relaxed));
            let token = caller.map(|c| {
                if r.spare_token {
                    c.spare.lock().unwrap().pop().expect("a spare token")
                } else {
                    c.token.clone()
                }
            });
            let before = audit_rows(&app).await;
            let (status, body) = app.send(row.method, &r.path, token.as_deref(), r.body.as_ref()).await;
            let after = audit_rows(&app).await;
            let (want, code) = expected(row, caller, place);
            let who = caller.map_or("no token", |c| c.label.as_str());
            let case = format!("{} {} as {who} about {place:?} ({})", row.method, row.path, r.path);
            if status != want {
                failures.push(format!("{case}: got {status}, expected {want}: {body}"));
                continue;
            }
            if let Some(code) = code {
                if body["error"]["code"] != code {
                    failures.push(format!("{case}: code {}, expected {code}", body["error"]["code"]));
                }
            }
            let audited = after > before;
            if (200..300).contains(&status) && row.audited && !audited {
                failures.push(format!("{case}: succeeded without an audit row"));
            }
            if status >= 400 && audited {
                failures.push(format!("{case}: refused ({status}) but wrote the audit log"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of the matrix's cases failed:\n{}", failures.len(), failures.join("\n"));
}
