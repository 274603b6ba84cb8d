//! Client-side rate limiting: every call of one cloud action, from any concurrent operation in
//! this provider process, waits its turn, so a large apply stays under the cloud's published
//! limit instead of being throttled into retries (Tencent Cloud allows 20 requests per second
//! for each Organization action).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::DefaultClock;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter as Governor};

/// The server counts requests in a rolling one-second window, and network jitter can bunch our
/// evenly spaced requests together on arrival; this much spare spacing keeps us under it.
const SPACING_MARGIN: f64 = 1.05;

/// Calls per second, per action. Cheap to clone; clones share their budget.
#[derive(Clone)]
pub struct RateLimiter {
    per_second: u32,
    limiter: Arc<Governor<String, HashMapStateStore<String>, DefaultClock>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter").field("per_second", &self.per_second).finish()
    }
}

impl RateLimiter {
    /// `per_second` calls of each action per second, evenly spaced (no bursts: a burst at the
    /// end of one second and the start of the next would break a rolling-window limit).
    /// `None` for 0, which means "no limit".
    pub fn per_action(per_second: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let period = Duration::from_secs_f64(SPACING_MARGIN / f64::from(rate.get()));
        let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::MIN);
        Some(RateLimiter { per_second, limiter: Arc::new(Governor::hashmap(quota)) })
    }

    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// Waits until `action` may be called again.
    pub async fn acquire(&self, action: &str) {
        self.limiter.until_key_ready(&action.to_string()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

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
    }
}
