//! Fuzz target `pattern`: see `targets::pattern`.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = warmcall_fuzz::targets::pattern(data);
    });
}
