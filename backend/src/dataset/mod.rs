//! The Huai'an dataset: districts repair, the deterministic generator and the COPY loader.
//!
//! [`load`] repairs the seven districts into a partition (PostGIS overlay on a 1e-7° grid),
//! derives townships, villages and grids by density-weighted Voronoi partitions (closed: no holes,
//! no unit in several parts, see `closing`), then generates
//! buildings, cameras, people and incidents in Rust and COPYs them in, all in one transaction.
//! Everything depends only on (seed, scale): random streams are keyed by (seed, tag, code).

mod closing;
mod content;
mod districts;
mod geom;
mod hierarchy;
mod incidents;
mod names;
mod streets;
mod water;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgCopyIn;
use sqlx::{PgConnection, PgPool, Row};

pub use content::{CAMERAS, MEDIATORS, TOTAL_RESIDENTS, VILLAGE_MEDIATION_ROOMS};
use geom::Density;
use hierarchy::Level;
pub use incidents::{Burst, BURSTS, CATS as CATEGORIES, HANDLING_HOURS, PRIORITY_FACTOR};

/// Fixed instant for versions and creation stamps (determinism: never `now()`): the start of
/// the longest incident history (`Scale::Full`, a year before [`GENERATED_UNTIL`]), so no
/// incident is older than its grid's first version (a unit test checks the constants).
pub const FIXED_START: &str = "2025-12-01T00:00:00+08:00";
/// End of the generated incident period.
pub const GENERATED_UNTIL: &str = "2026-12-01T00:00:00+08:00";

/// Admin units of every level (the city, its counties, townships and villages).
pub const TOTAL_NODES: usize = 1_798;
/// Townships of the city.
pub const TOWNSHIPS: usize = 104;
/// Grids of the city (at every scale).
pub const GRIDS: usize = 5_565;

/// Dataset size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Tiny,
    Demo,
    Full,
}

impl Scale {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tiny => "tiny",
            Self::Demo => "demo",
            Self::Full => "full",
        }
    }
    /// Nominal building count (the generator aims a few percent above it).
    #[must_use]
    pub fn buildings(self) -> usize {
        match self {
            Self::Tiny => 20_000,
            Self::Demo => 200_000,
            Self::Full => 1_000_000,
        }
    }
    /// Residents the buildings of this scale should house: the real city's
    /// [`TOTAL_RESIDENTS`] in proportion to the nominal building count.
    #[must_use]
    pub fn residents_target(self) -> i64 {
        TOTAL_RESIDENTS * self.buildings() as i64 / Self::Full.buildings() as i64
    }
    /// Days of incident history.
    #[must_use]
    pub fn days(self) -> u32 {
        match self {
            Self::Tiny => 7,
            Self::Demo => 90,
            Self::Full => 365,
        }
    }
    /// Generated incidents (duplicates included): exactly this many.
    #[must_use]
    pub fn incidents(self) -> usize {
        incidents::count_for_days(self.days())
    }
}

impl FromStr for Scale {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "tiny" => Ok(Self::Tiny),
            "demo" => Ok(Self::Demo),
            "full" => Ok(Self::Full),
            other => anyhow::bail!("unknown scale {other:?} (expected tiny, demo or full)"),
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub scale: Scale,
    pub seed: u64,
    pub districts_path: std::path::PathBuf,
    /// Show indicatif progress bars on stderr.
    pub progress: bool,
}

/// What the district repair changed for one district.
#[derive(Debug, Clone)]
pub struct DistrictRepair {
    pub adcode: String,
    pub name: String,
    /// Area after ST_MakeValid, before overlaps and gaps were resolved.
    pub area_before_m2: f64,
    pub area_after_m2: f64,
    /// Area gained (gaps filled, overlaps won).
    pub moved_in_m2: f64,
    /// Area given away (overlaps lost).
    pub moved_out_m2: f64,
}

#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub scale: String,
    pub seed: u64,
    /// Rows per table, in load order.
    pub counts: Vec<(&'static str, u64)>,
    /// Seconds per phase, in order.
    pub phases: Vec<(&'static str, f64)>,
    pub total_seconds: f64,
    pub content_hash: String,
    pub repairs: Vec<DistrictRepair>,
}

impl LoadReport {
    /// Row count of a table (0 when unknown).
    #[must_use]
    pub fn count(&self, table: &str) -> u64 {
        self.counts.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n)
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Huai'an dataset: scale {}, seed {}", self.scale, self.seed)?;
        writeln!(f, "rows:")?;
        for (t, n) in &self.counts {
            writeln!(f, "  {t:<18} {n:>10}")?;
        }
        writeln!(f, "district repair (m²):")?;
        for r in &self.repairs {
            writeln!(
                f,
                "  {} {:<6} before {:>16.0} after {:>16.0} moved in {:>10.1} moved out {:>10.1}",
                r.adcode, r.name, r.area_before_m2, r.area_after_m2, r.moved_in_m2, r.moved_out_m2
            )?;
        }
        writeln!(f, "timings:")?;
        for (p, s) in &self.phases {
            writeln!(f, "  {p:<18} {s:>8.2} s")?;
        }
        writeln!(f, "  {:<18} {:>8.2} s", "total", self.total_seconds)?;
        write!(f, "content hash: {}", self.content_hash)
    }
}

/// Buffers COPY text rows and sends them in ~1 MiB chunks.
pub(crate) struct Copier<'c> {
    copy: PgCopyIn<&'c mut PgConnection>,
    buf: Vec<u8>,
}

impl<'c> Copier<'c> {
    pub(crate) async fn start(conn: &'c mut PgConnection, statement: &str) -> anyhow::Result<Self> {
        let copy = conn.copy_in_raw(statement).await.with_context(|| statement.to_owned())?;
        Ok(Self { copy, buf: Vec::with_capacity(1 << 21) })
    }
    pub(crate) fn text(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
    pub(crate) async fn row(&mut self) -> anyhow::Result<()> {
        if self.buf.len() >= 1 << 20 {
            self.copy.send(std::mem::take(&mut self.buf)).await?;
            self.buf = Vec::with_capacity(1 << 21);
        }
        Ok(())
    }
    pub(crate) async fn finish(mut self) -> anyhow::Result<u64> {
        if !self.buf.is_empty() {
            self.copy.send(std::mem::take(&mut self.buf)).await?;
        }
        Ok(self.copy.finish().await?)
    }
}

/// A table's foreign keys and secondary indexes, dropped for a bulk COPY, and its
/// statement-level insert triggers, disabled meanwhile: building an index once after the COPY
/// is several times cheaper than maintaining it row by row, a foreign key re-added afterwards is
/// validated in one join instead of one trigger call per row, and what the statement triggers
/// maintain (the rollups of `incidents`) is rebuilt once from the loaded rows by the caller.
/// Row triggers (a row's derived columns) stay on.
pub(crate) struct Detached {
    table: &'static str,
    fks: Vec<(String, String)>,
    indexes: Vec<(String, String)>,
    triggers: Vec<String>,
}

impl Detached {
    pub(crate) async fn drop(conn: &mut PgConnection, table: &'static str) -> anyhow::Result<Self> {
        let fks: Vec<(String, String)> = sqlx::query_as(
            "select conname::text, pg_get_constraintdef(oid) from pg_constraint \
             where conrelid = $1::regclass and contype = 'f' order by conname",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        for (name, _) in &fks {
            sqlx::query(&format!("alter table {table} drop constraint {name}")).execute(&mut *conn).await?;
        }
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) from pg_index i \
             where i.indrelid = $1::regclass and not i.indisprimary order by 1",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        for (name, _) in &indexes {
            sqlx::query(&format!("drop index {name}")).execute(&mut *conn).await?;
        }
        // `tgtype`: bit 0 a row trigger, bit 2 on insert.
        let triggers: Vec<String> = sqlx::query_scalar(
            "select tgname::text from pg_trigger where tgrelid = $1::regclass and not tgisinternal \
               and tgenabled <> 'D' and tgtype & 1 = 0 and tgtype & 4 <> 0 order by 1",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        for name in &triggers {
            sqlx::query(&format!("alter table {table} disable trigger {name}")).execute(&mut *conn).await?;
        }
        Ok(Self { table, fks, indexes, triggers })
    }

    /// Re-creates the indexes and foreign keys with their original definitions and re-enables
    /// the triggers.
    pub(crate) async fn restore(self, conn: &mut PgConnection) -> anyhow::Result<()> {
        for name in &self.triggers {
            sqlx::query(&format!("alter table {} enable trigger {name}", self.table)).execute(&mut *conn).await?;
        }
        for (_, def) in &self.indexes {
            sqlx::query(def).execute(&mut *conn).await?;
        }
        for (name, def) in &self.fks {
            sqlx::query(&format!("alter table {} add constraint {name} {def}", self.table)).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

struct Phases {
    progress: bool,
    t0: Instant,
    last: Instant,
    done: Vec<(&'static str, f64)>,
}

impl Phases {
    fn bar(&self, name: &'static str, len: u64) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(len);
        pb.set_style(
            ProgressStyle::with_template("{prefix:>12} [{elapsed_precise}] {bar:30} {pos}/{len} ({per_sec}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb.set_prefix(name);
        pb
    }
    fn done(&mut self, name: &'static str, bar: &ProgressBar) {
        let now = Instant::now();
        let secs = (now - self.last).as_secs_f64();
        self.done.push((name, secs));
        self.last = now;
        let msg = bar.message();
        bar.finish_with_message(if msg.is_empty() { format!("{secs:.1} s") } else { format!("{msg}, {secs:.1} s") });
    }
}

async fn meta_loaded(conn: &mut PgConnection) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>("select count(*) from dataset_meta where key = 'scale'")
        .fetch_one(&mut *conn)
        .await?
        > 0)
}

/// Loads the dataset into an empty, migrated database in ONE transaction; errors if
/// `dataset_meta` already has rows.
pub async fn load(pool: &PgPool, opts: &LoadOptions) -> anyhow::Result<LoadReport> {
    let mut tx = pool.begin().await?;
    let n: i64 = sqlx::query_scalar("select count(*) from dataset_meta").fetch_one(&mut *tx).await?;
    anyhow::ensure!(n == 0, "dataset_meta already has {n} rows: the database is not empty");
    let report = load_in(&mut tx, opts).await?;
    tx.commit().await?;
    analyze(pool).await?;
    Ok(report)
}

/// Takes a pg advisory lock (so concurrent test binaries don't race); returns `Ok(None)` if a
/// dataset is already loaded, else loads it.
pub async fn ensure_loaded(pool: &PgPool, opts: &LoadOptions) -> anyhow::Result<Option<LoadReport>> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(7320800001)").execute(&mut *tx).await?;
    if meta_loaded(&mut tx).await? {
        return Ok(None);
    }
    let n: i64 = sqlx::query_scalar("select count(*) from dataset_meta").fetch_one(&mut *tx).await?;
    anyhow::ensure!(n == 0, "dataset_meta has {n} rows but no scale: a partial dataset?");
    let report = load_in(&mut tx, opts).await?;
    tx.commit().await?;
    analyze(pool).await?;
    Ok(Some(report))
}

async fn analyze(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "analyze admin_units, towns, streets, grids, grid_versions, grid_workers, buildings, cameras, mediation_rooms, mediators, \
         incidents, incident_events, dataset_meta",
    )
    .execute(pool)
    .await?;
    Ok(())
}

async fn load_in(conn: &mut PgConnection, opts: &LoadOptions) -> anyhow::Result<LoadReport> {
    let seed = opts.seed;
    let start = Instant::now();
    let mut ph = Phases { progress: opts.progress, t0: start, last: start, done: Vec::new() };
    // Index builds after the COPYs sort in memory; the commit need not wait for the WAL flush.
    sqlx::query("set local maintenance_work_mem = '512MB'").execute(&mut *conn).await?;
    sqlx::query("set local synchronous_commit = off").execute(&mut *conn).await?;
    let mut counts: Vec<(&'static str, u64)> = Vec::new();

    let bar = ph.bar("districts", 7);
    let (districts, repairs) = districts::import(conn, &opts.districts_path).await?;
    bar.set_position(districts.len() as u64);
    ph.done("districts", &bar);

    let water = water::import(conn, &opts.districts_path.with_file_name(water::LAKES_FILE)).await?;
    let density = Density { seats: districts.iter().map(|d| d.label).collect(), water };
    let bar = ph.bar("hierarchy", (TOTAL_NODES - 1 - districts.len() + GRIDS) as u64);
    let counties = hierarchy::fetch_units(conn, "county", &density).await?;
    // Streets first (the urban towns', then each township's market town): every level below
    // is cut along them.
    let mut street_names = HashSet::new();
    let city = counties.first().map(|c| c.parent.clone()).unwrap_or_default();
    let urban = streets::urban_towns(&counties, &city);
    let mut street_count = streets::lay(conn, seed, &urban, &mut street_names).await?;
    let townships = hierarchy::build_level(conn, seed, &density, &counties, TOWNSHIPS, Level::Township).await?;
    bar.inc(townships.len() as u64);
    let markets = streets::market_towns(&townships, &urban);
    street_count += streets::lay(conn, seed, &markets, &mut street_names).await?;
    let villages_n = TOTAL_NODES - 1 - counties.len() - TOWNSHIPS;
    let villages = hierarchy::build_level(conn, seed, &density, &townships, villages_n, Level::Village).await?;
    bar.inc(villages.len() as u64);
    let mut grids = hierarchy::build_level(conn, seed, &density, &villages, GRIDS, Level::Grid).await?;
    streets::of_grids(conn, &mut grids).await?;
    // Parents become exact unions of their children, so every level is one partition.
    for sql in [
        "update admin_units u set geom = x.g from (select village_code as code, \
           st_multi(st_collectionextract(st_union(g), 3)) as g from ds_grid group by village_code) x \
         where x.code = u.code",
        "update admin_units u set geom = x.g from (select parent_code as code, \
           st_multi(st_collectionextract(st_union(geom), 3)) as g from admin_units where level = 'village' \
           group by parent_code) x where x.code = u.code",
        "update admin_units u set geom = x.g from (select parent_code as code, \
           st_multi(st_collectionextract(st_union(geom), 3)) as g from admin_units where level = 'township' \
           group by parent_code) x where x.code = u.code",
        "update admin_units u set geom = x.g from (select parent_code as code, \
           st_multi(st_collectionextract(st_union(geom), 3)) as g from admin_units where level = 'county' \
           group by parent_code) x where x.code = u.code",
        "update admin_units set label_point = st_pointonsurface(geom) where not st_intersects(geom, label_point)",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.with_context(|| format!("parent unions: {sql}"))?;
    }
    let colours = content::colour_grids(conn, &grids).await?;
    content::insert_grids(conn, &grids, &colours).await?;
    bar.inc(grids.len() as u64);
    counts.push(("admin_units", (1 + counties.len() + townships.len() + villages.len()) as u64));
    counts.push(("grids", grids.len() as u64));
    let towns: i64 = sqlx::query_scalar("select count(*) from towns").fetch_one(&mut *conn).await?;
    counts.push(("towns", towns as u64));
    counts.push(("streets", street_count));
    ph.done("hierarchy", &bar);

    let bar = ph.bar("people", (GRIDS + MEDIATORS) as u64);
    counts.push(("grid_workers", content::write_workers(conn, seed, &grids).await?));
    let names: HashMap<String, String> =
        counties.iter().chain(&townships).map(|u| (u.code.clone(), u.name.clone())).collect();
    let (rooms, mediators) = content::write_mediation(conn, seed, &names, &townships, &villages).await?;
    counts.push(("mediation_rooms", rooms));
    counts.push(("mediators", mediators));
    bar.set_position(GRIDS as u64 + mediators);
    ph.done("people", &bar);

    let target = opts.scale.buildings() * 104 / 100;
    let bar = ph.bar("buildings", target as u64);
    let set = content::generate_buildings(seed, &grids, &density.water, target);
    bar.set_position(set.buildings.len() as u64 / 2);
    counts.push(("buildings", content::write_buildings(conn, &grids, &set).await?));
    bar.set_position(set.buildings.len() as u64);
    let residents: i64 = set.buildings.iter().map(|b| i64::from(b.residents)).sum();
    bar.set_message(format!("{residents} residents (target {})", opts.scale.residents_target()));
    ph.done("buildings", &bar);

    let bar = ph.bar("cameras", CAMERAS as u64);
    counts.push(("cameras", content::write_cameras(conn, seed, &grids, &density.water, &set).await?));
    bar.set_position(CAMERAS as u64);
    ph.done("cameras", &bar);

    let bar = ph.bar("incidents", 0);
    let generated = incidents::generate(conn, seed, opts.scale.days(), &grids, &density.water, &set).await?;
    counts.push(("incidents", incidents::write_incidents(conn, &generated, &grids, &bar).await?));
    ph.done("incidents", &bar);

    let bar = ph.bar("events", 0);
    counts.push(("incident_events", incidents::write_events(conn, &generated, &bar).await?));
    ph.done("events", &bar);

    // The COPY left the incidents' statement triggers off (`Detached`): the rollups they keep
    // are computed once from the loaded rows, with the same fact definitions.
    let bar = ph.bar("rollups", 1);
    // Statistics first: the rebuild's plans need the row counts of the tables just filled.
    sqlx::query("analyze incidents, buildings, grids").execute(&mut *conn).await?;
    crate::stats::rollups::rebuild_in(conn).await?;
    ph.done("rollups", &bar);

    let bar = ph.bar("hash", 1);
    let hash = content_hash_conn(conn).await?;
    for (k, v) in [
        ("scale", opts.scale.as_str().to_owned()),
        ("seed", seed.to_string()),
        ("generated_until", GENERATED_UNTIL.to_owned()),
        ("content_hash", hash.clone()),
    ] {
        sqlx::query("insert into dataset_meta (key, value) values ($1, $2)")
            .bind(k)
            .bind(v)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("insert into dataset_meta (key, value) values ('loaded_at', now()::text)").execute(&mut *conn).await?;
    sqlx::query("update layer_versions set version = version + 1").execute(&mut *conn).await?;
    ph.done("hash", &bar);

    Ok(LoadReport {
        scale: opts.scale.as_str().to_owned(),
        seed,
        counts,
        total_seconds: ph.t0.elapsed().as_secs_f64(),
        phases: ph.done,
        content_hash: hash,
        repairs,
    })
}

/// (table, ordered select of its content). Geometries as ST_AsBinary; generated columns and
/// bookkeeping are left out.
const HASHED: [(&str, &str); 12] = [
    ("admin_units", "select code, level, name, name_en, parent_code, centre, st_asbinary(geom), st_asbinary(label_point) from admin_units order by code"),
    ("towns", "select key, name, kind, st_asbinary(geom) from towns order by key"),
    ("streets", "select id, town_key, kind, name, st_asbinary(geom) from streets order by id"),
    ("grids", "select code, village_code, name, colour, created_at, retired_at from grids order by code"),
    ("grid_versions", "select grid_code, version, valid_from, valid_to, st_asbinary(geom) from grid_versions order by grid_code, version"),
    ("grid_workers", "select employee_no, grid_code, rank, name, phone from grid_workers order by employee_no"),
    ("buildings", "select id, grid_code, kind, floors, households, residents, st_asbinary(footprint) from buildings order by id"),
    ("cameras", "select id, code, grid_code, kind, owner, status, heading_deg, fov_deg, range_m, installed_on, st_asbinary(geom) from cameras order by id"),
    ("mediation_rooms", "select id, name, admin_code, address, st_asbinary(geom) from mediation_rooms order by id"),
    ("mediators", "select id, name, phone, room_id, specialties from mediators order by id"),
    ("incidents", "select id, category, source, priority, status, escalation_level, level_since, assignee, updated_at, description, reported_at, resolved_at, closed_at, grid_code, duplicate_of, st_asbinary(geom) from incidents order by id"),
    // Without the identity `id` (a sequence is not rolled back with a failed load), in its order.
    ("incident_events", "select incident_id, at, action, from_status, to_status, from_level, to_level, note, on_behalf_of from incident_events order by incident_id, id"),
];

async fn content_hash_conn(conn: &mut PgConnection) -> anyhow::Result<String> {
    sqlx::query("set local timezone = 'UTC'").execute(&mut *conn).await.ok();
    let mut h = Sha256::new();
    for (table, select) in HASHED {
        // md5 per row, aggregated in buckets of 100k rows so no single string gets huge.
        let sql = format!(
            "select coalesce(string_agg(b, '' order by k), '') from ( \
               select n / 100000 as k, md5(string_agg(r, '' order by n)) as b from ( \
                 select (row_number() over ()) - 1 as n, md5(t::text) as r from ({select}) t) x \
               group by 1) y"
        );
        let s: String =
            sqlx::query(&sql).fetch_one(&mut *conn).await.with_context(|| format!("hashing {table}"))?.get(0);
        h.update(table.as_bytes());
        h.update(s.as_bytes());
    }
    let digest = h.finalize();
    Ok(crate::accounts::hex(&digest))
}

/// SHA-256 over the loaded content of every dataset table in a fixed order (rows ordered by key,
/// geometries as ST_AsBinary): equal for the same seed and scale, different otherwise.
pub async fn content_hash(pool: &PgPool) -> anyhow::Result<String> {
    let mut tx = pool.begin().await?;
    let h = content_hash_conn(&mut tx).await?;
    tx.rollback().await?;
    Ok(h)
}
