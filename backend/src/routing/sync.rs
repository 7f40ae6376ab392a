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
    // Set when notifications may have been lost (the connection dropped) or a reload failed:
    // everything is reloaded once the listener is connected again.
    let mut resync = false;
    loop {
        if resync {
            // Any statement on the listener reconnects it and re-issues LISTEN before we reload,
            // so nothing committed after the reload can be missed.
            let ok = sqlx::query("select 1").execute(&mut listener).await.is_ok()
                && engine.reload_snapshot(pool).await.is_ok()
                && engine.reload_incidents(pool, None).await.is_ok();
            if ok {
                tracing::info!("routing indexes resynchronised after a lost connection");
                resync = false;
            } else {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        }
        let Ok(Some(notification)) = listener.try_recv().await else {
            tracing::warn!("change listener lost its connection; will reload all indexes");
            resync = true;
            continue;
        };
        let change = parse_payload(notification.payload());
        let result = match change {
            // An edit touches several tables: coalesce the burst into one rebuild.
            Change::Snapshot => match drain_snapshot_burst(&mut listener, engine, pool).await {
                Ok(()) => engine.reload_snapshot(pool).await,
                Err(lost) => Err(lost),
            },
            Change::Incidents(ids) => engine.reload_incidents(pool, Some(&ids)).await,
            Change::AllIncidents => engine.reload_incidents(pool, None).await,
        };
        if let Err(e) = result {
            tracing::error!(error = ?e, "applying a change notification; will reload all indexes");
            resync = true;
        }
    }
}

/// Takes the notifications that follow within 50 ms (for at most 500 ms): applies incident
/// ones, drops further snapshot ones. An error means notifications may have been lost.
async fn drain_snapshot_burst(listener: &mut PgListener, engine: &Engine, pool: &PgPool) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    while tokio::time::Instant::now() < deadline {
        let Ok(received) = tokio::time::timeout(Duration::from_millis(50), listener.try_recv()).await else {
            return Ok(()); // quiet: the burst is over
        };
        match received {
            Ok(Some(n)) => match parse_payload(n.payload()) {
                Change::Snapshot => {}
                Change::Incidents(ids) => engine.reload_incidents(pool, Some(&ids)).await?,
                Change::AllIncidents => engine.reload_incidents(pool, None).await?,
            },
            Ok(None) | Err(_) => anyhow::bail!("change listener lost its connection"),
        }
    }
    Ok(())
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
