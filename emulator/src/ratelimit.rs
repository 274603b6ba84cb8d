//! Per-action request limits over a rolling one-second window (Tencent publishes 20 req/s for each
//! Organization action).
//!
//! Only admitted requests enter the window. A client that backs off is therefore admitted again as
//! soon as its own earlier requests age out, instead of being locked out by its rejected retries.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct RateLimiter {
    /// Requests admitted per window and key; 0 means unlimited.
    limit: u32,
    windows: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// The request would be number `attempted` within the last second, above `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub attempted: u32,
    pub limit: u32,
}

impl RateLimiter {
    pub fn new(limit: u32) -> Self {
        RateLimiter { limit, windows: Mutex::new(HashMap::new()) }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Admits one request for `key` at `now`, or reports that the limit is reached.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Exceeded> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let window = windows.entry(key.to_owned()).or_default();
        while window.front().is_some_and(|&t| now.saturating_duration_since(t) >= WINDOW) {
            window.pop_front();
        }
        let in_window = u32::try_from(window.len()).unwrap_or(u32::MAX);
        if in_window >= self.limit {
            return Err(Exceeded { attempted: in_window.saturating_add(1), limit: self.limit });
        }
        window.push_back(now);
        Ok(())
    }

    pub fn clear(&self) {
        self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_over_a_rolling_second() {
        let limiter = RateLimiter::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.check("A", t0).unwrap();
        }
        assert_eq!(limiter.check("A", t0), Err(Exceeded { attempted: 4, limit: 3 }));
        limiter.check("B", t0).unwrap();
        // Rejections do not extend the window: one second after the admitted ones, A is free again.
        assert!(limiter.check("A", t0 + Duration::from_millis(999)).is_err());
        limiter.check("A", t0 + WINDOW).unwrap();
    }

    #[test]
    fn zero_means_unlimited() {
        let limiter = RateLimiter::new(0);
        let now = Instant::now();
        for _ in 0..1000 {
            limiter.check("A", now).unwrap();
        }
    }
}
