//! Guards against whisper's known failure modes, applied to every decoded phrase:
//!
//! - segments whisper itself marks as no-speech (high no-speech probability with a low
//!   average log-probability) are dropped;
//! - non-speech annotations ("[BLANK_AUDIO]", "(music)", "♪") are removed;
//! - repetition loops ("thank you thank you thank you …") are cut to one, numbers excepted
//!   ("1111 1111 1111 1111" is a card number, not a loop);
//! - a transcript far longer than the audio allows is dropped;
//! - stock hallucinations ("Thank you.", "Thanks for watching!", subtitle credits) are dropped
//!   unless the phrase carries clear speech evidence;
//! - words repeated across the cut of a long phrase are removed from the second piece.

use super::Transcription;
use crate::text;

/// Thresholds of the guard.
#[derive(Debug, Clone)]
pub struct GuardConfig {
    /// A segment is silence when its no-speech probability is above this…
    pub no_speech: f32,
    /// …and its average token log-probability is below this.
    pub logprob: f32,
    /// Most words per second a real speaker produces (plus a small allowance).
    pub max_words_per_second: f64,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            no_speech: 0.6,
            logprob: -1.0,
            max_words_per_second: 6.0,
        }
    }
}

/// Phrases whisper invents on silence and noise (normalised).
const HALLUCINATIONS: &[&str] = &[
    "thank you",
    "thank you very much",
    "thanks",
    "thanks for watching",
    "thank you for watching",
    "thanks for watching bye",
    "please subscribe",
    "subscribe",
    "like and subscribe",
    "bye",
    "you",
    "so",
    "the end",
    "subtitles by the amara org community",
    "subtitles by",
    "transcription by castingwords",
    "i am sorry",
];

/// What the guard needs to know about the phrase besides whisper's output.
#[derive(Debug, Clone, Copy)]
pub struct PhraseInfo {
    /// Seconds of audio decoded.
    pub seconds: f64,
    /// Seconds the VAD judged voiced.
    pub voiced: f64,
}

fn strip_annotations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth = depth.saturating_sub(1),
            '♪' | '♫' | '*' => {}
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A word of a number read out or written: digits, or what normalisation leaves of a digit
/// word ("one" → "1") and the words people use between them ("oh", "double").
fn numeric(key: &str) -> bool {
    (!key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()))
        || matches!(key, "oh" | "o" | "double" | "triple")
}

/// Cut any run of an n-gram (n = 1..=8) repeated three or more times (twice for three words
/// or more) down to one. Numbers are never cut: "1111 1111 1111 1111" and "one one one one"
/// are what a card number sounds like, and a number cut short would escape redaction.
pub fn cut_loops(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let key = |w: &str| text::normalize(w);
    let keys: Vec<String> = words.iter().map(|w| key(w)).collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    let mut out_keys: Vec<&str> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let mut skipped = false;
        for n in 1..=8 {
            if i + 2 * n > words.len() {
                break;
            }
            if keys[i..i + n].iter().all(|k| numeric(k)) {
                continue;
            }
            // How many times does words[i..i+n] repeat back to back?
            let mut reps = 1;
            while i + (reps + 1) * n <= words.len()
                && keys[i + reps * n..i + (reps + 1) * n] == keys[i..i + n]
            {
                reps += 1;
            }
            // Long n-grams said twice back to back are a decoder loop; short ones need three.
            if reps >= 3 || (n >= 3 && reps >= 2) {
                out.extend_from_slice(&words[i..i + n]);
                out_keys.extend(keys[i..i + n].iter().map(String::as_str));
                i += reps * n;
                skipped = true;
                break;
            }
        }
        if !skipped {
            out.push(words[i]);
            out_keys.push(&keys[i]);
            i += 1;
        }
    }
    out.join(" ")
}

/// Drop the leading words of `text` that repeat the trailing words of `previous` (the piece
/// before a cut of the same phrase).
pub fn drop_overlap(previous: &str, text: &str) -> String {
    let prev = text::words(previous);
    let words: Vec<&str> = text.split_whitespace().collect();
    let keys: Vec<String> = words.iter().map(|w| text::normalize(w)).collect();
    for k in (1..=prev.len().min(words.len()).min(5)).rev() {
        if prev[prev.len() - k..] == keys[..k] {
            return words[k..].join(" ");
        }
    }
    text.to_string()
}

/// Clean one decoded phrase; `None` when nothing trustworthy is left.
pub fn clean(cfg: &GuardConfig, tr: &Transcription, info: PhraseInfo) -> Option<String> {
    let kept: Vec<&super::Segment> = tr
        .segments
        .iter()
        .filter(|s| !(s.no_speech_prob > cfg.no_speech && s.avg_logprob < cfg.logprob))
        .collect();
    let raw: String = kept
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let text = cut_loops(&strip_annotations(&raw));
    let norm = text::normalize(&text);
    if norm.is_empty() {
        return None;
    }
    let words = norm.split(' ').count() as f64;
    if words > cfg.max_words_per_second * info.seconds + 4.0 {
        return None;
    }
    if HALLUCINATIONS.contains(&norm.as_str()) {
        let confident = kept
            .iter()
            .all(|s| s.no_speech_prob < 0.3 && s.avg_logprob > -0.7);
        if !(confident && info.voiced >= 0.5) {
            return None;
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asr::Segment;

    fn tr(text: &str, no_speech: f32, logprob: f32) -> Transcription {
        Transcription {
            segments: vec![Segment {
                start: 0.0,
                end: 1.0,
                text: text.into(),
                no_speech_prob: no_speech,
                avg_logprob: logprob,
            }],
        }
    }

    const SPEECH: PhraseInfo = PhraseInfo {
        seconds: 3.0,
        voiced: 2.0,
    };

    #[test]
    fn no_speech_segments_are_dropped() {
        let c = GuardConfig::default();
        assert_eq!(clean(&c, &tr(" Hello there.", 0.9, -1.5), SPEECH), None);
        assert_eq!(
            clean(&c, &tr(" Hello there.", 0.9, -0.2), SPEECH).as_deref(),
            Some("Hello there.")
        );
    }

    #[test]
    fn annotations_and_loops_are_removed() {
        let c = GuardConfig::default();
        assert_eq!(clean(&c, &tr(" [BLANK_AUDIO]", 0.1, -0.2), SPEECH), None);
        assert_eq!(
            clean(&c, &tr(" (music) I mean it.", 0.1, -0.2), SPEECH).as_deref(),
            Some("I mean it.")
        );
        assert_eq!(cut_loops("we we we we go"), "we go");
        assert_eq!(
            cut_loops("so thank you, thank you. thank you. thank you bye"),
            "so thank you, bye"
        );
        assert_eq!(cut_loops("I do, I do."), "I do, I do.");
        // Numbers are not loops.
        for number in [
            "My card is 4111 1111 1111 1111.",
            "four one one one, one one one one, one one one one, one one one one",
            "five five double oh, oh oh oh oh, oh oh oh four",
        ] {
            assert_eq!(cut_loops(number), number);
        }
        assert_eq!(
            cut_loops("And so my fellow Americans. And so my fellow Americans."),
            "And so my fellow Americans."
        );
    }

    #[test]
    fn stock_hallucinations_need_speech_evidence() {
        let c = GuardConfig::default();
        let weak = PhraseInfo {
            seconds: 1.0,
            voiced: 0.3,
        };
        assert_eq!(clean(&c, &tr(" Thank you.", 0.2, -0.4), weak), None);
        assert_eq!(
            clean(&c, &tr(" Thanks for watching!", 0.5, -0.9), SPEECH),
            None
        );
        assert_eq!(
            clean(&c, &tr(" Thank you.", 0.05, -0.2), SPEECH).as_deref(),
            Some("Thank you.")
        );
    }

    #[test]
    fn too_many_words_for_the_audio_is_a_loop() {
        let c = GuardConfig::default();
        let long = "word ".repeat(20) + "and more different words here";
        let short = PhraseInfo {
            seconds: 1.0,
            voiced: 0.8,
        };
        let mixed: String = (0..30).map(|i| format!("w{i} ")).collect();
        assert_eq!(clean(&c, &tr(&mixed, 0.1, -0.3), short), None);
        assert!(clean(&c, &tr(&long, 0.1, -0.3), SPEECH).is_some());
    }

    #[test]
    fn overlap_across_a_cut_is_removed() {
        assert_eq!(
            drop_overlap("ask not what your country", "your country can do for you"),
            "can do for you"
        );
        assert_eq!(
            drop_overlap("hello there", "general Kenobi"),
            "general Kenobi"
        );
    }
}
