//! Fuzz target `wav`: see `targets::wav`.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = warmcall_fuzz::targets::wav(data);
    });
}
