//! Shared by the benchmarks: the real router on a loopback port, logged in.

use std::sync::Arc;

use anyhow::Context as _;
use citygrid::config::{Config, DEFAULT_DEMO_PASSWORD};
use citygrid::routing::Engine;
use sqlx::PgPool;

/// A backend serving `pool` on 127.0.0.1 (martin at `martin_url`), and a logged-in client.
pub struct Backend {
    pub base: String,
    pub client: reqwest::Client,
    pub token: String,
}

/// Starts the router in this process and logs in as `username` (demo password, or
/// `CITYGRID_DEMO_PASSWORD` for accounts created with another one).
pub async fn serve(pool: &PgPool, engine: Arc<Engine>, martin_url: &str, username: &str) -> anyhow::Result<Backend> {
    let password = std::env::var("CITYGRID_DEMO_PASSWORD").unwrap_or_else(|_| DEFAULT_DEMO_PASSWORD.into());
    let config = Config { martin_url: martin_url.to_owned(), escalation_interval: None, ..Config::new(String::new()) };
    let throttle = citygrid::login_throttle::LoginThrottle::new(config.login.clone());
    citygrid::accounts::ensure_demo_accounts(pool, &throttle, &password).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = citygrid::http::app(citygrid::http::AppState::new(pool.clone(), config, engine));
    tokio::spawn(citygrid::http::serve(listener, app, std::future::pending()));
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().with_context(|| format!("login as {username} failed: {login}"))?.to_owned();
    Ok(Backend { base, client, token })
}
