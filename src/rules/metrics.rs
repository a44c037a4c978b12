//! Speech-timing and word-count measurements behind the metric rules: who talks how much
//! (talk ratio), how long the rep's current turn is (monologue), and how self-focused the rep's
//! recent words are (self-focus). Pure state machines, fed in call-time order.

use std::collections::VecDeque;

use crate::event::Speaker;

/// Speech intervals per speaker, finished and ongoing.
#[derive(Debug, Clone, Default)]
pub struct TalkTracker {
    /// Finished intervals still inside the longest window anyone asks about.
    recent: [VecDeque<(f64, f64)>; 2],
    /// The interval a speaker is in right now, as (start, latest).
    open: [Option<(f64, f64)>; 2],
    /// Total finished speech per speaker over the whole call.
    total: [f64; 2],
    /// Latest call time seen.
    now: f64,
    keep_seconds: f64,
}

impl TalkTracker {
    pub fn new(keep_seconds: f64) -> Self {
        Self {
            keep_seconds,
            ..Self::default()
        }
    }

    /// How far back finished intervals are kept.
    pub fn set_horizon(&mut self, keep_seconds: f64) {
        self.keep_seconds = keep_seconds;
    }

    pub fn now(&self) -> f64 {
        self.now
    }

    /// Record speech: `ongoing` means the speaker is still talking at `end`.
    pub fn push(&mut self, speaker: Speaker, start: f64, end: f64, ongoing: bool) {
        let i = speaker.index();
        let end = end.max(start);
        self.now = self.now.max(end);
        if ongoing {
            self.open[i] = Some((start, end));
        } else {
            self.open[i] = None;
            self.recent[i].push_back((start, end));
            self.total[i] += end - start;
        }
        let horizon = self.now - self.keep_seconds;
        for q in &mut self.recent {
            while q.front().is_some_and(|&(_, e)| e < horizon) {
                q.pop_front();
            }
        }
    }

    /// Seconds each speaker talked within the last `over` seconds.
    pub fn recent(&self, over: f64) -> [f64; 2] {
        let lo = self.now - over;
        let overlap = |&(s, e): &(f64, f64)| (e.min(self.now) - s.max(lo)).max(0.0);
        std::array::from_fn(|i| {
            self.recent[i].iter().map(overlap).sum::<f64>()
                + self.open[i].as_ref().map_or(0.0, overlap)
        })
    }

    /// Whole-call speech seconds per speaker (finished intervals).
    pub fn totals(&self) -> [f64; 2] {
        self.total
    }
}

/// The rep's current turn: from their first speech after the prospect last spoke (or after a
/// long pause) to the latest moment they were heard.
#[derive(Debug, Clone, Default)]
pub struct TurnTracker {
    start: Option<f64>,
    last: f64,
    longest: f64,
}

impl TurnTracker {
    /// Rep speech over `[start, end]`; a pause longer than `max_pause` starts a new turn.
    /// Returns the turn's length so far.
    pub fn rep(&mut self, start: f64, end: f64, max_pause: f64) -> f64 {
        let new_turn = match self.start {
            None => true,
            Some(_) => start - self.last > max_pause,
        };
        if new_turn {
            self.start = Some(start);
            self.last = end;
        }
        self.last = self.last.max(end);
        let len = self.last - self.start.expect("turn started");
        self.longest = self.longest.max(len);
        len
    }

    /// The prospect spoke: the rep's turn is over.
    pub fn prospect(&mut self) {
        self.start = None;
    }

    /// Start of the current turn, if the rep holds the floor.
    pub fn turn_start(&self) -> Option<f64> {
        self.start
    }

    pub fn longest(&self) -> f64 {
        self.longest
    }
}

/// Pronoun classes that measure self-focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Me,
    You,
    Other,
}

/// Classify one normalised word.
pub fn focus(word: &str) -> Focus {
    match word {
        "i" | "me" | "my" | "mine" | "myself" | "we" | "us" | "our" | "ours" | "ourselves" => {
            Focus::Me
        }
        "you" | "your" | "yours" | "yourself" | "yourselves" => Focus::You,
        _ => Focus::Other,
    }
}

/// A rolling window of the rep's last words, counting I/we against you.
#[derive(Debug, Clone, Default)]
pub struct FocusWindow {
    words: VecDeque<Focus>,
    me: usize,
    you: usize,
}

impl FocusWindow {
    /// Add words, keeping only the last `capacity`.
    pub fn push<'a>(&mut self, words: impl IntoIterator<Item = &'a str>, capacity: usize) {
        for w in words {
            let f = focus(w);
            self.words.push_back(f);
            self.count(f, 1);
            while self.words.len() > capacity {
                if let Some(old) = self.words.pop_front() {
                    self.count(old, -1);
                }
            }
        }
    }

    fn count(&mut self, f: Focus, delta: isize) {
        let slot = match f {
            Focus::Me => &mut self.me,
            Focus::You => &mut self.you,
            Focus::Other => return,
        };
        *slot = slot.saturating_add_signed(delta);
    }

    /// (I/we words, you words, all words) in the window.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.me, self.you, self.words.len())
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn talk_share_counts_overlap_with_the_window() {
        let mut t = TalkTracker::new(600.0);
        t.push(Speaker::Me, 0.0, 100.0, false);
        t.push(Speaker::Them, 100.0, 150.0, false);
        t.push(Speaker::Me, 150.0, 200.0, true);
        let [me, them] = t.recent(100.0);
        assert_eq!((me, them), (50.0, 50.0));
        let [me, _] = t.recent(1000.0);
        assert_eq!(me, 150.0);
        assert_eq!(t.totals(), [100.0, 50.0]);
    }

    #[test]
    fn turns_end_on_the_prospect_or_a_long_pause() {
        let mut turn = TurnTracker::default();
        assert_eq!(turn.rep(0.0, 10.0, 2.5), 10.0);
        assert_eq!(turn.rep(11.0, 20.0, 2.5), 20.0);
        assert_eq!(
            turn.rep(30.0, 35.0, 2.5),
            5.0,
            "a 10 s pause starts a new turn"
        );
        turn.prospect();
        assert_eq!(turn.rep(36.0, 37.0, 2.5), 1.0);
        assert_eq!(turn.longest(), 20.0);
    }

    #[test]
    fn focus_window_rolls() {
        let mut w = FocusWindow::default();
        w.push(["we", "our", "you", "the"], 3);
        assert_eq!(w.counts(), (1, 1, 3));
    }
}
