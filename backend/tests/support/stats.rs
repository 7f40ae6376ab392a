//! Helpers shared by the statistics tests (heat, rollups, stats): data the tiny city lacks.
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use sqlx::PgPool;

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
