//! Simulated network and processing delay for API requests: a fixed wait plus or minus a uniformly
//! drawn jitter, from a small xorshift generator so that no random-number crate is needed.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct Latency {
    fixed: Duration,
    jitter: Duration,
    state: u64,
}

impl Default for Latency {
    fn default() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Latency::seeded(nanos)
    }
}

impl Latency {
    pub fn seeded(seed: u64) -> Self {
        Latency {
            fixed: Duration::ZERO,
            jitter: Duration::ZERO,
            // xorshift never leaves zero; any other seed will do.
            state: seed | 1,
        }
    }

    pub fn set(&mut self, fixed: Duration, jitter: Duration) {
        self.fixed = fixed;
        self.jitter = jitter;
    }

    /// The wait for the next request: `fixed` moved by up to `jitter` either way, never below zero.
    pub fn next_wait(&mut self) -> Duration {
        let jitter = self.jitter.as_nanos().min(u64::MAX as u128 / 4) as u64;
        if jitter == 0 {
            return self.fixed;
        }
        let offset = self.next_u64() % (2 * jitter + 1);
        let shifted = self.fixed.as_nanos() as i128 + offset as i128 - jitter as i128;
        Duration::from_nanos(shifted.clamp(0, u64::MAX as i128) as u64)
    }

    fn next_u64(&mut self) -> u64 {
        // Marsaglia's xorshift64*.
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_latency_unless_asked() {
        assert_eq!(Latency::seeded(7).next_wait(), Duration::ZERO);
    }

    #[test]
    fn fixed_without_jitter_is_exact() {
        let mut latency = Latency::seeded(7);
        latency.set(Duration::from_millis(40), Duration::ZERO);
        assert_eq!(latency.next_wait(), Duration::from_millis(40));
    }

    #[test]
    fn jitter_stays_within_its_bounds_and_varies() {
        let mut latency = Latency::seeded(12345);
        latency.set(Duration::from_millis(50), Duration::from_millis(20));
        let waits: Vec<Duration> = (0..2000).map(|_| latency.next_wait()).collect();
        assert!(waits
            .iter()
            .all(|w| (Duration::from_millis(30)..=Duration::from_millis(70)).contains(w)));
        assert!(waits.iter().any(|w| *w < Duration::from_millis(40)));
        assert!(waits.iter().any(|w| *w > Duration::from_millis(60)));
    }

    #[test]
    fn jitter_larger_than_the_wait_never_goes_negative() {
        let mut latency = Latency::seeded(99);
        latency.set(Duration::from_millis(5), Duration::from_millis(50));
        for _ in 0..1000 {
            assert!(latency.next_wait() <= Duration::from_millis(55));
        }
    }
}
