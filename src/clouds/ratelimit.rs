//! Client-side rate limiting: every call of one cloud action, from any concurrent operation in
//! this provider process, waits its turn, so a large apply stays under the cloud's published
//! limit instead of being throttled into retries (Tencent Cloud allows 20 requests per second
//! for each Organization action).
//!
//! The configured rate is a ceiling, not a promise: the cloud counts every client of the account,
//! and another Terraform process (or anything else using the account) takes from the same
//! budget, which no process can see. So the pace adapts, AIMD-style as in TCP congestion
//! control: a throttled answer halves the rate of the bucket it came from (never below
//! [`FLOOR_PER_SECOND`]), and successes raise it back linearly to the ceiling over about
//! [`RECOVERY`]. Concurrent processes that each back off this way settle on a fair share of the
//! cloud's limit between them.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::DefaultClock;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter as Governor};

/// The server counts requests in a rolling one-second window, and network jitter can bunch our
/// evenly spaced requests together on arrival; this much spare spacing keeps us under it.
const SPACING_MARGIN: f64 = 1.05;

/// How far one throttled answer lowers a bucket's rate (multiplicative decrease).
const DECREASE: f64 = 0.5;

/// The slowest a bucket is paced after throttling, in calls per second: slow enough that dozens
/// of processes sharing a 20/s limit fit under it, fast enough that an operation still gets a
/// call through every second while others hog the budget.
pub const FLOOR_PER_SECOND: f64 = 1.0;

/// Successes raise a lowered rate by the ceiling's worth over this long (additive increase):
/// from half the ceiling back to it in half this time if every call succeeds. Slow enough not to
/// run straight back into the limit that throttled us, quick enough that a burst of throttling
/// (another process finishing) costs only seconds.
pub const RECOVERY: Duration = Duration::from_secs(10);

/// Which calls share one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// One bucket per API action (Tencent Cloud: 20 requests/s for each action).
    PerAction,
    /// One bucket for every call this limiter paces (Huawei Cloud's API gateway counts all the
    /// calls of one access key together, whatever the API).
    Shared,
}

/// A bucket slowed by throttling. Buckets at the ceiling have none: the governor alone paces them.
#[derive(Debug, Clone, Copy)]
struct Slowed {
    /// Calls per second now allowed, `FLOOR_PER_SECOND..ceiling`.
    rate: f64,
    /// The earliest start of the next call.
    next: Instant,
    /// When the rate was last lowered. A throttled answer to a call sent before then was
    /// provoked by the faster pace already corrected, so it does not lower the rate again (the
    /// calls in flight when the first throttle comes back would otherwise drive the rate to the
    /// floor at once).
    lowered_at: Instant,
}

/// Calls per second, per action (or per credential, see [`RateLimiter::per_credential`]).
/// Cheap to clone; clones share their budget and their slowdowns.
#[derive(Clone)]
pub struct RateLimiter {
    per_second: u32,
    scope: Scope,
    /// The configured ceiling: governor's fixed quota spaces calls at `per_second`.
    ceiling: Arc<Governor<String, HashMapStateStore<String>, DefaultClock>>,
    /// Buckets running below the ceiling. governor's quotas are fixed once built, so the lowered
    /// pace is a schedule of its own (the next free start time, i.e. GCRA with a burst of one)
    /// that calls pass before the ceiling.
    slowed: Arc<Mutex<HashMap<String, Slowed>>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("per_second", &self.per_second).field("scope", &self.scope).finish()
    }
}

impl RateLimiter {
    /// `per_second` calls of each action per second, evenly spaced (no bursts: a burst at the
    /// end of one second and the start of the next would break a rolling-window limit).
    /// `None` for 0, which means "no limit".
    pub fn per_action(per_second: u32) -> Option<Self> {
        Self::new(per_second, Scope::PerAction)
    }

    /// `per_second` calls per second in all, whatever the action: for a gateway that limits each
    /// credential rather than each API (Huawei Cloud). A limiter belongs to one provider
    /// configuration, which holds one credential per cloud. `None` for 0.
    pub fn per_credential(per_second: u32) -> Option<Self> {
        Self::new(per_second, Scope::Shared)
    }

    fn new(per_second: u32, scope: Scope) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let period = Duration::from_secs_f64(SPACING_MARGIN / f64::from(rate.get()));
        let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::MIN);
        Some(RateLimiter {
            per_second,
            scope,
            ceiling: Arc::new(Governor::hashmap(quota)),
            slowed: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The configured ceiling.
    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// The rate `action`'s calls are paced at now: the ceiling, or less after throttling.
    pub fn current_rate(&self, action: &str) -> f64 {
        self.lock().get(self.key(action)).map_or(f64::from(self.per_second), |s| s.rate)
    }

    /// Waits until `action` may be called again.
    pub async fn acquire(&self, action: &str) {
        let key = self.key(action);
        let slot = self.lock().get_mut(key).map(|slowed| {
            let slot = slowed.next.max(Instant::now());
            slowed.next = slot + interval(slowed.rate);
            slot
        });
        if let Some(slot) = slot {
            tokio::time::sleep_until(slot.into()).await;
        }
        self.ceiling.until_key_ready(&key.to_owned()).await;
    }

    /// The cloud throttled a call of `action` sent at `sent`: halves the bucket's rate (down to
    /// [`FLOOR_PER_SECOND`]) unless it was already lowered after that call went out. Returns the
    /// rate now in force.
    pub fn throttled(&self, action: &str, sent: Instant) -> f64 {
        let ceiling = f64::from(self.per_second);
        let floor = FLOOR_PER_SECOND.min(ceiling);
        let now = Instant::now();
        let mut slowed = self.lock();
        let bucket =
            slowed.entry(self.key(action).to_owned()).or_insert(Slowed { rate: ceiling, next: now, lowered_at: sent });
        if sent < bucket.lowered_at {
            return bucket.rate;
        }
        bucket.rate = (bucket.rate * DECREASE).max(floor);
        bucket.lowered_at = now;
        // The cloud's window is full right now: the next call waits a whole new interval.
        bucket.next = bucket.next.max(now + interval(bucket.rate));
        tracing::debug!(action, rate = bucket.rate, "throttled: pacing lowered");
        bucket.rate
    }

    /// A call of `action` succeeded: raises a lowered rate a step towards the ceiling.
    pub fn succeeded(&self, action: &str) {
        let ceiling = f64::from(self.per_second);
        let key = self.key(action);
        let mut slowed = self.lock();
        let Some(bucket) = slowed.get_mut(key) else { return };
        // At `rate` calls a second, each success adds ceiling / (RECOVERY · rate): the rate
        // climbs by the ceiling per RECOVERY whatever its level.
        bucket.rate += ceiling / (RECOVERY.as_secs_f64() * bucket.rate);
        if bucket.rate >= ceiling {
            slowed.remove(key);
        }
    }

    fn key<'a>(&self, action: &'a str) -> &'a str {
        match self.scope {
            Scope::PerAction => action,
            Scope::Shared => "",
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slowed>> {
        // The map holds plain numbers, valid whatever a panicking holder left behind.
        self.slowed.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn interval(rate: f64) -> Duration {
    Duration::from_secs_f64(SPACING_MARGIN / rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spaces_calls_of_one_action_and_leaves_others_alone() {
        let limiter = RateLimiter::per_action(20).unwrap();
        let started = Instant::now();
        for _ in 0..11 {
            limiter.acquire("Bind").await;
        }
        // Ten gaps of 1.05/20 s each.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
        let other = Instant::now();
        limiter.acquire("Describe").await;
        assert!(other.elapsed() < Duration::from_millis(20), "another action has its own budget");
    }

    #[tokio::test]
    async fn concurrent_callers_share_the_budget() {
        let limiter = RateLimiter::per_action(50).unwrap();
        let started = Instant::now();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { limiter.acquire("Cancel").await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert!(started.elapsed() >= Duration::from_millis(9 * 21 - 5), "{:?}", started.elapsed());
    }

    #[test]
    fn zero_means_unlimited() {
        assert!(RateLimiter::per_action(0).is_none());
        assert!(RateLimiter::per_credential(0).is_none());
    }

    #[test]
    fn a_throttle_halves_the_rate_of_its_action_only() {
        let limiter = RateLimiter::per_action(20).unwrap();
        assert_eq!(limiter.current_rate("Cancel"), 20.0);
        assert_eq!(limiter.throttled("Cancel", Instant::now()), 10.0);
        assert_eq!(limiter.current_rate("Cancel"), 10.0);
        assert_eq!(limiter.current_rate("Bind"), 20.0, "other actions keep their pace");
    }

    #[test]
    fn throttles_of_calls_sent_before_the_last_drop_do_not_compound() {
        let limiter = RateLimiter::per_action(20).unwrap();
        let in_flight = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(limiter.throttled("Cancel", Instant::now()), 10.0);
        // Nine more answers to calls that were already on their way: no further drop.
        for _ in 0..9 {
            assert_eq!(limiter.throttled("Cancel", in_flight), 10.0);
        }
        // A call sent at the lowered pace and throttled again lowers it again.
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(limiter.throttled("Cancel", Instant::now()), 5.0);
    }

    #[test]
    fn the_rate_never_drops_below_the_floor() {
        let limiter = RateLimiter::per_action(20).unwrap();
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(1));
            limiter.throttled("Cancel", Instant::now());
        }
        assert_eq!(limiter.current_rate("Cancel"), FLOOR_PER_SECOND);
        // A ceiling under the floor is its own floor.
        let slow = RateLimiter::per_action(1).unwrap();
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(1));
            slow.throttled("Cancel", Instant::now());
        }
        assert_eq!(slow.current_rate("Cancel"), 1.0);
    }

    #[test]
    fn successes_restore_the_ceiling_gradually() {
        let limiter = RateLimiter::per_action(20).unwrap();
        limiter.throttled("Cancel", Instant::now());
        let mut successes = 0;
        let mut last = limiter.current_rate("Cancel");
        while limiter.current_rate("Cancel") < 20.0 {
            limiter.succeeded("Cancel");
            successes += 1;
            let rate = limiter.current_rate("Cancel");
            assert!(rate > last && rate <= 20.0, "{last} -> {rate}");
            last = rate;
            assert!(successes < 1000, "never recovered");
        }
        // From 10/s to 20/s: about RECOVERY/2 worth of calls at the rates in between (~75).
        assert!((40..=120).contains(&successes), "{successes} successes to recover");
        // At the ceiling the bucket is the governor's alone again.
        assert!(limiter.lock().is_empty());
        limiter.succeeded("Cancel");
        assert_eq!(limiter.current_rate("Cancel"), 20.0);
    }

    #[test]
    fn clones_share_slowdowns() {
        let limiter = RateLimiter::per_action(20).unwrap();
        let clone = limiter.clone();
        clone.throttled("Bind", Instant::now());
        assert_eq!(limiter.current_rate("Bind"), 10.0);
        limiter.succeeded("Bind");
        assert_eq!(clone.current_rate("Bind"), limiter.current_rate("Bind"));
        assert!(clone.current_rate("Bind") > 10.0);
    }

    #[test]
    fn a_credential_limiter_has_one_bucket_for_every_action() {
        let limiter = RateLimiter::per_credential(20).unwrap();
        limiter.throttled("ShowManagedAccount", Instant::now());
        assert_eq!(limiter.current_rate("DisassociateProfile"), 10.0);
    }

    #[tokio::test]
    async fn a_credential_limiter_spaces_different_actions_together() {
        let limiter = RateLimiter::per_credential(20).unwrap();
        let started = Instant::now();
        for action in ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"] {
            limiter.acquire(action).await;
        }
        assert!(started.elapsed() >= Duration::from_millis(500), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_lowered_rate_spaces_calls_further_apart() {
        let limiter = RateLimiter::per_action(100).unwrap();
        limiter.throttled("Cancel", Instant::now());
        std::thread::sleep(Duration::from_millis(1));
        limiter.throttled("Cancel", Instant::now()); // 25/s
        let started = Instant::now();
        for _ in 0..6 {
            limiter.acquire("Cancel").await;
        }
        // Six calls at 25/s (×1.05): at least five gaps of 42 ms after the first interval.
        assert!(started.elapsed() >= Duration::from_millis(5 * 42), "{:?}", started.elapsed());
        assert!(started.elapsed() < Duration::from_millis(1000), "{:?}", started.elapsed());
    }
}
