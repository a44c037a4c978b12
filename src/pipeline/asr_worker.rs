//! The recognition worker: a blocking thread that owns one transcriber per speaker, decodes
//! phrases in arrival order, cleans the text with the guard, and sends transcripts to the hub.
//! With a source that plays at real speed, a phrase that waited too long for its turn is
//! skipped with a gap instead of decoded: its cue would come too late to help, and decoding
//! it would make every later phrase later still.
//!
//! Partials (a phrase so far, while it is spoken) come on a queue of their own and are decoded
//! only when no final waits. A partial is dropped, silently, when a final is waiting, when it
//! waited longer than `Limits::partial_stale` (a newer one is on its way), or when its
//! phrase's final has already been decoded. Its text goes to the hub as `Msg::Partial`.

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
    /// Skip a partial that waited longer than this.
    pub partial_stale: Duration,
}

impl Limits {
    /// Limits for a run: `stale_after` for paced sources, partials skipped after 1 s.
    pub fn new(guard: GuardConfig, stale_after: Option<Duration>) -> Self {
        Self {
            guard,
            stale_after,
            partial_stale: Duration::from_secs(1),
        }
    }
}

/// The next job: a waiting final first, else whichever queue has one first.
fn next(finals: &Receiver<AsrJob>, partials: &Receiver<AsrJob>) -> Option<AsrJob> {
    if let Ok(job) = finals.try_recv() {
        return Some(job);
    }
    crossbeam_channel::select! {
        recv(finals) -> job => job.ok(),
        recv(partials) -> job => match job {
            Ok(job) => Some(job),
            // Partials are off or over: finals alone.
            Err(_) => finals.recv().ok(),
        },
    }
}

/// The gap reason of a phrase skipped because it waited too long.
pub const STALE_REASON: &str =
    "recognition fell behind: this speech waited too long to be worth a cue and was skipped";

/// Decode until the job channels close, then report `AsrDone`.
pub fn run(
    jobs: Receiver<AsrJob>,
    partials: Receiver<AsrJob>,
    hub: Sender<Msg>,
    make: TranscriberFactory,
    limits: Limits,
    shared: &Shared,
) {
    let mut worker = Worker {
        hub,
        make,
        limits,
        engines: [None, None],
        previous: [String::new(), String::new()],
        finalized: [f64::NEG_INFINITY; 2],
        failed_once: false,
    };
    while let Some(job) = next(&jobs, &partials) {
        if worker.worth_decoding(&job, !jobs.is_empty(), shared) {
            worker.decode(job, shared);
        }
    }
    let _ = worker.hub.send(Msg::AsrDone);
}

/// The worker's state between jobs.
struct Worker {
    hub: Sender<Msg>,
    make: TranscriberFactory,
    limits: Limits,
    /// One transcriber per speaker, made at its first phrase.
    engines: [Option<Box<dyn Transcriber>>; 2],
    /// The last final text per speaker (a cut phrase's next piece drops what overlaps it).
    previous: [String; 2],
    /// Start of the last phrase taken as final, per speaker: partials up to it are moot.
    finalized: [f64; 2],
    failed_once: bool,
}

impl Worker {
    /// Whether `job` is still worth its decode. A final that waited too long gets a gap; a
    /// partial is dropped silently when a final waits, when it is old, or when its phrase is
    /// final already.
    fn worth_decoding(&mut self, job: &AsrJob, final_waiting: bool, shared: &Shared) -> bool {
        let waited = job.queued_at.elapsed();
        let i = job.speaker.index();
        if job.partial {
            return !final_waiting
                && waited <= self.limits.partial_stale
                && job.phrase.start > self.finalized[i];
        }
        shared.asr_took(waited);
        self.finalized[i] = job.phrase.start;
        if self.limits.stale_after.is_some_and(|max| waited > max) {
            tracing::warn!(
                speaker = %job.speaker,
                waited_s = waited.as_secs_f64(),
                "Recognition fell behind; a phrase was skipped."
            );
            gap(&self.hub, job, STALE_REASON);
            return false;
        }
        true
    }

    /// The speaker's transcriber, made on first use (`None`, with a gap, when it cannot be).
    fn engine(&mut self, job: &AsrJob) -> Option<&mut Box<dyn Transcriber>> {
        let i = job.speaker.index();
        if self.engines[i].is_none() {
            match (self.make)(job.speaker) {
                Ok(t) => self.engines[i] = Some(t),
                Err(e) => {
                    if !self.failed_once {
                        tracing::error!(error = %e, "Cannot create a recogniser.");
                        self.failed_once = true;
                    }
                    if !job.partial {
                        gap(&self.hub, job, "recognition unavailable");
                    }
                    return None;
                }
            }
        }
        self.engines[i].as_mut()
    }

    /// Decode one job and send what it said (or why it said nothing) to the hub.
    fn decode(&mut self, job: AsrJob, shared: &Shared) {
        let Some(engine) = self.engine(&job) else {
            return;
        };
        let started = Instant::now();
        shared.asr_started();
        let result = if job.partial {
            engine.transcribe_partial(&job.phrase.samples)
        } else {
            engine.transcribe(&job.phrase.samples)
        };
        shared.asr_finished();
        let decode_secs = started.elapsed().as_secs_f64();
        let tr = match result {
            Ok(tr) => tr,
            Err(e) if job.partial => {
                tracing::debug!(error = %e, speaker = %job.speaker, "A partial could not be decoded.");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, speaker = %job.speaker, "A phrase could not be decoded.");
                gap(&self.hub, &job, "recognition failed on this speech");
                return;
            }
        };
        let text = self.text(&job, &tr);
        let msg = match text {
            None if job.partial => return,
            None => Msg::NoText,
            Some(text) => {
                let transcript = Transcript {
                    t: job.phrase.end,
                    speaker: job.speaker,
                    start: job.phrase.start,
                    end: job.phrase.end,
                    text: text.into(),
                    is_final: !job.partial,
                };
                if job.partial {
                    Msg::Partial {
                        transcript,
                        decode_secs,
                    }
                } else {
                    Msg::Transcript {
                        transcript,
                        decode_secs,
                    }
                }
            }
        };
        let _ = self.hub.send(msg);
    }

    /// The guard's text for a decode, without what a cut phrase's previous piece already
    /// said; `None` when nothing trustworthy is left.
    fn text(&mut self, job: &AsrJob, tr: &crate::asr::Transcription) -> Option<String> {
        let i = job.speaker.index();
        let info = PhraseInfo {
            seconds: job.phrase.samples.len() as f64 / f64::from(SAMPLE_RATE),
            voiced: job.phrase.voiced,
        };
        let Some(mut text) = guard::clean(&self.limits.guard, tr, info) else {
            tracing::debug!(speaker = %job.speaker, "A phrase produced no trustworthy text.");
            if !job.partial {
                self.previous[i].clear();
            }
            return None;
        };
        if job.phrase.continues {
            text = guard::drop_overlap(&self.previous[i], &text);
        }
        if !job.partial {
            self.previous[i] = text.clone();
        }
        (!text.is_empty()).then_some(text)
    }
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
            partial: false,
        }
    }

    fn partial(start: f64, waited: Duration) -> AsrJob {
        AsrJob {
            partial: true,
            ..job(start, waited)
        }
    }

    /// Run the worker over `jobs` and return what it sent the hub, and the decodes made.
    fn run_jobs(jobs: Vec<AsrJob>, stale_after: Option<Duration>) -> (Vec<Msg>, usize, Duration) {
        let (job_tx, job_rx) = unbounded();
        let (partial_tx, partial_rx) = unbounded();
        for j in jobs {
            if j.partial { &partial_tx } else { &job_tx }
                .send(j)
                .unwrap();
        }
        drop((job_tx, partial_tx));
        let (hub_tx, hub_rx) = unbounded();
        let decodes = Arc::new(AtomicUsize::new(0));
        let shared = Shared::default();
        let limits = Limits::new(GuardConfig::default(), stale_after);
        run(
            job_rx,
            partial_rx,
            hub_tx,
            counting(decodes.clone()),
            limits,
            &shared,
        );
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

    #[test]
    fn partials_come_after_finals_and_are_dropped_once_moot() {
        let (job_tx, job_rx) = unbounded();
        let (partial_tx, partial_rx) = unbounded();
        let (hub_tx, hub_rx) = unbounded();
        let decodes = Arc::new(AtomicUsize::new(0));
        let make = counting(decodes.clone());
        let worker = std::thread::spawn(move || {
            let limits = Limits::new(GuardConfig::default(), Some(Duration::from_secs(5)));
            run(job_rx, partial_rx, hub_tx, make, limits, &Shared::default());
        });
        let wait = || hub_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        job_tx.send(job(1.0, Duration::ZERO)).unwrap();
        assert!(matches!(wait(), Msg::Transcript { transcript, .. } if transcript.is_final));
        // The partial of a phrase already final is moot, an old one stale; the fresh partial
        // of a later phrase is decoded and marked not final.
        partial_tx.send(partial(1.0, Duration::ZERO)).unwrap();
        partial_tx
            .send(partial(5.0, Duration::from_secs(2)))
            .unwrap();
        partial_tx.send(partial(9.0, Duration::ZERO)).unwrap();
        let Msg::Partial { transcript, .. } = wait() else {
            panic!("expected a partial");
        };
        assert_eq!((transcript.start, transcript.is_final), (9.0, false));
        drop((job_tx, partial_tx));
        worker.join().unwrap();
        assert!(matches!(wait(), Msg::AsrDone));
        assert_eq!(decodes.load(Ordering::SeqCst), 2);
    }
}
