//! The recognition worker: a blocking thread that owns one transcriber per speaker, decodes
//! phrases in arrival order, cleans the text with the guard, and sends transcripts to the hub.
//! With a source that plays at real speed, a phrase that waited too long for its turn is
//! skipped with a gap instead of decoded: its cue would come too late to help, and decoding
//! it would make every later phrase later still.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use super::messages::{AsrJob, Msg, Shared};
use crate::asr::guard::{self, GuardConfig, PhraseInfo};
use crate::asr::{SAMPLE_RATE, Transcriber, TranscriberFactory};
use crate::event::{Gap, Transcript};

/// What the worker holds a phrase and its text to.
#[derive(Debug, Clone)]
pub struct Limits {
    pub guard: GuardConfig,
    /// Skip a phrase that waited longer than this (`None`: decode everything, as for a file
    /// played as fast as possible).
    pub stale_after: Option<Duration>,
}

/// The gap reason of a phrase skipped because it waited too long.
pub const STALE_REASON: &str =
    "recognition fell behind: this speech waited too long to be worth a cue and was skipped";

/// Decode until the job channel closes, then report `AsrDone`.
pub fn run(
    jobs: Receiver<AsrJob>,
    hub: Sender<Msg>,
    mut make: TranscriberFactory,
    limits: Limits,
    shared: &Shared,
) {
    let cfg = limits.guard;
    let mut engines: [Option<Box<dyn Transcriber>>; 2] = [None, None];
    let mut previous: [String; 2] = [String::new(), String::new()];
    let mut failed_once = false;
    for job in jobs.iter() {
        let waited = job.queued_at.elapsed();
        shared.asr_took(waited);
        if limits.stale_after.is_some_and(|max| waited > max) {
            tracing::warn!(
                speaker = %job.speaker,
                waited_s = waited.as_secs_f64(),
                "Recognition fell behind; a phrase was skipped."
            );
            gap(&hub, &job, STALE_REASON);
            continue;
        }
        let i = job.speaker.index();
        if engines[i].is_none() {
            match make(job.speaker) {
                Ok(t) => engines[i] = Some(t),
                Err(e) => {
                    if !failed_once {
                        tracing::error!(error = %e, "Cannot create a recogniser.");
                        failed_once = true;
                    }
                    gap(&hub, &job, "recognition unavailable");
                    continue;
                }
            }
        }
        let engine = engines[i].as_mut().expect("created above");
        let started = Instant::now();
        shared.asr_started();
        let result = engine.transcribe(&job.phrase.samples);
        shared.asr_finished();
        let decode_secs = started.elapsed().as_secs_f64();
        let tr = match result {
            Ok(tr) => tr,
            Err(e) => {
                tracing::warn!(error = %e, speaker = %job.speaker, "A phrase could not be decoded.");
                gap(&hub, &job, "recognition failed on this speech");
                continue;
            }
        };
        let info = PhraseInfo {
            seconds: job.phrase.samples.len() as f64 / f64::from(SAMPLE_RATE),
            voiced: job.phrase.voiced,
        };
        let Some(mut text) = guard::clean(&cfg, &tr, info) else {
            tracing::debug!(speaker = %job.speaker, "A phrase produced no trustworthy text.");
            previous[i].clear();
            let _ = hub.send(Msg::NoText);
            continue;
        };
        if job.phrase.continues {
            text = guard::drop_overlap(&previous[i], &text);
        }
        previous[i] = text.clone();
        if text.is_empty() {
            let _ = hub.send(Msg::NoText);
            continue;
        }
        let _ = hub.send(Msg::Transcript {
            transcript: Transcript {
                t: job.phrase.end,
                speaker: job.speaker,
                start: job.phrase.start,
                end: job.phrase.end,
                text: text.into(),
                is_final: true,
            },
            decode_secs,
        });
    }
    let _ = hub.send(Msg::AsrDone);
}

fn gap(hub: &Sender<Msg>, job: &AsrJob, reason: &str) {
    let _ = hub.send(Msg::Gap {
        gap: Gap {
            t: job.phrase.start,
            speaker: job.speaker,
            reason: reason.into(),
            until: job.phrase.end,
        },
        dropped_phrase: true,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asr::{AsrError, Segment, Transcription};
    use crate::event::Speaker;
    use crate::frontend::segmenter::Phrase;
    use crossbeam_channel::unbounded;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Hears every phrase as the same words and counts the decodes.
    fn counting(decodes: Arc<AtomicUsize>) -> TranscriberFactory {
        struct Counting(Arc<AtomicUsize>);
        impl Transcriber for Counting {
            fn transcribe(&mut self, pcm: &[f32]) -> Result<Transcription, AsrError> {
                self.0.fetch_add(1, Ordering::SeqCst);
                Ok(Transcription {
                    segments: vec![Segment {
                        start: 0.0,
                        end: pcm.len() as f64 / 16_000.0,
                        text: "where do you think we should go from here".into(),
                        no_speech_prob: 0.01,
                        avg_logprob: -0.1,
                    }],
                })
            }
        }
        Box::new(move |_| Ok(Box::new(Counting(decodes.clone())) as Box<dyn Transcriber>))
    }

    fn job(start: f64, waited: Duration) -> AsrJob {
        AsrJob {
            speaker: Speaker::Me,
            phrase: Phrase {
                start,
                end: start + 3.0,
                audio_start: start,
                samples: vec![0.0; 3 * 16_000],
                voiced: 3.0,
                continues: false,
            },
            queued_at: Instant::now() - waited,
        }
    }

    /// Run the worker over `jobs` and return what it sent the hub, and the decodes made.
    fn run_jobs(jobs: Vec<AsrJob>, stale_after: Option<Duration>) -> (Vec<Msg>, usize, Duration) {
        let (job_tx, job_rx) = unbounded();
        for j in jobs {
            job_tx.send(j).unwrap();
        }
        drop(job_tx);
        let (hub_tx, hub_rx) = unbounded();
        let decodes = Arc::new(AtomicUsize::new(0));
        let shared = Shared::default();
        let limits = Limits {
            guard: GuardConfig::default(),
            stale_after,
        };
        run(job_rx, hub_tx, counting(decodes.clone()), limits, &shared);
        (
            hub_rx.try_iter().collect(),
            decodes.load(Ordering::SeqCst),
            shared.asr_behind(),
        )
    }

    #[test]
    fn a_phrase_that_waited_too_long_is_skipped_with_a_gap_and_newer_speech_decoded() {
        let (msgs, decodes, behind) = run_jobs(
            vec![
                job(1.0, Duration::from_secs(9)),
                job(20.0, Duration::from_millis(10)),
            ],
            Some(Duration::from_secs(5)),
        );
        assert_eq!(decodes, 1, "only the fresh phrase is decoded");
        let Msg::Gap {
            gap,
            dropped_phrase: true,
        } = &msgs[0]
        else {
            panic!("first message {:?}", msgs[0]);
        };
        assert_eq!(
            (gap.t, gap.until, gap.reason.as_str()),
            (1.0, 4.0, STALE_REASON)
        );
        assert!(
            matches!(&msgs[1], Msg::Transcript { transcript, .. } if transcript.start == 20.0),
            "{:?}",
            msgs[1]
        );
        assert!(behind < Duration::from_secs(1), "{behind:?}");
    }

    #[test]
    fn without_a_bound_every_phrase_is_decoded_however_long_it_waited() {
        let (msgs, decodes, behind) = run_jobs(vec![job(1.0, Duration::from_secs(60))], None);
        assert_eq!(decodes, 1);
        assert!(matches!(&msgs[0], Msg::Transcript { .. }), "{:?}", msgs[0]);
        assert!(behind >= Duration::from_secs(60), "{behind:?}");
    }
}
