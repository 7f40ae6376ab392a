//! Machine provisioning: Debian packages, the PostgreSQL cluster, roles and databases.
//!
//! Runs as root on a fresh Debian/Ubuntu machine and installs what is missing with apt. Without
//! root it installs nothing and says exactly what to install, or uses `DATABASE_URL`.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context as _};

use crate::sh;

/// The password of the local `citygrid` role (a loopback-only development cluster).
pub const DB_PASSWORD: &str = "citygrid";
/// The database `run` serves from.
pub const RUN_DB: &str = "citygrid";
/// The (empty) database tests connect to for creating and dropping their own databases.
pub const TEST_DB: &str = "citygrid_test";
/// The database benchmarks run on (full scale by default).
pub const BENCH_DB: &str = "citygrid_bench";
/// An empty migrated-ready database with PostGIS that tests clone for fresh databases.
pub const TEMPLATE_DB: &str = "citygrid_template";

/// A Debian package and a file whose presence shows it is installed.
struct Package {
    name: &'static str,
    probe: &'static str,
    why: &'static str,
}

const PACKAGES: &[Package] = &[
    Package { name: "postgresql-15", probe: "/usr/lib/postgresql/15/bin/postgres", why: "the database" },
    Package {
        name: "postgresql-15-postgis-3",
        probe: "/usr/share/postgresql/15/extension/postgis.control",
        why: "spatial types and functions",
    },
    Package {
        name: "fonts-noto-cjk",
        probe: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        why: "Chinese map labels (glyphs served by martin)",
    },
    Package { name: "nodejs", probe: "/usr/bin/node", why: "bundling maplibre-gl and the browser tests" },
    Package { name: "npm", probe: "/usr/bin/npm", why: "fetching maplibre-gl and playwright-core" },
    Package { name: "rustc-web", probe: "/usr/bin/rustc", why: "building the wasm frontend (std from source)" },
    Package { name: "cargo-web", probe: "/usr/bin/cargo", why: "building the wasm frontend" },
    Package {
        name: "rust-web-src",
        probe: "/usr/lib/rustlib/src/rust/library/std/Cargo.toml",
        why: "std source for -Zbuild-std",
    },
];

/// Packages only the tests need.
const TEST_PACKAGES: &[Package] = &[
    Package { name: "chromium", probe: "/usr/bin/chromium", why: "browser tests (headless)" },
    Package { name: "python3-venv", probe: "/usr/share/doc/python3-venv", why: "the fuzzer's venv (schemathesis)" },
];

/// True when rustup can build for wasm32 without Debian's toolchain.
pub fn rustup_has_wasm_target() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == "wasm32-unknown-unknown"))
}

/// Installs the missing Debian packages (as root), or fails with the list to install.
pub fn packages(for_tests: bool) -> anyhow::Result<()> {
    let wasm_via_rustup = rustup_has_wasm_target();
    let missing: Vec<&Package> = PACKAGES
        .iter()
        .chain(if for_tests { TEST_PACKAGES } else { &[] })
        .filter(|p| !(wasm_via_rustup && ["rustc-web", "cargo-web", "rust-web-src"].contains(&p.name)))
        .filter(|p| !Path::new(p.probe).exists())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|p| p.name).collect();
    if !sh::is_root() || which("apt-get").is_none() {
        let list: Vec<String> = missing.iter().map(|p| format!("  {:<26} {}", p.name, p.why)).collect();
        bail!(
            "CityGrid needs these packages, and installing them needs root with apt-get:\n{}\n\
             Install them with:\n  sudo apt-get install -y {}\n\
             (or set DATABASE_URL to a PostgreSQL 15+ database with PostGIS 3 available)",
            list.join("\n"),
            names.join(" ")
        );
    }
    println!("setup: installing {} with apt-get (first run only)…", names.join(", "));
    sh::run(Command::new("apt-get").args(["update", "-q"]))?;
    sh::run(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&names),
    )?;
    Ok(())
}

/// Finds an executable on PATH.
pub fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
}

/// Runs `sql` in `database` as the PostgreSQL superuser; returns psql's unaligned output.
pub fn psql_as_postgres(database: &str, sql: &str) -> anyhow::Result<String> {
    let out = Command::new("runuser")
        .args(["-u", "postgres", "--", "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql])
        .current_dir("/")
        .output()
        .context("running psql as postgres")?;
    if !out.status.success() {
        bail!("psql ({database}): {sql}\n{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Starts Debian's PostgreSQL 15 cluster when it is down (creating it if there is none).
pub fn start_cluster() -> anyhow::Result<()> {
    let status = Command::new("pg_lsclusters").args(["-h"]).output().context("pg_lsclusters")?;
    let listing = String::from_utf8_lossy(&status.stdout).to_string();
    let line = listing.lines().find(|l| l.starts_with("15 main"));
    if line.is_none() {
        println!("setup: creating PostgreSQL cluster 15/main");
        sh::run(Command::new("pg_createcluster").args(["15", "main"]))?;
    }
    if line.is_none_or(|l| l.split_whitespace().nth(3) != Some("online")) {
        println!("setup: starting PostgreSQL 15/main");
        sh::run(Command::new("pg_ctlcluster").args(["--skip-systemctl-redirect", "15", "main", "start"]))?;
    }
    Ok(())
}

/// The port of the local cluster.
fn cluster_port() -> u16 {
    std::fs::read_to_string("/etc/postgresql/15/main/postgresql.conf")
        .ok()
        .and_then(|conf| {
            conf.lines()
                .filter_map(|l| l.trim().strip_prefix("port"))
                .find_map(|rest| rest.trim_start().strip_prefix('=')?.split('#').next()?.trim().parse().ok())
        })
        .unwrap_or(5432)
}

/// The URL of a database on the local cluster.
#[must_use]
pub fn local_url(database: &str) -> String {
    format!("postgres://citygrid:{DB_PASSWORD}@127.0.0.1:{}/{database}", cluster_port())
}

/// Creates the `citygrid` role and, for each name, a database owned by it with PostGIS.
pub fn databases(names: &[&str]) -> anyhow::Result<()> {
    psql_as_postgres(
        "postgres",
        &format!(
            "do $$ begin
               if not exists (select from pg_roles where rolname = 'citygrid') then
                 create role citygrid login createdb password '{DB_PASSWORD}';
               end if;
             end $$"
        ),
    )?;
    for name in names.iter().chain(&[TEMPLATE_DB]) {
        let exists = psql_as_postgres("postgres", &format!("select 1 from pg_database where datname = '{name}'"))?;
        // Only new databases get PostGIS here: connecting to the template while a test clones it
        // would make that clone fail.
        if exists.is_empty() {
            psql_as_postgres("postgres", &format!("create database {name} owner citygrid"))?;
            psql_as_postgres(name, "create extension if not exists postgis")?;
        }
    }
    psql_as_postgres("postgres", &format!("alter database {TEMPLATE_DB} is_template true"))?;
    Ok(())
}

/// A fresh copy of `template` named `name` (dropped first when it exists). Needs nobody
/// connected to `template`.
pub fn clone_database(template: &str, name: &str) -> anyhow::Result<()> {
    drop_database(name)?;
    psql_as_postgres(
        "postgres",
        &format!("create database {name} owner citygrid template {template} strategy file_copy"),
    )?;
    Ok(())
}

/// Drops a database, disconnecting its sessions.
pub fn drop_database(name: &str) -> anyhow::Result<()> {
    psql_as_postgres("postgres", &format!("drop database if exists {name} with (force)"))?;
    Ok(())
}

/// Everything a local run or test needs from the machine; returns the URL of `database`, or
/// `DATABASE_URL` when the user provides one (then nothing is provisioned but the packages
/// the frontend and tiles need).
pub fn database(database: &str, for_tests: bool) -> anyhow::Result<String> {
    packages(for_tests)?;
    // Tests never touch the user's DATABASE_URL: they create users and incidents, and clone
    // databases (`CITYGRID_TEST_DATABASE_URL` names a test database explicitly).
    if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty() && !for_tests) {
        println!("setup: using DATABASE_URL");
        return Ok(url);
    }
    if !sh::is_root() {
        bail!(
            "without DATABASE_URL, CityGrid provisions Debian's PostgreSQL cluster, which needs root.\n\
             Either run as root, or set DATABASE_URL=postgres://user:password@host:port/db \
             (PostgreSQL 15+ with PostGIS 3 installed)"
        );
    }
    start_cluster()?;
    databases(&[database])?;
    Ok(local_url(database))
}
