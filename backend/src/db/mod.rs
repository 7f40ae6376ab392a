//! Connection pool, migrations, and template databases for tests ([`template`]).

use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

pub mod template;

/// The migrations in `migrations/`, embedded at compile time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// How long a request of `citygrid serve` waits for a database connection before it is answered
/// 503 (`unavailable`, with `Retry-After`): PostgreSQL down, or every connection busy. Short,
/// so an outage is reported within a second instead of holding requests.
pub const SERVE_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(800);

/// Opens a pool on `url`. Fails fast (5 s) when PostgreSQL is not reachable.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    connect_with_timeout(url, max_connections, Duration::from_secs(5)).await
}

/// Opens a pool on `url` whose connections are waited for at most `acquire_timeout`.
pub async fn connect_with_timeout(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = url.parse().map_err(|e: sqlx::Error| {
        // sqlx's own message may quote the URL: say only what is wrong, redacted.
        let why = redact(&e.to_string());
        anyhow::anyhow!("DATABASE_URL {} is not a PostgreSQL URL: {why}", redact(url))
    })?;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .connect_with(options.application_name("citygrid"))
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {}", redact(url)))
}

/// True when `e` says PostgreSQL could not be reached (down, restarting, or no connection free
/// within the pool's timeout), as opposed to a query that failed: the request may be retried.
#[must_use]
pub fn is_unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause.downcast_ref::<sqlx::Error>().is_some_and(|e| {
            matches!(
                e,
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed
            )
        }) || cause.downcast_ref::<std::io::Error>().is_some()
    })
}

/// Applies pending migrations.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("applying migrations")
}

/// `text` (a URL, or a message that contains one) with every password replaced by `***`: the
/// `user:password@` of a URL and any `password=` parameter.
#[must_use]
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // user:password@host in each `scheme://` of the text.
    while let Some(scheme) = rest.find("://") {
        let (head, tail) = rest.split_at(scheme + 3);
        out.push_str(head);
        let authority_end =
            tail.find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace()).unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..colon]);
                out.push_str(":***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    // password=… parameters (URL query or key/value connection strings).
    let mut redacted = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.to_ascii_lowercase().find("password=") {
        let (head, tail) = rest.split_at(i + "password=".len());
        redacted.push_str(head);
        redacted.push_str("***");
        let end = tail.find(|c: char| c == '&' || c.is_whitespace() || c == '"' || c == '\'').unwrap_or(tail.len());
        rest = &tail[end..];
    }
    redacted.push_str(rest);
    redacted
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h:5432/d"), "postgres://u:***@h:5432/d");
        assert_eq!(redact("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(redact("postgres:///d?host=/tmp"), "postgres:///d?host=/tmp");
        assert_eq!(redact("postgres://u:p@ss@h/d"), "postgres://u:***@h/d");
        assert_eq!(
            redact("postgres:///d?user=u&password=secret&host=/tmp"),
            "postgres:///d?user=u&password=***&host=/tmp"
        );
        assert_eq!(
            redact("error: \"postgresql://a:b@h:1/d\" is bad, password=x y"),
            "error: \"postgresql://a:***@h:1/d\" is bad, password=*** y"
        );
        assert_eq!(redact("not a url at all"), "not a url at all");
    }
}
