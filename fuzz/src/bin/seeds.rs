//! `seeds DIR`: write every target's seed corpus into `DIR/<target>/`.

fn main() {
    let dir = std::env::args_os()
        .nth(1)
        .expect("usage: seeds DIR (the corpora are written into DIR/<target>/)");
    if let Err(e) = warmcall_fuzz::seeds::write_all(std::path::Path::new(&dir)) {
        eprintln!("seeds: {e}");
        std::process::exit(1);
    }
}
