//! Keeps a [`Coverage`] model, and the persisted coverage, in step with PostGIS through the
//! `citygrid_changes` notifications (the same channel as the routing engine,
//! [`crate::routing::sync`]).
//!
//! - `cameras`: re-read the cameras and apply what changed to the model; reconcile any camera
//!   whose persisted coverage is still out of step (an edit made in SQL rather than through
//!   [`super::register`], which reconciles in its own transaction).
//! - `grids`, `grid_versions`: a boundary plan moved buildings between grids: re-read which grid
//!   each building is in, and recompute the figures of grids whose version changed.
//!
//! Like routing, the listener LISTENs before the model loads, and after a lost connection
//! everything is re-read.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;

use super::{store, Coverage};
use crate::routing::sync::CHANNEL;

/// Loads the model, makes the persisted coverage current and follows changes in a background
/// task.
pub async fn start(pool: &PgPool, min_share: f64) -> anyhow::Result<Arc<Coverage>> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    let coverage = Arc::new(Coverage::load(pool, min_share).await?);
    coverage.ensure_persisted(pool).await?;
    let (cov, pool) = (Arc::clone(&coverage), pool.clone());
    tokio::spawn(async move { follow(listener, &cov, &pool).await });
    Ok(coverage)
}

/// A backend's coverage model, loaded on first use (or at startup with [`Handle::get`]) and then
/// kept current. Processes that never ask for coverage (benchmarks of other parts, most tests)
/// never pay for loading it.
pub struct Handle {
    pool: PgPool,
    min_share: f64,
    cell: tokio::sync::OnceCell<Arc<Coverage>>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("min_share", &self.min_share)
            .field("loaded", &self.cell.initialized())
            .finish_non_exhaustive()
    }
}

impl Handle {
    #[must_use]
    pub fn new(pool: PgPool, min_share: f64) -> Handle {
        Handle { pool, min_share, cell: tokio::sync::OnceCell::new() }
    }

    /// The model, loading it (and starting to follow changes) on first use; a failed load is
    /// retried by the next call.
    pub async fn get(&self) -> anyhow::Result<Arc<Coverage>> {
        self.cell.get_or_try_init(|| start(&self.pool, self.min_share)).await.cloned()
    }
}

/// What a burst of notifications asks for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Wanted {
    cameras: bool,
    grids: bool,
}

impl Wanted {
    fn note(&mut self, payload: &str) {
        match payload {
            "cameras" => self.cameras = true,
            "grids" | "grid_versions" => self.grids = true,
            _ => {}
        }
    }
}

async fn apply(cov: &Coverage, pool: &PgPool, wanted: &Wanted) -> anyhow::Result<()> {
    if wanted.cameras {
        cov.follow_cameras(pool, None).await?;
    }
    if wanted.grids {
        cov.reload_membership(pool).await?;
    }
    cov.reconcile_out_of_step(pool).await
}

async fn follow(mut listener: PgListener, cov: &Coverage, pool: &PgPool) {
    let mut resync = false;
    loop {
        if resync {
            let everything = Wanted { cameras: true, grids: true };
            let ok = sqlx::query("select 1").execute(&mut listener).await.is_ok()
                && apply(cov, pool, &everything).await.is_ok();
            if ok {
                tracing::info!("coverage resynchronised after a lost connection");
                resync = false;
            } else {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        }
        let Ok(Some(first)) = listener.try_recv().await else {
            tracing::warn!("coverage listener lost its connection; will re-read everything");
            resync = true;
            continue;
        };
        let mut wanted = Wanted::default();
        wanted.note(first.payload());
        // Coalesce the burst of one commit (several tables) into one pass.
        let mut seen = BTreeSet::new();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
        while tokio::time::Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_millis(30), listener.try_recv()).await {
                Err(_) => break,
                Ok(Ok(Some(n))) => {
                    seen.insert(n.payload().to_owned());
                }
                Ok(Ok(None) | Err(_)) => {
                    resync = true;
                    break;
                }
            }
        }
        for p in &seen {
            wanted.note(p);
        }
        if wanted == Wanted::default() {
            continue;
        }
        if let Err(e) = apply(cov, pool, &wanted).await {
            tracing::error!(error = ?e, "following a change; will re-read everything");
            resync = true;
        }
    }
}

/// How long the blind-spot task waits when nothing is stale.
pub const BLIND_SPOT_IDLE: Duration = Duration::from_secs(2);

/// Recomputes stale blind spots (50 grids per round), waiting `interval` when none is stale.
/// Safe on every replica: a grid being computed elsewhere is skipped.
pub async fn blind_spot_loop(pool: PgPool, interval: Duration) {
    loop {
        let stale = match store::stale_blind_spots(&pool, 50).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = ?e, "listing stale blind spots");
                Vec::new()
            }
        };
        let mut done = 0;
        for code in &stale {
            match store::refresh_blind_spots(&pool, code).await {
                Ok(true) => done += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = ?e, grid = code, "computing blind spots"),
            }
        }
        if done == 0 {
            tokio::time::sleep(interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_that_matter() {
        let mut w = Wanted::default();
        w.note("incidents:1,2");
        w.note("mediators");
        assert_eq!(w, Wanted::default());
        w.note("cameras");
        assert_eq!(w, Wanted { cameras: true, grids: false });
        w.note("grid_versions");
        assert_eq!(w, Wanted { cameras: true, grids: true });
    }
}
