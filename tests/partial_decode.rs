//! A partial (a phrase still being spoken, decoded for cues) is decoded with cheaper settings
//! than a final: one segment, no timestamps, a shorter minimum window and a token cap. On the
//! real tiny.en model it must still hear what a final decode of the same audio hears.

use crate::common;

use warmcall::asr::Transcriber;
use warmcall::asr::whisper::{DecodeOptions, WhisperModel};
use warmcall::text::normalize;
use warmcall::verify::{JFK_TEXT, jfk_samples};

#[test]
fn a_partial_hears_what_a_final_of_the_same_audio_hears() {
    let _lock = common::whisper_lock();
    let model = WhisperModel::load(&common::model("tiny.en")).unwrap();
    let mut tr = model.transcriber(DecodeOptions::default()).unwrap();
    let pcm = jfk_samples();

    let whole = normalize(&tr.transcribe_partial(&pcm).unwrap().text());
    assert_eq!(whole, JFK_TEXT, "the whole sample as a partial");

    // The sample so far, second by second, as partials are cut while someone speaks; the
    // shortest ones use the partial's shorter minimum window (7 s instead of 8 s).
    for secs in 3..=8 {
        let so_far = &pcm[..secs * 16_000];
        let partial = normalize(&tr.transcribe_partial(so_far).unwrap().text());
        let fin = normalize(&tr.transcribe(so_far).unwrap().text());
        assert!(
            partial.split_whitespace().count() >= 4,
            "{secs} s: {partial:?}"
        );
        assert_eq!(
            partial, fin,
            "the first {secs} s as a partial and as a final"
        );
    }
}
