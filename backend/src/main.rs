//! `citygrid`: serve the API, apply migrations or load the Huai'an dataset.

use std::path::PathBuf;

use anyhow::Context as _;
use citygrid::config::Config;
use citygrid::dataset::{self, LoadOptions, Scale};
use citygrid::login_throttle::LoginThrottle;
use citygrid::{accounts, config, db, http};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "citygrid", about = "CityGrid (城市网格): spatial governance backend")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the API (and the frontend).
    Serve {
        /// Create the demo accounts that do not exist yet (also `CITYGRID_DEMO_ACCOUNTS=1`).
        #[arg(long)]
        demo_accounts: bool,
    },
    /// Apply pending migrations.
    Migrate,
    /// Generate and load the Huai'an dataset into an empty database.
    Load {
        /// `tiny`, `demo` or `full`.
        #[arg(long, default_value = "demo")]
        scale: String,
        /// Generator seed: the same seed gives byte-identical data.
        #[arg(long, default_value_t = 2019)]
        seed: u64,
        /// The district boundaries to start from.
        #[arg(long, default_value = "data/huaian_districts.geojson")]
        districts: PathBuf,
        /// Do nothing (successfully) when a dataset is already loaded.
        #[arg(long)]
        if_empty: bool,
    },
    /// Build (or confirm up to date) a template database holding a loaded city, for tests to
    /// clone. `DATABASE_URL` names any database of the cluster to connect to.
    Template {
        /// The template's name.
        #[arg(long)]
        name: String,
        /// `tiny`, `demo` or `full`.
        #[arg(long, default_value = "tiny")]
        scale: String,
        #[arg(long, default_value_t = 2019)]
        seed: u64,
        #[arg(long, default_value = "data/huaian_districts.geojson")]
        districts: PathBuf,
        /// Create the demo accounts with this password.
        #[arg(long)]
        demo_password: Option<String>,
    },
    /// Recompute the statistics rollups from the raw incidents (`rollups rebuild`).
    Rollups {
        #[command(subcommand)]
        action: RollupsAction,
    },
}

#[derive(Subcommand)]
enum RollupsAction {
    /// Recompute every rollup in one transaction (incident writes wait for it).
    Rebuild,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "citygrid=info,tower_http=warn,sqlx=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let database_url = std::env::var("DATABASE_URL").context("DATABASE_URL is not set")?;
    match cli.command {
        Command::Migrate => {
            let pool = db::connect(&database_url, 2).await?;
            db::migrate(&pool).await?;
            eprintln!("migrations applied");
        }
        Command::Load { scale, seed, districts, if_empty } => {
            let scale: Scale = scale.parse()?;
            let pool = db::connect(&database_url, 4).await?;
            db::migrate(&pool).await?;
            let opts = LoadOptions { scale, seed, districts_path: districts, progress: true };
            let report = if if_empty {
                dataset::ensure_loaded(&pool, &opts).await?
            } else {
                Some(dataset::load(&pool, &opts).await?)
            };
            match report {
                Some(report) => eprintln!("{report}"),
                None => eprintln!("dataset already loaded; nothing to do"),
            }
        }
        Command::Rollups { action: RollupsAction::Rebuild } => {
            let pool = db::connect(&database_url, 2).await?;
            db::migrate(&pool).await?;
            eprint!("{}", citygrid::stats::rollups::rebuild(&pool).await?);
        }
        Command::Template { name, scale, seed, districts, demo_password } => {
            let spec = db::template::TemplateSpec {
                name: name.clone(),
                load: LoadOptions { scale: scale.parse()?, seed, districts_path: districts, progress: true },
                demo_password,
                clone_only: true,
            };
            match db::template::ensure(&database_url, &spec).await? {
                Some(took) => eprintln!("template {name}: built in {:.1} s", took.as_secs_f64()),
                None => eprintln!("template {name}: up to date"),
            }
        }
        Command::Serve { demo_accounts } => {
            let mut config = Config::from_env()?;
            config.demo_accounts |= demo_accounts;
            let pool = db::connect_with_timeout(&config.database_url, 16, db::SERVE_ACQUIRE_TIMEOUT).await?;
            db::migrate(&pool).await?;
            let throttle = LoginThrottle::new(config.login.clone());
            if config.demo_accounts {
                accounts::ensure_demo_accounts(&pool, &throttle, &config.demo_password).await?;
            }
            if !config.listen.ip().is_loopback() {
                let exposed =
                    accounts::demo_accounts_with_password(&pool, &throttle, config::DEFAULT_DEMO_PASSWORD).await?;
                anyhow::ensure!(
                    exposed.is_empty(),
                    "refusing to listen on {} (not loopback): demo account(s) {} still have the published default \
                     password; reset them (admin page or PUT /api/users/{{name}}/password) or create them with \
                     CITYGRID_DEMO_PASSWORD set",
                    config.listen,
                    exposed.join(", ")
                );
            }
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            tracing::info!("CityGrid listening on http://{}", listener.local_addr()?);
            let engine = citygrid::routing::sync::start(&pool).await?;
            tokio::spawn(citygrid::incidents::escalation_loop(pool.clone(), config.escalation_interval));
            tokio::spawn(citygrid::login_throttle::purge_loop(throttle, pool.clone()));
            tokio::spawn(citygrid::planning::schedule::run(
                pool.clone(),
                citygrid::planning::schedule::EVERY,
                std::sync::Arc::new(chrono::Utc::now),
            ));
            let header_read = config.timeouts.header_read;
            let state = http::AppState::new(pool.clone(), config, engine);
            // Coverage loads at startup (not on the first request) and makes the persisted
            // coverage current; blind spots are then recomputed in the background.
            let coverage = state.coverage.get().await?;
            tracing::info!(buildings = coverage.footprints().len(), "coverage model ready");
            tokio::spawn(citygrid::coverage::sync::blind_spot_loop(
                pool.clone(),
                citygrid::coverage::sync::BLIND_SPOT_IDLE,
            ));
            tokio::spawn(citygrid::tiles::follow::run(pool, state.layer_versions.clone()));
            let app = http::app(state);
            http::serve_with(listener, app, header_read, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        }
    }
    Ok(())
}
