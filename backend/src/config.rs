//! Runtime configuration, from the environment (the xtask sets it for `run` and `test`).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything `citygrid serve` needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `CITYGRID_LISTEN`, default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// `CITYGRID_MARTIN_URL`, default `http://127.0.0.1:3000`: martin on loopback.
    pub martin_url: String,
    /// `CITYGRID_STATIC_DIR`: the built frontend, served at `/` when present.
    pub static_dir: Option<PathBuf>,
    /// `CITYGRID_DEMO_PASSWORD`, default `citygrid-demo`: password of the demo accounts created
    /// on first start.
    pub demo_password: String,
    /// `CITYGRID_PUBLIC_ORIGIN` (like `https://grid.example.cn`): the origin tile URLs in the
    /// style point at; default: the request's `Host`.
    pub public_origin: Option<String>,
    /// `CITYGRID_TOKEN_HOURS`, default 12: how long a login lasts.
    pub token_hours: i64,
    /// `CITYGRID_ESCALATION_SECONDS`, default 60: how often overdue incidents are escalated
    /// (`0` turns the task off).
    pub escalation_interval: Option<std::time::Duration>,
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
            demo_password: DEFAULT_DEMO_PASSWORD.into(),
            token_hours: 12,
            public_origin: None,
            escalation_interval: Some(std::time::Duration::from_mins(1)),
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
        Ok(Config {
            database_url,
            listen,
            martin_url: var("CITYGRID_MARTIN_URL").unwrap_or_else(|| "http://127.0.0.1:3000".into()),
            static_dir: var("CITYGRID_STATIC_DIR").map(PathBuf::from),
            demo_password: var("CITYGRID_DEMO_PASSWORD").unwrap_or_else(|| DEFAULT_DEMO_PASSWORD.into()),
            token_hours,
            public_origin: var("CITYGRID_PUBLIC_ORIGIN").map(|o| o.trim_end_matches('/').to_owned()),
            escalation_interval: (escalation_secs > 0).then(|| std::time::Duration::from_secs(escalation_secs)),
        })
    }
}
