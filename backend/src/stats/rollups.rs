//! The rollups of incidents and buildings (schema `stats`, migrations `0050_heat_rollups.sql`,
//! `0051_stats_cubes.sql`, `0080_stats_speed.sql`, `0082_rollup_rebuild.sql`,
//! `0083_grid_facts.sql`, `0084_grid_packs.sql`).
//!
//! Statement-level triggers on `incidents` keep them equal to what a full recomputation from
//! the raw rows gives, in the same transaction as the change: registration, transitions to and
//! from `duplicate`, deletions and re-routing by a plan all go through them, so no code path
//! can forget to update them (the dataset load alone turns them off for its COPY and calls
//! [`rebuild_in`] at its end). [`rebuild`] recomputes them from scratch from the same
//! fact definitions, set-based: the finest rows once from the incidents, every coarser level
//! and period from the finer rows (`citygrid rollups rebuild`); the tests compare it with the
//! trigger path and with SQL over the raw rows.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use sqlx::{PgConnection, PgPool};

/// The rollup tables, for reports and for comparing a maintained state with a rebuilt one.
pub const TABLES: [&str; 6] = [
    "stats.heat_coarse",
    "stats.heat_fine",
    "stats.unit_cube",
    "stats.grid_packs",
    "stats.grid_days",
    "stats.population",
];

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct RebuildReport {
    /// Rows per table, in the order of [`TABLES`].
    pub rows: Vec<(&'static str, i64)>,
    pub took: Duration,
}

impl std::fmt::Display for RebuildReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "rollups rebuilt in {:.1} s:", self.took.as_secs_f64())?;
        for (table, n) in &self.rows {
            writeln!(f, "  {table:<20} {n:>10} rows")?;
        }
        Ok(())
    }
}

/// Recomputes every rollup from the raw incidents, in one transaction (incident writes wait
/// for it). Bumps the change counters and the heat layer's version, so no cached tile survives.
pub async fn rebuild(pool: &PgPool) -> anyhow::Result<RebuildReport> {
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    rebuild_in(&mut tx).await?;
    let mut rows = Vec::new();
    for table in TABLES {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(&mut *tx).await?;
        rows.push((table, n));
    }
    tx.commit().await?;
    Ok(RebuildReport { rows, took: started.elapsed() })
}

/// Recomputes every rollup from the raw incidents and buildings inside the caller's transaction
/// (the bulk load's, whose COPY leaves the triggers off).
pub async fn rebuild_in(conn: &mut PgConnection) -> anyhow::Result<()> {
    sqlx::query("select stats.rebuild_heat()").execute(&mut *conn).await.context("rebuilding the heat rollups")?;
    sqlx::query("select stats.rebuild_units()").execute(&mut *conn).await.context("rebuilding the unit cube")?;
    Ok(())
}
