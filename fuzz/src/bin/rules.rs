//! Fuzz target `rules`: see `targets::rules`.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = warmcall_fuzz::targets::rules(data);
    });
}
