//! The recognition worker: a blocking thread that owns one transcriber per speaker, decodes
//! phrases in arrival order, cleans the text with the guard, and sends transcripts to the hub.

use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

use super::messages::{AsrJob, Msg, Shared};
use crate::asr::guard::{self, GuardConfig, PhraseInfo};
use crate::asr::{SAMPLE_RATE, Transcriber, TranscriberFactory};
use crate::event::{Gap, Transcript};

/// Decode until the job channel closes, then report `AsrDone`.
pub fn run(
    jobs: Receiver<AsrJob>,
    hub: Sender<Msg>,
    mut make: TranscriberFactory,
    cfg: GuardConfig,
    shared: &Shared,
) {
    let mut engines: [Option<Box<dyn Transcriber>>; 2] = [None, None];
    let mut previous: [String; 2] = [String::new(), String::new()];
    let mut failed_once = false;
    for job in jobs.iter() {
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
