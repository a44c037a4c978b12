//! Supervision of live capture against a fake stream backend whose rings the tests fill.

use super::*;
use std::sync::Mutex;

#[test]
fn a_lost_device_is_filled_up_to_the_wall_clock_and_never_beyond() {
    let t = Duration::from_millis(1500);
    assert_eq!(behind_wall_clock(t, 48_000, 0), 72_000);
    assert_eq!(behind_wall_clock(t, 48_000, 70_000), 2_000);
    // A device ahead of the wall clock (its clock runs fast) gets no silence.
    assert_eq!(behind_wall_clock(t, 48_000, 80_000), 0);
    assert_eq!(behind_wall_clock(t, 16_000, 0), 24_000);
}

/// The test's end of a fake stream.
struct Feed {
    producer: rtrb::Producer<f32>,
    status: Arc<StreamStatus>,
}

/// Streams whose rings the test fills; `failures` opens fail first.
#[derive(Clone, Default)]
struct Fake {
    feeds: Arc<Mutex<Vec<(Speaker, Feed)>>>,
    failures: Arc<Mutex<u32>>,
    opens: Arc<Mutex<Vec<Option<u32>>>>,
}

impl StreamBackend for Fake {
    fn open(
        &mut self,
        speaker: Speaker,
        _wanted: Option<&str>,
        rate: Option<u32>,
        _buffer: Duration,
    ) -> Result<Stream, String> {
        self.opens.lock().unwrap().push(rate);
        let mut failures = self.failures.lock().unwrap();
        if *failures > 0 {
            *failures -= 1;
            return Err("no such device".into());
        }
        let (producer, ring) = rtrb::RingBuffer::new(16_000 * RING_SECS);
        let status = Arc::new(StreamStatus::default());
        self.feeds.lock().unwrap().push((
            speaker,
            Feed {
                producer,
                status: status.clone(),
            },
        ));
        Ok(Stream {
            keep: Box::new(()),
            ring,
            status,
            rate: rate.unwrap_or(16_000),
            device: format!("fake {speaker}"),
        })
    }
}

impl Fake {
    /// Push `n` samples into the newest stream of `speaker`.
    fn push(&self, speaker: Speaker, n: usize) {
        let mut feeds = self.feeds.lock().unwrap();
        let (_, feed) = feeds.iter_mut().rev().find(|(s, _)| *s == speaker).unwrap();
        for _ in 0..n {
            feed.producer.push(0.25).unwrap();
        }
        feed.status.callbacks.fetch_add(1, Ordering::Relaxed);
    }

    fn kill(&self, speaker: Speaker) {
        let feeds = self.feeds.lock().unwrap();
        let (_, feed) = feeds.iter().rev().find(|(s, _)| *s == speaker).unwrap();
        feed.status.dead.store(true, Ordering::Release);
        feed.status.xruns.fetch_add(2, Ordering::Relaxed);
    }
}

const FAST: Supervision = Supervision {
    stall: Duration::from_secs(60),
    backoff: Duration::from_millis(40),
    max_backoff: Duration::from_millis(160),
};

fn open(fake: &Fake) -> LiveSource<Fake> {
    LiveSource::open(fake.clone(), LiveOptions::default(), FAST, Arc::default()).unwrap()
}

#[test]
fn each_read_hands_over_what_each_device_delivered() {
    let fake = Fake::default();
    let mut src = open(&fake);
    assert_eq!(src.describe(), ["me: fake me", "them: fake them"]);
    fake.push(Speaker::Me, 100);
    let mut out = vec![Vec::new(), Vec::new()];
    src.read(&mut out).unwrap();
    assert_eq!(
        (out[0].len(), out[1].len()),
        (0, 0),
        "audio from before the start is let go"
    );
    fake.push(Speaker::Me, 320);
    fake.push(Speaker::Them, 160);
    src.read(&mut out).unwrap();
    assert_eq!((out[0].len(), out[1].len()), (320, 160));
    assert!(src.take_gaps().is_empty());
}

#[test]
fn a_lost_device_is_filled_with_silence_rebuilt_and_reported_as_a_gap() {
    let fake = Fake::default();
    let mut src = open(&fake);
    let mut out = vec![Vec::new(), Vec::new()];
    src.read(&mut out).unwrap();
    fake.kill(Speaker::Them);
    *fake.failures.lock().unwrap() = 2;
    let begun = Instant::now();
    let mut gaps = Vec::new();
    let mut silence = 0;
    while gaps.is_empty() && begun.elapsed() < Duration::from_secs(10) {
        src.read(&mut out).unwrap();
        silence += out[1].len();
        gaps.extend(src.take_gaps());
    }
    assert_eq!(gaps.len(), 1, "one gap once the device is back");
    let g = &gaps[0];
    assert_eq!(
        (g.speaker, g.reason.as_str()),
        (Speaker::Them, "capture device lost")
    );
    assert!(g.until > g.t, "{g:?}");
    assert!(silence > 0, "silence stands in while the device is gone");
    assert_eq!(src.xruns(), 2, "the dead stream's xruns are kept");
    // Two failed rebuilds before the third worked, each at the first stream's rate.
    let opens = fake.opens.lock().unwrap();
    assert_eq!(&opens[2..], [Some(16_000); 3]);
}

#[test]
fn a_removed_device_is_a_gap_of_its_own_kind() {
    let fake = Fake::default();
    let mut src = open(&fake);
    let mut out = vec![Vec::new(), Vec::new()];
    src.read(&mut out).unwrap();
    {
        // What the backend's watcher does when the device's source is no longer there.
        let feeds = fake.feeds.lock().unwrap();
        let (_, feed) = feeds.iter().find(|(s, _)| *s == Speaker::Me).unwrap();
        feed.status.gone.store(true, Ordering::Release);
        feed.status.dead.store(true, Ordering::Release);
    }
    let begun = Instant::now();
    let mut gaps = Vec::new();
    while gaps.is_empty() && begun.elapsed() < Duration::from_secs(10) {
        src.read(&mut out).unwrap();
        gaps.extend(src.take_gaps());
    }
    assert_eq!(
        gaps.iter()
            .map(|g| (g.speaker, g.reason.as_str()))
            .collect::<Vec<_>>(),
        [(Speaker::Me, "capture device removed")]
    );
}
