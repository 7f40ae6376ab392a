//! Logins under attack: exponential backoff per (username, client address), and a global cap on
//! concurrent password checks.
//!
//! - **Backoff.** Failures are counted per (username, client address) in `login_failures`
//!   (PostgreSQL, so every backend replica sees the same count). After
//!   [`ThrottleConfig::free_failures`] failures, each further failure blocks that pair for
//!   `backoff × 2^(failures − free_failures)`, at most [`ThrottleConfig::max_backoff`]. A blocked
//!   attempt is answered 429 with `Retry-After` before any password is checked. An attacker
//!   elsewhere cannot lock a user out: the pair includes the address. A success forgets the
//!   pair; a pair with no failure for [`ThrottleConfig::forget_after`] starts again from zero.
//! - **Capacity.** Password hashing (argon2id, tens of milliseconds of CPU) runs on tokio's
//!   blocking pool behind a semaphore of [`ThrottleConfig::max_hashes`] permits, never on the
//!   async workers; an attempt that waits longer than [`ThrottleConfig::hash_wait`] for a permit
//!   is answered 503 with `Retry-After`. So eight clients hammering the login cannot take more
//!   than those permits' share of the CPU from everyone else.
//!
//! Functions take `now` so tests can run the clock.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::Semaphore;

/// The thresholds (environment variables in parentheses, see `config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures allowed before backoff starts (`CITYGRID_LOGIN_FREE_FAILURES`, default 5).
    pub free_failures: u32,
    /// The first block, doubled by every further failure (`CITYGRID_LOGIN_BACKOFF_SECONDS`,
    /// default 30 s).
    pub backoff: Duration,
    /// The longest block (`CITYGRID_LOGIN_MAX_BACKOFF_SECONDS`, default 15 minutes).
    pub max_backoff: Duration,
    /// A pair with no failure for this long starts from zero again (24 hours).
    pub forget_after: Duration,
    /// Concurrent password checks (`CITYGRID_LOGIN_MAX_HASHES`, default half the cores, at
    /// least 1).
    pub max_hashes: usize,
    /// How long an attempt may wait for a check (`CITYGRID_LOGIN_HASH_WAIT_MS`, default 2 s).
    pub hash_wait: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        ThrottleConfig {
            free_failures: 5,
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_mins(15),
            forget_after: Duration::from_hours(24),
            max_hashes: (cores / 2).max(1),
            hash_wait: Duration::from_secs(2),
        }
    }
}

impl ThrottleConfig {
    /// How long the pair is blocked after its `failures`-th failure (`None`: not blocked).
    #[must_use]
    pub fn block_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.free_failures)?;
        let factor = 2u32.saturating_pow(over.min(31));
        Some(self.backoff.saturating_mul(factor).min(self.max_backoff))
    }
}

/// Why an attempt was not even checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Too many failures for this (username, address): wait.
    #[error("too many failed logins for this username from this address; retry in {} s", .retry_after.as_secs().max(1))]
    Blocked { retry_after: Duration },
    /// Every password check is busy.
    #[error("the server is checking too many passwords at once; retry shortly")]
    Busy { retry_after: Duration },
}

/// The shared state of one backend process: the permits for password checks.
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    pub config: ThrottleConfig,
    permits: Arc<Semaphore>,
}

impl LoginThrottle {
    #[must_use]
    pub fn new(config: ThrottleConfig) -> Self {
        let permits = Arc::new(Semaphore::new(config.max_hashes.max(1)));
        LoginThrottle { config, permits }
    }

    /// `Err(Blocked)` when the pair is in backoff at `now`.
    pub async fn check(
        &self,
        pool: &PgPool,
        username: &str,
        addr: IpAddr,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<(), Refusal>> {
        let blocked: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
            "select blocked_until from login_failures where username = $1 and client_addr = $2::inet",
        )
        .bind(username)
        .bind(addr.to_string())
        .fetch_optional(pool)
        .await
        .context("reading login failures")?;
        Ok(match blocked.flatten() {
            Some(until) if until > now => {
                Err(Refusal::Blocked { retry_after: (until - now).to_std().unwrap_or(Duration::from_secs(1)) })
            }
            _ => Ok(()),
        })
    }

    /// Runs the CPU-heavy `check` (a password verification) on the blocking pool once a permit
    /// is free; `Err(Busy)` when none frees up within `hash_wait`.
    pub async fn hash<T: Send + 'static>(
        &self,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<Result<T, Refusal>> {
        let busy = Refusal::Busy { retry_after: Duration::from_secs(1) };
        let Ok(permit) = tokio::time::timeout(self.config.hash_wait, Arc::clone(&self.permits).acquire_owned()).await
        else {
            return Ok(Err(busy));
        };
        let permit = permit.context("the hashing semaphore is closed")?;
        let out = tokio::task::spawn_blocking(move || {
            let out = check();
            drop(permit);
            out
        })
        .await
        .context("password check panicked")?;
        Ok(Ok(out))
    }

    /// Counts a failure of the pair at `now`; returns how long it is now blocked, if at all.
    pub async fn failed(
        &self,
        pool: &PgPool,
        username: &str,
        addr: IpAddr,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Duration>> {
        let forget = chrono::Duration::from_std(self.config.forget_after).unwrap_or(chrono::Duration::days(1));
        let mut tx = pool.begin().await.context("counting a login failure")?;
        let failures: i32 = sqlx::query_scalar(
            "insert into login_failures (username, client_addr, failures, last_failed_at)
             values ($1, $2::inet, 1, $3)
             on conflict (username, client_addr) do update set
                 failures = case when login_failures.last_failed_at < $4 then 1
                                 else login_failures.failures + 1 end,
                 last_failed_at = $3
             returning failures",
        )
        .bind(username)
        .bind(addr.to_string())
        .bind(now)
        .bind(now - forget)
        .fetch_one(&mut *tx)
        .await
        .context("counting a login failure")?;
        let block = self.config.block_after(failures.max(0) as u32);
        if let Some(block) = block {
            let until = now + chrono::Duration::from_std(block).unwrap_or(chrono::Duration::minutes(15));
            sqlx::query("update login_failures set blocked_until = $3 where username = $1 and client_addr = $2::inet")
                .bind(username)
                .bind(addr.to_string())
                .bind(until)
                .execute(&mut *tx)
                .await
                .context("blocking a login pair")?;
        }
        tx.commit().await.context("counting a login failure")?;
        Ok(block)
    }

    /// Forgets the pair's failures after a successful login.
    pub async fn succeeded(&self, pool: &PgPool, username: &str, addr: IpAddr) -> anyhow::Result<()> {
        sqlx::query("delete from login_failures where username = $1 and client_addr = $2::inet")
            .bind(username)
            .bind(addr.to_string())
            .execute(pool)
            .await
            .context("forgetting login failures")?;
        Ok(())
    }

    /// Deletes pairs that are neither blocked nor remembered any more at `now`; returns how many.
    pub async fn purge(&self, pool: &PgPool, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let forget = chrono::Duration::from_std(self.config.forget_after).unwrap_or(chrono::Duration::days(1));
        let done = sqlx::query(
            "delete from login_failures where last_failed_at < $1 and (blocked_until is null or blocked_until < $2)",
        )
        .bind(now - forget)
        .bind(now)
        .execute(pool)
        .await
        .context("purging login failures")?;
        Ok(done.rows_affected())
    }
}

/// Purges stale pairs every hour (run it on every replica; purging is idempotent).
pub async fn purge_loop(throttle: LoginThrottle, pool: PgPool) {
    let mut tick = tokio::time::interval(Duration::from_hours(1));
    loop {
        tick.tick().await;
        if let Err(e) = throttle.purge(&pool, Utc::now()).await {
            tracing::warn!(error = %e, "purging login failures failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = ThrottleConfig {
            free_failures: 5,
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_mins(15),
            ..ThrottleConfig::default()
        };
        assert_eq!(c.block_after(4), None);
        assert_eq!(c.block_after(5), Some(Duration::from_secs(30)));
        assert_eq!(c.block_after(6), Some(Duration::from_mins(1)));
        assert_eq!(c.block_after(9), Some(Duration::from_mins(8)));
        assert_eq!(c.block_after(10), Some(Duration::from_mins(15)));
        assert_eq!(c.block_after(u32::MAX), Some(Duration::from_mins(15)));
    }

    #[tokio::test]
    async fn checks_wait_for_a_permit_and_give_up_in_time() {
        let t = LoginThrottle::new(ThrottleConfig {
            max_hashes: 1,
            hash_wait: Duration::from_millis(50),
            ..ThrottleConfig::default()
        });
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t2 = t.clone();
        let first = tokio::spawn(async move { t2.hash(move || rx.recv().is_ok()).await });
        // The first check holds the only permit until we release it.
        while t.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let second = t.hash(|| true).await.expect("no panic");
        assert!(matches!(second, Err(Refusal::Busy { .. })), "{second:?}");
        tx.send(()).expect("release");
        assert_eq!(first.await.expect("join").expect("no panic"), Ok(true));
        assert_eq!(t.hash(|| 7).await.expect("no panic"), Ok(7));
    }
}
