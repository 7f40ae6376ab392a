//! The rollups (heat cells, the unit cube, incidents per day and grid, residents per unit) against oracles written here:
//! after every kind of change — bulk inserts, registration, duplicates, re-routing, moves,
//! re-categorisation, escalation, deletion, buildings changing grid — every rollup row equals
//! SQL over the raw rows (with this file's own cell numbering and handling-time bins), and a
//! rebuild from scratch gives identical tables.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;
#[path = "support/stats.rs"]
mod support;

use citygrid_api::{CATEGORIES, SOURCES};
use sqlx::PgPool;

// ---------------------------------------------------------------------------------------------
// The oracle: rollup contents from the raw incidents, with ST_Transform and a bit loop for the
// Morton code (the migration uses Mercator formulas and a lookup table).
// ---------------------------------------------------------------------------------------------

/// Raw facts as the definition says: non-duplicates, at the Asia/Shanghai day of the report,
/// in the county of the grid, with (i, j) of level `lvl` and the test's own Morton code `q`.
const ORACLE_CELLS: &str = "
    create temp table oracle_cells on commit drop as
    with raw as (
        select coalesce(left(i.grid_code, 6), '') as county, st_x(m) as x, st_y(m) as y,
               (i.reported_at at time zone 'Asia/Shanghai')::date as day,
               (array_position($1::text[], i.category) - 1) * 5 + array_position($2::text[], i.source) - 1 as pair
        from incidents i, st_transform(i.geom, 3857) m
        where i.status <> 'duplicate'
    ), cells as (
        select r.*, l.lvl,
               floor((r.x + 20037508.342789244) / (40075016.685578488 / 2 ^ l.lvl))::bigint as i,
               floor((20037508.342789244 - r.y) / (40075016.685578488 / 2 ^ l.lvl))::bigint as j
        from raw r, (values (13), (15), (17), (19)) l (lvl)
    )
    select c.lvl, c.county, c.day, c.pair,
           (select sum(((c.i >> b) & 1) << (2 * b)) + sum(((c.j >> b) & 1) << (2 * b + 1))
            from generate_series(0, 24) b)::bigint as q
    from cells c";

/// Asserts that both rollup tables hold exactly what the raw incidents say.
async fn assert_rollups_match_raw(pool: &PgPool, when: &str) {
    let cats: Vec<&str> = CATEGORIES.iter().map(|c| c.code).collect();
    let srcs: Vec<&str> = SOURCES.iter().map(|s| s.code).collect();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(ORACLE_CELLS).bind(&cats).bind(&srcs).execute(&mut *tx).await.unwrap();
    // Coarse: (lvl, monthly, start, q, county) → total and the 65 pair counts.
    let coarse: (i64, i64) = sqlx::query_as(
        "with periods as (
             select lvl, false as monthly, day as start, q, county, pair from oracle_cells where lvl in (13, 15)
             union all
             select lvl, true, date_trunc('month', day::timestamp)::date, q, county, pair from oracle_cells
             where lvl in (13, 15)
         ), per_pair as (
             select lvl, monthly, start, q, county, pair, count(*)::integer as n from periods group by 1, 2, 3, 4, 5, 6
         ), expected as (
             select g.lvl::smallint, g.monthly, g.start, g.q, g.county, sum(coalesce(p.n, 0))::integer as total,
                    array_agg(coalesce(p.n, 0) order by k) as counts
             from (select distinct lvl, monthly, start, q, county from per_pair) g
             cross join generate_series(0, 64) k
             left join per_pair p on (p.lvl, p.monthly, p.start, p.q, p.county, p.pair) = (g.lvl, g.monthly, g.start, g.q, g.county, k)
             group by 1, 2, 3, 4, 5
         )
         select (select count(*) from (select * from expected except select lvl, monthly, start, q, county, total, counts
                                        from stats.heat_coarse) a),
                (select count(*) from (select lvl, monthly, start, q, county, total, counts from stats.heat_coarse
                                        except select * from expected) b)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(coarse, (0, 0), "{when}: coarse rollup rows missing / unexpected");
    let fine: (i64, i64, i64) = sqlx::query_as(
        "with periods as (
             select lvl, false as monthly, day as start, q, county, pair from oracle_cells where lvl in (17, 19)
             union all
             select lvl, true, date_trunc('month', day::timestamp)::date, q, county, pair from oracle_cells
             where lvl in (17, 19)
         ), expected as (
             select lvl::smallint, monthly, start, (pair + 1)::smallint as key, q, county, count(*)::integer as n
             from periods group by 1, 2, 3, 4, 5, 6
             union all
             select lvl::smallint, monthly, start, 0::smallint, q, county, count(*)::integer from periods
             where lvl = 17 group by 1, 2, 3, 4, 5, 6
         )
         select (select count(*) from (select * from expected except select lvl, monthly, start, key, q, county, n
                                        from stats.heat_fine) a),
                (select count(*) from (select lvl, monthly, start, key, q, county, n from stats.heat_fine
                                        except select * from expected) b),
                (select count(*) from expected)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!((fine.0, fine.1), (0, 0), "{when}: fine rollup rows missing / unexpected");
    assert!(fine.2 > 0, "{when}: the oracle found no incidents at all");
    tx.rollback().await.unwrap();
}

/// Asserts that the unit cube and the population hold exactly what the raw rows say.
async fn assert_cube_matches_raw(pool: &PgPool, when: &str) {
    let cats: Vec<&str> = CATEGORIES.iter().map(|c| c.code).collect();
    let srcs: Vec<&str> = SOURCES.iter().map(|s| s.code).collect();
    let (missing, unexpected): (i64, i64) = sqlx::query_as(
        "with raw as (
             select left(grid_code, 6) as county, left(grid_code, 9) as township,
                    (reported_at at time zone 'Asia/Shanghai')::date as day,
                    ((array_position($1::text[], category) - 1) * 5 + array_position($2::text[], source) - 1)::smallint as pair,
                    escalation_level, status in ('resolved', 'closed') as done,
                    -- The bins by their definition: bin b ≥ 1 holds [2^((b-1)/3), 2^(b/3)) minutes.
                    (select count(*) from generate_series(0, 59) k
                     where 60 * power(2::float8, k / 3.0::float8) <= extract(epoch from resolved_at - reported_at))::integer as bin
             from incidents where status <> 'duplicate' and grid_code is not null
         ), units as (
             select 6 as level, false as monthly, day as start, county as code, raw.* from raw
             union all select 6, true, date_trunc('month', day::timestamp)::date, county, raw.* from raw
             union all select 9, true, date_trunc('month', day::timestamp)::date, township, raw.* from raw
         ), groups as (
             select level::smallint, monthly, start, code, pair, count(*)::integer as n,
                    count(*) filter (where escalation_level >= 1)::integer as escalated
             from units group by 1, 2, 3, 4, 5
         ), by_level as (
             select level::smallint, monthly, start, code, pair, escalation_level as l, count(*)::integer as n
             from units where done group by 1, 2, 3, 4, 5, 6
         ), by_bin as (
             select level::smallint, monthly, start, code, pair, bin as b, count(*)::integer as n
             from units where done group by 1, 2, 3, 4, 5, 6
         ), resolved as (
             select g.level, g.monthly, g.start, g.code, g.pair, array_agg(coalesce(x.n, 0) order by k) as resolved
             from groups g cross join generate_series(0, 3) k
             left join by_level x on (x.level, x.monthly, x.start, x.code, x.pair, x.l) = (g.level, g.monthly, g.start, g.code, g.pair, k)
             group by 1, 2, 3, 4, 5
         ), hist as (
             select g.level, g.monthly, g.start, g.code, g.pair, array_agg(coalesce(x.n, 0) order by k) as hist
             from groups g cross join generate_series(0, 60) k
             left join by_bin x on (x.level, x.monthly, x.start, x.code, x.pair, x.b) = (g.level, g.monthly, g.start, g.code, g.pair, k)
             group by 1, 2, 3, 4, 5
         ), expected as (
             select g.level, g.monthly, g.start, g.code, g.pair, g.n, g.escalated, r.resolved, h.hist
             from groups g join resolved r using (level, monthly, start, code, pair) join hist h using (level, monthly, start, code, pair)
         )
         select (select count(*) from (select * from expected except
                                        select level, monthly, start, code, pair, n, escalated, resolved, hist from stats.unit_cube) a),
                (select count(*) from (select level, monthly, start, code, pair, n, escalated, resolved, hist from stats.unit_cube
                                        except select * from expected) b)",
    )
    .bind(&cats)
    .bind(&srcs)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((missing, unexpected), (0, 0), "{when}: unit cube rows missing / unexpected");
    let population: (i64, i64) = sqlx::query_as(
        "with expected as (
             select left(grid_code, l) as code, sum(residents)::bigint as residents, sum(households)::bigint as households,
                    count(*)::bigint as buildings
             from buildings, (values (6), (9), (12), (15)) v (l) group by 1
         )
         select (select count(*) from (select * from expected except select * from stats.population) a),
                (select count(*) from (select * from stats.population except select * from expected) b)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(population, (0, 0), "{when}: population rows missing / unexpected");
    let grid_days: (i64, i64) = sqlx::query_as(
        "with expected as (
             select (reported_at at time zone 'Asia/Shanghai')::date as day, grid_code, count(*)::integer as n
             from incidents where status <> 'duplicate' and grid_code is not null group by 1, 2
         )
         select (select count(*) from (select * from expected except select day, grid_code, n from stats.grid_days) a),
                (select count(*) from (select day, grid_code, n from stats.grid_days except select * from expected) b)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(grid_days, (0, 0), "{when}: grid day rows missing / unexpected");
    let grid_facts: (i64, i64, i64) = sqlx::query_as(
        "with raw as (
             select grid_code, (reported_at at time zone 'Asia/Shanghai')::date as day,
                    ((array_position($1::text[], category) - 1) * 5 + array_position($2::text[], source) - 1)::smallint as pair,
                    escalation_level, status in ('resolved', 'closed') as done,
                    (select count(*) from generate_series(0, 59) k
                     where 60 * power(2::float8, k / 3.0::float8) <= extract(epoch from resolved_at - reported_at))::smallint as bin
             from incidents where status <> 'duplicate' and grid_code is not null
         ), periods as (
             select false as monthly, day as start, raw.* from raw
             union all select true, date_trunc('month', day::timestamp)::date, raw.* from raw
         ), expected as (
             select monthly, start, grid_code, pair,
                    (case when done then escalation_level else -1 end)::smallint as res_level,
                    (case when done then bin else -1 end)::smallint as bin,
                    count(*)::integer as n, count(*) filter (where escalation_level >= 1)::integer as escalated
             from periods group by 1, 2, 3, 4, 5, 6
         )
         select (select count(*) from (select * from expected except select * from (select g.monthly, g.start, g.grid_code, (u.k / 310)::smallint, ((u.k / 62) % 5 - 1)::smallint,
                                               (u.k % 62 - 1)::smallint, u.n, u.e
                                        from stats.grid_packs g, unnest(g.keys, g.n, g.escalated) u (k, n, e)) s) a),
                (select count(*) from (select * from (select g.monthly, g.start, g.grid_code, (u.k / 310)::smallint, ((u.k / 62) % 5 - 1)::smallint,
                                               (u.k % 62 - 1)::smallint, u.n, u.e
                                        from stats.grid_packs g, unnest(g.keys, g.n, g.escalated) u (k, n, e)) s except select * from expected) b),
                (select count(*) from expected where res_level >= 0)
                -- Every pack holds keys, sorted and distinct, and no zero count.
                + (select count(*) * 1000000 from stats.grid_packs
                   where cardinality(keys) = 0 or 0 = any(n)
                      or keys <> array(select distinct k from unnest(keys) k order by k))",
    )
    .bind(&cats)
    .bind(&srcs)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((grid_facts.0, grid_facts.1), (0, 0), "{when}: grid facts missing / unexpected in the packs");
    assert!(grid_facts.2 > 0 && grid_facts.2 < 1_000_000, "{when}: no resolved incidents, or a malformed pack");
}

async fn assert_all_match_raw(pool: &PgPool, when: &str) {
    assert_rollups_match_raw(pool, when).await;
    assert_cube_matches_raw(pool, when).await;
}

#[tokio::test]
async fn rollups_follow_every_change_and_a_rebuild_gives_identical_tables() {
    let app = common::spawn_app().await;
    let pool = &app.pool;
    assert_all_match_raw(pool, "as loaded").await;
    support::add_history(pool).await;
    assert_all_match_raw(pool, "after a bulk insert of history").await;

    // Registration through the API, then a duplicate of it.
    let token = app.login("dispatcher").await;
    let at = support::busy_point(pool).await;
    let kinds = [("alarm.fire", "video"), ("alarm.fire", "hotline"), ("dispute.labor", "walk_in")];
    let ids = support::register(&app, &token, at, &kinds, "heat test").await;
    assert_all_match_raw(pool, "after registering").await;
    support::mark_duplicate(&app, &token, ids[1], ids[0]).await;
    assert_all_match_raw(pool, "after marking a duplicate").await;

    // Re-routing to a grid of another county (as a boundary plan does, in one statement), a
    // move of the point, a change of category and source, and a status change that the heat
    // does not count (the rows must not move).
    support::reroute_across_counties(pool, 97).await;
    sqlx::query("update incidents set geom = st_translate(geom, 0.003, -0.002) where id % 89 = 0")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("update incidents set category = 'citizen.safety', source = 'patrol' where id % 83 = 0")
        .execute(pool)
        .await
        .unwrap();
    let before: i64 = sqlx::query_scalar("select coalesce(sum(seq), 0)::bigint from stats.heat_changes")
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query("update incidents set escalation_level = least(escalation_level + 1, 3) where id % 7 = 0")
        .execute(pool)
        .await
        .unwrap();
    let after: i64 = sqlx::query_scalar("select coalesce(sum(seq), 0)::bigint from stats.heat_changes")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(before, after, "an escalation changes no heat count, so no token");
    assert_all_match_raw(pool, "after re-routing, moving and re-categorising").await;

    // Buildings moving to another grid (a boundary plan reassigns them), and one demolished.
    sqlx::query(
        "update buildings set grid_code = (select code from grids where code <> buildings.grid_code order by code limit 1)
         where id % 101 = 0",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("delete from buildings where id = (select min(id) from buildings)").execute(pool).await.unwrap();

    // Deletions (the events go first: they reference the incident), one and many.
    support::delete_incidents(pool, ids[2], 61).await;
    assert_all_match_raw(pool, "after deleting").await;

    // A rebuild from scratch gives the same rows.
    let snapshot = |pool: PgPool| async move {
        let mut tables = Vec::new();
        for table in citygrid::stats::rollups::TABLES {
            let rows: Vec<String> = sqlx::query_scalar(&format!("select t::text from {table} t order by t::text"))
                .fetch_all(&pool)
                .await
                .unwrap();
            tables.push(rows);
        }
        tables
    };
    let maintained = snapshot(pool.clone()).await;
    let version: i64 = sqlx::query_scalar("select version from layer_versions where layer = 'incidents_heat'")
        .fetch_one(pool)
        .await
        .unwrap();
    let report = citygrid::stats::rollups::rebuild(pool).await.unwrap();
    assert!(report.rows.iter().all(|(_, n)| *n > 0), "{report}");
    assert_eq!(snapshot(pool.clone()).await, maintained, "rebuilt rollups differ from the maintained ones");
    let bumped: i64 = sqlx::query_scalar("select version from layer_versions where layer = 'incidents_heat'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(bumped, version + 1, "a rebuild bumps the layer version");
}

/// The bulk-load path (`dataset-load`): incidents written with the rollup triggers off, then one
/// rebuild. The rebuilt tables equal the raw counts by themselves (not only the maintained
/// tables), keep their keys and the z14 index, and the triggers then keep them current.
#[tokio::test]
async fn a_rebuild_after_a_load_without_triggers_equals_the_raw_counts() {
    const TRIGGERS: &str = "incidents_heat_insert, incidents_units_insert, incidents_grid_days_insert";
    let app = common::spawn_app().await;
    let pool = &app.pool;
    sqlx::query(&format!("alter table incidents disable trigger {}", TRIGGERS.replace(", ", ", disable trigger ")))
        .execute(pool)
        .await
        .unwrap();
    support::add_history(pool).await;
    sqlx::query(&format!("alter table incidents enable trigger {}", TRIGGERS.replace(", ", ", enable trigger ")))
        .execute(pool)
        .await
        .unwrap();
    let stale: i64 = sqlx::query_scalar(
        "select (select count(*) from incidents where status <> 'duplicate')
                - (select coalesce(sum(n), 0) from stats.heat_fine where lvl = 19 and not monthly)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(stale > 0, "the load without triggers left the rollups behind");

    let report = citygrid::stats::rollups::rebuild(pool).await.unwrap();
    assert!(report.rows.iter().all(|(_, n)| *n > 0), "{report}");
    assert_all_match_raw(pool, "after a rebuild").await;
    let indexes: Vec<String> = sqlx::query_scalar(
        "select indexname::text from pg_indexes where schemaname = 'stats' and tablename in ('heat_fine', 'heat_coarse')
         order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(indexes, ["heat_coarse_pkey", "heat_fine_19_cells_idx", "heat_fine_pkey"]);

    // The triggers upsert into the rebuilt tables (through their keys) and delete what falls to zero.
    sqlx::query("update incidents set category = 'alarm.fire', source = 'video' where id % 13 = 0")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into incidents (category, source, priority, status, description, reported_at, grid_code, geom)
         select 'dispute.land', 'wechat', priority, 'new', description, reported_at, grid_code, geom
         from incidents where id % 29 = 0",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("update incidents set status = 'duplicate' where id % 31 = 0 and status <> 'duplicate'")
        .execute(pool)
        .await
        .unwrap();
    assert_all_match_raw(pool, "after changes following a rebuild").await;
}
