//! Trying again what another system did not take for a passing reason (a
//! provisioning operation, a custom extension's call): how long to wait.

use chrono::Duration;

/// The wait before the next try of an operation or call that failed
/// `attempts` times before: 10 s, 20 s, 40 s ... at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    Duration::seconds((10i64 << attempts.clamp(0, 9)).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0).num_seconds(), 10);
        assert_eq!(backoff(3).num_seconds(), 80);
        assert_eq!(backoff(40).num_seconds(), 3600);
    }
}
