//! Dataset tests against a real PostGIS: counts, partition validity, buildings in grids,
//! determinism of the content hash and the district repair. Expected counts are the generator's
//! own parameters (`dataset::GRIDS`, `Scale::incidents`…) or come from the source districts file,
//! never figures copied into the test.

mod common;

use citygrid::dataset::{self, LoadReport, Scale};
use common::load_options;
use sqlx::PgPool;

/// The demo-scale city, shared read-only by this file's tests (built once per run).
async fn demo() -> PgPool {
    common::demo_city().await
}

async fn scalar_f64(pool: &PgPool, sql: &str) -> f64 {
    sqlx::query_scalar::<_, f64>(sql).fetch_one(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn scalar_i64(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A generator parameter as the `count(*)` it must equal.
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The features of the source districts file (one per county).
fn districts() -> Vec<serde_json::Value> {
    let source: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(common::districts_path()).expect("districts file"))
            .expect("districts GeoJSON");
    source["features"].as_array().expect("features").clone()
}

#[tokio::test]
async fn demo_counts() {
    let pool = demo().await;
    assert_eq!(scalar_i64(&pool, "select count(*) from current_grids").await, count(dataset::GRIDS));
    assert_eq!(scalar_i64(&pool, "select count(*) from admin_units").await, count(dataset::TOTAL_NODES));
    assert_eq!(scalar_i64(&pool, "select count(*) from admin_units where level = 'city'").await, 1);
    assert_eq!(
        scalar_i64(&pool, "select count(*) from admin_units where level = 'county'").await,
        count(districts().len())
    );
    assert_eq!(
        scalar_i64(&pool, "select count(*) from admin_units where level = 'township'").await,
        count(dataset::TOWNSHIPS)
    );
    assert_eq!(scalar_i64(&pool, "select count(*) from cameras").await, count(dataset::CAMERAS));
    assert_eq!(scalar_i64(&pool, "select count(*) from mediators").await, count(dataset::MEDIATORS));
    assert_eq!(
        scalar_i64(&pool, "select count(*) from mediation_rooms").await,
        count(dataset::TOWNSHIPS + dataset::VILLAGE_MEDIATION_ROOMS)
    );
    assert!(scalar_i64(&pool, "select count(*) from buildings").await >= count(Scale::Demo.buildings()));
    // Residents follow floor area: within 10% of the real city's in proportion to the buildings.
    let residents = scalar_i64(&pool, "select sum(residents)::int8 from buildings").await;
    let target = Scale::Demo.residents_target();
    assert!((residents - target).abs() < target / 10, "{residents} residents for a target of {target}");
    // Floors are skewed: most urban blocks are low, few are towers.
    let low =
        scalar_f64(&pool, "select avg((floors <= 7)::int)::float8 from buildings where kind = 'residential'").await;
    let towers =
        scalar_f64(&pool, "select avg((floors > 18)::int)::float8 from buildings where kind = 'residential'").await;
    assert!(low > 0.6 && towers < 0.06, "residential blocks: {low} at 2–7 floors, {towers} above 18");
    assert_eq!(scalar_i64(&pool, "select count(*) from incidents").await, count(Scale::Demo.incidents()));
    assert!(
        scalar_i64(
            &pool,
            "select count(*) from grids g where not exists (select 1 from grid_workers w where w.grid_code = g.code)"
        )
        .await
            == 0
    );
    // Cameras lie in the grid they name.
    assert_eq!(
        scalar_i64(&pool, "select count(*) from cameras c join current_grids g on g.code = c.grid_code where not st_covers(g.geom, c.geom)").await,
        0
    );
    // Incidents lie in their grid.
    assert_eq!(
        scalar_i64(&pool, "select count(*) from incidents i join current_grids g on g.code = i.grid_code where not st_covers(g.geom, i.geom)").await,
        0
    );
    let meta = scalar_i64(&pool, "select count(*) from dataset_meta where key in ('scale', 'seed', 'generated_until', 'content_hash', 'loaded_at')").await;
    assert_eq!(meta, 5);
}

#[tokio::test]
async fn demo_partition_is_valid() {
    let pool = demo().await;
    let invalid = scalar_i64(
        &pool,
        "select (select count(*) from admin_units where not st_isvalid(geom)) \
              + (select count(*) from current_grids where not st_isvalid(geom))",
    )
    .await;
    assert_eq!(invalid, 0);
    let overlap = scalar_f64(
        &pool,
        "select coalesce(sum(st_area(st_intersection(a.geom, b.geom)::geography)), 0) \
         from current_grids a join current_grids b on a.code < b.code and a.geom && b.geom \
         and st_intersects(a.geom, b.geom)",
    )
    .await;
    assert!(overlap < 1.0, "grid overlaps {overlap} m²");
    let symdiff = scalar_f64(
        &pool,
        "select st_area(st_symdifference((select st_union(geom, 1e-7) from current_grids), \
           (select geom from admin_units where level = 'city'))::geography)",
    )
    .await;
    assert!(symdiff < 5.0, "grids vs city: {symdiff} m²");
    // The city itself is the repaired source: no holes (gaps) and the same area as the union of
    // the raw district polygons, up to the filled slivers (~0.05 km² of ~9,976 km²).
    let holes = scalar_i64(
        &pool,
        "select coalesce(sum(st_numinteriorrings(d.geom)), 0)::bigint
         from admin_units a, st_dump(a.geom) d where a.level = 'city'",
    )
    .await;
    assert_eq!(holes, 0, "the city boundary has gaps");
    let raw: Vec<String> = districts().iter().map(|f| f["geometry"].to_string()).collect();
    let raw_area: f64 = sqlx::query_scalar(
        "select st_area(st_union(st_makevalid(st_setsrid(st_geomfromgeojson(g), 4326)))::geography)
         from unnest($1::text[]) g",
    )
    .bind(&raw)
    .fetch_one(&pool)
    .await
    .expect("source area");
    let city_area = scalar_f64(&pool, "select st_area(geom::geography) from admin_units where level = 'city'").await;
    assert!((city_area - raw_area).abs() / raw_area < 1e-4, "city {city_area} m² vs source districts {raw_area} m²");
    let outside = scalar_f64(
        &pool,
        "select coalesce(max(st_area(st_difference(g.geom, v.geom)::geography)), 0) \
         from current_grids g join admin_units v on v.code = g.village_code",
    )
    .await;
    assert!(outside < 1.0, "grid outside its village: {outside} m²");
    let outside = scalar_f64(
        &pool,
        "select coalesce(max(st_area(st_difference(c.geom, p.geom)::geography)), 0) \
         from admin_units c join admin_units p on p.code = c.parent_code",
    )
    .await;
    assert!(outside < 1.0, "unit outside its parent: {outside} m²");
    // Grids are denser in the urban core than in rural Xuyi.
    let core =
        scalar_f64(&pool, "select avg(st_area(geom::geography)) from current_grids where code like '320812%'").await;
    let rural =
        scalar_f64(&pool, "select avg(st_area(geom::geography)) from current_grids where code like '320830%'").await;
    assert!(core * 5.0 < rural, "core {core} m², Xuyi {rural} m²");
    // Neighbouring grids (sharing an edge) rarely share a colour.
    let clashes = scalar_i64(
        &pool,
        "select count(*) from current_grids a join current_grids b on a.code < b.code and a.geom && b.geom \
         and st_relate(a.geom, b.geom, 'F***1****') and a.colour = b.colour",
    )
    .await;
    let pairs = scalar_i64(
        &pool,
        "select count(*) from current_grids a join current_grids b on a.code < b.code and a.geom && b.geom \
         and st_relate(a.geom, b.geom, 'F***1****')",
    )
    .await;
    // Kempe chain repairs give up on chains longer than `MAX_CHAIN`: the documented fallback
    // may leave a few clashes (6 of ~16,000 pairs in the tiny city), but at most 1% of pairs.
    assert!(clashes * 100 <= pairs, "{clashes} same-colour neighbours of {pairs} pairs");
}

#[tokio::test]
async fn demo_partition_closes() {
    let pool = demo().await;
    // The grids cover their union without holes (no gaps between district borders).
    let holes = scalar_i64(
        &pool,
        "select coalesce(sum(st_numinteriorrings(d.geom)), 0)::int8 \
         from (select (st_dump(st_union(geom))).geom from current_grids) d",
    )
    .await;
    assert_eq!(holes, 0, "holes in the union of the grids");
    // One part per district, and no unit or grid in several parts (no detached specks).
    let parts: Vec<(String, i32)> = sqlx::query_as(
        "select parent_code, st_numgeometries(st_union(geom)) from admin_units where level = 'township' \
         group by parent_code order by parent_code",
    )
    .fetch_all(&pool)
    .await
    .expect("parts per district");
    assert_eq!(parts.len(), districts().len());
    assert!(parts.iter().all(|(_, n)| *n == 1), "districts in several parts: {parts:?}");
    let multipart = scalar_i64(
        &pool,
        "select (select count(*) from admin_units where st_numgeometries(geom) > 1) \
              + (select count(*) from current_grids where st_numgeometries(geom) > 1)",
    )
    .await;
    assert_eq!(multipart, 0, "units or grids in several parts");
}

/// The lakes of the data file as one (multi)polygon expression over `$1` (their GeoJSON
/// geometries), cut to the city.
const LAKES: &str = "(select st_intersection(st_union(st_makevalid(st_setsrid(st_geomfromgeojson(g), 4326))), \
     (select geom from admin_units where level = 'city')) from unnest($1::text[]) g)";

fn lakes() -> Vec<String> {
    let path = common::districts_path().with_file_name("lakes.geojson");
    let source: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("lakes file")).expect("lakes GeoJSON");
    source["features"].as_array().expect("features").iter().map(|f| f["geometry"].to_string()).collect()
}

#[tokio::test]
async fn demo_lakes_are_water_grids_with_nothing_on_them() {
    let pool = demo().await;
    let lakes = lakes();
    assert!(!lakes.is_empty());
    let q = |sql: &'static str| {
        let lakes = lakes.clone();
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, f64>(&sql.replace("LAKES", LAKES))
                .bind(lakes)
                .fetch_one(&pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
    };
    // Water grids cover the lakes (all but the parts where a village border grazes a shore).
    let lake_area = q("select st_area(LAKES::geography)").await;
    let water_area = q("select st_area(st_intersection(LAKES, \
           (select st_union(geom) from current_grids g join grids k using (code) where k.kind = 'water'))::geography)")
    .await;
    assert!(lake_area > 1e9, "Hongze Lake alone is ~900 km² of the city: {lake_area} m²");
    assert!(water_area > 0.97 * lake_area, "water grids cover {water_area} of {lake_area} m² of lakes");
    // … and little land: a water grid is a village's part of a lake.
    let water_grids = scalar_f64(
        &pool,
        "select st_area(st_union(geom)::geography) from current_grids g join grids k using (code) where k.kind = 'water'",
    )
    .await;
    assert!(water_grids < 1.01 * water_area, "water grids {water_grids} m², of which on lakes {water_area} m²");
    // Nothing is generated on a lake.
    for (what, sql) in [
        ("buildings", "select count(*)::float8 from buildings where st_intersects(footprint, LAKES)"),
        ("cameras", "select count(*)::float8 from cameras where st_intersects(geom, LAKES)"),
        ("incidents", "select count(*)::float8 from incidents where st_intersects(geom, LAKES)"),
        (
            "content of water grids",
            "select ((select count(*) from buildings b join grids k on k.code = b.grid_code where k.kind = 'water') \
               + (select count(*) from incidents i join grids k on k.code = i.grid_code where k.kind = 'water'))::float8 \
             where $1 is not null",
        ),
    ] {
        let n = q(sql).await;
        assert!(n < 0.5, "{n} {what} on the lakes");
    }
    // Every water grid has its worker, like every grid.
    let without = scalar_i64(
        &pool,
        "select count(*) from grids k where k.kind = 'water' \
           and not exists (select 1 from grid_workers w where w.grid_code = k.code)",
    )
    .await;
    assert_eq!(without, 0);
}

#[tokio::test]
async fn demo_towns_have_streets_that_boundaries_buildings_and_cameras_follow() {
    let pool = demo().await;
    // The urban core, the district seats' towns and a market town in most townships, each with
    // streets inside it.
    let towns = scalar_i64(&pool, "select count(*) from towns").await;
    let townships = scalar_i64(&pool, "select count(*) from admin_units where level = 'township'").await;
    assert!(towns > townships / 2, "{towns} towns for {townships} townships");
    for (what, sql) in [
        ("towns without streets", "select count(*) from towns t where not exists (select 1 from streets s where s.town_key = t.key)"),
        (
            "streets outside their town",
            "select count(*) from streets s join towns t on t.key = s.town_key where not st_coveredby(s.geom, st_buffer(t.geom, 1e-6))",
        ),
        (
            "buildings on a street",
            "select count(*) from buildings b join streets s on b.footprint && s.geom and st_intersects(b.footprint, s.geom)",
        ),
    ] {
        assert_eq!(scalar_i64(&pool, sql).await, 0, "{what}");
    }
    // Inside the towns, grid boundaries run along the streets: the length of grid boundary
    // whose middle lies within 0.1 m of a street, of all grid boundary inside a town.
    let on_streets = scalar_f64(
        &pool,
        "with e as (select (st_dumpsegments(st_boundary(g.geom))).geom as s from current_grids g                     where exists (select 1 from towns t where t.geom && g.geom and st_intersects(t.geom, g.geom))),               m as (select s, st_length(s::geography) as len, st_lineinterpolatepoint(s, 0.5) as mid from e),               inside as (select * from m where exists (select 1 from towns t where t.geom && m.mid and st_contains(t.geom, m.mid)))          select sum(len) filter (where exists (select 1 from streets st where st.geom && st_expand(mid, 1e-6)                   and st_dwithin(st.geom, mid, 1e-6))) / sum(len) from inside",
    )
    .await;
    assert!(on_streets > 0.8, "{:.1}% of the grid boundaries in towns follow a street", on_streets * 100.0);
    // Road cameras of grids with streets stand beside a street, and most buildings there line one.
    let beside = |what: &'static str, table: &'static str, geom: &'static str, filter: &'static str, metres: f64| {
        let pool = pool.clone();
        async move {
            let sql = format!(
                "select avg((exists (select 1 from streets s where s.geom && st_expand(x.{geom}, 0.001)                    and st_dwithin(s.geom::geography, x.{geom}::geography, {metres})))::int)::float8                  from {table} x where {filter} and exists (select 1 from streets s join current_grids g                    on s.geom && g.geom and st_intersects(s.geom, g.geom) where g.code = x.grid_code)"
            );
            (what, scalar_f64(&pool, &sql).await)
        }
    };
    let (what, share) =
        beside("transport cameras within 10 m of a street", "cameras", "geom", "x.owner = 'transport'", 10.0).await;
    assert!(share > 0.95, "{what}: {share}");
    let (what, share) = beside("buildings within 150 m of a street", "buildings", "footprint", "true", 150.0).await;
    assert!(share > 0.75, "{what}: {share}");
}

#[tokio::test]
async fn demo_buildings_inside_their_grid() {
    let pool = demo().await;
    let not_within = scalar_i64(
        &pool,
        "select count(*) from buildings b join current_grids g on g.code = b.grid_code \
         where not st_within(b.footprint, g.geom)",
    )
    .await;
    assert_eq!(not_within, 0);
    let straddling = scalar_i64(
        &pool,
        "select count(*) from buildings b join current_grids g on b.footprint && g.geom \
         and g.code <> b.grid_code and st_intersects(b.footprint, g.geom)",
    )
    .await;
    assert_eq!(straddling, 0);
}

#[tokio::test]
async fn district_repair_gives_a_partition() {
    let pool = demo().await;
    let bad = scalar_i64(
        &pool,
        "select count(*) from admin_units where level = 'county' and (not st_isvalid(geom) or st_isempty(geom))",
    )
    .await;
    assert_eq!(bad, 0);
    let overlap = scalar_f64(
        &pool,
        "select coalesce(sum(st_area(st_intersection(a.geom, b.geom)::geography)), 0) \
         from admin_units a join admin_units b on a.level = 'county' and b.level = 'county' \
         and a.code < b.code and st_intersects(a.geom, b.geom)",
    )
    .await;
    assert!(overlap < 1.0, "district overlaps {overlap} m²");
    // Holes inside the city were filled.
    let holes = scalar_i64(
        &pool,
        "select coalesce(sum(st_numinteriorrings(d.geom)), 0)::int8 from (select (st_dump(geom)).geom \
         from admin_units where level = 'city') d",
    )
    .await;
    assert_eq!(holes, 0);
}

/// Loads the tiny city from `seed` into a database of its own (dropped on return); returns the
/// report and the content hash recomputed from the loaded data.
async fn tiny(seed: u64) -> (LoadReport, String) {
    let db = common::fresh_database("tiny").await;
    let report = dataset::load(&db.pool, &load_options(Scale::Tiny, seed)).await.expect("load tiny");
    let again = dataset::content_hash(&db.pool).await.expect("hash");
    assert!(dataset::load(&db.pool, &load_options(Scale::Tiny, seed)).await.is_err(), "second load must fail");
    (report, again)
}

#[tokio::test]
async fn content_hash_is_deterministic() {
    let (a, ha) = tiny(7).await;
    eprintln!("{a}");
    assert_eq!(a.content_hash, ha, "stored hash equals recomputed hash");
    assert!(a.count("buildings") >= Scale::Tiny.buildings() as u64);
    assert_eq!(a.count("incidents"), Scale::Tiny.incidents() as u64);
    let (b, _) = tiny(7).await;
    assert_eq!(a.content_hash, b.content_hash);
    let (c, _) = tiny(8).await;
    assert_ne!(a.content_hash, c.content_hash);
    // The repair report lists all districts and the known overlaps moved area.
    assert_eq!(a.repairs.len(), districts().len());
    let moved =
        |code: &str| a.repairs.iter().find(|r| r.adcode == code).map_or(0.0, |r| r.moved_in_m2 + r.moved_out_m2);
    assert!(moved("320813") + moved("320830") > 100.0, "Hongze/Xuyi");
    assert!(moved("320826") + moved("320804") > 100.0, "Lianshui/Huaiyin");
}

/// The end of the generated period, as the loaded city records it.
async fn generated_until(pool: &PgPool) -> chrono::DateTime<chrono::Utc> {
    sqlx::query_scalar("select value::timestamptz from dataset_meta where key = 'generated_until'")
        .fetch_one(pool)
        .await
        .expect("generated_until")
}

/// Open incidents the escalation rule finds overdue at `at` (what a pass then escalates).
async fn overdue_at(pool: &PgPool, at: chrono::DateTime<chrono::Utc>) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from incidents i where {}", citygrid::incidents::due_sql()))
        .bind(at)
        .fetch_one(pool)
        .await
        .expect("overdue")
}

#[tokio::test]
async fn demo_levels_follow_the_sla() {
    let pool = demo().await;
    let until = generated_until(&pool).await;
    // At the period's end no open incident is overdue: the first escalation pass after the
    // load has nothing to do (it escalated 14,007 when levels were drawn at random).
    assert_eq!(overdue_at(&pool, until).await, 0);
    // Yet levels are not all zero: open cases older than their level's time have escalated.
    let open_escalated = scalar_i64(
        &pool,
        "select count(*) from incidents where status in ('new', 'assigned', 'accepted', 'in_progress') \
         and escalation_level > 0",
    )
    .await;
    assert!(open_escalated > 100, "{open_escalated} open escalated incidents");
    assert_eq!(scalar_i64(&pool, "select count(*) from incidents where level_since is null").await, 0);
    // Each escalation happened exactly at its level's deadline (the level's start plus the SLA
    // hours of the level it left), and a resolved case was resolved before its last level's
    // deadline (no escalation was skipped).
    let off_deadline = scalar_i64(
        &pool,
        "select count(*) from (
             select e.at, e.from_level, i.category, i.priority,
                    coalesce(lag(e.at) over (partition by e.incident_id order by e.at, e.id), i.reported_at) as since
             from incident_events e join incidents i on i.id = e.incident_id where e.action = 'escalate') x
         join escalation_sla s on s.category = x.category and s.priority = x.priority and s.level = x.from_level
         where abs(extract(epoch from x.at - x.since) - s.hours * 3600) >= 1",
    )
    .await;
    assert_eq!(off_deadline, 0, "escalations off their deadline");
    let skipped = scalar_i64(
        &pool,
        "select count(*) from incidents i join escalation_sla s
             on s.category = i.category and s.priority = i.priority and s.level = i.escalation_level
         where i.resolved_at is not null and i.level_since + make_interval(secs => s.hours * 3600) < i.resolved_at",
    )
    .await;
    assert_eq!(skipped, 0, "resolved after a deadline without escalating");
    let level_since_wrong = scalar_i64(
        &pool,
        "select count(*) from incidents i
         where i.level_since <> coalesce((select max(e.at) from incident_events e
                                          where e.incident_id = i.id and e.action = 'escalate'), i.reported_at)",
    )
    .await;
    assert_eq!(level_since_wrong, 0);
}

#[tokio::test]
async fn tiny_city_first_escalation_pass_has_nothing_to_do() {
    let db = common::test_city().await;
    let until = generated_until(&db.pool).await;
    let escalated = citygrid::incidents::escalate_due(&db.pool, until, 1000).await.expect("escalation pass");
    assert_eq!(escalated, 0, "the pass at the period's end escalated {escalated}");
    // A day later deadlines have passed, and the same pass escalates them.
    let later = citygrid::incidents::escalate_due(&db.pool, until + chrono::Duration::days(1), 1000)
        .await
        .expect("escalation pass");
    assert!(later > 0, "nothing overdue a day later");
}

#[tokio::test]
async fn demo_events_tell_each_case() {
    let pool = demo().await;
    let until = generated_until(&pool).await;
    assert_eq!(
        scalar_i64(
            &pool,
            "select count(*) from incidents i where not exists (select 1 from incident_events e where e.incident_id = i.id)"
        )
        .await,
        0,
        "cases without events"
    );
    // Walk every case's events in timeline order (as the Dispatch page lists them).
    let bad: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "with e as (
             select e.*, row_number() over w as n, lead(e.id) over w is null as last,
                    lag(e.to_status) over w as prev_status, lag(e.to_level) over w as prev_level,
                    lag(e.at) over w as prev_at
             from incident_events e window w as (partition by e.incident_id order by e.at, e.id))
         select
             count(*) filter (where n = 1 and (action <> 'report' or at <> i.reported_at or from_status is not null
                                                or to_status <> 'new' or to_level <> 0)),
             count(*) filter (where n > 1 and (from_status is distinct from prev_status
                                                or from_level is distinct from prev_level or at < prev_at)),
             count(*) filter (where last and (to_status <> i.status or to_level <> i.escalation_level
                                              or at <> i.updated_at)),
             count(*) filter (where at > $1),
             count(*) filter (where (action = 'resolve' and at <> i.resolved_at) or (action = 'close' and at <> i.closed_at)
                                    or (last and i.status = 'closed' and action <> 'close')
                                    or (last and i.status = 'duplicate' and action <> 'mark_duplicate')),
             count(*) filter (where action in ('accept', 'start') and on_behalf_of is distinct from i.assignee
                                    or on_behalf_of is not null and action not in ('accept', 'start')
                                    or action in ('accept', 'start') and on_behalf_of is null),
             count(*) filter (where action in ('resolve', 'close') and note is null)
         from e join incidents i on i.id = e.incident_id",
    )
    .bind(until)
    .fetch_one(&pool)
    .await
    .expect("events walk");
    assert_eq!(bad, (0, 0, 0, 0, 0, 0, 0), "first, chain, last, after the end, timestamps, workers, notes");
    // Every step is one the state machine allows, with the status it leads to.
    let steps: Vec<(String, String, String, i16, i16)> = sqlx::query_as(
        "select distinct action, from_status, to_status, from_level, to_level from incident_events
         where action <> 'report' order by 1, 2, 3, 4, 5",
    )
    .fetch_all(&pool)
    .await
    .expect("steps");
    for (action, from, to, from_level, to_level) in &steps {
        assert!(citygrid::incidents::ACTIONS.contains(&action.as_str()), "{action}");
        assert_eq!(
            citygrid::incidents::next_status(from, *from_level, action),
            Some(to.as_str()),
            "{action} from {from}"
        );
        let step = i16::from(action == "escalate");
        assert_eq!(*to_level, from_level + step, "{action} from level {from_level}");
    }
    let mut actions: Vec<&str> = steps.iter().map(|s| s.0.as_str()).collect();
    actions.dedup();
    assert_eq!(actions, ["accept", "assign", "close", "escalate", "mark_duplicate", "resolve", "start"]);
    // The escalation events count the levels.
    let mismatched = scalar_i64(
        &pool,
        "select count(*) from incidents i where i.escalation_level <>
             (select count(*) from incident_events e where e.incident_id = i.id and e.action = 'escalate')",
    )
    .await;
    assert_eq!(mismatched, 0);
}

#[tokio::test]
async fn demo_handling_time_depends_on_category_and_priority() {
    let pool = demo().await;
    let rows: Vec<(String, i16, f64, i64)> = sqlx::query_as(
        "select category, priority,
                percentile_cont(0.5) within group (order by extract(epoch from resolved_at - reported_at)::float8),
                count(*)
         from incidents where resolved_at is not null group by 1, 2",
    )
    .fetch_all(&pool)
    .await
    .expect("medians");
    let rows: Vec<(usize, usize, f64)> = rows
        .into_iter()
        .filter(|r| r.3 >= 300)
        .map(|(c, p, m, _)| {
            let c = dataset::CATEGORIES.iter().position(|x| *x == c).expect("a generated category");
            (c, p as usize - 1, m)
        })
        .collect();
    assert!(rows.len() >= dataset::CATEGORIES.len(), "{rows:?}");
    let documented = |c: usize, p: usize| dataset::HANDLING_HOURS[c] * dataset::PRIORITY_FACTOR[p];
    // The measured medians are ordered as the table's whenever it puts them a third apart:
    // within a category across priorities, and across categories.
    let mut pairs = 0;
    for a in &rows {
        for b in &rows {
            if documented(a.0, a.1) * 1.3 <= documented(b.0, b.1) {
                pairs += 1;
                assert!(
                    a.2 < b.2,
                    "{} p{} median {} s, {} p{} median {} s",
                    dataset::CATEGORIES[a.0],
                    a.1 + 1,
                    a.2,
                    dataset::CATEGORIES[b.0],
                    b.1 + 1,
                    b.2
                );
            }
        }
    }
    assert!(pairs > 100, "{pairs} pairs compared");
    // Priorities of one category differ.
    assert!(rows.iter().any(|a| rows.iter().any(|b| a.0 == b.0 && a.1 < b.1)), "{rows:?}");
}

#[tokio::test]
async fn demo_incidents_are_younger_than_their_grid() {
    let pool = demo().await;
    let older = scalar_i64(
        &pool,
        "select count(*) from incidents i join grid_versions v on v.grid_code = i.grid_code
         where v.valid_from > i.reported_at
           and v.version = (select min(version) from grid_versions w where w.grid_code = i.grid_code)",
    )
    .await;
    assert_eq!(older, 0);
    // At full scale too: the versions start at least a full history before the period's end.
    let until = generated_until(&pool).await;
    let first: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("select max(valid_from) from grid_versions where version = 1")
            .fetch_one(&pool)
            .await
            .expect("versions");
    assert!(first + chrono::Duration::days(i64::from(Scale::Full.days())) <= until, "versions from {first}");
}
