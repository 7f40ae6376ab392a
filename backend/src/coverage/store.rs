//! Coverage in PostGIS: loading the model's inputs, and keeping the persisted coverage
//! (`building_coverage`, `coverage_grids`, `coverage_cameras`, migration `0040_coverage.sql`)
//! equal to what the model computes.
//!
//! **How it stays current.** `coverage_cameras` holds, per camera, the state the persisted
//! counts reflect. [`reconcile_camera`] brings one camera's row to its current `cameras` row in
//! the caller's transaction: it computes the old and the new covered sets (pure geometry, from
//! the footprints in memory), adds the difference to `building_coverage` and the resulting
//! covered/uncovered flips to `coverage_grids`, marks the blind spots around both positions for
//! recomputation and bumps the coverage layers' versions. The delta depends only on that
//! camera's two states, so concurrent edits of different cameras commute, on one backend or many.
//! The camera register calls it inside every edit; backends that see a `cameras` notification
//! call it for any camera still out of step (an edit made in SQL), so everything converges.
//! [`persist_all`] writes everything from scratch when the rule, `min_share` or the dataset
//! changed ([`rule_key`]).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::Context as _;
use sqlx::{PgConnection, PgPool, Row as _};

use super::model::{covered_sets, BuildingInput, CameraView, Counts, Footprints, Membership, Slot, Status, Work};
use super::sector::Sector;
use crate::dataset::Copier;
use crate::tiles::follow::bump;

/// The code that computes coverage: when it changes, persisted coverage is recomputed.
const RULE_SOURCES: [&str; 3] = [include_str!("sector.rs"), include_str!("occlusion.rs"), include_str!("model.rs")];
/// Advisory lock: shared by per-camera reconciles, exclusive for [`persist_all`].
const LOCK_ALL: i64 = 7_320_800_040;
/// Advisory lock class of one camera (`pg_advisory_xact_lock(class, id)`).
const LOCK_CAMERA: i32 = 7_320;
/// Advisory lock class of one grid's blind-spot computation.
const LOCK_BLIND_SPOTS: i32 = 7_321;
/// Uncovered footprints are grown by this much to make a grid's blind spots (metres).
pub const BLIND_SPOT_BUFFER_M: f64 = 10.0;
/// The map layers whose tiles show persisted coverage.
pub const LAYERS: [&str; 3] = ["coverage", "coverage_buildings", "coverage_grids"];

/// A digest of the code that computes coverage (part of [`rule_key`]).
#[must_use]
pub fn rule_version() -> String {
    use sha2::{Digest as _, Sha256};
    let mut h = Sha256::new();
    for source in RULE_SOURCES {
        h.update(source.as_bytes());
    }
    crate::accounts::hex(&h.finalize()[..8])
}

/// The value of `coverage_meta.rule` for this build, `min_share` and the loaded dataset.
pub async fn rule_key(pool: &PgPool, min_share: f64) -> anyhow::Result<String> {
    let hash: Option<String> =
        sqlx::query_scalar("select value from dataset_meta where key = 'content_hash'").fetch_optional(pool).await?;
    Ok(format!("rule={};min_share={min_share};dataset={}", rule_version(), hash.unwrap_or_default()))
}

/// The key the persisted coverage was computed with.
pub async fn persisted_key(pool: &PgPool) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar("select value from coverage_meta where key = 'rule'").fetch_optional(pool).await?)
}

/// Parses a WKB polygon (either byte order, ISO or EWKB) into rings of `[lon, lat]`.
fn parse_wkb_polygon(b: &[u8]) -> Option<Vec<Vec<[f64; 2]>>> {
    let little = *b.first()? == 1;
    let u32_at = |i: usize| -> Option<u32> {
        let s: [u8; 4] = b.get(i..i + 4)?.try_into().ok()?;
        Some(if little { u32::from_le_bytes(s) } else { u32::from_be_bytes(s) })
    };
    let f64_at = |i: usize| -> Option<f64> {
        let s: [u8; 8] = b.get(i..i + 8)?.try_into().ok()?;
        Some(if little { f64::from_le_bytes(s) } else { f64::from_be_bytes(s) })
    };
    let kind = u32_at(1)?;
    let mut at = 5;
    if kind & 0x2000_0000 != 0 {
        at += 4; // EWKB SRID
    }
    if kind & 0xff != 3 || kind & 0xC000_0000 != 0 {
        return None; // not a 2D polygon
    }
    let nrings = u32_at(at)? as usize;
    at += 4;
    let mut rings = Vec::with_capacity(nrings);
    for _ in 0..nrings {
        let n = u32_at(at)? as usize;
        at += 4;
        let mut ring = Vec::with_capacity(n);
        for _ in 0..n {
            ring.push([f64_at(at)?, f64_at(at + 8)?]);
            at += 16;
        }
        rings.push(ring);
    }
    Some(rings)
}

/// Every building footprint.
pub async fn load_footprints(pool: &PgPool) -> anyhow::Result<Footprints> {
    let rows = sqlx::query("select id, residents, st_asbinary(footprint) as wkb from buildings order by id")
        .fetch_all(pool)
        .await
        .context("loading building footprints")?;
    let mut inputs = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.get(0);
        let wkb: Vec<u8> = r.get(2);
        let rings = parse_wkb_polygon(&wkb).with_context(|| format!("building {id}: footprint is not a polygon"))?;
        inputs.push(BuildingInput { id, residents: r.get(1), rings });
    }
    Ok(Footprints::new(inputs))
}

/// Which grid each building belongs to.
pub async fn load_membership(pool: &PgPool, fp: &Footprints) -> anyhow::Result<Membership> {
    let rows: Vec<(i64, String)> = sqlx::query_as("select id, grid_code from buildings")
        .fetch_all(pool)
        .await
        .context("loading building grids")?;
    Ok(Membership::new(fp.len(), rows.into_iter().filter_map(|(id, g)| fp.index_of(id).map(|i| (i, g)))))
}

type CameraRow = (i64, String, f64, f64, f64, f64, f64);

fn camera_view(r: CameraRow) -> anyhow::Result<CameraView> {
    let (id, status, lon, lat, heading_deg, fov_deg, range_m) = r;
    let status = Status::parse(&status).with_context(|| format!("camera {id}: unknown status {status:?}"))?;
    Ok(CameraView { id, sector: Sector { lon, lat, heading_deg, fov_deg, range_m }, status })
}

const CAMERA_COLUMNS: &str = "id, status, st_x(geom), st_y(geom), heading_deg, fov_deg, range_m";

/// The cameras with these ids (all of them for `None`), as the model sees them.
pub async fn load_cameras(pool: &PgPool, ids: Option<&[i64]>) -> anyhow::Result<Vec<CameraView>> {
    let rows: Vec<CameraRow> = match ids {
        None => sqlx::query_as(&format!("select {CAMERA_COLUMNS} from cameras order by id")).fetch_all(pool).await,
        Some(ids) => {
            sqlx::query_as(&format!("select {CAMERA_COLUMNS} from cameras where id = any($1) order by id"))
                .bind(ids)
                .fetch_all(pool)
                .await
        }
    }
    .context("loading cameras")?;
    rows.into_iter().map(camera_view).collect()
}

/// A sector's outline as hex EWKB (SRID 4326), the form PostGIS parses fastest.
fn sector_ewkb_hex(s: &Sector) -> String {
    let ring = s.outline();
    let mut bytes = Vec::with_capacity(17 + ring.len() * 16);
    bytes.push(1u8);
    bytes.extend(0x2000_0003u32.to_le_bytes()); // polygon with SRID
    bytes.extend(4326u32.to_le_bytes());
    bytes.extend(1u32.to_le_bytes());
    bytes.extend((ring.len() as u32).to_le_bytes());
    for p in &ring {
        bytes.extend(p[0].to_le_bytes());
        bytes.extend(p[1].to_le_bytes());
    }
    let mut hex = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(hex, "{b:02X}");
    }
    hex
}

/// Recomputes `coverage_grids` rows from `building_coverage` for these grids (every current
/// grid for `None`), drops rows of grids that are no longer current, and marks their blind spots
/// for recomputation.
pub async fn refresh_grids(conn: &mut PgConnection, codes: Option<&[String]>) -> anyhow::Result<u64> {
    sqlx::query(
        "select 1 from coverage_grids where $1::text[] is null or grid_code = any($1) order by grid_code for update",
    )
    .bind(codes)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "delete from coverage_grids c where ($1::text[] is null or c.grid_code = any($1))
           and not exists (select 1 from current_grids g where g.code = c.grid_code)",
    )
    .bind(codes)
    .execute(&mut *conn)
    .await
    .context("dropping coverage of retired grids")?;
    let n = sqlx::query(
        "insert into coverage_grids (grid_code, grid_version, buildings, residents, covered_buildings,
                                     covered_residents, covered_buildings_occluded, covered_residents_occluded)
         select g.code, g.version, count(b.id), coalesce(sum(b.residents), 0),
                count(b.id) filter (where c.cameras > 0), coalesce(sum(b.residents) filter (where c.cameras > 0), 0),
                count(b.id) filter (where c.cameras_occluded > 0),
                coalesce(sum(b.residents) filter (where c.cameras_occluded > 0), 0)
         from current_grids g
         left join buildings b on b.grid_code = g.code
         left join building_coverage c on c.building_id = b.id
         where $1::text[] is null or g.code = any($1)
         group by g.code, g.version
         on conflict (grid_code) do update set
             grid_version = excluded.grid_version, buildings = excluded.buildings, residents = excluded.residents,
             covered_buildings = excluded.covered_buildings, covered_residents = excluded.covered_residents,
             covered_buildings_occluded = excluded.covered_buildings_occluded,
             covered_residents_occluded = excluded.covered_residents_occluded,
             blind_spots_dirty = coverage_grids.blind_spots_dirty + 1",
    )
    .bind(codes)
    .execute(&mut *conn)
    .await
    .context("recomputing grid coverage figures")?
    .rows_affected();
    bump(&mut *conn, &["coverage_grids"]).await.context("bumping layer versions")?;
    Ok(n)
}

/// Current grids whose figures are missing or were computed for another boundary version
/// (a committed boundary plan), and figures of grids that no longer exist.
pub async fn grids_out_of_step(pool: &PgPool) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "select g.code from current_grids g left join coverage_grids c on c.grid_code = g.code
         where c.grid_code is null or c.grid_version <> g.version
         union
         select c.grid_code from coverage_grids c where not exists (select 1 from current_grids g where g.code = c.grid_code)
         order by 1",
    )
    .fetch_all(pool)
    .await?)
}

/// Writes the whole persisted coverage from the model's cameras and counts (online cameras
/// only), in one transaction, unless another backend just did it for `key`. Returns whether it
/// wrote.
pub async fn persist_all(
    pool: &PgPool,
    key: &str,
    cameras: &[CameraView],
    counts: &[Counts],
    fp: &Footprints,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock($1)").bind(LOCK_ALL).execute(&mut *tx).await?;
    let current: Option<String> =
        sqlx::query_scalar("select value from coverage_meta where key = 'rule'").fetch_optional(&mut *tx).await?;
    if current.as_deref() == Some(key) {
        return Ok(false);
    }
    sqlx::query("set local synchronous_commit = off").execute(&mut *tx).await?;
    sqlx::query("truncate building_coverage, coverage_cameras").execute(&mut *tx).await?;
    sqlx::query("delete from coverage_grids").execute(&mut *tx).await?;
    let mut c =
        Copier::start(&mut tx, "COPY building_coverage (building_id, cameras, cameras_occluded) FROM STDIN").await?;
    for (i, n) in counts.iter().enumerate() {
        writeln!(c.text(), "{}\t{}\t{}", fp.ids[i], n[Slot::OnlineOpen as usize], n[Slot::OnlineOccluded as usize])?;
        c.row().await?;
    }
    c.finish().await?;
    let mut c = Copier::start(
        &mut tx,
        "COPY coverage_cameras (camera_id, status, lon, lat, heading_deg, fov_deg, range_m, sector) FROM STDIN",
    )
    .await?;
    for cam in cameras {
        let s = &cam.sector;
        writeln!(
            c.text(),
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            cam.id,
            cam.status.as_str(),
            s.lon,
            s.lat,
            s.heading_deg,
            s.fov_deg,
            s.range_m,
            sector_ewkb_hex(s)
        )?;
        c.row().await?;
    }
    c.finish().await?;
    refresh_grids(&mut tx, None).await?;
    sqlx::query(
        "insert into coverage_meta (key, value) values ('rule', $1) on conflict (key) do update set value = excluded.value",
    )
    .bind(key)
    .execute(&mut *tx)
    .await?;
    bump(&mut *tx, &LAYERS).await.context("bumping layer versions")?;
    tx.commit().await?;
    sqlx::query("analyze building_coverage, coverage_cameras, coverage_grids").execute(pool).await?;
    Ok(true)
}

/// Cameras whose `coverage_cameras` row differs from their `cameras` row (or is missing, or
/// belongs to a deleted camera).
pub async fn cameras_out_of_step(pool: &PgPool) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "select coalesce(c.id, s.camera_id) from cameras c
         full join coverage_cameras s on s.camera_id = c.id
         where c.id is null or s.camera_id is null
            or (c.status, st_x(c.geom), st_y(c.geom), c.heading_deg, c.fov_deg, c.range_m)
               is distinct from (s.status, s.lon, s.lat, s.heading_deg, s.fov_deg, s.range_m)
         order by 1",
    )
    .fetch_all(pool)
    .await?)
}

/// What one reconcile changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// The camera's row was out of step and has been brought up to date.
    pub changed: bool,
    /// Buildings that became covered / stopped being covered (without occlusion).
    pub newly_covered: i64,
    pub no_longer_covered: i64,
    /// Grids whose figures or blind spots the change touched.
    pub grids: Vec<String>,
}

async fn camera_state(conn: &mut PgConnection, sql: &str, id: i64) -> anyhow::Result<Option<CameraView>> {
    let row: Option<CameraRow> = sqlx::query_as(sql).bind(id).fetch_optional(&mut *conn).await?;
    row.map(camera_view).transpose()
}

/// Brings camera `id`'s persisted coverage to its current `cameras` row, in the caller's
/// transaction (see the module docs).
pub async fn reconcile_camera(
    conn: &mut PgConnection,
    fp: &Footprints,
    min_share: f64,
    id: i64,
) -> anyhow::Result<Reconciled> {
    sqlx::query("select pg_advisory_xact_lock_shared($1)").bind(LOCK_ALL).execute(&mut *conn).await?;
    sqlx::query("select pg_advisory_xact_lock($1, ($2 % 2147483647)::int)")
        .bind(LOCK_CAMERA)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let old = camera_state(
        conn,
        "select camera_id, status, lon, lat, heading_deg, fov_deg, range_m from coverage_cameras where camera_id = $1",
        id,
    )
    .await?;
    let new = camera_state(conn, &format!("select {CAMERA_COLUMNS} from cameras where id = $1"), id).await?;
    if old == new {
        return Ok(Reconciled::default());
    }

    // Count only what online cameras cover; planned ones live in memory for what-if figures.
    let mut work = Work::default();
    let mut delta: HashMap<u32, [i32; 2]> = HashMap::new();
    let mut near: Vec<u32> = Vec::new();
    for (cam, sign) in [(old, -1), (new, 1)] {
        let Some(cam) = cam.filter(|c| c.status == Status::Online) else { continue };
        let sets = covered_sets(fp, &cam, min_share, &mut work);
        for (k, set) in [(0, &sets.open), (1, &sets.occluded)] {
            for &b in set {
                delta.entry(b).or_default()[k] += sign;
            }
        }
        let mut around = Vec::new();
        fp.candidates_into(&cam.sector, BLIND_SPOT_BUFFER_M, &mut around);
        near.extend(around);
    }
    delta.retain(|_, d| *d != [0, 0]);
    let mut delta: Vec<(u32, [i32; 2])> = delta.into_iter().collect();
    delta.sort_unstable_by_key(|(b, _)| fp.ids[*b as usize]);
    let mut ids = Vec::with_capacity(delta.len());
    let (mut d0, mut d1) = (Vec::with_capacity(delta.len()), Vec::with_capacity(delta.len()));
    for (b, d) in &delta {
        ids.push(fp.ids[*b as usize]);
        d0.push(d[0]);
        d1.push(d[1]);
    }
    near.extend(delta.iter().map(|(b, _)| *b));
    near.sort_unstable();
    near.dedup();
    let near_ids: Vec<i64> = near.iter().map(|&b| fp.ids[b as usize]).collect();
    // Lock what this change writes in one global order (grids, then buildings, each by key), so
    // that concurrent edits of overlapping areas wait for each other instead of deadlocking.
    sqlx::query(
        "select 1 from coverage_grids where grid_code in (select grid_code from buildings where id = any($1))
         order by grid_code for update",
    )
    .bind(&near_ids)
    .execute(&mut *conn)
    .await?;
    sqlx::query("select 1 from building_coverage where building_id = any($1) order by building_id for update")
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    let flips: (i64, i64, i64) = sqlx::query_as(
        "with d(building_id, d0, d1) as (select * from unnest($1::bigint[], $2::int[], $3::int[])),
         u as (
             update building_coverage c
             set cameras = c.cameras + d.d0, cameras_occluded = c.cameras_occluded + d.d1
             from d where c.building_id = d.building_id
             returning c.building_id,
                       sign((c.cameras > 0)::int - (c.cameras - d.d0 > 0)::int) as f0,
                       sign((c.cameras_occluded > 0)::int - (c.cameras_occluded - d.d1 > 0)::int) as f1
         ),
         t as (
             select b.grid_code, sum(u.f0) as n0, sum(u.f0 * b.residents) as r0,
                    sum(u.f1) as n1, sum(u.f1 * b.residents) as r1
             from u join buildings b on b.id = u.building_id
             where u.f0 <> 0 or u.f1 <> 0
             group by b.grid_code
         ),
         g as (
             update coverage_grids cg
             set covered_buildings = cg.covered_buildings + t.n0, covered_residents = cg.covered_residents + t.r0,
                 covered_buildings_occluded = cg.covered_buildings_occluded + t.n1,
                 covered_residents_occluded = cg.covered_residents_occluded + t.r1
             from t where cg.grid_code = t.grid_code
             returning cg.grid_code
         )
         select (select count(*) from u where f0 > 0), (select count(*) from u where f0 < 0), (select count(*) from g)",
    )
    .bind(&ids)
    .bind(&d0)
    .bind(&d1)
    .fetch_one(&mut *conn)
    .await
    .context("applying a camera's coverage change")?;

    let grids: Vec<String> = sqlx::query_scalar(
        "update coverage_grids set blind_spots_dirty = blind_spots_dirty + 1
         where grid_code in (select distinct grid_code from buildings where id = any($1))
         returning grid_code",
    )
    .bind(&near_ids)
    .fetch_all(&mut *conn)
    .await
    .context("marking blind spots for recomputation")?;

    match new {
        Some(cam) => {
            let s = cam.sector;
            sqlx::query(
                "insert into coverage_cameras (camera_id, status, lon, lat, heading_deg, fov_deg, range_m, sector)
                 values ($1, $2, $3, $4, $5, $6, $7, $8::geometry)
                 on conflict (camera_id) do update set status = excluded.status, lon = excluded.lon, lat = excluded.lat,
                     heading_deg = excluded.heading_deg, fov_deg = excluded.fov_deg, range_m = excluded.range_m,
                     sector = excluded.sector",
            )
            .bind(id)
            .bind(cam.status.as_str())
            .bind(s.lon)
            .bind(s.lat)
            .bind(s.heading_deg)
            .bind(s.fov_deg)
            .bind(s.range_m)
            .bind(sector_ewkb_hex(&s))
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query("delete from coverage_cameras where camera_id = $1").bind(id).execute(&mut *conn).await?;
        }
    }
    let mut layers = vec!["coverage"];
    if flips.2 > 0 {
        layers.extend(["coverage_buildings", "coverage_grids"]);
    }
    bump(&mut *conn, &layers).await.context("bumping layer versions")?;
    let mut grids = grids;
    grids.sort_unstable();
    Ok(Reconciled { changed: true, newly_covered: flips.0, no_longer_covered: flips.1, grids })
}

/// The most common installed camera kind, with its median FOV and range: what a suggestion
/// places when the request names no camera type.
pub async fn typical_camera(pool: &PgPool) -> anyhow::Result<(String, f64, f64)> {
    let row: Option<(String, f64, f64)> = sqlx::query_as(
        "select kind, percentile_cont(0.5) within group (order by fov_deg),
                percentile_cont(0.5) within group (order by range_m)
         from cameras where status <> 'planned'
         group by kind order by count(*) desc, kind limit 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.unwrap_or_else(|| ("bullet".into(), 75.0, 85.0)))
}

/// The name of the township, village or grid with this code, if it exists.
pub async fn area_name(pool: &PgPool, code: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "select name from admin_units where code = $1 and level in ('township', 'village')
         union all select name from current_grids where code = $1",
    )
    .bind(code)
    .fetch_optional(pool)
    .await?)
}

/// Grids whose blind spots wait for recomputation (at most `limit`).
pub async fn stale_blind_spots(pool: &PgPool, limit: i64) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "select grid_code from coverage_grids where blind_spots_dirty <> blind_spots_done order by grid_code limit $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The blind spots of one grid as (without occlusion, with occlusion): the populated area no
/// camera sees — uncovered footprints grown by [`BLIND_SPOT_BUFFER_M`] and merged, minus the
/// sectors of online cameras, inside the grid — computed in UTM 50N (EPSG:32650). With
/// occlusion the uncovered footprints are those no camera sees enough of past the footprints in
/// front; the area subtracted is still the cameras' unobstructed sectors.
const BLIND_SPOTS: &str = "
    with g as (select geom, st_makevalid(st_transform(geom, 32650)) as u from current_grids where code = $1),
    blobs as (
        select st_union(st_buffer(st_transform(b.footprint, 32650), $2, 'quad_segs=2')) filter (where c.cameras = 0) as unoccluded,
               st_union(st_buffer(st_transform(b.footprint, 32650), $2, 'quad_segs=2')) filter (where c.cameras_occluded = 0) as occluded
        from buildings b join building_coverage c on c.building_id = b.id
        where b.grid_code = $1
    ),
    seen as (
        select st_union(st_transform(s.sector, 32650)) as u
        from coverage_cameras s, g
        where s.status = 'online' and s.sector && g.geom and st_intersects(s.sector, g.geom)
    ),
    spots as (
        select st_intersection(case when seen.u is null then blobs.unoccluded else st_difference(blobs.unoccluded, seen.u) end, g.u) as unoccluded,
               st_intersection(case when seen.u is null then blobs.occluded else st_difference(blobs.occluded, seen.u) end, g.u) as occluded
        from blobs, seen, g
    )
    select st_multi(st_collectionextract(st_transform(coalesce(unoccluded, 'SRID=32650;POLYGON EMPTY'::geometry), 4326), 3)) as unoccluded,
           st_multi(st_collectionextract(st_transform(coalesce(occluded, 'SRID=32650;POLYGON EMPTY'::geometry), 4326), 3)) as occluded
    from spots";

/// Recomputes one grid's blind spots unless another backend is doing it right now. Returns
/// whether it did.
pub async fn refresh_blind_spots(pool: &PgPool, code: &str) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    let mine: bool = sqlx::query_scalar("select pg_try_advisory_xact_lock($1, hashtext($2))")
        .bind(LOCK_BLIND_SPOTS)
        .bind(code)
        .fetch_one(&mut *tx)
        .await?;
    if !mine {
        return Ok(false);
    }
    let Some(dirty): Option<i64> =
        sqlx::query_scalar("select blind_spots_dirty from coverage_grids where grid_code = $1")
            .bind(code)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Ok(false);
    };
    let updated = sqlx::query(&format!(
        "with x as ({BLIND_SPOTS})
         update coverage_grids c set blind_spots = x.unoccluded, blind_spots_occluded = x.occluded,
             blind_spot_area_m2 = st_area(x.unoccluded::geography),
             blind_spot_area_occluded_m2 = st_area(x.occluded::geography),
             blind_spots_done = greatest(c.blind_spots_done, $3)
         from x where c.grid_code = $1"
    ))
    .bind(code)
    .bind(BLIND_SPOT_BUFFER_M)
    .bind(dirty)
    .execute(&mut *tx)
    .await
    .with_context(|| format!("computing the blind spots of grid {code}"))?
    .rows_affected();
    if updated == 0 {
        // Not a current grid (any more): nothing to compute.
        sqlx::query("update coverage_grids set blind_spots_done = greatest(blind_spots_done, $2) where grid_code = $1")
            .bind(code)
            .bind(dirty)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wkb_polygons_parse() {
        // POLYGON((0 0, 1 0, 1 1, 0 0)), little endian, ISO.
        let mut b = vec![1u8];
        b.extend(3u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        b.extend(4u32.to_le_bytes());
        for (x, y) in [(0.0f64, 0.0f64), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)] {
            b.extend(x.to_le_bytes());
            b.extend(y.to_le_bytes());
        }
        assert_eq!(parse_wkb_polygon(&b), Some(vec![vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]));
        assert_eq!(parse_wkb_polygon(&b[..20]), None, "truncated");
        let mut point = vec![1u8];
        point.extend(1u32.to_le_bytes());
        assert_eq!(parse_wkb_polygon(&point), None, "not a polygon");
    }

    #[test]
    fn sector_ewkb_round_trips() {
        let s = Sector { lon: 119.0, lat: 33.5, heading_deg: 10.0, fov_deg: 60.0, range_m: 50.0 };
        let hex = sector_ewkb_hex(&s);
        let bytes: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect();
        let rings = parse_wkb_polygon(&bytes).expect("a polygon");
        assert_eq!(rings, vec![s.outline()]);
    }
}
