//! Keeps an [`Engine`] in step with PostGIS through LISTEN/NOTIFY on `citygrid_changes`
//! (triggers in `migrations/0004_dispatch.sql`).
//!
//! Order matters: [`start`] LISTENs *before* loading, so a change committed while the engine
//! loads is still seen afterwards. When the listening connection drops, sqlx reconnects and we
//! reload everything, since notifications sent meanwhile are lost.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;

use super::Engine;

/// The notification channel.
pub const CHANNEL: &str = "citygrid_changes";

/// What a notification asks to refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Grids, units, workers, cameras, mediation or reference tables: rebuild the snapshot.
    Snapshot,
    /// These incidents changed.
    Incidents(Vec<i64>),
    /// Many incidents changed: reload all open ones.
    AllIncidents,
}

/// Parses a payload (`grid_versions`, `incidents:1,2`, `incidents:*`).
#[must_use]
pub fn parse_payload(payload: &str) -> Change {
    match payload.strip_prefix("incidents:") {
        Some("*") => Change::AllIncidents,
        Some(ids) => {
            let parsed: Option<Vec<i64>> = ids.split(',').map(|s| s.parse().ok()).collect();
            parsed.map_or(Change::AllIncidents, Change::Incidents)
        }
        None => Change::Snapshot,
    }
}

/// Loads the engine and keeps it current in a background task.
pub async fn start(pool: &PgPool) -> anyhow::Result<Arc<Engine>> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    let engine = Arc::new(Engine::load(pool).await?);
    let (engine2, pool) = (Arc::clone(&engine), pool.clone());
    tokio::spawn(async move { follow(listener, &engine2, &pool).await });
    Ok(engine)
}

async fn follow(mut listener: PgListener, engine: &Engine, pool: &PgPool) {
    loop {
        let change = match listener.try_recv().await {
            Ok(Some(n)) => parse_payload(n.payload()),
            Ok(None) => {
                tracing::warn!("change listener reconnected: reloading all indexes");
                if let Err(e) = engine.reload_snapshot(pool).await {
                    tracing::error!(error = ?e, "reloading routing snapshot");
                }
                Change::AllIncidents
            }
            Err(e) => {
                tracing::error!(error = ?e, "change listener failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // Coalesce a burst of snapshot changes (an edit touches several tables) into one rebuild.
        let result = match change {
            Change::Snapshot => {
                drain_snapshot_burst(&mut listener, engine, pool).await;
                engine.reload_snapshot(pool).await
            }
            Change::Incidents(ids) => engine.reload_incidents(pool, Some(&ids)).await,
            Change::AllIncidents => engine.reload_incidents(pool, None).await,
        };
        if let Err(e) = result {
            tracing::error!(error = ?e, "applying a change notification");
        }
    }
}

/// Waits briefly for more notifications; applies incident ones, drops further snapshot ones.
async fn drain_snapshot_burst(listener: &mut PgListener, engine: &Engine, pool: &PgPool) {
    while let Ok(Ok(Some(n))) = tokio::time::timeout(Duration::from_millis(50), listener.try_recv()).await {
        let r = match parse_payload(n.payload()) {
            Change::Snapshot => Ok(()),
            Change::Incidents(ids) => engine.reload_incidents(pool, Some(&ids)).await,
            Change::AllIncidents => engine.reload_incidents(pool, None).await,
        };
        if let Err(e) = r {
            tracing::error!(error = ?e, "applying a change notification");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads() {
        assert_eq!(parse_payload("grid_versions"), Change::Snapshot);
        assert_eq!(parse_payload("incidents:3,14"), Change::Incidents(vec![3, 14]));
        assert_eq!(parse_payload("incidents:*"), Change::AllIncidents);
        assert_eq!(parse_payload("incidents:x"), Change::AllIncidents);
    }
}
