//! Statistics against SQL written here from the definitions (`citygrid_api::stats`): every figure
//! of the summary for units of every level, windows crossing months or given as date-times,
//! and filters; time series with last year's; CSV equal to JSON; hotspots (a planted burst is
//! flagged, a quiet city raises no more false alarms than the method allows); filter errors
//! and scope.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;
#[path = "support/stats.rs"]
mod support;

use std::collections::BTreeMap;

use citygrid::dataset;
use citygrid::scope::Scope;
use citygrid::stats::filter::{Filter, Window};
use citygrid::stats::{hotspots, surveillance};
use common::TestApp;
use serde_json::Value;
use sqlx::PgPool;

use chrono::Datelike as _;

/// A filter of the figures test: query suffix, categories, sources.
type FilterCase<'a> = (&'a str, Option<Vec<&'a str>>, Option<Vec<&'a str>>);

/// What the definitions say about the children (codes of length `child_len` under `prefix`) of
/// a unit for a window and filter, by child code.
#[derive(Debug, Default, Clone, PartialEq)]
struct Oracle {
    incidents: i64,
    resolved: i64,
    escalated: i64,
    levels: [i64; 4],
    median_s: Option<f64>,
    p90_s: Option<f64>,
    by_category: BTreeMap<String, i64>,
    by_source: BTreeMap<String, i64>,
    residents: i64,
}

#[allow(clippy::too_many_arguments)]
async fn oracle(
    pool: &PgPool,
    child_len: i32,
    prefix: &str,
    from: &str,
    to: &str,
    cats: Option<&[&str]>,
    srcs: Option<&[&str]>,
) -> BTreeMap<String, Oracle> {
    type Figures = (String, i64, i64, i64, i64, i64, i64, i64, Option<f64>, Option<f64>);
    let base = "from incidents i where i.status <> 'duplicate' and i.grid_code like $2 || '%'
                and i.reported_at >= $3::timestamptz and i.reported_at < $4::timestamptz
                and ($5::text[] is null or i.category = any($5)) and ($6::text[] is null or i.source = any($6))";
    let rows: Vec<Figures> = sqlx::query_as(&format!(
        "select left(i.grid_code, $1), count(*),
                count(*) filter (where i.status in ('resolved', 'closed')),
                count(*) filter (where i.escalation_level >= 1),
                count(*) filter (where i.status in ('resolved', 'closed') and i.escalation_level = 0),
                count(*) filter (where i.status in ('resolved', 'closed') and i.escalation_level = 1),
                count(*) filter (where i.status in ('resolved', 'closed') and i.escalation_level = 2),
                count(*) filter (where i.status in ('resolved', 'closed') and i.escalation_level = 3),
                percentile_disc(0.5) within group (order by extract(epoch from i.resolved_at - i.reported_at)::float8)
                    filter (where i.status in ('resolved', 'closed')),
                percentile_disc(0.9) within group (order by extract(epoch from i.resolved_at - i.reported_at)::float8)
                    filter (where i.status in ('resolved', 'closed'))
         {base} group by 1"
    ))
    .bind(child_len)
    .bind(prefix)
    .bind(from)
    .bind(to)
    .bind(cats)
    .bind(srcs)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out: BTreeMap<String, Oracle> = BTreeMap::new();
    for (code, n, resolved, escalated, l0, l1, l2, l3, median_s, p90_s) in rows {
        out.insert(
            code,
            Oracle {
                incidents: n,
                resolved,
                escalated,
                levels: [l0, l1, l2, l3],
                median_s,
                p90_s,
                ..Oracle::default()
            },
        );
    }
    for (column, which) in [("category", 0), ("source", 1)] {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as(&format!("select left(i.grid_code, $1), i.{column}, count(*) {base} group by 1, 2"))
                .bind(child_len)
                .bind(prefix)
                .bind(from)
                .bind(to)
                .bind(cats)
                .bind(srcs)
                .fetch_all(pool)
                .await
                .unwrap();
        for (code, key, n) in rows {
            let o = out.entry(code).or_default();
            if which == 0 { &mut o.by_category } else { &mut o.by_source }.insert(key, n);
        }
    }
    let residents: Vec<(String, i64)> = sqlx::query_as(
        "select left(grid_code, $1), sum(residents)::bigint from buildings where grid_code like $2 || '%' group by 1",
    )
    .bind(child_len)
    .bind(prefix)
    .fetch_all(pool)
    .await
    .unwrap();
    for (code, r) in residents {
        out.entry(code).or_default().residents = r;
    }
    out
}

/// Open incidents past their current step's deadline at `at`, per child.
async fn overdue_at(
    pool: &PgPool,
    child_len: i32,
    prefix: &str,
    from: &str,
    to: &str,
    (cats, srcs): (Option<&[&str]>, Option<&[&str]>),
    at: chrono::DateTime<chrono::Utc>,
) -> BTreeMap<String, i64> {
    sqlx::query_as(
        "select left(i.grid_code, $1), count(*) from incidents i
         join escalation_sla s on s.category = i.category and s.priority = i.priority and s.level = i.escalation_level
         where i.status in ('new', 'assigned', 'accepted', 'in_progress') and i.grid_code like $2 || '%'
           and i.reported_at >= $3::timestamptz and i.reported_at < $4::timestamptz
           and coalesce(i.level_since, i.reported_at) + s.hours * interval '1 hour' < $5
           and ($6::text[] is null or i.category = any($6)) and ($7::text[] is null or i.source = any($7))
         group by 1",
    )
    .bind(child_len)
    .bind(prefix)
    .bind(from)
    .bind(to)
    .bind(at)
    .bind(cats)
    .bind(srcs)
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// The reported median or p90 (hours) is the middle of the third-of-an-octave bin of the exact
/// value (seconds): within 2^(1/6) of it, or half a minute for values under a minute.
fn assert_percentile(what: &str, got: &Value, exact_s: Option<f64>) {
    match (got.as_f64(), exact_s) {
        (None, None) => {}
        (Some(h), Some(s)) if s < 60.0 => assert!((h * 60.0 - 0.5).abs() < 1e-9, "{what}: {h} h for {s} s"),
        (Some(h), Some(s)) => {
            let ratio = h * 3600.0 / s;
            let bound = 2f64.powf(1.0 / 6.0) * (1.0 + 1e-9);
            assert!(ratio <= bound && ratio >= 1.0 / bound, "{what}: {h} h for an exact {s} s (ratio {ratio})");
        }
        (g, e) => panic!("{what}: got {g:?}, exact {e:?}"),
    }
}

fn close(a: &Value, b: Option<f64>, what: &str) {
    match (a.as_f64(), b) {
        (None, None) => {}
        (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-9 * y.abs().max(1.0), "{what}: {x} vs {y}"),
        (x, y) => panic!("{what}: {x:?} vs {y:?}"),
    }
}

/// Checks one unit's JSON figures against the oracle.
fn assert_figures(what: &str, u: &Value, o: &Oracle, overdue: (i64, i64), cats: &[&str], srcs: &[&str]) {
    let int = |k: &str| u[k].as_i64().unwrap_or_else(|| panic!("{what}: no {k} in {u}"));
    assert_eq!(int("incidents"), o.incidents, "{what}: incidents");
    assert_eq!(int("resolved"), o.resolved, "{what}: resolved");
    assert_eq!(int("escalated"), o.escalated, "{what}: escalated");
    assert_eq!(int("resolved_grid_village"), o.levels[0] + o.levels[1], "{what}: grid/village");
    assert_eq!(int("resolved_township"), o.levels[2], "{what}: township");
    assert_eq!(int("resolved_county"), o.levels[3], "{what}: county");
    assert_eq!(int("residents"), o.residents, "{what}: residents");
    let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
    close(&u["closure_rate"], ratio(o.resolved, o.incidents), &format!("{what}: closure rate"));
    close(&u["per_1000_residents"], ratio(o.incidents * 1000, o.residents), &format!("{what}: per 1,000"));
    close(&u["share_grid_village"], ratio(o.levels[0] + o.levels[1], o.resolved), &format!("{what}: share"));
    close(&u["share_county"], ratio(o.levels[3], o.resolved), &format!("{what}: share county"));
    assert_percentile(&format!("{what}: median"), &u["handling_median_hours"], o.median_s);
    assert_percentile(&format!("{what}: p90"), &u["handling_p90_hours"], o.p90_s);
    let got_overdue = int("overdue");
    assert!(overdue.0 <= got_overdue && got_overdue <= overdue.1, "{what}: overdue {got_overdue} not in {overdue:?}");
    for c in cats {
        assert_eq!(u["by_category"][c].as_i64(), Some(o.by_category.get(*c).copied().unwrap_or(0)), "{what}: {c}");
    }
    for s in srcs {
        assert_eq!(u["by_source"][s].as_i64(), Some(o.by_source.get(*s).copied().unwrap_or(0)), "{what}: {s}");
    }
}

/// The busiest unit of code length `len` under `prefix`.
async fn busiest(pool: &PgPool, len: i32, prefix: &str) -> String {
    sqlx::query_scalar(
        "select left(grid_code, $1) from incidents where grid_code like $2 || '%' group by 1 order by count(*) desc, 1 limit 1",
    )
    .bind(len)
    .bind(prefix)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_figure_equals_sql_from_the_definitions() {
    let app = common::spawn_app().await;
    support::add_history(&app.pool).await;
    let pool = &app.pool;
    let token = app.login("leader").await;
    let county = busiest(pool, 6, "").await;
    let township = busiest(pool, 9, &county).await;
    let village = busiest(pool, 12, &township).await;
    let grid = busiest(pool, 15, &village).await;
    let all_cats: Vec<&str> = citygrid_api::CATEGORIES.iter().map(|c| c.code).collect();
    let all_srcs: Vec<&str> = citygrid_api::SOURCES.iter().map(|s| s.code).collect();
    let alarms: Vec<&str> = all_cats.iter().copied().filter(|c| c.starts_with("alarm.")).collect();
    let windows = [
        // Whole months and days on both sides (cube months, county days, raw township days).
        ("2026-08-20", "2026-11-29", "2026-08-20T00:00:00+08:00", "2026-11-29T00:00:00+08:00"),
        // Date-times: partial days from the raw rows.
        (
            "2026-11-25T10:30:00+08:00",
            "2026-11-29T17:00:00+08:00",
            "2026-11-25T10:30:00+08:00",
            "2026-11-29T17:00:00+08:00",
        ),
        ("2026-11-27", "2026-11-28", "2026-11-27T00:00:00+08:00", "2026-11-28T00:00:00+08:00"),
    ];
    let filters: [FilterCase; 3] = [
        ("", None, None),
        ("&category=alarm", Some(alarms.clone()), None),
        (
            "&category=dispute.neighbor,citizen.environment&source=hotline,patrol",
            Some(vec!["dispute.neighbor", "citizen.environment"]),
            Some(vec!["hotline", "patrol"]),
        ),
    ];
    let units: [(&str, i32, &str); 5] =
        [("", 6, ""), (&county, 9, &county), (&township, 12, &township), (&village, 15, &village), (&grid, 15, &grid)];
    let mut checked = 0;
    for (i, (from, to, from_ts, to_ts)) in windows.iter().enumerate() {
        for (j, (fq, cats, srcs)) in filters.iter().enumerate() {
            // Not every combination: each unit sees each window and each filter.
            for (k, (code, child_len, prefix)) in units.iter().enumerate() {
                if (i + j + k) % 3 != 0 && k != 0 {
                    continue;
                }
                let code_q = if code.is_empty() { String::new() } else { format!("&code={code}") };
                let query = format!("/api/stats/summary?from={}&to={}{fq}{code_q}", urlencode(from), urlencode(to));
                let before = chrono::Utc::now();
                let (status, body) = app.get(&query, Some(&token)).await;
                let after = chrono::Utc::now();
                assert_eq!(status, 200, "{query}: {body}");
                let o = oracle(pool, *child_len, prefix, from_ts, to_ts, cats.as_deref(), srcs.as_deref()).await;
                let (od0, od1) = (
                    overdue_at(pool, *child_len, prefix, from_ts, to_ts, (cats.as_deref(), srcs.as_deref()), before)
                        .await,
                    overdue_at(pool, *child_len, prefix, from_ts, to_ts, (cats.as_deref(), srcs.as_deref()), after)
                        .await,
                );
                let cat_list = cats.clone().unwrap_or_else(|| all_cats.clone());
                let src_list = srcs.clone().unwrap_or_else(|| all_srcs.clone());
                let children = body["children"].as_array().unwrap();
                if *child_len == 15 && code.len() == 15 {
                    assert!(children.is_empty(), "a grid has no children");
                } else {
                    for c in children {
                        let cc = c["code"].as_str().unwrap();
                        let want = o.get(cc).cloned().unwrap_or_default();
                        let od = (od0.get(cc).copied().unwrap_or(0), od1.get(cc).copied().unwrap_or(0));
                        assert_figures(&format!("{query} child {cc}"), c, &want, od, &cat_list, &src_list);
                    }
                    let listed: Vec<&str> = children.iter().map(|c| c["code"].as_str().unwrap()).collect();
                    for (cc, want) in &o {
                        if want.incidents > 0 {
                            assert!(listed.contains(&cc.as_str()), "{query}: child {cc} with incidents is missing");
                        }
                    }
                }
                // The unit itself: the sum of its children (the whole city, or one grid).
                let mut total = Oracle::default();
                for o in o.values() {
                    total.incidents += o.incidents;
                    total.resolved += o.resolved;
                    total.escalated += o.escalated;
                    for l in 0..4 {
                        total.levels[l] += o.levels[l];
                    }
                    total.residents += o.residents;
                    for (k, v) in &o.by_category {
                        *total.by_category.entry(k.clone()).or_default() += v;
                    }
                    for (k, v) in &o.by_source {
                        *total.by_source.entry(k.clone()).or_default() += v;
                    }
                }
                // Percentiles do not add up: the unit's own, over all its incidents.
                let whole =
                    oracle(pool, prefix.len() as i32, prefix, from_ts, to_ts, cats.as_deref(), srcs.as_deref()).await;
                let exact = whole.get(*prefix).cloned().unwrap_or_default();
                total.median_s = exact.median_s;
                total.p90_s = exact.p90_s;
                let od = (od0.values().sum(), od1.values().sum());
                assert_figures(&format!("{query} unit"), &body["unit"], &total, od, &cat_list, &src_list);
                checked += 1;
            }
        }
    }
    assert!(checked >= 9, "{checked} summaries checked");
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

/// Parses our CSV (BOM, RFC 4180 quoting) into rows of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').expect("a UTF-8 byte-order mark first");
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted, mut chars) = (Vec::new(), String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

async fn get_text(app: &TestApp, path: &str, token: &str, accept: Option<&str>) -> (u16, String, String) {
    let mut req = app.client.get(app.url(path)).bearer_auth(token);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, ct, res.text().await.unwrap())
}

fn csv_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn csv_holds_the_same_rows_as_json() {
    let app = common::spawn_app().await;
    support::add_history(&app.pool).await;
    let token = app.login("admin").await;
    let county = busiest(&app.pool, 6, "").await;
    // Summary: one row per unit, the unit first.
    let q = format!("/api/stats/summary?code={county}&from=2026-11-01&to=2026-12-01&category=alarm,dispute.labor");
    let (_, json) = app.get(&q, Some(&token)).await;
    let (status, ct, text) = get_text(&app, &q, &token, Some("text/csv")).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let rows = parse_csv(&text);
    let header = &rows[0];
    let units: Vec<&Value> = std::iter::once(&json["unit"]).chain(json["children"].as_array().unwrap()).collect();
    assert_eq!(rows.len() - 1, units.len());
    for (row, unit) in rows[1..].iter().zip(&units) {
        for (name, value) in header.iter().zip(row) {
            let want = if let Some(c) = name.strip_prefix("category:") {
                csv_value(&unit["by_category"][c])
            } else if let Some(s) = name.strip_prefix("source:") {
                csv_value(&unit["by_source"][s])
            } else {
                csv_value(&unit[name])
            };
            match (value.parse::<f64>(), want.parse::<f64>()) {
                (Ok(a), Ok(b)) => assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{name}: {a} vs {b}"),
                _ => assert_eq!(value, &want, "{name}"),
            }
        }
    }
    assert!(text.contains("淮安") || units.iter().all(|u| u["name"].as_str().is_some_and(|n| text.contains(n))));
    // `format=csv` is the same as the header.
    let (_, _, by_param) = get_text(&app, &format!("{q}&format=csv"), &token, None).await;
    assert_eq!(by_param, text);

    // Time series and hotspots: same rows.
    let q = format!("/api/stats/timeseries?code={county}&from=2026-11-20&to=2026-12-01&interval=week");
    let (_, json) = app.get(&q, Some(&token)).await;
    let (_, _, text) = get_text(&app, &format!("{q}&format=csv"), &token, None).await;
    let rows = parse_csv(&text);
    let points = json["points"].as_array().unwrap();
    assert_eq!(rows.len() - 1, points.len());
    for (row, p) in rows[1..].iter().zip(points) {
        assert_eq!(row[0], p["start"].as_str().unwrap());
        assert_eq!(row[2], p["total"].to_string());
        assert_eq!(row[3], csv_value(&p["last_year_total"]));
    }
    let (_, json) = app.get("/api/stats/hotspots?level=village", Some(&token)).await;
    let (_, _, text) = get_text(&app, "/api/stats/hotspots?level=village&format=csv", &token, None).await;
    assert_eq!(parse_csv(&text).len() - 1, json["warnings"].as_array().unwrap().len());
}

#[tokio::test]
async fn time_series_count_each_day_and_week_with_last_years() {
    let app = common::spawn_app().await;
    support::add_history(&app.pool).await;
    let token = app.login("leader").await;
    let county = busiest(&app.pool, 6, "").await;
    let township = busiest(&app.pool, 9, &county).await;
    // The first day with data (Asia/Shanghai): a year earlier is covered from there on.
    let data_from: chrono::NaiveDate = sqlx::query_scalar(
        "select min((reported_at at time zone 'Asia/Shanghai')::date) from incidents where status <> 'duplicate'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    for (code, prefix) in [("", ""), (county.as_str(), county.as_str()), (township.as_str(), township.as_str())] {
        for (interval, step) in [("day", 1), ("week", 7)] {
            let q = format!("/api/stats/timeseries?code={code}&from=2026-11-20&to=2026-12-01&interval={interval}&category=alarm,citizen.safety");
            let (status, body) = app.get(&q, Some(&token)).await;
            assert_eq!(status, 200, "{q}: {body}");
            let points = body["points"].as_array().unwrap();
            assert_eq!(points.len(), 11usize.div_ceil(step), "{q}");
            for p in points {
                let (start, end) = (p["start"].as_str().unwrap(), p["end"].as_str().unwrap());
                let count = |from: String, to: String| {
                    let pool = app.pool.clone();
                    async move {
                        let rows: Vec<(String, i64)> = sqlx::query_as(
                            "select category, count(*) from incidents
                             where status <> 'duplicate' and grid_code like $1 || '%'
                               and (category like 'alarm.%' or category = 'citizen.safety')
                               and reported_at >= ($2::date)::timestamp at time zone 'Asia/Shanghai'
                               and reported_at < ($3::date)::timestamp at time zone 'Asia/Shanghai'
                             group by 1",
                        )
                        .bind(prefix)
                        .bind(from)
                        .bind(to)
                        .fetch_all(&pool)
                        .await
                        .unwrap();
                        rows.into_iter().collect::<BTreeMap<String, i64>>()
                    }
                };
                let now = count(start.to_owned(), end.to_owned()).await;
                assert_eq!(p["total"].as_i64().unwrap(), now.values().sum::<i64>(), "{q} {start}");
                for (c, n) in p["by_category"].as_object().unwrap() {
                    assert_eq!(n.as_i64().unwrap(), now.get(c).copied().unwrap_or(0), "{q} {start} {c}");
                }
                let year_before = |d: &str| {
                    let d = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
                    d.with_year(d.year() - 1).unwrap()
                };
                let then = count(year_before(start).to_string(), year_before(end).to_string()).await;
                let want = (year_before(start) >= data_from).then(|| then.values().sum::<i64>());
                assert_eq!(p["last_year_total"].as_i64(), want, "{q} {start} last year");
            }
        }
    }
    // Before the data began, there is no last year.
    let (_, body) = app.get("/api/stats/timeseries?from=2025-11-25&to=2025-11-28", Some(&token)).await;
    assert!(body["points"].as_array().unwrap().iter().all(|p| p["last_year_total"].is_null()), "{body}");
}

#[tokio::test]
async fn a_planted_burst_is_flagged_and_a_stable_grid_is_not() {
    let app = common::spawn_app().await;
    let dispatcher = app.login("dispatcher").await;
    let leader = app.login("leader").await;
    // A stable grid: the busiest one, whose week of incidents happened just as often in each of
    // the four weeks before (the tiny city has one week only, so without this every busy grid
    // rises from nothing).
    let stable = busiest(&app.pool, 15, "").await;
    sqlx::query(
        "insert into incidents (category, source, priority, status, escalation_level, description, reported_at,
                                resolved_at, closed_at, grid_code, geom)
         select category, source, priority, status, escalation_level, description, reported_at - d.shift,
                resolved_at - d.shift, closed_at - d.shift, grid_code, geom
         from incidents, (values (interval '7 days'), (interval '14 days'), (interval '21 days'), (interval '28 days')) d (shift)
         where status <> 'duplicate' and grid_code = $1",
    )
    .bind(&stable)
    .execute(&app.pool)
    .await
    .unwrap();
    // A quiet grid (few incidents in its last 35 days) gets 25 alarms, registered now.
    let (grid, lon, lat): (String, f64, f64) = sqlx::query_as(
        "select g.code, st_x(st_pointonsurface(g.geom)), st_y(st_pointonsurface(g.geom)) from current_grids g
         order by (select count(*) from incidents i where i.grid_code = g.code), g.code limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    for k in 0..25 {
        let (status, body) = app
            .post(
                "/api/incidents",
                Some(&dispatcher),
                &serde_json::json!({"lon": lon, "lat": lat, "category": if k % 2 == 0 { "alarm.fire" } else { "alarm.crowd" },
                                    "source": "video", "description": "planted burst"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["incident"]["grid_code"].as_str(), Some(grid.as_str()), "routed to the planted grid");
    }
    for query in ["/api/stats/hotspots", "/api/stats/hotspots?category=alarm"] {
        let (status, body) = app.get(query, Some(&leader)).await;
        assert_eq!(status, 200, "{body}");
        let warnings = body["warnings"].as_array().unwrap();
        let w = warnings
            .iter()
            .find(|w| w["code"] == grid.as_str())
            .unwrap_or_else(|| panic!("{query}: {grid} not flagged: {body}"));
        assert!(w["observed"].as_i64().unwrap() >= 25, "{w}");
        assert!(w["q_value"].as_f64().unwrap() <= 0.01, "{w}");
        let today = citygrid::stats::filter::day_of(chrono::Utc::now()).to_string();
        assert_eq!(w["since"], today.as_str(), "the burst began today: {w}");
        assert!(warnings.iter().all(|w| w["code"] != stable.as_str()), "{query}: the stable grid {stable} is flagged");
        assert_eq!(body["units"].as_u64(), Some(dataset::GRIDS as u64), "one unit per grid");
    }
    // Village level: the planted grid's village.
    let (_, body) = app.get("/api/stats/hotspots?level=village&category=alarm", Some(&leader)).await;
    assert!(body["warnings"].as_array().unwrap().iter().any(|w| w["code"] == grid[..12]), "{body}");
}

#[tokio::test]
async fn the_demo_s_planted_bursts_are_flagged_in_its_last_week() {
    let pool = common::demo_city().await;
    let until: chrono::DateTime<chrono::Utc> =
        chrono::DateTime::parse_from_rfc3339(dataset::GENERATED_UNTIL).unwrap().into();
    let window = Window::new(until - chrono::Duration::days(7), until).unwrap();
    let h = hotspots::hotspots(
        &pool,
        &Scope::City,
        citygrid_api::AdminLevel::Grid,
        window,
        &Filter::default(),
        surveillance::Method::DEFAULT,
    )
    .await
    .unwrap();
    for burst in dataset::BURSTS {
        // The burst's grid: where most cases of its category fall during it.
        let (from, to) = burst.span();
        let (grid, n): (String, i64) = sqlx::query_as(
            "select grid_code, count(*) from incidents where category = $1 \
               and reported_at >= to_timestamp($2) and reported_at < to_timestamp($3) \
             group by 1 order by 2 desc, 1 limit 1",
        )
        .bind(dataset::CATEGORIES[usize::from(burst.category)])
        .bind(from as f64)
        .bind(to as f64)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(n as f64 >= 0.5 * burst.cases as f64, "{burst:?}: at most {n} cases in one grid");
        let w = h.warnings.iter().find(|w| w.code == grid);
        assert!(w.is_some(), "{burst:?} in {grid} ({n} cases) is not flagged: {:?}", h.warnings);
    }
}

#[tokio::test]
async fn a_city_without_bursts_raises_no_more_false_alarms_than_the_method_allows() {
    // The demo city: 90 days of generated incidents; the weeks below end before the planted
    // bursts of its last days (`dataset::BURSTS`).
    let pool = common::demo_city().await;
    let mut runs = 0;
    let mut alarms = Vec::new();
    let first_burst = dataset::BURSTS.iter().map(|b| b.span().0).min().unwrap();
    for level in [citygrid_api::AdminLevel::Grid, citygrid_api::AdminLevel::Village] {
        for week in 0..7 {
            let from =
                chrono::DateTime::parse_from_rfc3339("2026-10-08T00:00:00+08:00").unwrap().with_timezone(&chrono::Utc)
                    + chrono::Duration::days(7 * week);
            let window = Window::new(from, from + chrono::Duration::days(7)).unwrap();
            assert!(window.to.timestamp() <= first_burst, "week {week} reaches a planted burst");
            let h = hotspots::hotspots(
                &pool,
                &Scope::City,
                level,
                window,
                &Filter::default(),
                surveillance::Method::DEFAULT,
            )
            .await
            .unwrap();
            runs += 1;
            alarms.extend(h.warnings.into_iter().map(|w| (w.code, w.observed, w.expected)));
        }
    }
    // Benjamini–Hochberg at q = 0.01: with no change anywhere, each run raises any alarm with
    // probability at most 0.01, so 14 runs expect at most 0.14 false alarms. Allow one.
    println!("{runs} runs, {} alarms: {alarms:?}", alarms.len());
    assert!(alarms.len() <= 1, "{runs} runs raised {} alarms: {alarms:?}", alarms.len());
}

#[tokio::test]
async fn bad_filters_are_400s_that_name_the_parameter_and_scope_applies() {
    let app = common::spawn_app().await;
    let leader = app.login("leader").await;
    for (query, field) in [
        ("/api/stats/summary?from=2026-11-31", "from"),
        ("/api/stats/summary?from=2026-11-10&to=2026-11-01", "from"),
        ("/api/stats/summary?from=2022-01-01&to=2026-01-01", "to"),
        ("/api/stats/summary?category=fire", "category"),
        ("/api/stats/summary?source=email", "source"),
        ("/api/stats/summary?level=county&code=320812001", "level"),
        ("/api/stats/summary?level=township", "code"),
        ("/api/stats/summary?code=3208", "code"),
        ("/api/stats/summary?format=xml", "format"),
        ("/api/stats/timeseries?interval=month", "interval"),
        ("/api/stats/timeseries?from=2026-11-01", "to"),
        ("/api/stats/hotspots?level=county", "level"),
        ("/api/stats/hotspots?from=2026-10-01&to=2026-11-30", "from"),
    ] {
        let (status, body) = app.get(query, Some(&leader)).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter", "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    let (status, body) = app.get("/api/stats/summary?code=320899999", Some(&leader)).await;
    assert_eq!(status, 404, "{body}");
    // Dispatchers and planners see no statistics.
    for user in ["dispatcher", "planner"] {
        let token = app.login(user).await;
        let (status, _) = app.get("/api/stats/summary", Some(&token)).await;
        assert_eq!(status, 403, "{user}");
    }
    // A county-scoped leader asking for the city gets their county; another county is 403.
    let counties: Vec<String> = sqlx::query_scalar("select code from admin_units where level = 'county' order by code")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let admin = app.login("admin").await;
    let (status, body) = app
        .post(
            "/api/users",
            Some(&admin),
            &serde_json::json!({"username": "county_leader", "password": common::DEMO_PASSWORD, "display_name": "县领导",
                                "role": "leader", "county_code": counties[0]}),
        )
        .await;
    assert!(status == 200 || status == 201, "{body}");
    let scoped = app.login("county_leader").await;
    let (status, body) = app.get("/api/stats/summary", Some(&scoped)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unit"]["code"], counties[0].as_str());
    let (_, county_body) = app.get(&format!("/api/stats/summary?code={}", counties[0]), Some(&leader)).await;
    assert_eq!(body["unit"]["incidents"], county_body["unit"]["incidents"]);
    let other: String =
        sqlx::query_scalar("select code from admin_units where level = 'township' and parent_code = $1 limit 1")
            .bind(&counties[1])
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let (status, body) = app.get(&format!("/api/stats/summary?code={other}"), Some(&scoped)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "outside_scope");
    let (_, body) = app.get("/api/stats/hotspots", Some(&scoped)).await;
    let in_county: i64 = sqlx::query_scalar("select count(*) from current_grids where code like $1 || '%'")
        .bind(&counties[0])
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(body["units"].as_i64(), Some(in_county));
}

#[tokio::test]
async fn hotspot_counts_equal_raw_counts_for_windows_cutting_days() {
    // Whole days come from the day rollup, the cut days from the raw rows: for windows and
    // baselines that start and end at odd times, with and without a filter, per grid and per
    // village, the counts equal a count over the raw incidents.
    let app = common::spawn_app().await;
    let pool = &app.pool;
    let last: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("select max(reported_at) from incidents").fetch_one(pool).await.unwrap();
    let cases: [(i64, i64, i64, Option<Vec<&str>>); 4] = [
        (0, 7 * 24, 28 * 24, None),
        (5 * 60 + 17, 2 * 24 * 60 + 7 * 60 + 3, 3 * 24 * 60 + 11 * 60 + 41, None),
        (13 * 60 + 2, 36 * 60 + 30, 47 * 60, Some(vec!["alarm.fire", "alarm.crowd", "dispute.family"])),
        (3 * 60, 50, 70, None),
    ];
    for (ends_before_min, window_min, baseline_min, cats) in cases {
        let to = last - chrono::Duration::minutes(ends_before_min) + chrono::Duration::seconds(1);
        let from = to - chrono::Duration::minutes(window_min);
        let baseline_from = from - chrono::Duration::minutes(baseline_min);
        for len in [15, 12] {
            let got: Vec<(String, i64, i64)> = sqlx::query_as(
                "select unit, recent, baseline from stats.hotspot_counts($1, '', $2, $3, $4, $5, null)
                 where recent + baseline > 0 order by unit",
            )
            .bind(len)
            .bind(baseline_from)
            .bind(from)
            .bind(to)
            .bind(&cats)
            .fetch_all(pool)
            .await
            .unwrap();
            let expected: Vec<(String, i64, i64)> = sqlx::query_as(
                "select left(grid_code, $1), count(*) filter (where reported_at >= $3), count(*) filter (where reported_at < $3)
                 from incidents
                 where status <> 'duplicate' and grid_code is not null and reported_at >= $2 and reported_at < $4
                   and ($5::text[] is null or category = any($5))
                 group by 1 order by 1",
            )
            .bind(len)
            .bind(baseline_from)
            .bind(from)
            .bind(to)
            .bind(&cats)
            .fetch_all(pool)
            .await
            .unwrap();
            assert!(!expected.is_empty(), "the window {from}..{to} holds incidents");
            assert_eq!(got, expected, "len {len}, baseline {baseline_from}, window {from}..{to}, {cats:?}");
        }
    }
}

/// `GET /api/stats/units`: every current unit of a random level inside the city or a unit,
/// for random windows and filters, against the definitions' SQL; zeros included; CSV the same
/// rows; errors and scope.
#[tokio::test]
async fn every_unit_of_a_level_equals_sql() {
    use rand::{Rng as _, SeedableRng as _};
    let app = common::spawn_app().await;
    let pool = &app.pool;
    let token = app.login("leader").await;
    let seed: u64 = rand::random();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let all_cats: Vec<&str> = citygrid_api::CATEGORIES.iter().map(|c| c.code).collect();
    let all_srcs: Vec<&str> = citygrid_api::SOURCES.iter().map(|s| s.code).collect();
    let alarms: Vec<&str> = all_cats.iter().copied().filter(|c| c.starts_with("alarm.")).collect();
    let filters: [FilterCase; 3] = [
        ("", None, None),
        ("&category=alarm", Some(alarms.clone()), None),
        (
            "&category=dispute.neighbor,citizen.environment&source=hotline,patrol",
            Some(vec!["dispute.neighbor", "citizen.environment"]),
            Some(vec!["hotline", "patrol"]),
        ),
    ];
    // The days the data covers (Asia/Shanghai), as days since 1970.
    let (first, last): (i32, i32) = sqlx::query_as(
        "select (min(reported_at at time zone 'Asia/Shanghai')::date - date '1970-01-01'),
                (max(reported_at at time zone 'Asia/Shanghai')::date - date '1970-01-01') from incidents",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let county = busiest(pool, 6, "").await;
    let township = busiest(pool, 9, &county).await;
    let levels: [(&str, i32); 4] = [("county", 6), ("township", 9), ("village", 12), ("grid", 15)];
    let day =
        |d: i32| (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(d.into())).to_string();
    let mut with_incidents = 0;
    for run in 0..6 {
        // Each level at least once; inside the city or a coarser unit.
        let (level, len) = levels[if run < 4 { run } else { rng.random_range(1..4) }];
        let within: &str = match rng.random_range(0..3) {
            1 if len > 6 => &county,
            2 if len > 9 => &township,
            _ => "",
        };
        let start = rng.random_range(first..=last);
        let days = rng.random_range(1..=120);
        let (from, to) = if rng.random_bool(0.3) {
            let (h0, h1) = (rng.random_range(0..24), rng.random_range(0..24));
            (format!("{}T{h0:02}:30:00+08:00", day(start)), format!("{}T{h1:02}:00:00+08:00", day(start + days)))
        } else {
            (format!("{}T00:00:00+08:00", day(start)), format!("{}T00:00:00+08:00", day(start + days)))
        };
        let (fq, cats, srcs) = &filters[rng.random_range(0..filters.len())];
        let code_q = if within.is_empty() { String::new() } else { format!("&code={within}") };
        let query =
            format!("/api/stats/units?level={level}&from={}&to={}{fq}{code_q}", urlencode(&from), urlencode(&to));
        let what = format!("seed {seed}: {query}");
        let before = chrono::Utc::now();
        let (status, body) = app.get(&query, Some(&token)).await;
        let after = chrono::Utc::now();
        assert_eq!(status, 200, "{what}: {body}");
        assert_eq!(body["within"], if within.is_empty() { "320800" } else { within }, "{what}");
        assert_eq!(body["level"], level, "{what}");
        // Every current unit of the level inside `within`, by code, zeros included.
        let expected: Vec<String> = if len == 15 {
            sqlx::query_scalar("select code from current_grids where code like $1 || '%' order by code")
                .bind(within)
                .fetch_all(pool)
                .await
                .unwrap()
        } else {
            sqlx::query_scalar("select code from admin_units where level = $1 and code like $2 || '%' order by code")
                .bind(level)
                .bind(within)
                .fetch_all(pool)
                .await
                .unwrap()
        };
        let units = body["units"].as_array().unwrap();
        let listed: Vec<&str> = units.iter().map(|u| u["code"].as_str().unwrap()).collect();
        assert_eq!(listed, expected, "{what}: the units");
        let o = oracle(pool, len, within, &from, &to, cats.as_deref(), srcs.as_deref()).await;
        let filter = (cats.as_deref(), srcs.as_deref());
        let od0 = overdue_at(pool, len, within, &from, &to, filter, before).await;
        let od1 = overdue_at(pool, len, within, &from, &to, filter, after).await;
        let cat_list = cats.clone().unwrap_or_else(|| all_cats.clone());
        let src_list = srcs.clone().unwrap_or_else(|| all_srcs.clone());
        for u in units {
            let code = u["code"].as_str().unwrap();
            assert_eq!(u["level"], level, "{what} {code}");
            let want = o.get(code).cloned().unwrap_or_default();
            let od = (od0.get(code).copied().unwrap_or(0), od1.get(code).copied().unwrap_or(0));
            assert_figures(&format!("{what} {code}"), u, &want, od, &cat_list, &src_list);
        }
        with_incidents += usize::from(o.values().any(|w| w.incidents > 0));
    }
    assert!(with_incidents >= 3, "seed {seed}: only {with_incidents} of 6 windows had incidents");

    // The CSV holds the same rows as the JSON.
    let q = format!("/api/stats/units?level=village&code={county}&from=2026-11-01&to=2026-12-01&category=alarm");
    let (_, json) = app.get(&q, Some(&token)).await;
    let (status, ct, text) = get_text(&app, &q, &token, Some("text/csv")).await;
    assert_eq!(status, 200, "{text}");
    assert!(ct.starts_with("text/csv"), "{ct}");
    let rows = parse_csv(&text);
    let units = json["units"].as_array().unwrap();
    assert_eq!(rows.len() - 1, units.len(), "a header and one row per village");
    for (row, unit) in rows[1..].iter().zip(units) {
        for (name, value) in rows[0].iter().zip(row) {
            let want = if let Some(c) = name.strip_prefix("category:") {
                csv_value(&unit["by_category"][c])
            } else if let Some(s) = name.strip_prefix("source:") {
                csv_value(&unit["by_source"][s])
            } else {
                csv_value(&unit[name])
            };
            match (value.parse::<f64>(), want.parse::<f64>()) {
                (Ok(a), Ok(b)) => assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{name}: {a} vs {b}"),
                _ => assert_eq!(value, &want, "{name}"),
            }
        }
    }
    let (_, _, by_param) = get_text(&app, &format!("{q}&format=csv"), &token, None).await;
    assert_eq!(by_param, text);

    // Errors name the parameter.
    let village = busiest(pool, 12, &township).await;
    for (query, field, status) in [
        ("/api/stats/units".to_owned(), "level", 400),
        ("/api/stats/units?level=city".to_owned(), "level", 400),
        (format!("/api/stats/units?level=township&code={township}"), "level", 400),
        (format!("/api/stats/units?level=village&code={village}"), "level", 400),
        ("/api/stats/units?level=grid&code=3208".to_owned(), "code", 400),
        ("/api/stats/units?level=grid&category=fire".to_owned(), "category", 400),
        ("/api/stats/units?level=grid&from=2026-11-10&to=2026-11-01".to_owned(), "from", 400),
        ("/api/stats/units?level=grid&format=xml".to_owned(), "format", 400),
        ("/api/stats/units?level=grid&code=320899999".to_owned(), "code", 404),
    ] {
        let (got, body) = app.get(&query, Some(&token)).await;
        assert_eq!(got, status, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
        if status == 400 {
            assert_eq!(body["error"]["code"], "invalid_parameter", "{query}: {body}");
        }
    }

    // A county-scoped leader gets their county's units only; another county is 403.
    let counties: Vec<String> = sqlx::query_scalar("select code from admin_units where level = 'county' order by code")
        .fetch_all(pool)
        .await
        .unwrap();
    let admin = app.login("admin").await;
    let (status, body) = app
        .post(
            "/api/users",
            Some(&admin),
            &serde_json::json!({"username": "units_leader", "password": common::DEMO_PASSWORD, "display_name": "县领导",
                                "role": "leader", "county_code": counties[1]}),
        )
        .await;
    assert!(status == 200 || status == 201, "{body}");
    let scoped = app.login("units_leader").await;
    let (status, body) = app.get("/api/stats/units?level=grid", Some(&scoped)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["within"], counties[1].as_str());
    let in_county: Vec<String> =
        sqlx::query_scalar("select code from current_grids where code like $1 || '%' order by code")
            .bind(&counties[1])
            .fetch_all(pool)
            .await
            .unwrap();
    let listed: Vec<&str> = body["units"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap()).collect();
    assert_eq!(listed, in_county);
    let (status, body) = app.get("/api/stats/units?level=county", Some(&scoped)).await;
    assert_eq!(status, 400, "a county holds no counties: {body}");
    let (status, body) = app.get(&format!("/api/stats/units?level=grid&code={}", counties[0]), Some(&scoped)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "outside_scope");
}

/// Every grid's figures (`/api/stats/units?level=grid`, from the grid facts and the raw
/// partial days) against the definitions' SQL, as loaded, after registering, a status change,
/// re-routing, a deletion and a rebuild; windows of whole months, of days and cutting days.
#[tokio::test]
async fn every_grid_follows_changes_and_a_rebuild() {
    let app = common::spawn_app().await;
    let pool = &app.pool;
    let token = app.login("leader").await;
    let dispatcher = app.login("dispatcher").await;
    let all_cats: Vec<&str> = citygrid_api::CATEGORIES.iter().map(|c| c.code).collect();
    let all_srcs: Vec<&str> = citygrid_api::SOURCES.iter().map(|s| s.code).collect();
    let alarms: Vec<&str> = all_cats.iter().copied().filter(|c| c.starts_with("alarm.")).collect();
    let filters: [FilterCase; 3] = [
        ("", None, None),
        ("&category=alarm", Some(alarms.clone()), None),
        (
            "&category=dispute.neighbor,alarm.fire&source=hotline,video",
            Some(vec!["dispute.neighbor", "alarm.fire"]),
            Some(vec!["hotline", "video"]),
        ),
    ];
    // The last Shanghai day with incidents: windows end the day after it, so that what is
    // registered now counts.
    let last: chrono::NaiveDate = sqlx::query_scalar(
        "select greatest(max(reported_at at time zone 'Asia/Shanghai')::date, (now() at time zone 'Asia/Shanghai')::date)
         from incidents",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let end = last + chrono::Duration::days(1);
    let windows = [
        // Whole months and days (the month of `end` and the days before it).
        (format!("{}T00:00:00+08:00", end - chrono::Duration::days(75)), format!("{end}T00:00:00+08:00")),
        // 28 days of whole days.
        (format!("{}T00:00:00+08:00", end - chrono::Duration::days(28)), format!("{end}T00:00:00+08:00")),
        // Cutting days at both ends.
        (
            format!("{}T07:30:00+08:00", end - chrono::Duration::days(40)),
            format!("{}T13:00:00+08:00", end - chrono::Duration::days(1)),
        ),
    ];
    let check = |when: &'static str| {
        let (app, token, windows, filters, all_cats, all_srcs) =
            (&app, &token, &windows, &filters, &all_cats, &all_srcs);
        async move {
            let mut seen = 0;
            for (from, to) in windows {
                for (fq, cats, srcs) in filters {
                    let query =
                        format!("/api/stats/units?level=grid&from={}&to={}{fq}", urlencode(from), urlencode(to));
                    let what = format!("{when}: {query}");
                    let before = chrono::Utc::now();
                    let (status, body) = app.get(&query, Some(token)).await;
                    let after = chrono::Utc::now();
                    assert_eq!(status, 200, "{what}: {body}");
                    let o = oracle(&app.pool, 15, "", from, to, cats.as_deref(), srcs.as_deref()).await;
                    let filter = (cats.as_deref(), srcs.as_deref());
                    let od0 = overdue_at(&app.pool, 15, "", from, to, filter, before).await;
                    let od1 = overdue_at(&app.pool, 15, "", from, to, filter, after).await;
                    let cat_list = cats.clone().unwrap_or_else(|| all_cats.clone());
                    let src_list = srcs.clone().unwrap_or_else(|| all_srcs.clone());
                    let units = body["units"].as_array().unwrap();
                    for u in units {
                        let code = u["code"].as_str().unwrap();
                        let want = o.get(code).cloned().unwrap_or_default();
                        let od = (od0.get(code).copied().unwrap_or(0), od1.get(code).copied().unwrap_or(0));
                        assert_figures(&format!("{what} {code}"), u, &want, od, &cat_list, &src_list);
                    }
                    // Every grid with incidents is listed (none is retired here).
                    for (code, w) in &o {
                        assert!(w.incidents == 0 || units.iter().any(|u| u["code"] == code.as_str()), "{what}: {code}");
                    }
                    seen += o.values().map(|w| w.incidents).sum::<i64>();
                }
            }
            assert!(seen > 0, "{when}: no window held incidents");
        }
    };
    check("as loaded").await;

    // Registering (now: a partial day of the window), then marking one a duplicate.
    let at = support::busy_point(pool).await;
    let kinds = [("alarm.fire", "video"), ("alarm.fire", "hotline"), ("dispute.neighbor", "hotline")];
    let ids = support::register(&app, &dispatcher, at, &kinds, "grid figures test").await;
    support::mark_duplicate(&app, &dispatcher, ids[1], ids[0]).await;
    check("after registering and marking a duplicate").await;

    // Status changes and escalations in bulk, re-routing to another county's grid, a new category.
    sqlx::query(
        "update incidents set status = 'resolved', resolved_at = reported_at + (id % 500) * interval '17 minutes'
         where id % 5 = 0 and status in ('new', 'assigned', 'accepted', 'in_progress')",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("update incidents set escalation_level = least(escalation_level + 1, 3) where id % 7 = 0")
        .execute(pool)
        .await
        .unwrap();
    support::reroute_across_counties(pool, 97).await;
    sqlx::query("update incidents set category = 'alarm.fire', source = 'video' where id % 83 = 0")
        .execute(pool)
        .await
        .unwrap();
    check("after status changes, escalations, re-routing and re-categorising").await;

    // Deletions (events first: they reference the incident).
    support::delete_incidents(pool, ids[2], 61).await;
    check("after deleting").await;

    citygrid::stats::rollups::rebuild(pool).await.unwrap();
    check("after a rebuild").await;
}
