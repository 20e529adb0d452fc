//! Failed authentications, counted per source address and per token prefix (the first 8 hex
//! digits a client presents), with a lock-out: after `auth_failures` failures within
//! `auth_window`, requests from that address or with that prefix are answered `429` for
//! `auth_lockout`, before the database is asked anything. Guessing tokens is hopeless anyway
//! (256 bits); the lock-out is there so a flood of bad tokens costs HQ a map look-up, not a
//! database read each, and so it shows up in the log.
//!
//! The counts live in memory, per process, in bounded LRU maps: an attacker with many
//! addresses evicts old entries rather than growing HQ.

use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::limits::Limits;

/// Addresses and prefixes remembered at most, each.
const TRACKED: NonZeroUsize = match NonZeroUsize::new(65_536) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// What is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Source(IpAddr),
    Prefix(String),
}

#[derive(Debug, Clone, Copy)]
struct Record {
    window_start: Instant,
    failures: u32,
    locked_until: Option<Instant>,
}

/// The failure counts of one HQ process.
#[derive(Debug)]
pub struct Lockout {
    records: Mutex<LruCache<Key, Record>>,
    failures: u32,
    window: Duration,
    lockout: Duration,
    /// Lock-outs begun since start, for metrics and tests.
    triggered: AtomicU64,
}

/// The part of a presented token counted against: its first 8 characters, lower-cased, when
/// it has that many hex digits there (anything else is not counted per prefix).
fn prefix_of(token: &str) -> Option<String> {
    let head = token.get(..8)?;
    head.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| head.to_ascii_lowercase())
}

fn keys(source: Option<IpAddr>, token: Option<&str>) -> Vec<Key> {
    let mut keys = Vec::with_capacity(2);
    if let Some(ip) = source {
        keys.push(Key::Source(ip));
    }
    if let Some(prefix) = token.and_then(prefix_of) {
        keys.push(Key::Prefix(prefix));
    }
    keys
}

impl Lockout {
    pub fn new(limits: &Limits) -> Lockout {
        Lockout {
            records: Mutex::new(LruCache::new(TRACKED)),
            failures: limits.auth_failures.max(1),
            window: limits.auth_window,
            lockout: limits.auth_lockout,
            triggered: AtomicU64::new(0),
        }
    }

    /// Seconds left of a lock-out on this source or token prefix, if one is running.
    pub fn locked(&self, source: Option<IpAddr>, token: Option<&str>, now: Instant) -> Option<u32> {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        keys(source, token)
            .iter()
            .filter_map(|key| records.get(key)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| {
                let left = until.duration_since(now).as_secs_f64().ceil();
                // At most `auth_lockout`, a setting in seconds that fits a u32 in practice.
                u32::try_from(left as u64).unwrap_or(u32::MAX).max(1)
            })
            .max()
    }

    /// Counts a failed authentication; true when it began a lock-out.
    pub fn failed(&self, source: Option<IpAddr>, token: Option<&str>, now: Instant) -> bool {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let mut began = false;
        for key in keys(source, token) {
            let record = records.get_or_insert_mut(key.clone(), || Record {
                window_start: now,
                failures: 0,
                locked_until: None,
            });
            if now.duration_since(record.window_start) > self.window {
                record.window_start = now;
                record.failures = 0;
            }
            record.failures = record.failures.saturating_add(1);
            let running = record.locked_until.is_some_and(|until| until > now);
            if record.failures >= self.failures && !running {
                record.locked_until = Some(now + self.lockout);
                record.failures = 0;
                record.window_start = now;
                began = true;
                match &key {
                    Key::Source(ip) => tracing::warn!(
                        source = %ip,
                        lockout_secs = self.lockout.as_secs(),
                        "authentication lock-out: too many failed tokens from one address"
                    ),
                    Key::Prefix(prefix) => tracing::warn!(
                        token_prefix = %prefix,
                        lockout_secs = self.lockout.as_secs(),
                        "authentication lock-out: too many failed tokens with one prefix"
                    ),
                }
            }
        }
        if began {
            self.triggered.fetch_add(1, Ordering::Relaxed);
        }
        began
    }

    /// Lock-outs begun since the process started.
    pub fn triggered(&self) -> u64 {
        self.triggered.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lockout() -> Lockout {
        Lockout::new(&Limits {
            auth_failures: 3,
            auth_window: Duration::from_secs(60),
            auth_lockout: Duration::from_secs(300),
            ..Limits::default()
        })
    }

    #[test]
    fn failures_within_the_window_lock_the_source_out_for_the_lockout() {
        let lock = lockout();
        let t = Instant::now();
        let ip: IpAddr = [192, 0, 2, 7].into();
        assert!(!lock.failed(Some(ip), None, t));
        assert!(!lock.failed(Some(ip), None, t + Duration::from_secs(1)));
        assert_eq!(lock.locked(Some(ip), None, t), None);
        assert!(lock.failed(Some(ip), None, t + Duration::from_secs(2)));
        assert_eq!(lock.triggered(), 1);
        let left = lock.locked(Some(ip), None, t + Duration::from_secs(2));
        assert_eq!(left, Some(300));
        // Another address is not affected; the lock ends after its time.
        assert_eq!(lock.locked(Some([192, 0, 2, 8].into()), None, t), None);
        assert_eq!(
            lock.locked(Some(ip), None, t + Duration::from_secs(303)),
            None
        );
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_lock() {
        let lock = lockout();
        let t = Instant::now();
        let ip: IpAddr = [198, 51, 100, 1].into();
        for i in 0..10 {
            assert!(!lock.failed(Some(ip), None, t + Duration::from_secs(61 * i)));
        }
        assert_eq!(lock.triggered(), 0);
    }

    #[test]
    fn a_token_prefix_is_locked_whatever_the_address() {
        let lock = lockout();
        let t = Instant::now();
        let token = "DEADBEEF".to_owned() + &"0".repeat(56);
        for i in 0..3u8 {
            lock.failed(Some([203, 0, 113, i].into()), Some(&token), t);
        }
        assert!(
            lock.locked(Some([203, 0, 113, 99].into()), Some("deadbeef11"), t)
                .is_some()
        );
        assert_eq!(lock.locked(None, Some("0123456789"), t), None);
        assert_eq!(prefix_of("zz"), None);
        assert_eq!(prefix_of("not-hex-at-all"), None);
    }
}
