//! Fuzz target `config`: see `targets::config`.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = warmcall_fuzz::targets::config(data);
    });
}
