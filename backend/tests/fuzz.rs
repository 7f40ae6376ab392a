//! schemathesis against the live test server: every check, a fixed seed, a bounded number of
//! examples per operation, on the test's own database (mutating operations included). Zero
//! failures, errors or server errors are the bar.
//!
//! Callers: the administrator, the one role that reaches every route (so every handler, every
//! mutation and every validation behind the role check is fuzzed), and no token at all (every
//! protected route must answer 401 to any input, the public ones — login, health, the style —
//! are fuzzed without a session). Other roles differ from these only in the 403 that the role
//! matrix (`backend/tests/access.rs`) already asserts route by route; running them here too would
//! double the test's time for no new code path.
//!
//! schemathesis comes from PyPI, pinned in `tests/schemathesis/requirements.txt`, installed by
//! `cargo xtask setup` (and `cargo xtask test`) into `<target>/schemathesis-venv`: the test
//! itself needs no network. The checks' accepted statuses and the link inference are in
//! `tests/schemathesis/schemathesis.toml`.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const SEED: u64 = 2019;
/// Test cases per operation and phase.
const MAX_EXAMPLES: u32 = 10;

/// The pinned schemathesis: `$CITYGRID_SCHEMATHESIS` (set by `cargo xtask test`), or
/// `<target>/schemathesis-venv/bin/schemathesis` next to the test binaries
/// (`<target>/debug/deps/fuzz-…`); it must be the version of the requirements file.
fn schemathesis() -> PathBuf {
    let bin = std::env::var_os("CITYGRID_SCHEMATHESIS").map_or_else(
        || {
            let exe = std::env::current_exe().unwrap();
            exe.ancestors().nth(3).unwrap().join("schemathesis-venv/bin/schemathesis")
        },
        PathBuf::from,
    );
    let requirements =
        std::fs::read_to_string(common::repo_root().join("tests/schemathesis/requirements.txt")).unwrap();
    let pinned = requirements.lines().find_map(|l| l.trim().strip_prefix("schemathesis==")).unwrap();
    let version = Command::new(&bin).arg("--version").output().ok().filter(|o| o.status.success());
    let version = version.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    assert!(
        version.contains(pinned),
        "schemathesis {pinned} is not installed at {} (found {:?}): run `cargo xtask setup`",
        bin.display(),
        version.trim()
    );
    bin
}

/// One schemathesis run, with `token` as the bearer (none for `None`); the number of generated
/// test cases.
fn run(bin: &Path, base: &str, token: Option<&str>, label: &str, operations: &[&str]) -> u64 {
    let config = common::repo_root().join("tests/schemathesis/schemathesis.toml");
    let mut cmd = Command::new(bin);
    cmd.arg("--no-color")
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{base}/api/openapi.json"))
        .args(["--url", base, "--checks", "all", "--seed", &SEED.to_string()])
        .args(["--max-examples", &MAX_EXAMPLES.to_string(), "--no-shrink"])
        // One worker: hypothesis's lambda descriptions race in CPython 3.11's parser.
        .args(["--workers", "1", "--request-timeout", "60"])
        .args(operations)
        .current_dir(std::env::temp_dir());
    if let Some(token) = token {
        cmd.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let cases = stdout
        .lines()
        .skip_while(|l| l.trim() != "Test cases:")
        .nth(1)
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no test case count in schemathesis's output:\n{stdout}"));
    println!("schemathesis as {label}: {cases} test cases in {:.0?}", started.elapsed());
    assert!(
        out.status.success(),
        "schemathesis as {label} found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing() {
    let bin = schemathesis();
    let app = common::spawn_app_with_martin().await;
    let admin = app.login("admin").await;
    let spare = app.login("admin").await;
    let base = app.base.clone();
    let started = Instant::now();
    // Logout ends the session it is called with, so with a token it runs alone, on a session of
    // its own; the administrator's run comes last, since it may disable or reset other accounts.
    // The statistics filters have rules no schema states (a real calendar day, `to` after
    // `from`, a window of at most 3 years or 28 days, a level that is the one the code's length
    // names), each a 400 naming the parameter (pinned by backend/tests/stats.rs): there, every
    // check runs but "schema-valid data is accepted".
    let cases = tokio::task::spawn_blocking(move || {
        let stats = "^/api/stats/";
        run(&bin, &base, None, "no token", &[])
            + run(&bin, &base, Some(&spare), "admin (logout)", &["--include-path", "/api/auth/logout"])
            + run(
                &bin,
                &base,
                Some(&admin),
                "admin (statistics)",
                &["--include-path-regex", stats, "--exclude-checks", "positive_data_acceptance"],
            )
            + run(
                &bin,
                &base,
                Some(&admin),
                "admin",
                &["--exclude-path", "/api/auth/logout", "--exclude-path-regex", stats],
            )
    })
    .await
    .unwrap();
    println!("schemathesis: {cases} test cases, zero failures, in {:.0?}", started.elapsed());
}
