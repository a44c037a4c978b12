//! Which flags become notifications: the rule's own cooldown (decided by the rule engine),
//! muted rules, quiet mode, and a global minimum interval between bubbles.

use std::collections::BTreeSet;

/// Notification policy settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// No bubbles at all (flags are still logged).
    pub quiet: bool,
    /// Seconds of call time between any two bubbles.
    pub min_interval: f64,
    /// Rules that never notify.
    pub muted: BTreeSet<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            quiet: false,
            min_interval: 10.0,
            muted: BTreeSet::new(),
        }
    }
}

/// The global rate limiter.
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    last: Option<f64>,
}

impl Throttle {
    /// Decide for a flag of `rule` at call time `t` that passed its own cooldown
    /// (`cooled_down`). Records the bubble when it says yes.
    pub fn allow(&mut self, policy: &Policy, rule: &str, t: f64, cooled_down: bool) -> bool {
        if !cooled_down || policy.quiet || policy.muted.contains(rule) {
            return false;
        }
        if self
            .last
            .is_some_and(|l| t - l < policy.min_interval && t >= l)
        {
            return false;
        }
        self.last = Some(t);
        true
    }

    /// A new call starts with no history.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_interval_quiet_and_mute() {
        let mut th = Throttle::default();
        let mut p = Policy::default();
        assert!(th.allow(&p, "chasing", 1.0, true));
        assert!(
            !th.allow(&p, "objection", 5.0, true),
            "within 10 s of the last bubble"
        );
        assert!(th.allow(&p, "objection", 11.5, true));
        assert!(
            !th.allow(&p, "chasing", 40.0, false),
            "rule still cooling down"
        );
        p.muted.insert("chasing".into());
        assert!(!th.allow(&p, "chasing", 60.0, true));
        p.quiet = true;
        assert!(!th.allow(&p, "objection", 90.0, true));
    }
}
