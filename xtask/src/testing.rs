//! `cargo xtask test`: every test on data of its own.
//!
//! The run loads one small template (the `tiny` city with the demo accounts) and every test
//! clones it (`backend/tests/common`), and so does each browser test file, with a backend and a
//! martin of its own on free ports and escalation off. All databases of a run share a prefix
//! derived from the checkout's path ([`db_prefix`]): the run drops leftovers of an earlier,
//! interrupted run of the same checkout first, and everything it made at the end, without
//! touching other checkouts' databases on the same cluster.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context as _};

use crate::{martin, provision, sh};

/// The seed of the test city (`backend/tests/common::SEED`).
pub const SEED: &str = "2019";

/// `cgt_` and an FNV-1a hash of the checkout's path (the formula `backend/tests/common` falls
/// back to when `cargo test` runs without us).
#[must_use]
pub fn db_prefix(root: &Path) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in root.to_string_lossy().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("cgt_{:08x}", h >> 32)
}

/// The template every test clones.
#[must_use]
pub fn template_name(prefix: &str) -> String {
    format!("{prefix}_tpl")
}

/// Drops every database whose name starts with `prefix_`.
pub fn drop_databases(prefix: &str) -> anyhow::Result<usize> {
    let names = provision::psql_as_postgres(
        "postgres",
        &format!("select datname from pg_database where starts_with(datname, '{prefix}_') order by datname"),
    )?;
    let names: Vec<&str> = names.lines().filter(|l| !l.is_empty()).collect();
    for name in &names {
        provision::psql_as_postgres("postgres", &format!("drop database if exists {name} with (force)"))?;
    }
    Ok(names.len())
}

/// Builds the run's template with the backend binary (progress shown).
pub fn build_template(bin: &Path, admin_url: &str, prefix: &str) -> anyhow::Result<()> {
    let name = template_name(prefix);
    println!("test: loading the tiny city into the template {name}");
    sh::run(Command::new(bin).env("DATABASE_URL", admin_url).args([
        "template",
        "--name",
        &name,
        "--scale",
        "tiny",
        "--seed",
        SEED,
        "--demo-password",
        crate::DEMO_PASSWORD,
    ]))
}

/// `npm ci` in `dir` when its `package-lock.json` changed since the last install (a stamp in
/// `node_modules` remembers the lockfile it installed).
pub fn npm_ci(dir: &Path) -> anyhow::Result<()> {
    let lock = std::fs::read(dir.join("package-lock.json"))
        .with_context(|| format!("{}: no package-lock.json", dir.display()))?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in &lock {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    let stamp = dir.join("node_modules").join(".citygrid-lock");
    if std::fs::read_to_string(&stamp).ok() == Some(format!("{h:016x}")) {
        return Ok(());
    }
    println!("test: npm ci in {}", dir.display());
    sh::run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(dir))?;
    std::fs::write(&stamp, format!("{h:016x}"))?;
    Ok(())
}

/// The pinned schemathesis of `tests/schemathesis/requirements.txt` in
/// `<target>/schemathesis-venv` (where `backend/tests/fuzz.rs` looks), installed from PyPI when
/// absent or another version; its `schemathesis` executable.
pub fn schemathesis(root: &Path) -> anyhow::Result<PathBuf> {
    let requirements = root.join("tests").join("schemathesis").join("requirements.txt");
    let pinned = std::fs::read_to_string(&requirements)
        .with_context(|| format!("{}", requirements.display()))?
        .lines()
        .find_map(|l| l.trim().strip_prefix("schemathesis==").map(str::to_owned))
        .with_context(|| format!("{}: no `schemathesis==` line", requirements.display()))?;
    let venv = sh::target_dir(root).join("schemathesis-venv");
    let bin = venv.join("bin").join("schemathesis");
    let installed = Command::new(&bin).arg("--version").output().ok().filter(|o| o.status.success());
    if installed.is_some_and(|o| String::from_utf8_lossy(&o.stdout).contains(&pinned)) {
        return Ok(bin);
    }
    println!("test: installing schemathesis {pinned} into {}", venv.display());
    sh::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    sh::run(Command::new(venv.join("bin").join("pip")).args(["install", "--quiet", "-r"]).arg(&requirements))?;
    Ok(bin)
}

/// The browser test files, in name order.
fn browser_test_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    Ok(files)
}

/// Runs each browser test file against its own clone of the template, with its own backend
/// (escalation off) and martin on free ports; all files run even when one fails. `only`: the
/// files to run by stem (`planning` for `planning.test.mjs`); empty: all.
pub fn browser_tests(root: &Path, bin: &Path, dist: &Path, prefix: &str, only: &[String]) -> anyhow::Result<()> {
    let dir = root.join("tests").join("browser");
    let artifacts = sh::target_dir(root).join("browser-artifacts");
    std::fs::create_dir_all(&artifacts)?;
    let mut failed = Vec::new();
    let files = browser_test_files(&dir)?;
    for name in only {
        if !files.iter().any(|f| f.file_name().and_then(|n| n.to_str()) == Some(&format!("{name}.test.mjs"))) {
            bail!("no tests/browser/{name}.test.mjs");
        }
    }
    for file in files {
        let stem = file.file_name().and_then(|n| n.to_str()).unwrap_or("x").trim_end_matches(".test.mjs").to_owned();
        if !only.is_empty() && !only.contains(&stem) {
            continue;
        }
        let db = format!("{prefix}_br_{}", stem.replace(|c: char| !c.is_ascii_alphanumeric(), "_").to_lowercase());
        let started = Instant::now();
        provision::psql_as_postgres(
            "postgres",
            &format!("create database {db} owner citygrid template {} strategy wal_log", template_name(prefix)),
        )?;
        martin::ensure_role(&db)?;
        let url = provision::local_url(&db);
        let (port, martin_port) = (sh::free_port()?, sh::free_port()?);
        let listen = format!("127.0.0.1:{port}");
        let result = crate::serve(root, bin, &url, dist, &listen, martin_port, &[("CITYGRID_ESCALATION_SECONDS", "0")])
            .and_then(|children| {
                println!("test: browser {stem} (database {db}, ready in {:.1} s)", started.elapsed().as_secs_f64());
                let run = sh::run(
                    Command::new("node")
                        .args(["--test", "--test-reporter=spec"])
                        .arg(&file)
                        .current_dir(&dir)
                        .env("CITYGRID_URL", format!("http://{listen}"))
                        // The file's own clone, for tests that plant data or compute expected
                        // figures with SQL (`psql "$CITYGRID_DATABASE_URL"`).
                        .env("CITYGRID_DATABASE_URL", &url)
                        .env("CITYGRID_ARTIFACTS", &artifacts),
                );
                drop(children);
                run
            });
        provision::psql_as_postgres("postgres", &format!("drop database if exists {db} with (force)"))?;
        if let Err(e) = result {
            eprintln!("test: browser {stem} failed: {e:#}");
            failed.push(stem);
        }
    }
    println!("browser screenshots: {}", artifacts.display());
    if !failed.is_empty() {
        bail!("browser tests failed: {}", failed.join(", "));
    }
    Ok(())
}
