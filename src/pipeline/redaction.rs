//! Redaction in the pipeline (`[log] redact`, on by default): personal data in what was said
//! is replaced (`crate::redact`) before anything leaves the hub.
//!
//! Two points, both in the hub: a transcript's text is redacted as it arrives, before the rule
//! stage sees it, so a flag's evidence is drawn from redacted words (the rule stage's
//! normalisation collapses repeated digits, "one one one" → "1", after which a number can no
//! longer be recognised); and `Hub::emit`, the one place events fan out to the sinks (stdout,
//! the call log, any added sink), redacts every transcript and every flag's evidence once more,
//! whatever produced them. Notifications carry a rule's title and suggestion, never words.
//! `warmcall analyze` applies the same two steps to its input and output.

use std::borrow::Cow;

use crate::event::{Event, Flag, Text, Transcript};
use crate::redact::redact;

/// Whether and how events are redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redaction {
    pub on: bool,
}

/// `text` redacted, or `None` when nothing in it is personal data.
fn redacted(text: &Text) -> Option<Text> {
    match redact(text.as_str()) {
        Cow::Borrowed(_) => None,
        Cow::Owned(s) => Some(Text(s)),
    }
}

impl Redaction {
    /// `text` redacted (unchanged when off).
    pub fn text(self, text: &Text) -> Text {
        self.on
            .then(|| redacted(text))
            .flatten()
            .unwrap_or_else(|| text.clone())
    }

    /// Redact a transcript's words in place (before the rule stage).
    pub fn transcript(self, tr: &mut Transcript) {
        if let Some(text) = self.on.then(|| redacted(&tr.text)).flatten() {
            tr.text = text;
        }
    }

    /// `event` as the sinks may see it: borrowed unchanged unless something was redacted.
    pub fn event(self, event: &Event) -> Cow<'_, Event> {
        if !self.on {
            return Cow::Borrowed(event);
        }
        match event {
            Event::Transcript(tr) => match redacted(&tr.text) {
                Some(text) => Cow::Owned(Event::Transcript(Transcript { text, ..tr.clone() })),
                None => Cow::Borrowed(event),
            },
            Event::Flag(f) => match redacted(&f.evidence) {
                Some(evidence) => Cow::Owned(Event::Flag(Flag {
                    evidence,
                    ..f.clone()
                })),
                None => Cow::Borrowed(event),
            },
            _ => Cow::Borrowed(event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Severity, Speaker};

    fn transcript(text: &str) -> Transcript {
        Transcript {
            t: 1.0,
            speaker: Speaker::Them,
            start: 0.0,
            end: 1.0,
            text: text.into(),
            is_final: true,
        }
    }

    fn flag(evidence: &str) -> Event {
        Event::Flag(Flag {
            t: 1.0,
            rule: "r".into(),
            speaker: Speaker::Them,
            severity: Severity::Info,
            evidence: evidence.into(),
            suggestion: "s".into(),
            title: "t".into(),
            notified: false,
        })
    }

    #[test]
    fn transcripts_and_evidence_are_redacted_when_on() {
        let on = Redaction { on: true };
        let e = Event::Transcript(transcript("Mail john dot smith at acme dot com."));
        let Event::Transcript(tr) = on.event(&e).into_owned() else {
            panic!()
        };
        assert_eq!(tr.text.as_str(), "Mail [email].");
        let Event::Flag(f) = on.event(&flag("card 4111 1111 1111 1111")).into_owned() else {
            panic!()
        };
        assert_eq!(f.evidence.as_str(), "card [card]");
        let mut tr = transcript("call 555-123-4567");
        on.transcript(&mut tr);
        assert_eq!(tr.text.as_str(), "call [phone]");
    }

    #[test]
    fn nothing_changes_when_off_or_when_there_is_nothing_to_redact() {
        let off = Redaction { on: false };
        let e = Event::Transcript(transcript("call 555-123-4567"));
        assert!(matches!(off.event(&e), Cow::Borrowed(_)));
        let mut tr = transcript("call 555-123-4567");
        off.transcript(&mut tr);
        assert_eq!(tr.text.as_str(), "call 555-123-4567");
        let on = Redaction { on: true };
        let e = Event::Transcript(transcript("two hundred firms at 15 percent"));
        assert!(matches!(on.event(&e), Cow::Borrowed(_)));
    }
}
