//! Layer versions that follow the data. A catalogue layer that names the tables it
//! [`follows`](super::Layer::follows) gets a new version in `layer_versions` shortly after any
//! of them changes, so its tile URLs (`?v=<version>`) change too: martin's cache (keyed by the
//! full query string, no expiry), any HTTP cache and the browser then fetch fresh tiles, and a
//! client polling `/tiles/versions` knows to reload the layer.
//!
//! The change feed is the `citygrid_changes` notification channel (sent after commit by the
//! triggers of `migrations/0004_dispatch.sql`; the payload starts with the table name). Bumps
//! are debounced: at most one per [`MIN_INTERVAL`], always after the last change (a change
//! during the pause is bumped when it ends). Every replica runs a follower; a change then bumps
//! once per replica, which costs nothing but a few version numbers. When the listening
//! connection drops, notifications may have been lost, so every following layer is bumped once
//! it is back.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::{PgExecutor, PgPool};

use super::LAYERS;
use crate::cache::TtlCache;

/// The notification channel (shared with the routing engine's sync).
pub use crate::routing::sync::CHANNEL;

/// The shortest time between two bumps of a layer.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// The layers that follow `table`.
#[must_use]
pub fn layers_following(table: &str) -> Vec<&'static str> {
    LAYERS.iter().filter(|l| l.follows.contains(&table)).map(|l| l.name).collect()
}

/// Every layer that follows some table.
#[must_use]
pub fn following_layers() -> Vec<&'static str> {
    LAYERS.iter().filter(|l| !l.follows.is_empty()).map(|l| l.name).collect()
}

/// The table a notification payload is about (`incidents:1,2` → `incidents`).
#[must_use]
pub fn payload_table(payload: &str) -> &str {
    payload.split_once(':').map_or(payload, |(t, _)| t)
}

/// Adds one to the version of each of `layers` (once, however often it is named), in one
/// statement: on a pool, or inside the transaction that changed the data (every edit bumps its
/// layers with it, atomically).
pub async fn bump<'e, S: AsRef<str> + Sync>(ex: impl PgExecutor<'e>, layers: &[S]) -> sqlx::Result<()> {
    let layers: Vec<&str> = layers.iter().map(AsRef::as_ref).collect();
    sqlx::query(
        "insert into layer_versions (layer, version) select distinct l, 2 from unnest($1::text[]) as l
         on conflict (layer) do update set version = layer_versions.version + 1",
    )
    .bind(layers)
    .execute(ex)
    .await?;
    Ok(())
}

/// Follows the change feed forever, bumping the versions of the layers that follow the changed
/// tables and dropping them from `cache` (this process's layer-version cache) at once.
/// Errors are logged and retried; it never returns.
pub async fn run(pool: PgPool, cache: Arc<TtlCache<&'static str, i64>>) {
    if following_layers().is_empty() {
        return;
    }
    let mut dirty: BTreeSet<&'static str> = BTreeSet::new();
    let mut listener: Option<PgListener> = None;
    loop {
        let Some(l) = listener.as_mut() else {
            match connect(&pool).await {
                Ok(l) => listener = Some(l),
                Err(e) => {
                    tracing::warn!(error = %e, "layer-version follower cannot listen; retrying");
                    tokio::time::sleep(MIN_INTERVAL).await;
                }
            }
            // A fresh listener: whatever happened meanwhile is unknown.
            dirty.extend(following_layers());
            continue;
        };
        if dirty.is_empty() {
            // Wait for the first change.
            match l.try_recv().await {
                Ok(Some(n)) => dirty.extend(layers_following(payload_table(n.payload()))),
                Ok(None) | Err(_) => listener = None,
            }
            continue;
        }
        // Something changed: bump now, then gather what arrives during the pause.
        let layers: Vec<&str> = std::mem::take(&mut dirty).into_iter().collect();
        match bump(&pool, &layers).await {
            Ok(()) => {
                for layer in &layers {
                    cache.remove(layer);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, ?layers, "bumping layer versions; retrying");
                dirty.extend(layers);
            }
        }
        let pause = tokio::time::sleep(MIN_INTERVAL);
        tokio::pin!(pause);
        loop {
            tokio::select! {
                () = &mut pause => break,
                received = l.try_recv() => {
                    let Ok(Some(n)) = received else {
                        listener = None;
                        break;
                    };
                    dirty.extend(layers_following(payload_table(n.payload())));
                }
            }
        }
    }
}

async fn connect(pool: &PgPool) -> sqlx::Result<PgListener> {
    let mut l = PgListener::connect_with(pool).await?;
    l.listen(CHANNEL).await?;
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_their_table() {
        assert_eq!(payload_table("incidents:1,2"), "incidents");
        assert_eq!(payload_table("incidents:*"), "incidents");
        assert_eq!(payload_table("grid_versions"), "grid_versions");
    }

    #[test]
    fn incidents_are_followed() {
        assert!(layers_following("incidents").contains(&"incidents"));
        assert!(layers_following("no_such_table").is_empty());
        assert!(following_layers().contains(&"incidents"));
    }
}
