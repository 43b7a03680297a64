//! The cron alarm: whether the poll has gone quiet for longer than `CRON_ALARM_SECS` while the
//! deployment has calls it may owe a text. Decided from plain numbers (seconds since the epoch,
//! read with the database's clock), so the rule is unit-tested here and health, the webhooks and
//! the poll all apply the same one.

/// What the database says about the poll's runs and the calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    pub now: i64,
    /// The newest finished run: seconds since the epoch and RFC 3339.
    pub last_poll_at: Option<(i64, String)>,
    /// Since when the poll has had calls to watch: the oldest call kept, or when monitoring began
    /// (the migration that added it) if that is later, so a deployment's old calls never sound the
    /// alarm before its first run. None without calls: then the poll has nothing to do.
    pub watched_since: Option<i64>,
}

impl Heartbeat {
    /// Seconds the poll has been quiet when that is longer than `alarm_secs`, counted from its
    /// last finished run, or from `watched_since` when no run ever finished; None while all is well
    /// or there are no calls.
    pub fn cron_silence(&self, alarm_secs: u32) -> Option<i64> {
        let watched = self.watched_since?;
        let since = self.last_poll_at.as_ref().map_or(watched, |(at, _)| *at);
        let silent = self.now - since;
        (silent > i64::from(alarm_secs)).then_some(silent)
    }

    pub fn last_poll_rfc3339(&self) -> Option<&str> {
        self.last_poll_at.as_ref().map(|(_, text)| text.as_str())
    }

    /// Why the alarm sounds, naming the cron, for health's answer and the alert.
    pub fn cron_alarm(&self, alarm_secs: u32) -> Option<String> {
        let silent = self.cron_silence(alarm_secs)?;
        let minutes = silent / 60;
        Some(match self.last_poll_rfc3339() {
            Some(last) => format!(
                "the cron has not finished a poll run for {minutes} minutes (last at {last}; \
                 CRON_ALARM_SECS is {alarm_secs}): check the */1 cron trigger or the external \
                 scheduler of /api/cron/check-missed-calls, and the [Check Missed Calls] log lines \
                 for runs that start but fail"
            ),
            None => format!(
                "the cron has never finished a poll run, and there have been calls to watch for \
                 {minutes} minutes (CRON_ALARM_SECS is {alarm_secs}): check the */1 cron trigger or \
                 the external scheduler of /api/cron/check-missed-calls, and the [Check Missed \
                 Calls] log lines for runs that start but fail"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn beat(last_poll: Option<i64>, watched_since: Option<i64>) -> Heartbeat {
        Heartbeat {
            now: NOW,
            last_poll_at: last_poll.map(|at| (at, "2027-01-15T08:00:00Z".to_string())),
            watched_since,
        }
    }

    #[test]
    fn quiet_only_past_the_alarm() {
        let calls = Some(NOW - 86_400);
        assert_eq!(beat(Some(NOW - 300), calls).cron_silence(300), None);
        assert_eq!(beat(Some(NOW - 301), calls).cron_silence(300), Some(301));
        assert_eq!(beat(Some(NOW - 60), calls).cron_alarm(300), None);
        let reason = beat(Some(NOW - 720), calls).cron_alarm(300).unwrap();
        assert!(reason.contains("cron"), "{reason}");
        assert!(reason.contains("12 minutes"), "{reason}");
        assert!(reason.contains("2027-01-15T08:00:00Z"), "{reason}");
    }

    #[test]
    fn no_calls_no_alarm() {
        assert_eq!(beat(None, None).cron_silence(300), None);
        assert_eq!(beat(Some(NOW - 86_400), None).cron_silence(300), None);
    }

    #[test]
    fn never_polled_counts_from_when_there_were_calls_to_watch() {
        assert_eq!(beat(None, Some(NOW - 100)).cron_silence(300), None);
        assert_eq!(beat(None, Some(NOW - 600)).cron_silence(300), Some(600));
        let reason = beat(None, Some(NOW - 600)).cron_alarm(300).unwrap();
        assert!(reason.contains("never finished a poll run"), "{reason}");
    }
}
