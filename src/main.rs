//! The `warmcall` binary: parse the command line, run it, map the outcome to an exit code.

fn main() -> std::process::ExitCode {
    warmcall::app::main(warmcall::cli::Cli::parse_args())
}
