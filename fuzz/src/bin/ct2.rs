//! Fuzz target `ct2`: see `targets::ct2`.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = warmcall_fuzz::targets::ct2(data);
    });
}
