//! What the summary bubble's "Open report" runs: `warmcall report CALL_ID --open` with the
//! daemon's log directory and config, as a process of its own, so a report that cannot be
//! written or opened never touches the daemon.
//!
//! Under systemd (the user service) the command is started through `systemd-run --user` as a
//! transient unit, so the browser it opens is not a child of the service: it keeps running
//! when the service restarts and does not inherit the service's sandbox. Failures are logged
//! as warnings (the page's path is in the message when it was written).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use super::ReportOpener;

/// How to run `warmcall report CALL_ID --open` for the daemon's calls.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenReport {
    /// The warmcall binary (the daemon's own).
    pub exe: PathBuf,
    /// The daemon's call log directory.
    pub log_dir: PathBuf,
    /// The daemon's config file, when one was named (it sets the report's thresholds).
    pub config: Option<PathBuf>,
    /// Start it through `systemd-run --user` (the daemon runs as a systemd service).
    pub via_systemd_run: bool,
}

impl OpenReport {
    /// For a daemon logging to `log_dir`: its own binary, through systemd-run when it runs
    /// under systemd (`INVOCATION_ID` is set) and systemd-run is installed.
    pub fn for_daemon(log_dir: PathBuf, config: Option<PathBuf>) -> Self {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("warmcall"));
        Self {
            exe,
            log_dir,
            config,
            via_systemd_run: std::env::var_os("INVOCATION_ID").is_some()
                && which("systemd-run").is_some(),
        }
    }

    /// The command line that opens the report of `call_id`.
    pub fn command(&self, call_id: &str) -> Command {
        let mut cmd = if self.via_systemd_run {
            let mut c = Command::new("systemd-run");
            c.args([
                "--user",
                "--collect",
                "--quiet",
                "--property=KillMode=process",
            ])
            .arg("--")
            .arg(&self.exe);
            c
        } else {
            Command::new(&self.exe)
        };
        cmd.arg("report")
            .arg(call_id)
            .arg("--open")
            .arg("--log-dir")
            .arg(&self.log_dir);
        if let Some(config) = &self.config {
            cmd.arg("--config").arg(config);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    }

    /// Open the report of `call_id` and wait for the command; the error says why it failed.
    pub fn run(&self, call_id: &str) -> Result<(), String> {
        let out = self.command(call_id).output().map_err(|e| {
            let program = self.command(call_id).get_program().to_owned();
            format!("cannot run {}: {e}", PathBuf::from(program).display())
        })?;
        if out.status.success() {
            return Ok(());
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let reason = err.lines().last().unwrap_or("").trim();
        Err(format!(
            "`warmcall report` exited with {}: {reason}",
            out.status
        ))
    }

    /// As the action the desktop backend runs: failures are warnings in the diagnostics.
    pub fn opener(self) -> ReportOpener {
        Arc::new(move |call_id| match self.run(call_id) {
            Ok(()) => tracing::info!(call_id, "Opened the call's report."),
            Err(reason) => tracing::warn!(call_id, %reason, "Cannot open the call's report."),
        })
    }
}

/// `name` on `PATH`, if there.
fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &Command) -> Vec<String> {
        std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn the_command_names_the_call_the_log_dir_and_the_config() {
        let mut o = OpenReport {
            exe: "/usr/bin/warmcall".into(),
            log_dir: "/home/r/calls".into(),
            config: Some("/home/r/c.toml".into()),
            via_systemd_run: false,
        };
        assert_eq!(
            args(&o.command("2026-11-23T09-02-11Z-26bf")),
            [
                "/usr/bin/warmcall",
                "report",
                "2026-11-23T09-02-11Z-26bf",
                "--open",
                "--log-dir",
                "/home/r/calls",
                "--config",
                "/home/r/c.toml"
            ]
        );
        o.via_systemd_run = true;
        o.config = None;
        let a = args(&o.command("c1"));
        assert_eq!(a[0], "systemd-run");
        assert!(a.contains(&"--user".to_string()));
        let at = a.iter().position(|x| x == "--").unwrap();
        assert_eq!(
            a[at + 1..],
            [
                "/usr/bin/warmcall",
                "report",
                "c1",
                "--open",
                "--log-dir",
                "/home/r/calls"
            ]
        );
    }

    #[test]
    fn a_command_that_cannot_run_says_which() {
        let o = OpenReport {
            exe: "/nonexistent/warmcall".into(),
            log_dir: "/tmp".into(),
            config: None,
            via_systemd_run: false,
        };
        let e = o.run("c1").unwrap_err();
        assert!(e.contains("cannot run /nonexistent/warmcall"), "{e}");
    }
}
