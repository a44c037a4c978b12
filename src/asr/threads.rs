//! How many CPU threads a decode uses on a machine shared with other programs.
//!
//! whisper.cpp, built without OpenMP, runs each step of the model on ggml's own thread pool,
//! whose threads meet at a barrier after every operation and wait there by spinning. When the
//! cores are busy and one decode thread is descheduled, the other spins through its whole time
//! slice at every barrier: on a loaded 2-core machine two threads took 7 to 12 times the wall
//! time and 10 to 12 times the CPU of one, 88 % of it in `ggml_barrier` (README, "Decoding on a
//! busy machine"). One thread never waits at a barrier, so it slows down only in proportion to the
//! CPU it gets.
//!
//! `Threads::Auto` therefore decodes with several threads only while other programs leave that
//! many cores idle: on average since the previous decode (the machine's and this process's CPU
//! counters in /proc) and right now (the runnable-thread count). Otherwise, and where /proc
//! cannot be read, it decodes with one. The choice is made before each decode; the thread count
//! is a per-decode parameter, so switching costs nothing.

use std::str::FromStr;

/// How many CPU threads a decode uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// Always this many.
    Fixed(u16),
    /// More than one only while other programs leave the cores idle.
    Auto,
}

impl FromStr for Threads {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "auto" => Ok(Threads::Auto),
            n => match n.parse::<u16>() {
                Ok(n) if n >= 1 => Ok(Threads::Fixed(n)),
                _ => Err(format!(
                    "threads must be \"auto\" or a whole number from 1, not {s:?}"
                )),
            },
        }
    }
}

/// At most this many threads: more does not pay for short phrases.
const MAX_THREADS: usize = 4;
/// Other programs' average use, in cores, that still counts as idle (a desktop's background).
const IDLE_SLACK: f64 = 0.25;
/// Shortest window worth judging, in clock ticks per core (0.25 s at the usual 100 Hz).
const MIN_WINDOW_TICKS: u64 = 25;

/// CPU counters at one instant: the whole machine's (all cores) and this process's, in clock
/// ticks, and how many threads are runnable right now, on the machine and in this process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuSample {
    pub total: u64,
    pub idle: u64,
    pub own: u64,
    pub running: u64,
    pub own_running: u64,
}

impl CpuSample {
    /// The counters now, from /proc/stat and /proc/self; `None` where they can't be read.
    pub fn read() -> Option<Self> {
        let machine = std::fs::read_to_string("/proc/stat").ok()?;
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        let own_running = std::fs::read_dir("/proc/self/task")
            .ok()?
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
            .filter(|stat| state(stat) == Some('R'))
            .count() as u64;
        Self::parse(&machine, &own, own_running)
    }

    /// Parse the text of /proc/stat and /proc/self/stat.
    pub fn parse(proc_stat: &str, self_stat: &str, own_running: u64) -> Option<Self> {
        let mut lines = proc_stat.lines();
        let cpu: Vec<u64> = lines
            .next()?
            .strip_prefix("cpu ")?
            .split_whitespace()
            .map(|v| v.parse().ok())
            .collect::<Option<_>>()?;
        // user nice system idle iowait irq softirq steal (guest time is inside user and nice).
        let total = cpu.iter().take(8).sum();
        let idle = cpu.get(3)? + cpu.get(4).copied().unwrap_or(0);
        let running = lines
            .find_map(|l| l.strip_prefix("procs_running "))?
            .trim()
            .parse()
            .ok()?;
        // utime and stime are the 14th and 15th fields (11 and 12 after the command name).
        let fields = after_name(self_stat)?;
        let own = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(Self {
            total,
            idle,
            own,
            running,
            own_running,
        })
    }
}

/// The fields of a /proc stat line after the command name, which may hold spaces and
/// parentheses: from the last closing parenthesis on.
fn after_name(stat: &str) -> Option<Vec<&str>> {
    Some(
        stat.get(stat.rfind(')')? + 1..)?
            .split_whitespace()
            .collect(),
    )
}

/// A thread's state letter from its /proc stat line ('R' = running or runnable).
fn state(stat: &str) -> Option<char> {
    after_name(stat)?.first()?.chars().next()
}

/// What other programs did with the CPU, as a decode is about to start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OthersLoad {
    /// Cores kept busy by other programs, on average since the previous sample.
    pub busy_cores: f64,
    /// Threads of other programs runnable at the last sample.
    pub running: u64,
}

impl OthersLoad {
    /// Other programs' load between `prev` and `now` on a machine of `cores` cores; `None` if
    /// the window is too short to judge or the counters went backwards.
    pub fn between(prev: &CpuSample, now: &CpuSample, cores: usize) -> Option<Self> {
        let total = now.total.checked_sub(prev.total)?;
        if total < MIN_WINDOW_TICKS * cores as u64 {
            return None;
        }
        let busy = total.saturating_sub(now.idle.checked_sub(prev.idle)?);
        let others = busy.saturating_sub(now.own.checked_sub(prev.own)?);
        Some(Self {
            busy_cores: others as f64 / total as f64 * cores as f64,
            running: now.running.saturating_sub(now.own_running),
        })
    }
}

/// Threads for the next decode on `cores` cores, given what other programs are doing: as many
/// as the cores they left idle both on average and right now, at least one, at most `max`.
pub fn threads_for(others: OthersLoad, cores: usize, max: usize) -> usize {
    let idle_avg = (cores as f64 - others.busy_cores + IDLE_SLACK)
        .floor()
        .max(0.0) as usize;
    let idle_now = cores.saturating_sub(others.running as usize);
    idle_avg.min(idle_now).clamp(1, max.max(1))
}

/// Chooses the thread count before each decode.
#[derive(Debug, Clone)]
pub struct ThreadPolicy {
    setting: Threads,
    cores: usize,
    last: Option<CpuSample>,
    current: usize,
}

impl ThreadPolicy {
    /// A policy for this machine; `Auto` takes its first sample now, so the first decode
    /// already has a window to judge.
    pub fn new(setting: Threads) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut policy = Self::with_cores(setting, cores);
        if setting == Threads::Auto {
            policy.last = CpuSample::read();
        }
        policy
    }

    /// A policy for a machine of `cores` cores (tests use it with synthetic samples).
    pub fn with_cores(setting: Threads, cores: usize) -> Self {
        Self {
            setting,
            cores: cores.max(1),
            last: None,
            current: 1,
        }
    }

    /// Threads for the decode about to start.
    pub fn choose(&mut self) -> usize {
        match self.setting {
            Threads::Fixed(n) => usize::from(n),
            Threads::Auto => self.choose_with(CpuSample::read()),
        }
    }

    /// `choose` with the counters given: a window too short to judge keeps the previous choice
    /// (and grows until it is long enough) unless other programs' threads are runnable right
    /// now; no counters at all means one thread.
    pub fn choose_with(&mut self, sample: Option<CpuSample>) -> usize {
        let Some(now) = sample else {
            self.current = 1;
            return 1;
        };
        let Some(prev) = self.last else {
            self.last = Some(now);
            return self.current;
        };
        if let Some(others) = OthersLoad::between(&prev, &now, self.cores) {
            self.current = threads_for(others, self.cores, self.cores.min(MAX_THREADS));
            self.last = Some(now);
            return self.current;
        }
        if now.total < prev.total {
            // Counters that went backwards: start a new window.
            self.last = Some(now);
        }
        let others_now = now.running.saturating_sub(now.own_running) as usize;
        self.current = self
            .current
            .min(self.cores.saturating_sub(others_now))
            .max(1);
        self.current
    }

    /// Threads of the last choice.
    pub fn current(&self) -> usize {
        match self.setting {
            Threads::Fixed(n) => usize::from(n),
            Threads::Auto => self.current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A /proc/stat as Linux writes it, with the counters given (per-core lines abridged).
    fn proc_stat(user: u64, idle: u64, steal: u64, running: u64) -> String {
        format!(
            "cpu  {user} 10 500 {idle} 20 0 30 {steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n\
             intr 4294300 0 0\nctxt 6467491\nbtime 1795644934\nprocesses 100343\n\
             procs_running {running}\nprocs_blocked 0\nsoftirq 2016185 0 383008\n"
        )
    }

    /// /proc/self/stat of a process whose name holds a space and a parenthesis.
    fn self_stat(utime: u64, stime: u64) -> String {
        format!(
            "3011 (warm call) R) R 3006 3006 25977 0 -1 4194304 98 0 0 0 {utime} {stime} 0 0 20 0 \
             1 0 606893 3133440 396 18446744073709551615"
        )
    }

    /// A 2-core machine's counters, advanced by hand.
    #[derive(Default, Clone)]
    struct Machine(CpuSample);

    impl Machine {
        /// `secs` pass with other programs keeping `others` cores busy and this process `own`;
        /// then `running` threads are runnable, one of them ours.
        fn run(&mut self, secs: f64, others: f64, own: f64, running: u64) -> CpuSample {
            let ticks = |cores: f64| (secs * 100.0 * cores).round() as u64;
            self.0.total += ticks(2.0);
            self.0.idle += ticks(2.0 - others - own);
            self.0.own += ticks(own);
            self.0.running = running;
            self.0.own_running = 1;
            self.0
        }
    }

    #[test]
    fn the_setting_is_auto_or_a_count() {
        assert_eq!("auto".parse(), Ok(Threads::Auto));
        assert_eq!("2".parse(), Ok(Threads::Fixed(2)));
        for bad in ["0", "-1", "two", ""] {
            let e = bad.parse::<Threads>().unwrap_err();
            assert!(e.contains("\"auto\" or a whole number"), "{e}");
        }
    }

    #[test]
    fn counters_are_read_from_proc_text() {
        let s = CpuSample::parse(&proc_stat(1000, 400, 60, 5), &self_stat(70, 8), 2).unwrap();
        // user nice system idle iowait irq softirq steal
        assert_eq!(s.total, 1000 + 10 + 500 + 400 + 20 + 30 + 60);
        assert_eq!(s.idle, 400 + 20);
        assert_eq!(s.own, 78);
        assert_eq!((s.running, s.own_running), (5, 2));
        assert_eq!(CpuSample::parse("intr 1\n", &self_stat(1, 1), 1), None);
        assert_eq!(CpuSample::parse(&proc_stat(1, 1, 1, 1), "3011 (x", 1), None);
        assert_eq!(state(&self_stat(1, 1)), Some('R'));
    }

    #[test]
    fn the_counters_of_this_machine_can_be_read() {
        let s = CpuSample::read().expect("/proc is mounted");
        assert!(s.total > 0 && s.idle <= s.total);
        assert!(s.own_running >= 1, "the reading thread is running");
    }

    #[test]
    fn others_load_leaves_out_this_process() {
        let mut m = Machine::default();
        let prev = m.run(10.0, 0.0, 0.0, 1);
        let now = CpuSample {
            own_running: 2,
            ..m.run(2.0, 0.5, 0.75, 4)
        };
        let load = OthersLoad::between(&prev, &now, 2).unwrap();
        assert!((load.busy_cores - 0.5).abs() < 1e-9, "{load:?}");
        assert_eq!(load.running, 2);
    }

    #[test]
    fn a_window_too_short_or_backwards_is_not_judged() {
        let mut m = Machine::default();
        let prev = m.run(10.0, 1.0, 0.5, 1);
        assert_eq!(
            OthersLoad::between(&prev, &m.clone().run(0.1, 1.0, 0.5, 1), 2),
            None
        );
        assert!(OthersLoad::between(&prev, &m.clone().run(0.3, 1.0, 0.5, 1), 2).is_some());
        let earlier = Machine::default().run(9.0, 1.0, 0.5, 1);
        assert_eq!(OthersLoad::between(&prev, &earlier, 2), None);
    }

    #[test]
    fn two_threads_only_while_others_leave_two_cores_idle() {
        let load = |busy_cores, running| OthersLoad {
            busy_cores,
            running,
        };
        assert_eq!(threads_for(load(0.0, 0), 2, 2), 2, "idle");
        assert_eq!(threads_for(load(0.2, 0), 2, 2), 2, "a desktop's background");
        assert_eq!(threads_for(load(0.4, 0), 2, 2), 1, "a busy browser tab");
        assert_eq!(threads_for(load(1.0, 1), 2, 2), 1, "one busy process");
        assert_eq!(threads_for(load(2.0, 2), 2, 2), 1, "two busy processes");
        assert_eq!(threads_for(load(3.5, 9), 2, 2), 1, "a build");
        assert_eq!(
            threads_for(load(0.0, 1), 2, 2),
            1,
            "load that started just now"
        );
        assert_eq!(threads_for(load(0.0, 0), 8, 4), 4, "capped");
        assert_eq!(threads_for(load(5.0, 5), 8, 4), 3, "the cores left");
        assert_eq!(threads_for(load(0.0, 0), 1, 1), 1, "one core");
    }

    #[test]
    fn the_policy_follows_the_load_between_decodes() {
        let mut m = Machine::default();
        let mut p = ThreadPolicy::with_cores(Threads::Auto, 2);
        assert_eq!(
            p.choose_with(Some(m.run(1.0, 0.0, 0.0, 1))),
            1,
            "no window yet"
        );
        assert_eq!(p.choose_with(Some(m.run(3.0, 0.1, 0.3, 1))), 2, "idle");
        assert_eq!(p.current(), 2);
        // Two busy processes start; while decoding with two threads this process gets half.
        assert_eq!(p.choose_with(Some(m.run(3.0, 1.0, 1.0, 3))), 1, "loaded");
        // 0.1 s later the load is gone: too short to judge, the choice stays.
        assert_eq!(p.choose_with(Some(m.run(0.1, 0.0, 0.0, 1))), 1);
        // Judged over the grown window (3.1 s, nearly all of it idle).
        assert_eq!(
            p.choose_with(Some(m.run(3.0, 0.0, 0.1, 1))),
            2,
            "idle again"
        );
        // A window too short to judge keeps two threads while nobody else is runnable...
        assert_eq!(
            p.choose_with(Some(m.run(0.1, 0.0, 0.1, 1))),
            2,
            "short, idle"
        );
        // ...but not once another program's thread is.
        assert_eq!(
            p.choose_with(Some(m.run(0.1, 0.0, 0.1, 2))),
            1,
            "short, busy now"
        );
        assert_eq!(
            p.choose_with(Some(m.run(3.0, 0.0, 0.1, 1))),
            2,
            "idle again"
        );
        // Load that began a moment ago shows in the running count before the average.
        assert_eq!(
            p.choose_with(Some(m.run(3.0, 0.05, 0.1, 3))),
            1,
            "load right now"
        );
        assert_eq!(p.choose_with(None), 1, "no counters: one thread");
    }

    #[test]
    fn a_fixed_count_is_kept_whatever_the_load() {
        let mut p = ThreadPolicy::with_cores(Threads::Fixed(2), 2);
        assert_eq!(p.choose(), 2);
        assert_eq!(p.current(), 2);
    }
}
