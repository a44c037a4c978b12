//! Fuzz target `analyze`: see `targets::analyze`.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = warmcall_fuzz::targets::analyze(data);
    });
}
