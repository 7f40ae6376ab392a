//! `cargo xtask bench stats`: the statistics endpoints through the backend (rollups plus raw
//! edges) against the naive computation of the same figures from the raw incidents, run in
//! PostgreSQL through a prepared statement on a warm cache, in the same run.
//!
//! Needs `DATABASE_URL` (a loaded city).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::time::{Duration, Instant};

use chrono::NaiveDate;

const ROUNDS: usize = 10;
const NAIVE_ROUNDS: usize = 3;

/// The naive summary: every figure per child straight from the raw rows.
const NAIVE_SUMMARY: &str = "
    select left(i.grid_code, $1) as code, count(*),
           count(*) filter (where i.status in ('resolved', 'closed')),
           count(*) filter (where i.escalation_level >= 1),
           count(*) filter (where i.status in ('resolved', 'closed') and i.escalation_level <= 1),
           count(*) filter (where i.status in ('resolved', 'closed') and i.escalation_level = 2),
           count(*) filter (where i.status in ('resolved', 'closed') and i.escalation_level = 3),
           percentile_disc(0.5) within group (order by i.resolved_at - i.reported_at) filter (where i.status in ('resolved', 'closed')),
           percentile_disc(0.9) within group (order by i.resolved_at - i.reported_at) filter (where i.status in ('resolved', 'closed'))
    from incidents i
    where i.status <> 'duplicate' and i.grid_code >= $2 and i.grid_code < $2 || '~'
      and i.reported_at >= $3 and i.reported_at < $4
      and ($5::text[] is null or split_part(i.category, '.', 1) = any($5))
    group by 1";

/// The naive hotspot counts: recent and baseline per grid from the raw rows.
const NAIVE_COUNTS: &str = "
    select left(grid_code, 15), count(*) filter (where reported_at >= $2), count(*) filter (where reported_at < $2)
    from incidents where reported_at >= $1 and reported_at < $3 and status <> 'duplicate' and grid_code is not null
    group by 1";

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

/// A benchmark case: what, the backend path, and the naive SQL's (child code length, parent
/// prefix, window start, category families or all) when it has one.
type Case = (String, String, Option<(i32, String, NaiveDate, Option<Vec<&'static str>>)>);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let pool = citygrid::db::connect(&url, 8).await?;
    let engine = citygrid::routing::sync::start(&pool).await?;
    let common::Backend { base, client, token } = common::serve(&pool, engine, "http://127.0.0.1:9", "leader").await?;
    let until: String =
        sqlx::query_scalar("select value from dataset_meta where key = 'generated_until'").fetch_one(&pool).await?;
    let end = NaiveDate::parse_from_str(&until[..10], "%Y-%m-%d")?;
    let year = end - chrono::Duration::days(365);
    let month = end - chrono::Duration::days(28);
    let county: String =
        sqlx::query_scalar("select code from admin_units where level = 'county' order by code limit 1")
            .fetch_one(&pool)
            .await?;
    let township: String =
        sqlx::query_scalar("select code from admin_units where parent_code = $1 order by code limit 1")
            .bind(&county)
            .fetch_one(&pool)
            .await?;

    println!("\nstatistics through the backend vs the naive SQL over the raw incidents (prepared, warm)");
    println!("| request | backend p50 / p95 ms | naive p50 ms | speed-up |");
    println!("| --- | --- | --- | --- |");
    let cases: Vec<Case> = vec![
        (
            "city summary, one year".into(),
            format!("/api/stats/summary?from={year}&to={end}"),
            Some((6, String::new(), year, None)),
        ),
        (
            "city summary, one year, alarms".into(),
            format!("/api/stats/summary?from={year}&to={end}&category=alarm"),
            None,
        ),
        (
            format!("county {county} summary, one year"),
            format!("/api/stats/summary?code={county}&from={year}&to={end}"),
            Some((9, county.clone(), year, None)),
        ),
        (
            format!("township {township} summary, 28 days"),
            format!("/api/stats/summary?code={township}&from={month}&to={end}"),
            Some((12, township.clone(), month, None)),
        ),
        (
            "every grid, 28 days, disputes and alarms".into(),
            format!("/api/stats/units?level=grid&from={month}&to={end}&category=dispute,alarm"),
            Some((15, String::new(), month, Some(vec!["dispute", "alarm"]))),
        ),
        (
            "every grid, one year, disputes and alarms".into(),
            format!("/api/stats/units?level=grid&from={year}&to={end}&category=dispute,alarm"),
            Some((15, String::new(), year, Some(vec!["dispute", "alarm"]))),
        ),
        (
            "every grid, one year".into(),
            format!("/api/stats/units?level=grid&from={year}&to={end}"),
            Some((15, String::new(), year, None)),
        ),
        ("city time series, one year, daily".into(), format!("/api/stats/timeseries?from={year}&to={end}"), None),
        ("hotspots, grids, last 7 days".into(), format!("/api/stats/hotspots?to={end}"), None),
        ("hotspots, villages, last 7 days".into(), format!("/api/stats/hotspots?level=village&to={end}"), None),
    ];
    for (name, path, naive) in cases {
        let get = || async {
            let t = Instant::now();
            let res = client.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            res.bytes().await.unwrap();
            t.elapsed()
        };
        get().await;
        let mut lat = Vec::new();
        for _ in 0..ROUNDS {
            lat.push(get().await);
        }
        lat.sort_unstable();
        let naive_ms = match naive {
            Some((len, prefix, from, families)) => {
                let mut conn = pool.acquire().await?;
                let mut t = Vec::new();
                for round in 0..=NAIVE_ROUNDS {
                    let started = Instant::now();
                    let rows = sqlx::query(NAIVE_SUMMARY)
                        .bind(len)
                        .bind(&prefix)
                        .bind(citygrid::stats::filter::midnight(from))
                        .bind(citygrid::stats::filter::midnight(end))
                        .bind(&families)
                        .fetch_all(&mut *conn)
                        .await?;
                    assert!(!rows.is_empty());
                    if round > 0 {
                        t.push(started.elapsed());
                    }
                }
                t.sort_unstable();
                Some(pct(&t, 0.5))
            }
            None if path.contains("hotspots") => {
                let to = citygrid::stats::filter::midnight(end);
                let mut conn = pool.acquire().await?;
                let mut t = Vec::new();
                for round in 0..=NAIVE_ROUNDS {
                    let started = Instant::now();
                    sqlx::query(NAIVE_COUNTS)
                        .bind(to - chrono::Duration::days(35))
                        .bind(to - chrono::Duration::days(7))
                        .bind(to)
                        .fetch_all(&mut *conn)
                        .await?;
                    if round > 0 {
                        t.push(started.elapsed());
                    }
                }
                t.sort_unstable();
                Some(pct(&t, 0.5))
            }
            None => None,
        };
        let p50 = pct(&lat, 0.5);
        println!(
            "| {name} | {p50:.1} / {:.1} | {} | {} |",
            pct(&lat, 0.95),
            naive_ms.map_or("—".into(), |n| format!("{n:.1}")),
            naive_ms.map_or("—".into(), |n| format!("{:.1}×", n / p50)),
        );
    }
    Ok(())
}
