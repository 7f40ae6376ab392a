//! Template databases: a city loaded once and cloned per test in about a second.
//!
//! Tests and the browser-test run never share rows: each gets its own database cloned with
//! `CREATE DATABASE … TEMPLATE …` from a template loaded once per run ([`ensure`]). A clone needs
//! that nobody is connected to the template, so templates are built under another name, renamed
//! when complete, and then refuse connections (`ALLOW_CONNECTIONS false`): no pool, martin or
//! psql can hold one open by accident.
//!
//! Strategy: `WAL_LOG` (PostgreSQL 15's default), chosen by measurement. `FILE_COPY` copies the
//! files but forces two immediate checkpoints with fsync around the copy; on these machines
//! (2 cores, virtual disk) cloning the 59 MB tiny city took 2.9–3.6 s with `FILE_COPY` and
//! 0.9–1.2 s with `WAL_LOG`, and an 82 MB table on an idle private cluster 1.9–3.8 s against
//! 0.9–1.2 s. `WAL_LOG` writes the copy to the WAL, which the next checkpoint recycles.
//!
//! A template records what it was built from (migrations, generator source, input data, scale,
//! seed) in its database comment, and [`ensure`] rebuilds it when any of that changed.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use sha2::{Digest, Sha256};
use sqlx::{Connection as _, PgConnection};

use crate::dataset::{self, LoadOptions};

/// The empty database with PostGIS installed that every new database starts from (created by
/// `cargo xtask` as a superuser: PostGIS is not a trusted extension).
pub const EMPTY_TEMPLATE: &str = "citygrid_template";

/// The generator's source, so a template built by an older generator is rebuilt. (A unit test
/// checks that every file of `dataset/` is listed.)
const GENERATOR_SOURCES: &[(&str, &str)] = &[
    ("mod.rs", include_str!("../dataset/mod.rs")),
    ("closing.rs", include_str!("../dataset/closing.rs")),
    ("content.rs", include_str!("../dataset/content.rs")),
    ("districts.rs", include_str!("../dataset/districts.rs")),
    ("geom.rs", include_str!("../dataset/geom.rs")),
    ("hierarchy.rs", include_str!("../dataset/hierarchy.rs")),
    ("incidents.rs", include_str!("../dataset/incidents.rs")),
    ("names.rs", include_str!("../dataset/names.rs")),
    ("streets.rs", include_str!("../dataset/streets.rs")),
    ("water.rs", include_str!("../dataset/water.rs")),
    // The generator colours its grids with the planning engine's recolouring.
    ("../planning/colour.rs", include_str!("../planning/colour.rs")),
];

/// What a template holds.
#[derive(Debug, Clone)]
pub struct TemplateSpec {
    /// The database name (letters, digits, `_`).
    pub name: String,
    /// What to load into it.
    pub load: LoadOptions,
    /// Create the demo accounts with this password.
    pub demo_password: Option<String>,
    /// A template refuses connections once built (so it can always be cloned); otherwise the
    /// database is shared read-only (`default_transaction_read_only`), like the demo city of the
    /// dataset tests.
    pub clone_only: bool,
}

/// Checks that `name` can be used unquoted in SQL.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if !ok {
        bail!("database name {name:?} must be 1–63 lowercase letters, digits and _, not starting with a digit");
    }
    Ok(())
}

/// `url` with its database name replaced by `name` (host, credentials and parameters kept).
pub fn url_for(url: &str, name: &str) -> anyhow::Result<String> {
    let (before_query, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = before_query.find("://").map_or(0, |i| i + 3);
    let Some(slash) = before_query[scheme_end..].find('/').map(|i| i + scheme_end) else {
        bail!("database URL {} names no database", super::redact(url));
    };
    let mut out = format!("{}/{name}", &before_query[..slash]);
    if let Some(q) = query {
        let _ = write!(out, "?{q}");
    }
    Ok(out)
}

/// Everything a template depends on, hashed: migrations, generator source, the input files next
/// to the districts file, scale, seed, demo password, whether it accepts connections, and the
/// code that computes its persisted camera coverage.
fn fingerprint(spec: &TemplateSpec) -> anyhow::Result<String> {
    let mut h = Sha256::new();
    for m in super::MIGRATOR.iter() {
        h.update(m.version.to_le_bytes());
        h.update(&*m.checksum);
    }
    for (name, source) in GENERATOR_SOURCES {
        h.update(name.as_bytes());
        h.update(source.as_bytes());
    }
    let data_dir = spec.load.districts_path.parent().unwrap_or_else(|| Path::new("."));
    let mut files: Vec<_> = std::fs::read_dir(data_dir)
        .with_context(|| format!("reading {}", data_dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for file in files {
        h.update(file.file_name().map(|n| n.as_encoded_bytes().to_vec()).unwrap_or_default());
        h.update(std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?);
    }
    h.update(spec.load.scale.as_str().as_bytes());
    h.update(spec.load.seed.to_le_bytes());
    h.update(spec.demo_password.as_deref().unwrap_or("").as_bytes());
    h.update([u8::from(spec.clone_only)]);
    h.update(crate::coverage::store::rule_version().as_bytes());
    Ok(format!("citygrid-template {:x}", h.finalize()))
}

/// The comment of database `name`, `None` when it does not exist.
async fn comment_of(admin: &mut PgConnection, name: &str) -> anyhow::Result<Option<Option<String>>> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "select shobj_description(oid, 'pg_database') from pg_database where datname = $1",
    )
    .bind(name)
    .fetch_optional(&mut *admin)
    .await?)
}

/// Makes sure the template `spec.name` exists and matches `spec`, building it when missing or
/// stale. Concurrent callers (test binaries running in parallel) wait for one builder through an
/// advisory lock. `admin_url` is any database of the cluster the role can connect to; the role
/// needs CREATEDB. Returns how long the build took, `None` when the template was up to date.
pub async fn ensure(admin_url: &str, spec: &TemplateSpec) -> anyhow::Result<Option<Duration>> {
    check_name(&spec.name)?;
    let building = format!("{}_build", spec.name);
    check_name(&building)?;
    let wanted = fingerprint(spec)?;
    let mut admin = PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("cannot connect to {}", super::redact(admin_url)))?;
    let lock_key = format!("citygrid-template:{}", spec.name);
    sqlx::query("select pg_advisory_lock(hashtext($1))").bind(&lock_key).execute(&mut admin).await?;
    let result = async {
        if comment_of(&mut admin, &spec.name).await?.flatten().as_deref() == Some(wanted.as_str()) {
            return Ok(None);
        }
        let started = Instant::now();
        drop_database(&mut admin, &spec.name).await?;
        drop_database(&mut admin, &building).await?;
        sqlx::query(&format!("create database {building} template {EMPTY_TEMPLATE} strategy wal_log"))
            .execute(&mut admin)
            .await
            .with_context(|| format!("creating {building} from {EMPTY_TEMPLATE}"))?;
        {
            let pool = super::connect(&url_for(admin_url, &building)?, 4).await?;
            super::migrate(&pool).await?;
            dataset::load(&pool, &spec.load).await.with_context(|| format!("loading the city into {building}"))?;
            if let Some(password) = &spec.demo_password {
                let throttle =
                    crate::login_throttle::LoginThrottle::new(crate::login_throttle::ThrottleConfig::default());
                crate::accounts::ensure_demo_accounts(&pool, &throttle, password).await?;
            }
            // Derived data: clones start with their camera coverage current.
            crate::coverage::prepare(&pool).await?;
            sqlx::query("vacuum analyze").execute(&pool).await?;
            pool.close().await;
        }
        sqlx::query(&format!("alter database {building} rename to {}", spec.name)).execute(&mut admin).await?;
        let lock_down =
            if spec.clone_only { "allow_connections false" } else { "set default_transaction_read_only = on" };
        sqlx::query(&format!("alter database {} {lock_down}", spec.name)).execute(&mut admin).await?;
        // Last: a template whose comment matches is complete.
        sqlx::query(&format!("comment on database {} is '{wanted}'", spec.name)).execute(&mut admin).await?;
        Ok(Some(started.elapsed()))
    }
    .await;
    let _ = sqlx::query("select pg_advisory_unlock(hashtext($1))").bind(&lock_key).execute(&mut admin).await;
    let _ = admin.close().await;
    result
}

/// `DROP DATABASE IF EXISTS name WITH (FORCE)`.
async fn drop_database(admin: &mut PgConnection, name: &str) -> anyhow::Result<()> {
    check_name(name)?;
    sqlx::query(&format!("drop database if exists {name} with (force)"))
        .execute(&mut *admin)
        .await
        .with_context(|| format!("dropping database {name}"))?;
    Ok(())
}

/// Clones `template` into a new database `name`; returns how long the copy took.
pub async fn clone(admin_url: &str, template: &str, name: &str) -> anyhow::Result<Duration> {
    check_name(template)?;
    check_name(name)?;
    let mut admin = PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("cannot connect to {}", super::redact(admin_url)))?;
    let started = Instant::now();
    sqlx::query(&format!("create database {name} template {template} strategy wal_log"))
        .execute(&mut admin)
        .await
        .with_context(|| format!("cloning {template} into {name}"))?;
    let took = started.elapsed();
    let _ = admin.close().await;
    Ok(took)
}

/// Drops database `name` (closing its connections).
pub async fn drop(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut admin = PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("cannot connect to {}", super::redact(admin_url)))?;
    drop_database(&mut admin, name).await?;
    let _ = admin.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generator_file_is_fingerprinted() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/dataset");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("src/dataset")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| Path::new(n).extension().is_some_and(|e| e == "rs"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> =
            GENERATOR_SOURCES.iter().filter(|(n, _)| !n.contains('/')).map(|(n, _)| (*n).to_owned()).collect();
        listed.sort();
        assert_eq!(listed, on_disk, "list every file of src/dataset in GENERATOR_SOURCES");
    }

    #[test]
    fn names_and_urls() {
        assert!(check_name("cgt_1a2b_tpl").is_ok());
        for bad in ["", "Upper", "1abc", "semi;colon", "space d", &"x".repeat(64)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(url_for("postgres://u:p@h:5432/a", "b").expect("url"), "postgres://u:p@h:5432/b");
        assert_eq!(url_for("postgres://h/a?sslmode=disable", "b").expect("url"), "postgres://h/b?sslmode=disable");
        assert!(url_for("postgres://h", "b").is_err());
    }
}
