//! The thread setting changes how a phrase is decoded, never what is heard: the real tiny.en
//! model gives the same words with one thread, two, and the `auto` policy.

use crate::common;

use warmcall::asr::Transcriber;
use warmcall::asr::threads::Threads;
use warmcall::asr::whisper::{DecodeOptions, WhisperModel};
use warmcall::text::normalize;
use warmcall::verify::{JFK_TEXT, jfk_samples};

#[test]
fn one_two_and_auto_threads_hear_the_same_words() {
    let _lock = common::whisper_lock();
    let model = WhisperModel::load(&common::model("tiny.en")).unwrap();
    let pcm = jfk_samples();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [Threads::Fixed(1), Threads::Fixed(2), Threads::Auto] {
        let mut tr = model
            .transcriber(DecodeOptions {
                threads,
                ..DecodeOptions::default()
            })
            .unwrap();
        let text = tr.transcribe(&pcm).unwrap().text();
        assert_eq!(normalize(&text), JFK_TEXT, "{threads:?}");
        let used = tr.threads_used();
        match threads {
            Threads::Fixed(n) => assert_eq!(used, usize::from(n)),
            Threads::Auto => assert!((1..=cores.min(4)).contains(&used), "{used}"),
        }
    }
}
