//! Helpers shared by the statistics tests (heat, rollups, stats): data the tiny city lacks.
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use sqlx::PgPool;

use crate::common::TestApp;

/// Gives the tiny city (one week of incidents) a history: copies of 3% of its incidents 40 and
/// 75 days and one calendar year earlier, in one bulk statement, so windows cross months and a
/// year ago has data.
pub async fn add_history(pool: &PgPool) {
    sqlx::query(
        "insert into incidents (category, source, priority, status, escalation_level, description, reported_at,
                                resolved_at, closed_at, grid_code, geom)
         select category, source, priority, status, escalation_level, description, reported_at - d.shift,
                resolved_at - d.shift, closed_at - d.shift, grid_code, geom
         from incidents, (values (interval '40 days'), (interval '75 days'), (interval '1 year')) d (shift)
         where status <> 'duplicate' and id % 33 = 0",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// A point of the city with incidents in the last week (the centre of the busiest grid).
pub async fn busy_point(pool: &PgPool) -> (f64, f64) {
    sqlx::query_as(
        "select st_x(c), st_y(c) from (
             select st_centroid(st_collect(geom)) as c from incidents
             where grid_code = (select grid_code from incidents group by grid_code order by count(*) desc, grid_code limit 1)
         ) t",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Registers one incident per `(category, source)` at `(lon, lat)` through the API as `token`;
/// their ids, in that order.
pub async fn register(
    app: &TestApp,
    token: &str,
    (lon, lat): (f64, f64),
    kinds: &[(&str, &str)],
    description: &str,
) -> Vec<i64> {
    let mut ids = Vec::new();
    for (category, source) in kinds {
        let (status, body) = app
            .post(
                "/api/incidents",
                Some(token),
                &serde_json::json!({"lon": lon, "lat": lat, "category": category, "source": source,
                                    "description": description}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["incident"]["id"].as_i64().unwrap_or_else(|| body["id"].as_i64().unwrap()));
    }
    ids
}

/// Marks incident `id` a duplicate of `of` through the API as `token`.
pub async fn mark_duplicate(app: &TestApp, token: &str, id: i64, of: i64) {
    let (status, body) = app
        .post(
            &format!("/api/incidents/{id}/transitions"),
            Some(token),
            &serde_json::json!({"action": "mark_duplicate", "duplicate_of": of}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Moves every incident whose id is a multiple of `every` to the first grid of another county,
/// in one statement (as a boundary plan re-routes).
pub async fn reroute_across_counties(pool: &PgPool, every: i64) {
    sqlx::query(
        "update incidents set grid_code = (select code from grids where left(code, 6) <> left(incidents.grid_code, 6)
                                           order by code limit 1)
         where id % $1 = 0",
    )
    .bind(every)
    .execute(pool)
    .await
    .unwrap();
}

/// Deletes incident `id` and every incident whose id is a multiple of `every`: their events
/// first (they reference the incident), the duplicates of them unlinked.
pub async fn delete_incidents(pool: &PgPool, id: i64, every: i64) {
    for sql in [
        "delete from incident_events where incident_id = $1 or incident_id % $2 = 0",
        "update incidents set duplicate_of = null where duplicate_of = $1 or duplicate_of % $2 = 0",
        "delete from incidents where id = $1 or id % $2 = 0",
    ] {
        sqlx::query(sql).bind(id).bind(every).execute(pool).await.unwrap();
    }
}
