//! Runtime configuration, from the environment (the xtask sets it for `run` and `test`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::login_throttle::ThrottleConfig;

/// Everything `citygrid serve` needs to know. Its `Debug` redacts the database password.
#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `CITYGRID_LISTEN`, default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// `CITYGRID_MARTIN_URL`, default `http://127.0.0.1:3000`: martin on loopback.
    pub martin_url: String,
    /// `CITYGRID_STATIC_DIR`: the built frontend, served at `/` when present.
    pub static_dir: Option<PathBuf>,
    /// `CITYGRID_DEMO_ACCOUNTS=1` (set by `cargo xtask run`; `citygrid serve --demo-accounts`):
    /// create the demo accounts (admin, planner, dispatcher, leader) that do not exist yet.
    pub demo_accounts: bool,
    /// `CITYGRID_DEMO_PASSWORD`, default `citygrid-demo`: password of the demo accounts when
    /// they are created. `serve` refuses to listen on a non-loopback address while any demo
    /// account still has the published default.
    pub demo_password: String,
    /// Login throttling (`CITYGRID_LOGIN_*`, see [`ThrottleConfig`]).
    pub login: ThrottleConfig,
    /// Bounds on slow clients and slow requests (`CITYGRID_*_TIMEOUT_SECONDS`).
    pub timeouts: Timeouts,
    /// `CITYGRID_PUBLIC_ORIGIN` (like `https://grid.example.cn`): the origin tile URLs in the
    /// style point at; default: the request's `Host`.
    pub public_origin: Option<String>,
    /// `CITYGRID_TOKEN_HOURS`, default 12: how long a login lasts.
    pub token_hours: i64,
    /// `CITYGRID_ESCALATION_SECONDS`, default 60: how often overdue incidents are escalated
    /// (`0` turns the task off).
    pub escalation_interval: Option<Duration>,
    /// `CITYGRID_COVERAGE_MIN_SHARE`, default 0.3: the share of a footprint one camera must see
    /// for the building to count as covered (above 0, at most 1).
    pub coverage_min_share: f64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &crate::db::redact(&self.database_url))
            .field("listen", &self.listen)
            .field("martin_url", &self.martin_url)
            .field("static_dir", &self.static_dir)
            .field("demo_accounts", &self.demo_accounts)
            .field("public_origin", &self.public_origin)
            .field("token_hours", &self.token_hours)
            .field("escalation_interval", &self.escalation_interval)
            .field("login", &self.login)
            .field("timeouts", &self.timeouts)
            .field("coverage_min_share", &self.coverage_min_share)
            .finish_non_exhaustive()
    }
}

/// How long the server waits for slow clients and slow requests (see `http::serve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// The request line and headers (also a kept-alive connection's idle time before its next
    /// request); beyond it the connection is closed. Default 10 s.
    pub header_read: Duration,
    /// A request body, from its first byte to its last; beyond it 408. Default 15 s.
    pub body_read: Duration,
    /// A whole request, body and handler included; beyond it 503. Default 30 s.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(15),
            request: Duration::from_secs(30),
        }
    }
}

/// The documented default password of the demo accounts.
pub const DEFAULT_DEMO_PASSWORD: &str = "citygrid-demo";

impl Config {
    /// The defaults for a database: loopback listen address and martin, no static files, the
    /// demo password, 12-hour logins, escalation every minute.
    #[must_use]
    pub fn new(database_url: String) -> Self {
        Config {
            database_url,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            martin_url: "http://127.0.0.1:3000".into(),
            static_dir: None,
            demo_accounts: false,
            demo_password: DEFAULT_DEMO_PASSWORD.into(),
            login: ThrottleConfig::default(),
            timeouts: Timeouts::default(),
            token_hours: 12,
            public_origin: None,
            escalation_interval: Some(Duration::from_mins(1)),
            coverage_min_share: crate::coverage::DEFAULT_MIN_SHARE,
        }
    }

    /// Reads the environment; a malformed value is an error that names the variable.
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let database_url = var("DATABASE_URL")
            .ok_or_else(|| anyhow::anyhow!("DATABASE_URL is not set (cargo xtask run sets it for you)"))?;
        let listen = var("CITYGRID_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .map_err(|e| anyhow::anyhow!("CITYGRID_LISTEN: {e}"))?;
        let token_hours = var("CITYGRID_TOKEN_HOURS")
            .map(|v| v.parse::<i64>().map_err(|e| anyhow::anyhow!("CITYGRID_TOKEN_HOURS {v:?}: {e}")))
            .transpose()?
            .unwrap_or(12);
        let escalation_secs = var("CITYGRID_ESCALATION_SECONDS")
            .map(|v| v.parse::<u64>().map_err(|e| anyhow::anyhow!("CITYGRID_ESCALATION_SECONDS {v:?}: {e}")))
            .transpose()?
            .unwrap_or(60);
        let number = |name: &str| -> anyhow::Result<Option<u64>> {
            var(name).map(|v| v.parse::<u64>().map_err(|e| anyhow::anyhow!("{name} {v:?}: {e}"))).transpose()
        };
        let defaults = ThrottleConfig::default();
        let login = ThrottleConfig {
            free_failures: number("CITYGRID_LOGIN_FREE_FAILURES")?.map_or(defaults.free_failures, |n| n as u32),
            backoff: number("CITYGRID_LOGIN_BACKOFF_SECONDS")?.map_or(defaults.backoff, Duration::from_secs),
            max_backoff: number("CITYGRID_LOGIN_MAX_BACKOFF_SECONDS")?
                .map_or(defaults.max_backoff, Duration::from_secs),
            max_hashes: number("CITYGRID_LOGIN_MAX_HASHES")?.map_or(defaults.max_hashes, |n| (n as usize).max(1)),
            hash_wait: number("CITYGRID_LOGIN_HASH_WAIT_MS")?.map_or(defaults.hash_wait, Duration::from_millis),
            ..defaults
        };
        let seconds = |name: &str, default: Duration| -> anyhow::Result<Duration> {
            Ok(number(name)?.filter(|n| *n > 0).map_or(default, Duration::from_secs))
        };
        let t = Timeouts::default();
        let timeouts = Timeouts {
            header_read: seconds("CITYGRID_HEADER_TIMEOUT_SECONDS", t.header_read)?,
            body_read: seconds("CITYGRID_BODY_TIMEOUT_SECONDS", t.body_read)?,
            request: seconds("CITYGRID_REQUEST_TIMEOUT_SECONDS", t.request)?,
        };
        let coverage_min_share = match var("CITYGRID_COVERAGE_MIN_SHARE") {
            None => crate::coverage::DEFAULT_MIN_SHARE,
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|x| *x > 0.0 && *x <= 1.0)
                .ok_or_else(|| anyhow::anyhow!("CITYGRID_COVERAGE_MIN_SHARE {v:?}: a share above 0, at most 1"))?,
        };
        let demo_accounts = match var("CITYGRID_DEMO_ACCOUNTS").as_deref() {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(v) => anyhow::bail!("CITYGRID_DEMO_ACCOUNTS {v:?}: 1 or 0"),
        };
        Ok(Config {
            database_url,
            listen,
            martin_url: var("CITYGRID_MARTIN_URL").unwrap_or_else(|| "http://127.0.0.1:3000".into()),
            static_dir: var("CITYGRID_STATIC_DIR").map(PathBuf::from),
            demo_accounts,
            demo_password: var("CITYGRID_DEMO_PASSWORD").unwrap_or_else(|| DEFAULT_DEMO_PASSWORD.into()),
            login,
            timeouts,
            token_hours,
            public_origin: var("CITYGRID_PUBLIC_ORIGIN").map(|o| o.trim_end_matches('/').to_owned()),
            escalation_interval: (escalation_secs > 0).then(|| Duration::from_secs(escalation_secs)),
            coverage_min_share,
        })
    }
}
