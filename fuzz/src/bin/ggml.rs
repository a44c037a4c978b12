//! Fuzz target `ggml`: see `targets::ggml`.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = warmcall_fuzz::targets::ggml(data);
    });
}
