//! The rule engine: synchronous and pure. Transcript and speech-timing inputs go in, flags come
//! out; at the end of a call it gives the summary. The same code runs in the daemon, in
//! `warmcall analyze` and in tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use std::sync::atomic::{AtomicBool, Ordering};

use super::decide::{Decision, decide};
use super::matcher::{Matcher, PhraseHit};
use super::metrics::{FocusWindow, TalkTracker, TurnTracker};
use super::pack::RuleSet;
use super::semantic::{Scored, SemanticDetector, Trained};
use super::spec::{Detector, Kind, RuleDef, RuleError, Source, SpeakerSel};
use crate::encoder::SentenceEncoder;
use crate::event::{Flag, Practice, Speaker, Summary, Utterance};

/// A rule set with its phrase matcher and (when the sentence encoder is installed) its
/// semantic detector, ready to share between threads and swap on reload.
#[derive(Debug)]
pub struct CompiledRules {
    pub set: RuleSet,
    pub matcher: Matcher,
    pub semantic: Option<SemanticDetector>,
    /// The encoder failed on an utterance once; said so, and patterns carry on alone.
    warned: AtomicBool,
}

impl CompiledRules {
    /// Patterns alone.
    pub fn new(set: RuleSet) -> Result<Arc<Self>, RuleError> {
        Self::with_encoder(set, None)
    }

    /// Patterns, and with an encoder the semantic detector: the built-in heads and every
    /// rule's `examples` (embedded now).
    pub fn with_encoder(
        set: RuleSet,
        encoder: Option<Arc<dyn SentenceEncoder>>,
    ) -> Result<Arc<Self>, RuleError> {
        Self::with_trained(set, encoder, &Trained::builtin())
    }

    /// As [`with_encoder`](Self::with_encoder), with heads from `trained` instead of the
    /// built-in ones (training and cross-validation).
    pub fn with_trained(
        set: RuleSet,
        encoder: Option<Arc<dyn SentenceEncoder>>,
        trained: &Trained,
    ) -> Result<Arc<Self>, RuleError> {
        let matcher = Matcher::new(&set)?;
        let semantic = match encoder {
            None => None,
            Some(enc) => {
                Some(
                    SemanticDetector::new(&set, enc, trained).map_err(|e| RuleError {
                        source: Source::Builtin,
                        line: 0,
                        column: 0,
                        message: format!("cannot embed the rules' examples: {e}"),
                    })?,
                )
            }
        };
        Ok(Arc::new(Self {
            set,
            matcher,
            semantic,
            warned: AtomicBool::new(false),
        }))
    }

    /// The built-in pack, compiled, patterns alone.
    pub fn builtin() -> Arc<Self> {
        Self::new(RuleSet::builtin()).expect("the built-in pack compiles (tested)")
    }

    /// The semantic verdicts on `text` said by `speaker`; `None` without an encoder, or when
    /// it fails (said once, then patterns carry on alone).
    pub fn score(&self, text: &str, speaker: Speaker) -> Option<Scored> {
        let detector = self.semantic.as_ref()?;
        match detector.score(text, speaker, &self.set) {
            Ok(s) => Some(s),
            Err(e) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "The sentence encoder failed; coaching uses patterns alone.");
                }
                None
            }
        }
    }
}

/// One input to the engine, in call-time order.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Recognised words; `at` is the call time the text became available.
    Transcript { utterance: &'a Utterance, at: f64 },
    /// The words so far of a phrase still being spoken (same `start` as its final). Only
    /// phrase rules look at it; a rule it raises is not raised again by the final of the same
    /// phrase, and nothing is counted (questions, self-focus words) until the final.
    Partial { utterance: &'a Utterance, at: f64 },
    /// Speech timing from voice activity detection. `ongoing`: the speaker is still talking at
    /// `end` (sent periodically while they talk); otherwise the stretch ended at `end`.
    Speech {
        speaker: Speaker,
        start: f64,
        end: f64,
        ongoing: bool,
    },
}

/// Per-rule state, keyed by rule id so it survives a reload.
#[derive(Debug, Clone, Default)]
struct RuleState {
    last_notified: Option<f64>,
    next_suggestion: usize,
    /// talk-ratio: set once it fired, cleared when the share drops well below the limit.
    disarmed: bool,
    /// monologue: the rep's turn for this rule's pause setting, and the turn already flagged.
    turn: TurnTracker,
    flagged_turn: Option<f64>,
    /// self-focus: the rep's recent words.
    window: FocusWindow,
}

/// Rule engine state for one call.
#[derive(Debug)]
pub struct Engine {
    rules: Arc<CompiledRules>,
    state: HashMap<String, RuleState>,
    talk: TalkTracker,
    turn: TurnTracker,
    practices: BTreeMap<String, f64>,
    flag_counts: BTreeMap<String, u32>,
    questions: [u32; 2],
    hits: Vec<PhraseHit>,
    /// Scratch buffer for normalised text.
    norm: String,
    /// Per speaker: the start of the phrase partials have raised rules for, and those rules'
    /// ids (ids, not positions, so a reload between a partial and its final changes nothing).
    raised_early: [(f64, Vec<String>); 2],
}

/// How many questions an utterance asks, as the summary counts them.
pub fn questions_in(text: &str) -> u32 {
    text.matches('?').count() as u32
}

/// Pause that ends a turn for the summary's longest monologue.
const SUMMARY_MAX_PAUSE: f64 = 2.5;

/// Talk-ratio re-arms when the share falls this far below its limit.
const TALK_RATIO_HYSTERESIS: f64 = 0.05;

/// The score a semantic verdict needs to raise a rule from a partial: halfway from the rule's
/// threshold to certainty. A partial ends wherever the speaker had got to ("Hi, it's Sam, I'm
/// just…"), and its last words are the ones the recogniser is least sure of, so a head only
/// a little over its threshold on it is guessing at a sentence nobody has finished; the
/// final decides with the plain threshold a moment later. Pattern hits need no more than on
/// a final.
fn partial_bar(threshold: f32) -> f32 {
    threshold + (1.0 - threshold) / 2.0
}

pub(crate) fn in_window(rule: &RuleDef, t: f64) -> bool {
    t >= rule.from && rule.until.is_none_or(|u| t < u)
}

fn holder(rule: &RuleDef) -> Speaker {
    if rule.speaker == SpeakerSel::Them {
        Speaker::Them
    } else {
        Speaker::Me
    }
}

fn talk_horizon(set: &RuleSet) -> f64 {
    set.rules
        .iter()
        .filter_map(|r| match r.detector {
            Detector::TalkRatio { over_seconds, .. } => Some(over_seconds),
            _ => None,
        })
        .fold(300.0, f64::max)
}

impl Engine {
    pub fn new(rules: Arc<CompiledRules>) -> Self {
        Self {
            talk: TalkTracker::new(talk_horizon(&rules.set)),
            rules,
            state: HashMap::new(),
            turn: TurnTracker::default(),
            practices: BTreeMap::new(),
            flag_counts: BTreeMap::new(),
            questions: [0; 2],
            hits: Vec::new(),
            norm: String::new(),
            raised_early: [(f64::NAN, Vec::new()), (f64::NAN, Vec::new())],
        }
    }

    /// Swap in a new rule set mid-call; per-rule state (cooldowns) carries over by id.
    pub fn reload(&mut self, rules: Arc<CompiledRules>) {
        // Keep the measurements; only how far back they are kept may change.
        self.talk.set_horizon(talk_horizon(&rules.set));
        self.rules = rules;
    }

    pub fn rules(&self) -> &Arc<CompiledRules> {
        &self.rules
    }

    /// Feed one input; flags raised by it are appended to `out`.
    pub fn push(&mut self, input: Input<'_>, out: &mut Vec<Flag>) {
        match input {
            Input::Transcript { utterance, at } => self.transcript(utterance, at, out),
            Input::Partial { utterance, at } => self.partial(utterance, at, out),
            Input::Speech {
                speaker,
                start,
                end,
                ongoing,
            } => self.speech(speaker, start, end, ongoing, out),
        }
    }

    fn raise(
        &mut self,
        rule: &RuleDef,
        speaker: Speaker,
        evidence: String,
        t: f64,
        out: &mut Vec<Flag>,
    ) {
        let st = self.state.entry(rule.id.clone()).or_default();
        let notified = st
            .last_notified
            .is_none_or(|last| t - last >= rule.cooldown);
        if notified {
            st.last_notified = Some(t);
        }
        let suggestion = if rule.suggestions.is_empty() {
            String::new()
        } else {
            rule.suggestions[st.next_suggestion % rule.suggestions.len()].clone()
        };
        st.next_suggestion += 1;
        *self.flag_counts.entry(rule.id.clone()).or_default() += 1;
        out.push(Flag {
            t,
            rule: rule.id.clone(),
            speaker,
            severity: rule.severity,
            evidence: evidence.into(),
            suggestion,
            title: rule.title.clone(),
            notified,
        });
    }

    /// The phrase and practice rules `u` carries, as (rule index, evidence); `norm` gets the
    /// normalised text. On a `partial`, a rule fired by the semantic detector alone must be
    /// surer than its threshold ([`partial_bar`]).
    fn phrase_rules(
        &mut self,
        u: &Utterance,
        norm: &mut String,
        partial: bool,
    ) -> Vec<(usize, String)> {
        let rules = Arc::clone(&self.rules);
        crate::text::normalize_into(u.text.as_str(), norm);
        let mut hits = std::mem::take(&mut self.hits);
        rules
            .matcher
            .scan_utterance(u.text.as_str(), norm, &mut hits);
        let scored = rules.score(u.text.as_str(), u.speaker).unwrap_or_default();
        let mut carried = Vec::new();
        for (i, rule) in rules.set.rules.iter().enumerate() {
            if !matches!(rule.kind, Kind::Phrase | Kind::Practice)
                || !rule.enabled
                || !rule.speaker.accepts(u.speaker)
                || !in_window(rule, u.start)
            {
                continue;
            }
            let hit = hits.iter().find(|h| h.rule == i);
            let verdict = scored.verdict(i);
            let decision = decide(hit, verdict, &scored.clauses);
            if partial
                && matches!(decision, Decision::Semantic { .. })
                && verdict.is_some_and(|v| v.score < partial_bar(v.threshold))
            {
                continue;
            }
            if let Some(evidence) = decision.evidence() {
                carried.push((i, evidence.to_string()));
            }
        }
        self.hits = hits;
        carried
    }

    /// A phrase still being spoken: its phrase rules raised now, remembered for its final.
    fn partial(&mut self, u: &Utterance, at: f64, out: &mut Vec<Flag>) {
        let rules = Arc::clone(&self.rules);
        let mut norm = std::mem::take(&mut self.norm);
        let carried = self.phrase_rules(u, &mut norm, true);
        self.norm = norm;
        let early = &mut self.raised_early[u.speaker.index()];
        if early.0 != u.start {
            *early = (u.start, Vec::new());
        }
        for (i, evidence) in carried {
            let rule = &rules.set.rules[i];
            let early = &mut self.raised_early[u.speaker.index()].1;
            if rule.kind != Kind::Phrase || early.contains(&rule.id) {
                continue;
            }
            early.push(rule.id.clone());
            self.raise(rule, u.speaker, evidence, at, out);
        }
    }

    fn transcript(&mut self, u: &Utterance, at: f64, out: &mut Vec<Flag>) {
        let rules = Arc::clone(&self.rules);
        self.questions[u.speaker.index()] += questions_in(u.text.as_str());
        let mut norm = std::mem::take(&mut self.norm);
        let carried = self.phrase_rules(u, &mut norm, false);
        let (early_start, early) = std::mem::replace(
            &mut self.raised_early[u.speaker.index()],
            (f64::NAN, Vec::new()),
        );
        for (i, evidence) in carried {
            let rule = &rules.set.rules[i];
            if rule.kind == Kind::Practice {
                self.practices.entry(rule.id.clone()).or_insert(at);
            } else if early_start != u.start || !early.contains(&rule.id) {
                self.raise(rule, u.speaker, evidence, at, out);
            }
        }
        for rule in &rules.set.rules {
            let Detector::SelfFocus {
                window_words,
                min_self_words,
                min_self_share,
            } = rule.detector
            else {
                continue;
            };
            if !rule.enabled || !rule.speaker.accepts(u.speaker) {
                continue;
            }
            let st = self.state.entry(rule.id.clone()).or_default();
            st.window
                .push(norm.split(' ').filter(|w| !w.is_empty()), window_words);
            let (me, you, n) = st.window.counts();
            let share = me as f64 / (me + you).max(1) as f64;
            if me >= min_self_words && share >= min_self_share && in_window(rule, at) {
                st.window.clear();
                let evidence =
                    format!("I/we/our {me} times, you/your {you} times in the last {n} words");
                self.raise(rule, u.speaker, evidence, at, out);
            }
        }
        self.norm = norm;
    }

    fn speech(
        &mut self,
        speaker: Speaker,
        start: f64,
        end: f64,
        ongoing: bool,
        out: &mut Vec<Flag>,
    ) {
        let rules = Arc::clone(&self.rules);
        self.talk.push(speaker, start, end, ongoing);
        match speaker {
            Speaker::Me => {
                self.turn.rep(start, end, SUMMARY_MAX_PAUSE);
            }
            Speaker::Them => self.turn.prospect(),
        }
        let now = self.talk.now();
        for rule in rules.set.rules.iter().filter(|r| r.enabled) {
            match rule.detector {
                Detector::Monologue { seconds, max_pause } => {
                    let st = self.state.entry(rule.id.clone()).or_default();
                    if speaker != holder(rule) {
                        st.turn.prospect();
                        continue;
                    }
                    let len = st.turn.rep(start, end, max_pause);
                    let turn = st.turn.turn_start();
                    if len >= seconds && st.flagged_turn != turn && in_window(rule, end) {
                        st.flagged_turn = turn;
                        let evidence =
                            format!("{len:.0} s of talking without the other side speaking");
                        self.raise(rule, speaker, evidence, end, out);
                    }
                }
                Detector::TalkRatio {
                    max_share,
                    over_seconds,
                    min_speech_seconds,
                } => {
                    let recent = self.talk.recent(over_seconds);
                    let total = recent[0] + recent[1];
                    if total < min_speech_seconds {
                        continue;
                    }
                    let who = holder(rule);
                    let share = recent[who.index()] / total;
                    let st = self.state.entry(rule.id.clone()).or_default();
                    if share > max_share && !st.disarmed && in_window(rule, now) {
                        st.disarmed = true;
                        let evidence = format!(
                            "{:.0}% of the talk time in the last {:.0} minutes",
                            share * 100.0,
                            over_seconds.min(now) / 60.0
                        );
                        self.raise(rule, who, evidence, now, out);
                    } else if share < max_share - TALK_RATIO_HYSTERESIS {
                        st.disarmed = false;
                    }
                }
                _ => {}
            }
        }
    }

    /// The end-of-call summary.
    pub fn summary(&self) -> Summary {
        let [me, them] = self.talk.totals();
        let total = me + them;
        let share = |x: f64| {
            if total > 0.0 {
                (x / total * 1000.0).round() / 1000.0
            } else {
                0.0
            }
        };
        let practices = self
            .rules
            .set
            .rules
            .iter()
            .filter(|r| r.kind == Kind::Practice && r.enabled)
            .map(|r| {
                let t = self.practices.get(&r.id).copied();
                (
                    r.id.clone(),
                    Practice {
                        done: t.is_some(),
                        t,
                    },
                )
            })
            .collect();
        Summary {
            talk_share_me: share(me),
            talk_share_them: share(them),
            talk_s_me: (me * 10.0).round() / 10.0,
            talk_s_them: (them * 10.0).round() / 10.0,
            longest_monologue_s: (self.turn.longest() * 10.0).round() / 10.0,
            questions_me: self.questions[0],
            questions_them: self.questions[1],
            flags: self.flag_counts.clone(),
            practices,
        }
    }
}
