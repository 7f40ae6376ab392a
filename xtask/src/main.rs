//! `cargo xtask <command>`: CityGrid's automation.
//!
//! - `run [--scale demo|full] [--listen ADDR] [--martin-port N]`: provision, load, build, serve.
//! - `test`: provision, fmt + clippy, load the demo city, every test (unit, DB, API, tiles, browser).
//! - `browser [file…]`: only the browser tests (of `tests/browser/<file>.test.mjs`, or all).
//! - `setup`: only provision the machine (packages, PostgreSQL, martin, the test tools: npm packages and
//!   schemathesis, the frontend build).
//! - `bench <tiles|route|plan|heat|stats|coverage|profile>`: benchmarks against a baseline measured in the same run.

mod frontend;
mod martin;
mod provision;
mod sh;
mod testing;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context as _};

const USAGE: &str = "usage: cargo xtask <run|test|setup|bench> [options]
  run    [--scale demo|full] [--listen 127.0.0.1:8080] [--martin-port 3000]
         provision PostgreSQL/PostGIS, martin and the frontend, load the Huai'an dataset if the
         database is empty, and serve CityGrid until Ctrl-C
  test   provision, then fmt, clippy and the whole test suite against real PostGIS
  browser [file…]
         only the browser tests, of tests/browser/<file>.test.mjs (all files when none is named)
  setup  provision only (packages, PostgreSQL, martin, the test tools, the frontend build)
  bench  <route|tiles|plan|heat|stats|coverage|profile> [--scale full|demo]
         benchmarks on the full-scale city (database citygrid_bench, loaded on first use),
         each against a baseline measured in the same run";

/// The password of the demo accounts when `CITYGRID_DEMO_PASSWORD` is not set (the backend's
/// `config::DEFAULT_DEMO_PASSWORD`).
pub const DEMO_PASSWORD: &str = "citygrid-demo";

fn main() {
    if let Err(e) = real_main() {
        eprintln!("\nxtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        println!("{USAGE}");
        return Ok(());
    };
    let root = sh::root();
    std::env::set_current_dir(&root)?;
    match command.as_str() {
        "run" => run(&root, &Options::parse(&args[1..])?),
        "test" => test(&root),
        "bench" => {
            let what = args.get(1).map(String::as_str);
            let opts = Options::parse(args.get(2..).unwrap_or_default())?;
            let scale = if args.iter().any(|a| a == "--scale") { opts.scale.as_str() } else { "full" };
            match what {
                Some("route") => bench(&root, "route", scale),
                Some("tiles") => bench(&root, "tiles", scale),
                Some("plan") => bench(&root, "plan", scale),
                Some("heat") => bench(&root, "heat", scale),
                Some("stats") => bench(&root, "stats", scale),
                Some("coverage") => bench(&root, "coverage", scale),
                Some("profile") => bench(&root, "profile", scale),
                _ => bail!(
                    "bench what? `cargo xtask bench route`, `tiles`, `plan`, `heat`, `stats`, `coverage` or `profile`"
                ),
            }
        }
        "browser" => browser(&root, &args[1..]),
        "setup" => {
            provision::database(provision::RUN_DB, false)?;
            provision::packages(true)?;
            martin::ensure_installed()?;
            testing::npm_ci(&root.join("tests").join("browser"))?;
            testing::schemathesis(&root)?;
            frontend::build(&root)?;
            Ok(())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

struct Options {
    scale: String,
    listen: String,
    martin_port: u16,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut o = Options { scale: "demo".into(), listen: "127.0.0.1:8080".into(), martin_port: 3000 };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--scale" => o.scale.clone_from(value()?),
                "--listen" => o.listen.clone_from(value()?),
                "--martin-port" => {
                    o.martin_port = value()?.parse().context("--martin-port takes a port number")?;
                }
                other => bail!("unknown option {other:?}\n{USAGE}"),
            }
        }
        if !["tiny", "demo", "full"].contains(&o.scale.as_str()) {
            bail!("--scale must be tiny, demo or full, not {:?}", o.scale);
        }
        Ok(o)
    }
}

/// Builds the backend binary and returns its path: the dev profile for tests and benchmark data
/// (one compile, shared with clippy and `cargo test`), `--release` for `run`, which serves it.
fn build_backend(root: &Path, release: bool) -> anyhow::Result<PathBuf> {
    let mut cmd = sh::cargo();
    cmd.args(["build", "-p", "citygrid-backend", "--bin", "citygrid"]);
    if release {
        cmd.arg("--release");
    }
    println!("build: backend (cargo build -p citygrid-backend{})…", if release { " --release" } else { "" });
    sh::run(&mut cmd)?;
    Ok(sh::target_dir(root).join(if release { "release" } else { "debug" }).join("citygrid"))
}

/// `citygrid load` into `url` (with its progress bars).
fn load(bin: &Path, url: &str, scale: &str, if_empty: bool) -> anyhow::Result<()> {
    let mut cmd = Command::new(bin);
    cmd.env("DATABASE_URL", url).args(["load", "--scale", scale]);
    if if_empty {
        cmd.arg("--if-empty");
    }
    sh::run(&mut cmd)
}

/// Starts martin and the backend (with `env` on top of its configuration); returns them (they
/// stop when dropped).
fn serve(
    root: &Path,
    bin: &Path,
    url: &str,
    dist: &Path,
    listen: &str,
    martin_port: u16,
    env: &[(&str, &str)],
) -> anyhow::Result<sh::Children> {
    let mut children = sh::Children::default();
    children.push("martin", martin::spawn(root, url, martin_port, 512)?);
    children.push("backend", spawn_backend(bin, url, dist, listen, martin_port, env)?);
    Ok(children)
}

/// Starts the backend `bin` on `listen` and waits until it answers `/api/health`.
fn spawn_backend(
    bin: &Path,
    url: &str,
    dist: &Path,
    listen: &str,
    martin_port: u16,
    env: &[(&str, &str)],
) -> anyhow::Result<std::process::Child> {
    let mut backend = Command::new(bin)
        .args(["serve", "--demo-accounts"])
        .env("DATABASE_URL", url)
        .env("CITYGRID_LISTEN", listen)
        .env("CITYGRID_MARTIN_URL", format!("http://127.0.0.1:{martin_port}"))
        .env("CITYGRID_STATIC_DIR", dist)
        .envs(env.iter().copied())
        .spawn()
        .context("starting the backend")?;
    let addr: std::net::SocketAddr = listen.parse().with_context(|| format!("--listen {listen:?} is not host:port"))?;
    if !sh::wait_http(addr, "/api/health", 120) {
        let _ = backend.kill();
        bail!("the backend did not answer on http://{listen}/api/health within 120 s (see its log above)");
    }
    Ok(backend)
}

fn run(root: &Path, opts: &Options) -> anyhow::Result<()> {
    let url = provision::database(provision::RUN_DB, false)?;
    let martin_bin = martin::ensure_installed()?;
    let bin = build_backend(root, true)?;
    load(&bin, &url, &opts.scale, true)?;
    martin::ensure_role(provision::RUN_DB)?;
    let dist = frontend::build(root)?;
    println!("run: starting martin ({}) and the backend…", martin_bin.display());
    let mut children = serve(root, &bin, &url, &dist, &opts.listen, opts.martin_port, &[])?;
    let password = std::env::var("CITYGRID_DEMO_PASSWORD").unwrap_or_else(|_| DEMO_PASSWORD.into());
    println!(
        "\nCityGrid (城市网格) is running: http://{}\n\
         Demo accounts (password {password:?}): admin, planner, dispatcher, leader\n\
         Ctrl-C stops it.\n",
        opts.listen
    );
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).context("installing the Ctrl-C handler")?;
    // martin is restarted when it exits (tiles answer 502 meanwhile, the API keeps working); the
    // backend exiting ends the run.
    let mut backoff = MARTIN_RESTART_FIRST;
    let mut martin_since = std::time::Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            println!("\nstopping martin and the backend…");
            children.kill_all();
            return Ok(());
        }
        match children.try_wait_any()? {
            Some((name, status)) if name == "martin" => {
                children.remove("martin");
                if martin_since.elapsed() > MARTIN_RESTART_MAX {
                    backoff = MARTIN_RESTART_FIRST;
                }
                println!("run: martin exited ({status}); restarting it in {} s", backoff.as_secs());
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MARTIN_RESTART_MAX);
                match martin::spawn(root, &url, opts.martin_port, 512) {
                    Ok(child) => {
                        println!("run: martin is back");
                        children.push("martin", child);
                        martin_since = std::time::Instant::now();
                    }
                    Err(e) => eprintln!("run: martin did not start: {e:#}"),
                }
            }
            Some((name, status)) => {
                children.kill_all();
                bail!("{name} exited ({status})");
            }
            None if !children.has("martin") => {
                // The last restart failed: try again after the backoff.
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MARTIN_RESTART_MAX);
                if let Ok(child) = martin::spawn(root, &url, opts.martin_port, 512) {
                    println!("run: martin is back");
                    children.push("martin", child);
                    martin_since = std::time::Instant::now();
                }
            }
            None => {}
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The first wait before restarting martin, doubled after each quick failure up to the maximum
/// (and reset once martin has run that long).
const MARTIN_RESTART_FIRST: std::time::Duration = std::time::Duration::from_secs(1);
const MARTIN_RESTART_MAX: std::time::Duration = std::time::Duration::from_secs(30);

fn test(root: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let admin_url = std::env::var("CITYGRID_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map_or_else(|| provision::database(provision::TEST_DB, true), Ok)?;
    println!("test: cargo fmt --check");
    sh::run(sh::cargo().args(["fmt", "--all", "--check"]))?;
    println!("test: cargo clippy --workspace --all-targets -- -D warnings");
    sh::run(sh::cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    // Before any test: the style test validates with MapLibre's validator from here.
    testing::npm_ci(&root.join("tests").join("browser"))?;
    // The fuzz test's schemathesis, from PyPI here so that the test needs no network.
    let schemathesis = testing::schemathesis(root)?;
    let martin_bin = martin::ensure_installed()?;
    let bin = build_backend(root, false)?;
    let dist = frontend::build(root)?;
    let prefix = testing::db_prefix(root);
    let dropped = testing::drop_databases(&prefix)?;
    if dropped > 0 {
        println!("test: dropped {dropped} databases left by an earlier run ({prefix}_*)");
    }
    let result = (|| {
        testing::build_template(&bin, &admin_url, &prefix)?;
        println!("test: cargo test --workspace");
        sh::run(
            sh::cargo()
                .args(["test", "--workspace"])
                .env("CITYGRID_TEST_DATABASE_URL", &admin_url)
                .env("CITYGRID_TEST_DB_PREFIX", &prefix)
                .env("CITYGRID_MARTIN_BIN", &martin_bin)
                .env("CITYGRID_SCHEMATHESIS", &schemathesis),
        )?;
        println!("test: browser tests (headless Chromium), each file on its own database");
        testing::browser_tests(root, &bin, &dist, &prefix, &[])
    })();
    let dropped = testing::drop_databases(&prefix)?;
    println!("test: dropped the run's {dropped} databases; {:.0} s in all", started.elapsed().as_secs_f64());
    result
}

/// `cargo xtask browser [file…]`: the browser tests alone (of the named files), each file on its
/// own clone of the template, as `test` runs them.
fn browser(root: &Path, only: &[String]) -> anyhow::Result<()> {
    let admin_url = std::env::var("CITYGRID_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .map_or_else(|| provision::database(provision::TEST_DB, true), Ok)?;
    testing::npm_ci(&root.join("tests").join("browser"))?;
    martin::ensure_installed()?;
    let bin = build_backend(root, false)?;
    let dist = frontend::build(root)?;
    let prefix = testing::db_prefix(root);
    testing::build_template(&bin, &admin_url, &prefix)?;
    testing::browser_tests(root, &bin, &dist, &prefix, only)
}

/// `cargo xtask bench <what>`: release builds of `backend/examples/bench_*.rs` against the
/// city in `citygrid_bench` (loaded at `scale` on first use).
fn bench(root: &Path, what: &str, scale: &str) -> anyhow::Result<()> {
    let url = provision::database(provision::BENCH_DB, false)?;
    let bin = build_backend(root, false)?;
    load(&bin, &url, scale, true)?;
    println!("bench: building the {what} benchmark (release)…");
    let example = format!("bench_{what}");
    sh::run(sh::cargo().args(["build", "--release", "-p", "citygrid-backend", "--example", &example]))?;
    let exe = sh::target_dir(root).join("release").join("examples").join(&example);
    if what == "route" || what == "stats" {
        return sh::run(Command::new(&exe).env("DATABASE_URL", &url));
    }
    if what == "coverage" {
        // Camera moves write: they run on a clone, never on the bench city itself.
        let clone = format!("{}_coverage", provision::BENCH_DB);
        provision::clone_database(provision::BENCH_DB, &clone)?;
        let mut cmd = Command::new(&exe);
        cmd.env("DATABASE_URL", &url).env("BENCH_CLONE_URL", provision::local_url(&clone));
        cmd.env("BENCH_MCLP_SCRIPT", root.join("tests").join("mclp").join("exact_mclp.py"));
        match bench_python(root) {
            Ok(python) => {
                cmd.env("BENCH_PYTHON", python);
            }
            Err(e) => println!("bench: exact placement baseline unavailable: {e:#}"),
        }
        let result = sh::run(&mut cmd);
        provision::drop_database(&clone)?;
        return result;
    }
    if what == "profile" {
        // The two builds side by side on one database and one martin.
        let release = build_backend(root, true)?;
        martin::ensure_role(provision::BENCH_DB)?;
        let dist = sh::target_dir(root).join("tmp").join("bench-profile-static");
        std::fs::create_dir_all(&dist)?;
        let quiet = [("CITYGRID_ESCALATION_SECONDS", "0")];
        let mut children = sh::Children::default();
        children.push("martin", martin::spawn(root, &url, 13300, 512)?);
        children.push("dev backend", spawn_backend(&bin, &url, &dist, "127.0.0.1:13310", 13300, &quiet)?);
        children.push("release backend", spawn_backend(&release, &url, &dist, "127.0.0.1:13311", 13300, &quiet)?);
        return sh::run(
            Command::new(&exe)
                .env("DATABASE_URL", &url)
                .env("BENCH_DEV_URL", "http://127.0.0.1:13310")
                .env("BENCH_RELEASE_URL", "http://127.0.0.1:13311"),
        );
    }
    if what == "plan" {
        // Plans change the city: work on a clone, never on the bench city itself.
        let clone = std::env::var("CITYGRID_BENCH_CLONE").unwrap_or_else(|_| format!("{}_plan", provision::BENCH_DB));
        provision::clone_database(provision::BENCH_DB, &clone)?;
        let mut cmd = Command::new(&exe);
        cmd.env("DATABASE_URL", provision::local_url(&clone));
        match bench_python(root) {
            Ok(python) => {
                cmd.env("BENCH_PYTHON", python);
            }
            Err(e) => println!("bench: shapely baseline unavailable: {e:#}"),
        }
        let result = sh::run(&mut cmd);
        provision::drop_database(&clone)?;
        return result;
    }
    martin::ensure_role(provision::BENCH_DB)?;
    // The naive tiles are measured once, in the cold pass; the warm pass reuses them.
    let naive = sh::target_dir(root).join("tmp").join("bench-heat-naive.tsv");
    std::fs::create_dir_all(naive.parent().context("tmp dir")?)?;
    let _ = std::fs::remove_file(&naive);
    for (label, cache_mb) in [("cold", 0), ("warm", 512)] {
        let mut children = sh::Children::default();
        children.push("martin", martin::spawn(root, &url, 13300, cache_mb)?);
        sh::run(
            Command::new(&exe)
                .env("DATABASE_URL", &url)
                .env("CITYGRID_MARTIN_URL", "http://127.0.0.1:13300")
                .env("BENCH_LABEL", label)
                .env("BENCH_NAIVE_FILE", &naive),
        )?;
    }
    Ok(())
}

/// A Python for the benchmarks' independent baselines, a venv in the target directory: shapely
/// (`coverage_is_valid`, for `plan`) and PuLP/CBC (the exact placement optimum, for `coverage`).
fn bench_python(root: &Path) -> anyhow::Result<PathBuf> {
    let venv = sh::target_dir(root).join("bench-venv");
    let python = venv.join("bin").join("python");
    let ready = |p: &Path| {
        Command::new(p)
            .args(["-c", "import shapely, pulp; assert shapely.geos_version >= (3, 12, 0)"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        sh::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        sh::run(
            Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", "shapely>=2.1", "-r"])
                .arg(root.join("tests").join("mclp").join("requirements.txt")),
        )?;
    }
    Ok(python)
}
