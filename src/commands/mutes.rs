//! `warmcall rules mute ID [--for LENGTH]`, `rules unmute ID` and `rules muted`: the mutes file
//! (`crate::mutes`) from the command line. A rule id must be one of the rules in force.

use jiff::Timestamp;

use super::outcome::{Failure, Outcome, exit};
use crate::mutes::{self, MuteError, MuteList};
use crate::report::time::local;
use crate::rules::CompiledRules;
use crate::rules::spec::{Kind, RuleDef};

fn failed(e: MuteError) -> Failure {
    Failure::new(exit::FAILURE, e)
}

fn rule<'a>(rules: &'a CompiledRules, id: &str) -> Option<&'a RuleDef> {
    rules.set.rules.iter().find(|r| r.id == id)
}

/// The message for an id that is no rule in force.
fn unknown(rules: &CompiledRules, id: &str) -> Failure {
    let ids: Vec<&str> = rules
        .set
        .rules
        .iter()
        .filter(|r| r.kind != Kind::Practice)
        .map(|r| r.id.as_str())
        .collect();
    Failure::new(
        exit::USAGE,
        format!(
            "no rule {id:?} in force; the rules are: {} (`warmcall rules list` says more)",
            ids.join(", ")
        ),
    )
}

/// `rules mute ID [--for LENGTH]`.
pub fn mute(rules: &CompiledRules, id: &str, length: Option<&str>) -> Outcome {
    let def = rule(rules, id).ok_or_else(|| unknown(rules, id))?;
    if def.kind == Kind::Practice {
        return Err(Failure::new(
            exit::USAGE,
            format!("{id} is a practice: it ticks the checklist and never raises a bubble"),
        ));
    }
    let length = length
        .map(mutes::parse_for)
        .transpose()
        .map_err(|e| Failure::new(exit::USAGE, e))?;
    let now = Timestamp::now();
    let path = mutes::default_path();
    mutes::update(&path, |l| l.mute(id, now, length)).map_err(failed)?;
    let until = match length.and_then(|d| now.checked_add(d).ok()) {
        Some(u) => format!("until {}", local(u)),
        None => "until you unmute it (`warmcall rules unmute ".to_string() + id + "`)",
    };
    println!("muted {id} ({}) {until}", def.title);
    if !def.enabled {
        println!("note: {id} is turned off in your rules anyway");
    }
    Ok(())
}

/// `rules unmute ID`.
pub fn unmute(rules: &CompiledRules, id: &str) -> Outcome {
    let path = mutes::default_path();
    let now = Timestamp::now();
    let known = rule(rules, id).is_some();
    let listed = MuteList::load(&path).map_err(failed)?.has_entry(id);
    if !known && !listed {
        return Err(unknown(rules, id));
    }
    if mutes::update(&path, |l| l.unmute(id, now)).map_err(failed)? {
        println!("unmuted {id}");
    } else {
        println!("{id} is not muted; nothing to do");
    }
    Ok(())
}

/// `rules muted`.
pub fn muted(rules: &CompiledRules) -> Outcome {
    let list = MuteList::load(&mutes::default_path()).map_err(failed)?;
    let now = Timestamp::now();
    let active: Vec<_> = list.active(now).collect();
    if active.is_empty() {
        println!("no rules are muted");
        return Ok(());
    }
    println!("{:<22} {:<28} {:<17} until", "id", "title", "muted since");
    for (id, m) in active {
        let title = rule(rules, id).map_or("(no longer a rule)", |r| r.title.as_str());
        let until = m.until.map_or("you unmute it".to_string(), local);
        println!("{id:<22} {title:<28} {:<17} {until}", local(m.since));
    }
    Ok(())
}
