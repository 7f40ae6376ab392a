//! martin, the vector tile server: install it, give it a read-only database role, start it.
//!
//! martin runs as a separate process with `tiles/martin.yaml`, on 127.0.0.1 only; the backend
//! proxies it (martin has no authentication).

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// The martin release the configuration is written for (the newest rustc 1.95 can build).
pub const VERSION: &str = "1.14.0";
/// The read-only role martin connects as (created by [`ensure_role`]).
pub const ROLE: &str = "citygrid_tiles";
/// Its password: local development only, the role can do nothing but run the tile functions.
pub const ROLE_PASSWORD: &str = "citygrid_tiles";
/// How long martin may take to answer `/health` after starting.
const START_TIMEOUT: Duration = Duration::from_secs(45);

/// Does `bin --version` report [`VERSION`]?
fn is_wanted_version(bin: &Path) -> bool {
    Command::new(bin).arg("--version").stderr(Stdio::null()).output().is_ok_and(|o| {
        o.status.success() && String::from_utf8_lossy(&o.stdout).split_whitespace().any(|w| w == VERSION)
    })
}

fn cargo_bin_dir() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|c| c.join("bin"))
}

/// martin [`VERSION`] on PATH or in `~/.cargo/bin`, if there is one.
#[must_use]
pub fn find_installed() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("martin")).collect())
        .unwrap_or_default();
    candidates.extend(cargo_bin_dir().map(|d| d.join("martin")));
    candidates.into_iter().find(|c| c.is_file() && is_wanted_version(c))
}

/// The martin binary, installed with `cargo install` (a few minutes, once) when missing.
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    if let Some(bin) = find_installed() {
        return Ok(bin);
    }
    println!(
        "martin {VERSION} not found: installing it with cargo install (postgres + fonts only; \
         about 4 minutes on 2 cores)…"
    );
    let status = crate::sh::cargo()
        .args(["install", "martin", "--version", VERSION, "--locked", "--no-default-features", "--features"])
        .arg("postgres,fonts")
        .status()
        .context("cannot run cargo install martin")?;
    if !status.success() {
        bail!(
            "cargo install martin --version {VERSION} --locked --no-default-features --features postgres,fonts \
             failed ({status}); see its output above"
        );
    }
    find_installed()
        .with_context(|| format!("martin {VERSION} was installed but is neither on PATH nor in ~/.cargo/bin"))
}

/// SQL that creates [`ROLE`] and lets it run the tile functions of `database`, and nothing else
/// (the functions are SECURITY DEFINER, so the role needs no table privileges).
fn role_sql(database: &str) -> String {
    format!(
        r#"
do $$
begin
    if not exists (select 1 from pg_roles where rolname = '{ROLE}') then
        create role {ROLE} login password '{ROLE_PASSWORD}';
    end if;
end
$$;
alter role {ROLE} with login nosuperuser nocreatedb nocreaterole noreplication password '{ROLE_PASSWORD}';
grant connect on database "{database}" to {ROLE};
do $$
declare
    owner text;
begin
    select nspowner::regrole::text into owner from pg_namespace where nspname = 'tiles';
    if owner is null then
        raise notice 'schema tiles does not exist yet: run the migrations, then this again';
        return;
    end if;
    grant usage on schema tiles to {ROLE};
    grant execute on all functions in schema tiles to {ROLE};
    execute format('alter default privileges for role %I in schema tiles grant execute on functions to {ROLE}', owner);
end
$$;
"#
    )
}

/// Creates the read-only role [`ROLE`] for martin and grants it the tile functions of
/// `database` (run after the migrations). Needs a superuser: done through
/// `su postgres -c psql` when running as root next to a local Debian cluster; otherwise prints
/// the SQL to run, and martin keeps using the owner's URL.
pub fn ensure_role(database: &str) -> anyhow::Result<()> {
    if database.is_empty() || !database.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        bail!("database name {database:?} must be letters, digits and _");
    }
    let sql = role_sql(database);
    let local_cluster = Path::new("/etc/postgresql").is_dir() && Path::new("/usr/bin/psql").exists();
    if !(crate::sh::is_root() && local_cluster) {
        println!(
            "martin: cannot create the read-only role {ROLE} here (needs root and a local Debian \
             PostgreSQL cluster). martin will use the main database role. To use the read-only role, \
             run as a PostgreSQL superuser on database {database}:\n{sql}"
        );
        return Ok(());
    }
    let mut child = Command::new("su")
        .args(["postgres", "-c", &format!("psql -X -q -v ON_ERROR_STOP=1 -d {database}")])
        .current_dir("/tmp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run su postgres -c psql")?;
    child.stdin.take().context("psql stdin")?.write_all(sql.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "creating the martin role {ROLE} in {database} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// `database_url` with the user and password replaced by the read-only role's.
#[must_use]
pub fn readonly_url(database_url: &str) -> Option<String> {
    let (scheme, rest) = database_url.split_once("://")?;
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    Some(format!("{scheme}://{ROLE}:{ROLE_PASSWORD}@{host_and_path}"))
}

/// Can `url` run the tile functions? (Asked with psql; false when psql is missing.)
fn can_render_tiles(url: &str) -> bool {
    Command::new("psql")
        .args(["-X", "-q", "-t", "-A", "-c", "select length(tiles.counties(0, 0, 0, '{}'::json)) >= 0", url])
        .env("PGCONNECT_TIMEOUT", "3")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "t")
}

/// The last `lines` lines of the file at `path`.
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Starts martin with `tiles/martin.yaml` on 127.0.0.1:`port` and waits (bounded) until
/// `/health` answers. It connects as the read-only role when that works, else with
/// `database_url`. `cache_mb` = 0 disables martin's cache (cold benchmarks). Its log goes to
/// `target/martin-<port>.log`; on failure the error shows the log's tail.
pub fn spawn(root: &Path, database_url: &str, port: u16, cache_mb: u32) -> anyhow::Result<Child> {
    let bin = ensure_installed()?;
    if crate::sh::http_status(SocketAddr::from((Ipv4Addr::LOCALHOST, port)), "/health").is_some() {
        bail!("port {port} on 127.0.0.1 is already taken (an old martin?); stop it or choose another port");
    }
    let url = readonly_url(database_url).filter(|ro| can_render_tiles(ro)).unwrap_or_else(|| database_url.to_owned());
    let config = root.join("tiles").join("martin.yaml");
    let target = crate::sh::target_dir(root);
    std::fs::create_dir_all(&target)?;
    let log_path = target.join(format!("martin-{port}.log"));
    let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let mut child = Command::new(&bin)
        .arg("--config")
        .arg(&config)
        .env("CITYGRID_MARTIN_DATABASE_URL", &url)
        .env("CITYGRID_MARTIN_PORT", port.to_string())
        .env("CITYGRID_MARTIN_CACHE_MB", cache_mb.to_string())
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "martin=info,warn".into()))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "martin exited ({status}) before answering /health; last lines of {}:\n{}",
                log_path.display(),
                tail(&log_path, 20)
            );
        }
        if crate::sh::http_status(SocketAddr::from((Ipv4Addr::LOCALHOST, port)), "/health") == Some(200) {
            return Ok(child);
        }
        if started.elapsed() > START_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "martin did not answer http://127.0.0.1:{port}/health within {} s; last lines of {}:\n{}",
                START_TIMEOUT.as_secs(),
                log_path.display(),
                tail(&log_path, 20)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readonly_url_swaps_the_user() {
        assert_eq!(
            readonly_url("postgres://citygrid:citygrid@127.0.0.1:5432/citygrid").as_deref(),
            Some("postgres://citygrid_tiles:citygrid_tiles@127.0.0.1:5432/citygrid")
        );
        assert_eq!(
            readonly_url("postgresql://localhost/db?sslmode=disable").as_deref(),
            Some("postgresql://citygrid_tiles:citygrid_tiles@localhost/db?sslmode=disable")
        );
        assert_eq!(readonly_url("not a url"), None);
    }

    #[test]
    fn role_sql_names_the_database() {
        let sql = role_sql("citygrid_test");
        assert!(sql.contains(r#"grant connect on database "citygrid_test" to citygrid_tiles"#));
        assert!(!sql.contains("grant select"));
    }
}
