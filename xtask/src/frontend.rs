//! Builds the Yew client into `frontend/dist`.
//!
//! Steps: `npm ci` for MapLibre (when `node_modules` is missing) → `cargo build` of the
//! `frontend` crate for `wasm32-unknown-unknown` with `--profile wasm` into `target/wasm` →
//! `wasm-bindgen --target web` (at exactly the version in `Cargo.lock`, installed into
//! `target/tools` when missing) → copy `frontend/static/*` and MapLibre's files into `dist`.
//!
//! The wasm toolchain: a rustup `wasm32-unknown-unknown` target when installed; otherwise
//! Debian's `rustc-web`/`cargo-web`/`rust-web-src` (rustc 1.96 with the std source) with
//! `-Zbuild-std` and rustup's `rust-lld` as the linker. A fingerprint of the inputs in
//! `dist/.stamp` skips the whole build when nothing changed.

use std::collections::hash_map::DefaultHasher;
use std::ffi::OsStr;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};

const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "wasm";
const DEBIAN_PACKAGES: &str = "rustc-web cargo-web rust-web-src";
/// MapLibre GL JS 6 ships ES modules only; the worker is loaded from beside the main module.
const MAPLIBRE_FILES: [&str; 4] =
    ["maplibre-gl.mjs", "maplibre-gl-worker.mjs", "maplibre-gl-shared.mjs", "maplibre-gl.css"];

/// Builds the Yew client into `<root>/frontend/dist` and returns that path.
pub fn build(root: &Path) -> Result<PathBuf> {
    let frontend = root.join("frontend");
    let dist = frontend.join("dist");
    ensure!(frontend.join("Cargo.toml").is_file(), "frontend: no frontend/Cargo.toml under {}", root.display());

    npm_install(&frontend)?;

    let stamp = fingerprint(root)?;
    let stamp_file = dist.join(".stamp");
    if fs::read_to_string(&stamp_file).ok().as_deref() == Some(stamp.as_str())
        && ["index.html", "frontend.js", "frontend_bg.wasm", "maplibre-gl.mjs"].iter().all(|f| dist.join(f).is_file())
    {
        println!("frontend: up to date ({})", dist.display());
        return Ok(dist);
    }

    let wasm = cargo_build(root)?;
    let bindgen = wasm_bindgen_cli(root)?;

    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("removing {}", dist.display()))?;
    }
    fs::create_dir_all(&dist).with_context(|| format!("creating {}", dist.display()))?;

    println!("frontend: wasm-bindgen --target web");
    crate::sh::run(
        Command::new(&bindgen)
            .args(["--target", "web", "--no-typescript", "--remove-name-section", "--remove-producers-section"])
            .args(["--out-name", "frontend", "--out-dir"])
            .arg(&dist)
            .arg(&wasm),
    )?;

    copy_static(&frontend, &dist, &stamp)?;
    fs::write(&stamp_file, &stamp).with_context(|| format!("writing {}", stamp_file.display()))?;

    for f in ["frontend_bg.wasm", "frontend.js", "maplibre-gl.mjs", "maplibre-gl-worker.mjs"] {
        if let Ok(m) = fs::metadata(dist.join(f)) {
            println!("frontend: {f} {} KiB", m.len() / 1024);
        }
    }
    println!("frontend: built {}", dist.display());
    Ok(dist)
}

fn npm_install(frontend: &Path) -> Result<()> {
    if frontend.join("node_modules/maplibre-gl/dist/maplibre-gl.mjs").is_file() {
        return Ok(());
    }
    let verb = if frontend.join("package-lock.json").is_file() { "ci" } else { "install" };
    println!("frontend: npm {verb} (MapLibre GL JS)");
    crate::sh::run(Command::new("npm").args([verb, "--no-audit", "--no-fund"]).current_dir(frontend))
        .context("npm is needed to fetch maplibre-gl from the npm registry")
}

/// Compiles the `frontend` crate to wasm and returns the `.wasm` path.
fn cargo_build(root: &Path) -> Result<PathBuf> {
    let target_dir = crate::sh::target_dir(root).join("wasm");
    let common = ["build", "-p", "frontend", "--target", TARGET, "--profile", PROFILE];
    let mut cmd = if crate::provision::rustup_has_wasm_target() {
        println!("frontend: cargo build --target {TARGET} --profile {PROFILE} (rustup target)");
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args(common);
        cmd
    } else {
        let (rustc, cargo, src) =
            (Path::new("/usr/bin/rustc"), Path::new("/usr/bin/cargo"), Path::new("/usr/lib/rustlib/src/rust"));
        if !rustc.is_file() || !cargo.is_file() || !src.is_dir() {
            bail!(
                "frontend: no way to build wasm here: rustup has no {TARGET} target \
                 (`rustup target add {TARGET}` needs internet) and Debian's toolchain is incomplete \
                 (need /usr/bin/rustc, /usr/bin/cargo and /usr/lib/rustlib/src/rust): \
                 install the Debian packages {DEBIAN_PACKAGES} (apt-get install -y {DEBIAN_PACKAGES})"
            );
        }
        let lld = rust_lld()?;
        println!("frontend: cargo build --target {TARGET} --profile {PROFILE} (Debian rustc + -Zbuild-std)");
        let mut cmd = Command::new(cargo);
        cmd.args(common)
            .arg("-Zbuild-std=std,panic_abort")
            .env("RUSTC", rustc)
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", lld)
            // Set by rustup's proxies when xtask runs under `cargo`; they would point Debian's
            // cargo at rustup's toolchain pieces.
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("RUSTC_WRAPPER")
            .env_remove("RUSTDOC");
        cmd
    };
    cmd.current_dir(root).env("CARGO_TARGET_DIR", &target_dir);
    crate::sh::run(&mut cmd)?;
    let wasm = target_dir.join(TARGET).join(PROFILE).join("frontend.wasm");
    ensure!(wasm.is_file(), "frontend: cargo finished but {} is missing", wasm.display());
    Ok(wasm)
}

/// rustup's `rust-lld` (Debian's rustc has no wasm linker of its own).
fn rust_lld() -> Result<PathBuf> {
    let out = Command::new("rustc").args(["--print", "sysroot"]).output().context("running `rustc --print sysroot`")?;
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let host = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"];
    host.iter()
        .map(|h| Path::new(&sysroot).join("lib/rustlib").join(h).join("bin/rust-lld"))
        .find(|p| p.is_file())
        .with_context(|| format!("frontend: no rust-lld under the rustup sysroot {sysroot}/lib/rustlib/*/bin"))
}

/// The `wasm-bindgen` version pinned in `Cargo.lock`.
fn locked_wasm_bindgen_version(lock: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            let v = lines.next()?.trim().strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(v.to_owned());
        }
    }
    None
}

fn bindgen_version(bin: &Path) -> Option<String> {
    let out = Command::new(bin).arg("--version").output().ok()?;
    // "wasm-bindgen 0.2.130"
    String::from_utf8_lossy(&out.stdout).split_whitespace().nth(1).map(str::to_owned)
}

/// A `wasm-bindgen` binary at exactly the locked version: `target/tools`, then `PATH`, else
/// `cargo install` into `target/tools`.
fn wasm_bindgen_cli(root: &Path) -> Result<PathBuf> {
    let lock = fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let version = locked_wasm_bindgen_version(&lock).context("Cargo.lock has no wasm-bindgen package")?;
    let tools = crate::sh::target_dir(root).join("tools");
    let local = tools.join("bin").join("wasm-bindgen");
    for candidate in [local.clone(), PathBuf::from("wasm-bindgen")] {
        if bindgen_version(&candidate).as_deref() == Some(version.as_str()) {
            return Ok(candidate);
        }
    }
    println!("frontend: installing wasm-bindgen-cli {version} into {}", tools.display());
    let install = |locked: bool| {
        let mut cmd = crate::sh::cargo();
        cmd.args(["install", "wasm-bindgen-cli", "--version", &version, "--root"]).arg(&tools);
        if locked {
            cmd.arg("--locked");
        }
        crate::sh::run(&mut cmd)
    };
    if install(true).is_err() {
        // The published lockfile can name a crate version the registry no longer offers.
        println!("frontend: `cargo install --locked` failed; retrying without --locked");
        install(false)?;
    }
    ensure!(
        bindgen_version(&local).as_deref() == Some(version.as_str()),
        "frontend: {} is not wasm-bindgen {version} after installing",
        local.display()
    );
    Ok(local)
}

fn copy_static(frontend: &Path, dist: &Path, stamp: &str) -> Result<()> {
    let statics = frontend.join("static");
    for entry in fs::read_dir(&statics).with_context(|| format!("reading {}", statics.display()))? {
        let path = entry?.path();
        let Some(name) = path.file_name() else { continue };
        if path.extension() == Some(OsStr::new("html")) {
            // `{{VERSION}}` busts browser caches for the app's own files.
            let html = fs::read_to_string(&path)?.replace("{{VERSION}}", &stamp[..12.min(stamp.len())]);
            fs::write(dist.join(name), html)?;
        } else if path.is_file() {
            fs::copy(&path, dist.join(name)).with_context(|| format!("copying {}", path.display()))?;
        }
    }
    let maplibre = frontend.join("node_modules/maplibre-gl");
    for f in MAPLIBRE_FILES {
        let src = maplibre.join("dist").join(f);
        if src.is_file() {
            fs::copy(&src, dist.join(f)).with_context(|| format!("copying {}", src.display()))?;
        } else {
            ensure!(f == "maplibre-gl-shared.mjs", "frontend: {} is missing: run npm ci in frontend/", src.display());
        }
    }
    if maplibre.join("LICENSE.txt").is_file() {
        fs::copy(maplibre.join("LICENSE.txt"), dist.join("maplibre-gl.LICENSE.txt"))?;
    }
    Ok(())
}

/// A hash of every input's path, size and modification time (and the MapLibre version).
fn fingerprint(root: &Path) -> Result<String> {
    let mut files = Vec::new();
    for dir in ["frontend/src", "frontend/static", "api/src"] {
        collect(&root.join(dir), &mut files)?;
    }
    for f in [
        "Cargo.toml",
        "Cargo.lock",
        "frontend/Cargo.toml",
        "api/Cargo.toml",
        "frontend/package-lock.json",
        "frontend/node_modules/maplibre-gl/package.json",
        "xtask/src/frontend.rs",
    ] {
        files.push(root.join(f));
    }
    files.sort();
    let mut h = DefaultHasher::new();
    for f in &files {
        f.hash(&mut h);
        if let Ok(m) = fs::metadata(f) {
            m.len().hash(&mut h);
            m.modified().ok().hash(&mut h);
        }
    }
    crate::provision::rustup_has_wasm_target().hash(&mut h);
    Ok(format!("{:016x}", h.finish()))
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_locked_wasm_bindgen_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.80\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\nsource = \"registry\"\n";
        assert_eq!(locked_wasm_bindgen_version(lock).as_deref(), Some("0.2.130"));
        assert_eq!(locked_wasm_bindgen_version("[[package]]\nname = \"serde\"\n"), None);
    }
}
