//! A systemd user manager of an unprivileged user (nobody) for the unit tests, started by
//! tests/fixtures/user-manager.sh in a mount namespace of its own, so the host is untouched:
//! commands as that user, `systemctl --user`, and teardown (manager, cgroups).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use super::desktop::wait_for;

/// The user the manager, its units and the test's sound server run as.
pub const UID: u32 = 65534;

pub fn chown_tree(p: &Path) {
    std::os::unix::fs::lchown(p, Some(UID), Some(UID)).unwrap();
    if p.is_dir() && !p.is_symlink() {
        for e in std::fs::read_dir(p).unwrap() {
            chown_tree(&e.unwrap().path());
        }
    }
}

/// A `systemd --user` of UID, with RT bound at /run/user/UID in its mount namespace.
pub struct UserManager {
    child: Child,
    rt: PathBuf,
    home: PathBuf,
    cgroup: String,
}

impl UserManager {
    pub fn start(rt: &Path, home: &Path) -> Self {
        let cgroup = format!("warmcall-test-{}", std::process::id());
        let child = Command::new("unshare")
            .args(["--mount", "--fork"])
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/user-manager.sh"))
            .arg(UID.to_string())
            .arg(rt)
            .arg(home)
            .arg(&cgroup)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(rt.join("manager.log")).unwrap())
            .spawn()
            .expect("unshare (util-linux)");
        let m = Self {
            child,
            rt: rt.to_path_buf(),
            home: home.to_path_buf(),
            cgroup,
        };
        let up = wait_for(30.0, || {
            // (`is-system-running` answers "offline" outside the manager's mount namespace.)
            let out = m.as_user(&[
                "systemctl",
                "--user",
                "show",
                "-p",
                "SystemState",
                "--value",
            ]);
            let state = String::from_utf8_lossy(&out.stdout);
            state.starts_with("running") || state.starts_with("degraded")
        });
        assert!(
            up,
            "the user manager did not come up: {}",
            std::fs::read_to_string(rt.join("manager.log")).unwrap_or_default()
        );
        m
    }

    /// Run a command as the user, in its session's environment.
    pub fn as_user(&self, args: &[&str]) -> Output {
        Command::new("setpriv")
            .arg(format!("--reuid={UID}"))
            .arg(format!("--regid={UID}"))
            .args(["--clear-groups", "env", "-u", "DBUS_SESSION_BUS_ADDRESS"])
            .arg(format!("XDG_RUNTIME_DIR={}", self.rt.display()))
            .arg(format!("HOME={}", self.home.display()))
            .args(args)
            .output()
            .expect("setpriv (util-linux)")
    }

    pub fn systemctl(&self, args: &[&str]) -> Output {
        let mut all = vec!["systemctl", "--user"];
        all.extend_from_slice(args);
        self.as_user(&all)
    }

    pub fn show(&self, unit: &str, property: &str) -> String {
        let out = self.systemctl(&["show", "-p", property, "--value", unit]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for UserManager {
    fn drop(&mut self) {
        let _ = self.systemctl(&["exit"]);
        if !wait_for(10.0, || self.child.try_wait().ok().flatten().is_some()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        for h in [
            "/sys/fs/cgroup/systemd",
            "/sys/fs/cgroup/unified",
            "/sys/fs/cgroup",
        ] {
            remove_cgroup(&Path::new(h).join(&self.cgroup));
        }
    }
}

fn remove_cgroup(p: &Path) {
    if let Ok(entries) = std::fs::read_dir(p) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                remove_cgroup(&e.path());
            }
        }
        let _ = std::fs::remove_dir(p);
    }
}
