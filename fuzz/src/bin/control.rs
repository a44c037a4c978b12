//! Fuzz target `control`: see `targets::control`.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = warmcall_fuzz::targets::control(data);
    });
}
