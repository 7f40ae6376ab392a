//! Heat rollups and tiles against oracles written here: every rollup row equals SQL over the
//! raw incidents (with this file's own cell numbering), through registration, duplicates,
//! re-routing, moves, deletions and bulk statements; a rebuild gives identical tables; tiles
//! through the proxy decode to the raw counts per cell; the proxy normalises filters, takes the
//! county from the caller, and a new incident changes the token and the tile.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;
#[path = "support/stats.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use citygrid::stats::heat::levels;
use citygrid_api::{CATEGORIES, SOURCES};
use common::TestApp;
use rand::{Rng as _, SeedableRng as _};
use sqlx::PgPool;

/// A filter of the tile test: categories, sources, the query it is sent as.
type FilterCase<'a> = (Option<&'a [&'a str]>, Option<&'a [&'a str]>, &'a str);

/// π × 6,378,137 m: half the Web Mercator world.
const R: f64 = 20_037_508.342_789_244;

// ---------------------------------------------------------------------------------------------
// A minimal MVT reader for Point features with an integer `count`.
// ---------------------------------------------------------------------------------------------

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, at: 0 }
    }
    fn done(&self) -> bool {
        self.at >= self.buf.len()
    }
    fn varint(&mut self) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.buf[self.at];
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                break;
            }
        }
        v
    }
    fn bytes(&mut self) -> &'a [u8] {
        let n = usize::try_from(self.varint()).unwrap();
        let b = &self.buf[self.at..self.at + n];
        self.at += n;
        b
    }
    fn key(&mut self) -> (u64, u64) {
        let k = self.varint();
        (k >> 3, k & 7)
    }
    fn skip(&mut self, wire: u64) {
        match wire {
            0 => {
                self.varint();
            }
            1 => self.at += 8,
            2 => {
                self.bytes();
            }
            5 => self.at += 4,
            w => panic!("wire type {w}"),
        }
    }
}

fn zigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// The features of layer `incidents_heat`: (x, y) in tile units (extent 4096) → count.
fn decode_heat(buf: &[u8]) -> BTreeMap<(i64, i64), i64> {
    let mut out = BTreeMap::new();
    let mut tile = Reader::new(buf);
    while !tile.done() {
        let (field, wire) = tile.key();
        if (field, wire) != (3, 2) {
            tile.skip(wire);
            continue;
        }
        let mut layer = Reader::new(tile.bytes());
        let (mut name, mut keys, mut values, mut features) = (String::new(), Vec::new(), Vec::new(), Vec::new());
        while !layer.done() {
            match layer.key() {
                (1, 2) => name = String::from_utf8(layer.bytes().to_vec()).unwrap(),
                (2, 2) => features.push(layer.bytes()),
                (3, 2) => keys.push(String::from_utf8(layer.bytes().to_vec()).unwrap()),
                (4, 2) => {
                    let mut v = Reader::new(layer.bytes());
                    let mut value = None;
                    while !v.done() {
                        match v.key() {
                            (4 | 5, 0) => value = Some(v.varint() as i64),
                            (6, 0) => value = Some(zigzag(v.varint())),
                            (_, w) => v.skip(w),
                        }
                    }
                    values.push(value);
                }
                (5, 0) => assert_eq!(layer.varint(), 4096, "extent"),
                (_, w) => layer.skip(w),
            }
        }
        assert_eq!(name, "incidents_heat");
        for f in features {
            let mut r = Reader::new(f);
            let (mut tags, mut geometry, mut kind) = (Vec::new(), Vec::new(), 0);
            while !r.done() {
                match r.key() {
                    (2, 2) => {
                        let mut p = Reader::new(r.bytes());
                        while !p.done() {
                            tags.push(usize::try_from(p.varint()).unwrap());
                        }
                    }
                    (3, 0) => kind = r.varint(),
                    (4, 2) => {
                        let mut p = Reader::new(r.bytes());
                        while !p.done() {
                            geometry.push(p.varint());
                        }
                    }
                    (_, w) => r.skip(w),
                }
            }
            assert_eq!(kind, 1, "Point features");
            assert_eq!(geometry.len(), 3, "one MoveTo of one point: {geometry:?}");
            assert_eq!(geometry[0], (1 << 3) | 1, "MoveTo, count 1");
            let (x, y) = (zigzag(geometry[1]), zigzag(geometry[2]));
            assert_eq!(tags.len(), 2, "one attribute");
            assert_eq!(keys[tags[0]], "count");
            let count = values[tags[1]].expect("an integer count");
            assert!(out.insert((x, y), count).is_none(), "two features at ({x}, {y})");
        }
    }
    out
}

/// The raw count per feature position of tile z/x/y for a window, filter and county, from
/// the incidents: each point at the floor cell of the level zoom `z` draws.
#[allow(clippy::too_many_arguments)]
async fn tile_oracle(
    pool: &PgPool,
    (z, x, y): (u8, u32, u32),
    from: &str,
    to: &str,
    cats: Option<&[&str]>,
    srcs: Option<&[&str]>,
    county: Option<&str>,
) -> BTreeMap<(i64, i64), i64> {
    let per_side = 1i64 << (levels(z).1 - z);
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select floor((st_x(m) + 20037508.342789244) / $1)::bigint - $2 * $3,
                floor((20037508.342789244 - st_y(m)) / $1)::bigint - $4 * $3, count(*)
         from incidents i, st_transform(i.geom, 3857) m
         where i.status <> 'duplicate'
           and i.reported_at >= ($5::date)::timestamp at time zone 'Asia/Shanghai'
           and i.reported_at < ($6::date)::timestamp at time zone 'Asia/Shanghai'
           and ($7::text[] is null or i.category = any($7)) and ($8::text[] is null or i.source = any($8))
           and ($9::text is null or left(i.grid_code, 6) = $9)
           and floor((st_x(m) + 20037508.342789244) / $10) = $2
           and floor((20037508.342789244 - st_y(m)) / $10) = $4
         group by 1, 2",
    )
    .bind(2.0 * R / (1u64 << levels(z).1) as f64)
    .bind(i64::from(x))
    .bind(per_side)
    .bind(i64::from(y))
    .bind(from)
    .bind(to)
    .bind(cats)
    .bind(srcs)
    .bind(county)
    .bind(2.0 * R / f64::from(1u32 << z))
    .fetch_all(pool)
    .await
    .unwrap();
    let unit = 4096 / per_side;
    rows.into_iter().map(|(ci, cj, n)| ((ci * unit + unit / 2, cj * unit + unit / 2), n)).collect()
}

/// The tile of zoom `z` containing (lon, lat).
fn tile_of(lon: f64, lat: f64, z: u8) -> (u8, u32, u32) {
    let t = citygrid::tiles::TileCoord::containing(lon, lat, u32::from(z));
    (z, t.x, t.y)
}

async fn get_bytes(app: &TestApp, path: &str, token: &str) -> (u16, Vec<u8>, String) {
    let res = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    let cache = res.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, res.bytes().await.unwrap().to_vec(), cache)
}

/// The tile URL (path and query) of `/api/stats/heat-tiles?{query}` at z/x/y.
async fn heat_url(app: &TestApp, token: &str, query: &str, (z, x, y): (u8, u32, u32)) -> String {
    let (status, body) = app.get(&format!("/api/stats/heat-tiles?{query}"), Some(token)).await;
    assert_eq!(status, 200, "{body}");
    let template = body["tiles"].as_str().unwrap();
    let path = &template[template.find("/tiles/").unwrap()..];
    path.replace("{z}", &z.to_string()).replace("{x}", &x.to_string()).replace("{y}", &y.to_string())
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn heat_pairs_follow_the_api_catalogue() {
    let db = common::test_city().await;
    let pairs: Vec<(i16, String, String)> =
        sqlx::query_as("select pair, category, source from stats.heat_pairs order by pair")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let expected: Vec<(i16, String, String)> = CATEGORIES
        .iter()
        .enumerate()
        .flat_map(|(ci, c)| {
            SOURCES.iter().enumerate().map(move |(si, s)| ((ci * 5 + si) as i16, c.code.to_owned(), s.code.to_owned()))
        })
        .collect();
    assert_eq!(pairs, expected);
}

#[tokio::test]
async fn tiles_decode_to_the_raw_counts_for_random_windows_and_filters() {
    let app = common::spawn_app_with_martin().await;
    support::add_history(&app.pool).await;
    let token = app.login("leader").await;
    let (lon, lat) = support::busy_point(&app.pool).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(14);
    let days: Vec<chrono::NaiveDate> =
        (0..95).map(|d| chrono::NaiveDate::from_ymd_opt(2026, 8, 28).unwrap() + chrono::Duration::days(d)).collect();
    let filters: [FilterCase; 4] = [
        (None, None, ""),
        (Some(&["alarm.intrusion", "alarm.fire", "alarm.traffic", "alarm.crowd"]), None, "category=alarm"),
        (Some(&["dispute.neighbor", "citizen.environment"]), None, "category=citizen.environment,dispute.neighbor"),
        (
            Some(&["dispute.neighbor", "citizen.environment"]),
            Some(&["hotline", "patrol"]),
            "category=dispute.neighbor,citizen.environment&source=patrol,hotline",
        ),
    ];
    let mut features = 0;
    for round in 0..24 {
        let z = [6u8, 8, 9, 10, 11, 12, 13, 14, 15, 16][round % 10];
        let a = rng.random_range(0..days.len() - 1);
        let b = rng.random_range(a + 1..days.len());
        let (from, to) = (days[a].to_string(), days[b].to_string());
        let (cats, srcs, query) = filters[round % filters.len()];
        let tile = tile_of(lon + rng.random_range(-0.02..0.02), lat + rng.random_range(-0.02..0.02), z);
        let path = heat_url(&app, &token, &format!("from={from}&to={to}&{query}"), tile).await;
        let (status, body, _) = get_bytes(&app, &path, &token).await;
        assert!(status == 200 || status == 204, "{path}: {status}");
        let got = decode_heat(&body);
        let want = tile_oracle(&app.pool, tile, &from, &to, cats, srcs, None).await;
        assert_eq!(got, want, "{path}: features (x, y) → count");
        features += got.len();
    }
    assert!(features > 200, "the windows and tiles hit incidents ({features} features)");
}

#[tokio::test]
async fn every_zoom_draws_the_cells_the_scale_describes() {
    let app = common::spawn_app_with_martin().await;
    let token = app.login("admin").await;
    let (lon, lat) = support::busy_point(&app.pool).await;
    let (status, scale) = app.get("/api/stats/heat-scale?from=2026-11-24&to=2026-12-01", Some(&token)).await;
    assert_eq!(status, 200, "{scale}");
    for z in 0..=16u8 {
        let band = scale["bands"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["minzoom"].as_u64().unwrap() <= u64::from(z) && u64::from(z) <= b["maxzoom"].as_u64().unwrap())
            .unwrap();
        let per_side = 1i64 << (band["cell_level"].as_i64().unwrap() - i64::from(z));
        let tile = tile_of(lon, lat, z);
        let path = heat_url(&app, &token, "from=2026-11-24&to=2026-12-01", tile).await;
        let (_, body, _) = get_bytes(&app, &path, &token).await;
        let got = decode_heat(&body);
        assert!(!got.is_empty(), "z{z}: the busiest grid's tile has heat");
        let unit = 4096 / per_side;
        for (x, y) in got.keys() {
            assert!(
                x % unit == unit / 2 && y % unit == unit / 2,
                "z{z}: ({x}, {y}) is not a cell centre of {per_side} per side"
            );
        }
    }
}

#[tokio::test]
async fn the_scale_is_the_99th_percentile_of_each_bands_cells() {
    let app = common::spawn_app().await;
    support::add_history(&app.pool).await;
    let token = app.login("leader").await;
    for (query, cats) in [
        ("from=2026-09-10&to=2026-12-01", None),
        (
            "from=2026-11-24&to=2026-12-01&category=alarm",
            Some(vec!["alarm.intrusion", "alarm.fire", "alarm.traffic", "alarm.crowd"]),
        ),
    ] {
        let (status, scale) = app.get(&format!("/api/stats/heat-scale?{query}"), Some(&token)).await;
        assert_eq!(status, 200, "{scale}");
        let from = &query[5..15];
        let to = &query[19..29];
        for band in scale["bands"].as_array().unwrap() {
            let level = band["cell_level"].as_i64().unwrap();
            if band["raw"].as_bool().unwrap() {
                continue;
            }
            let (p99, cells): (i64, i64) = sqlx::query_as(
                "select coalesce(percentile_disc(0.99) within group (order by n), 1)::bigint, count(*) from (
                     select floor((st_x(m) + 20037508.342789244) / $1), floor((20037508.342789244 - st_y(m)) / $1), count(*) as n
                     from incidents i, st_transform(i.geom, 3857) m
                     where i.status <> 'duplicate' and ($4::text[] is null or i.category = any($4))
                       and i.reported_at >= ($2::date)::timestamp at time zone 'Asia/Shanghai'
                       and i.reported_at < ($3::date)::timestamp at time zone 'Asia/Shanghai'
                     group by 1, 2) c",
            )
            .bind(2.0 * R / (1u64 << level) as f64)
            .bind(from)
            .bind(to)
            .bind(&cats)
            .fetch_one(&app.pool)
            .await
            .unwrap();
            assert_eq!(
                (band["reference"].as_i64().unwrap(), band["cells"].as_i64().unwrap()),
                (p99.max(1), cells),
                "{query}: {band}"
            );
        }
    }
}

#[tokio::test]
async fn the_proxy_normalises_filters_and_takes_the_county_from_the_caller() {
    let app = common::spawn_app_with_martin().await;
    let leader = app.login("leader").await;
    let (lon, lat) = support::busy_point(&app.pool).await;
    let county: String = sqlx::query_scalar("select left(grid_code, 6) from incidents where grid_code is not null group by 1 order by count(*) desc limit 1")
        .fetch_one(&app.pool).await.unwrap();
    let tile = tile_of(lon, lat, 9);

    // Order and repetition do not matter; unknown parameters are dropped.
    let a = heat_url(
        &app,
        &leader,
        "from=2026-11-24&to=2026-12-01&category=alarm.fire,dispute.labor&source=video,hotline",
        tile,
    )
    .await;
    let b = heat_url(&app, &leader, "category=dispute.labor&to=2026-12-01&source=hotline&category=alarm.fire,alarm.fire&from=2026-11-24&source=video&zzz=1", tile).await;
    assert_eq!(a, b);
    assert!(a.contains("category=dispute.labor,alarm.fire&source=hotline,video"), "{a}");
    assert!(!a.contains("county"), "{a}");
    let (_, a_bytes, _) = get_bytes(&app, &a, &leader).await;
    let shuffled =
        format!("{}&zzz=2", a.replace("category=dispute.labor,alarm.fire", "category=alarm.fire,dispute.labor"));
    let (_, b_bytes, _) = get_bytes(&app, &shuffled, &leader).await;
    assert_eq!(a_bytes, b_bytes);

    // A client-sent county is ignored: a city-wide leader still sees the whole city.
    let city = heat_url(&app, &leader, "from=2026-11-24&to=2026-12-01", tile).await;
    let (_, with_county, _) = get_bytes(&app, &format!("{city}&county=000000"), &leader).await;
    let want_city = tile_oracle(&app.pool, tile, "2026-11-24", "2026-12-01", None, None, None).await;
    assert_eq!(decode_heat(&with_county), want_city);

    // A county-scoped leader sees their county only, whatever they send.
    let admin = app.login("admin").await;
    let (status, body) = app
        .post(
            "/api/users",
            Some(&admin),
            &serde_json::json!({"username": "county_leader", "password": common::DEMO_PASSWORD, "display_name": "县领导",
                                "role": "leader", "county_code": county}),
        )
        .await;
    assert!(status == 200 || status == 201, "{body}");
    let scoped = app.login("county_leader").await;
    let path = heat_url(&app, &scoped, "from=2026-11-24&to=2026-12-01", tile).await;
    assert!(!path.contains("county"), "the scope is added by the proxy, not put in the client's URL: {path}");
    let (_, body, _) = get_bytes(&app, &format!("{path}&county=320803"), &scoped).await;
    let want = tile_oracle(&app.pool, tile, "2026-11-24", "2026-12-01", None, None, Some(&county)).await;
    assert_eq!(decode_heat(&body), want);
    assert_ne!(want, want_city, "the tile spans more than the scoped county");

    // Bad filters are 400s that name the parameter.
    for (query, needle) in [
        ("from=2026-11-24", "to"),
        ("from=2026-12-01&to=2026-11-01", "from"),
        ("category=fire", "category"),
        ("source=email", "source"),
        ("from=2020-01-01&to=2026-01-01", "three years"),
    ] {
        let (status, body) = app.get(&format!("/api/stats/heat-tiles?{query}"), Some(&leader)).await;
        common::assert_error(status, &body, 400, needle);
        let (status, _, _) =
            get_bytes(&app, &format!("/tiles/incidents_heat/9/{}/{}?{query}", tile.1, tile.2), &leader).await;
        assert_eq!(status, 400, "{query}");
    }
    // Heat is a statistic: dispatchers and planners get none.
    for user in ["dispatcher", "planner"] {
        let token = app.login(user).await;
        let (status, _) = app.get("/api/stats/heat-tiles", Some(&token)).await;
        assert_eq!(status, 403, "{user}");
        let (status, _, _) = get_bytes(&app, &a, &token).await;
        assert_eq!(status, 403, "{user}");
    }
}

#[tokio::test]
async fn a_new_incident_changes_todays_token_and_the_cached_tile() {
    // martin with its cache on, as in production.
    let db = common::test_city().await;
    let martin = common::start_martin(&db.url, 64).await;
    let mut app = common::spawn_app_on(db.pool.clone(), martin.url.clone()).await;
    app.martin = Some(martin);
    let dispatcher = app.login("dispatcher").await;
    let leader = app.login("leader").await;
    let (lon, lat) = support::busy_point(&app.pool).await;
    let tile = tile_of(lon, lat, 14);
    let today = citygrid::stats::filter::day_of(chrono::Utc::now());
    let window = format!("from={}&to={}", today - chrono::Duration::days(27), today + chrono::Duration::days(1));
    let past = "from=2026-11-24&to=2026-11-27";

    let before = heat_url(&app, &leader, &window, tile).await;
    let past_before = heat_url(&app, &leader, past, tile).await;
    let (_, first, cache) = get_bytes(&app, &before, &leader).await;
    assert!(cache.contains("immutable"), "a URL with the current token is immutable: {cache}");
    let (_, again, _) = get_bytes(&app, &before, &leader).await;
    assert_eq!(first, again);
    let counts_before = decode_heat(&first);

    let (status, body) = app
        .post(
            "/api/incidents",
            Some(&dispatcher),
            &serde_json::json!({"lon": lon, "lat": lat, "category": "alarm.crowd", "source": "video", "description": "heat token test"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let after = common::eventually("a new token for today's window", Duration::from_secs(30), || {
        let (app, leader, window, before) = (&app, &leader, &window, &before);
        async move {
            let url = heat_url(app, leader, window, tile).await;
            (url != *before).then_some(url)
        }
    })
    .await;
    assert_eq!(heat_url(&app, &leader, past, tile).await, past_before, "a window before today keeps its token");
    let (_, fresh, _) = get_bytes(&app, &after, &leader).await;
    let counts_after = decode_heat(&fresh);
    let total = |m: &BTreeMap<(i64, i64), i64>| m.values().sum::<i64>();
    assert_eq!(total(&counts_after), total(&counts_before) + 1, "the tile counts the new incident");
    // The stale URL is answered fresh, but must be revalidated.
    let (_, stale, cache) = get_bytes(&app, &before, &leader).await;
    assert_eq!(decode_heat(&stale), counts_after);
    assert!(cache.contains("no-cache"), "{cache}");
}
