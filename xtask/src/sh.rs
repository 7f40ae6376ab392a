//! Running commands, with their failures explained.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use anyhow::{bail, Context as _};

/// Runs `cmd` to completion, inheriting stdout/stderr; fails unless it exits 0.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// `cargo` as invoked us (so `cargo xtask` and the build use the same toolchain).
#[must_use]
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The workspace root (the parent of `xtask/`).
#[must_use]
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// Where cargo puts host builds.
#[must_use]
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Child processes that die with us (on drop, and so on Ctrl-C through [`Children::kill_all`]).
#[derive(Default)]
pub struct Children(Vec<(String, Child)>);

impl Children {
    pub fn push(&mut self, name: &str, child: Child) {
        self.0.push((name.to_owned(), child));
    }

    /// The first child that has exited, with its status.
    pub fn try_wait_any(&mut self) -> anyhow::Result<Option<(String, std::process::ExitStatus)>> {
        for (name, child) in &mut self.0 {
            if let Some(status) = child.try_wait()? {
                return Ok(Some((name.clone(), status)));
            }
        }
        Ok(None)
    }

    pub fn kill_all(&mut self) {
        for (_, child) in self.0.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.0.clear();
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Polls `http://{addr}{path}` until it answers 200, for at most `secs` seconds.
pub fn wait_http(addr: &str, path: &str, secs: u64) -> bool {
    use std::io::{Read as _, Write as _};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            let mut buf = [0u8; 16];
            if s.write_all(req.as_bytes()).is_ok() && s.read(&mut buf).is_ok_and(|n| n >= 12) && &buf[9..12] == b"200" {
                return true;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    false
}
