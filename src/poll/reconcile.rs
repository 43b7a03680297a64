//! Reconciliation's decisions, as plain functions: which day to ask Twilio's Calls list from, and
//! which listed calls are candidates for calls the database never saw (both Phase 1 and Phase 2
//! failed to reach it). Twilio's `StartTime>=` filter is by UTC day, so the age bound is applied
//! here, to the second; whether the called number is configured and enabled is the store's to
//! decide, in the statement that records them.
use crate::twilio::rest;

/// How often reconciliation runs: each run lists every call of the account back to the calls'
/// maximum age, so running every tick would cost pages for nothing.
pub const EVERY_SECS: u32 = 5 * 60;

/// Calls a page of the list holds.
pub const PAGE_SIZE: u32 = 50;

/// Of a run's Twilio budget, the share reconciliation may use; the rest stays for due calls.
pub fn page_budget(twilio_budget: u32) -> u32 {
    (twilio_budget / 3).max(1)
}

/// An inbound call Twilio lists, young enough to be missed still.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub call_sid: String,
    pub from: String,
    pub to: String,
    /// Seconds since the Unix epoch.
    pub started: i64,
}

/// The UTC day (`YYYY-MM-DD`) of `now - max_age_secs`: the list's `StartTime>=`.
pub fn start_day(now: i64, max_age_secs: u32) -> String {
    let days = (now - max_age_secs as i64).div_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The calls a page lists that could be missed leads: inbound parents (a forward's legs are
/// `outbound-dial` and have a parent) that started within `max_age_secs` of `now`.
pub fn inbound_within_age(calls: &[rest::Call], now: i64, max_age_secs: u32) -> Vec<Listed> {
    calls
        .iter()
        .filter(|c| c.parent_call_sid.is_none() && c.direction.as_deref() == Some("inbound"))
        .filter_map(|c| {
            let started = c.start_time.filter(|s| *s >= now - max_age_secs as i64)?;
            Some(Listed {
                call_sid: c.sid.clone(),
                from: c.from.clone().unwrap_or_default(),
                to: c.to.clone()?,
                started,
            })
        })
        .collect()
}

/// Whether a page (newest first) reaches calls older than `max_age_secs`: later pages hold only
/// older ones, so the list need not be followed further.
pub fn reaches_past_age(calls: &[rest::Call], now: i64, max_age_secs: u32) -> bool {
    calls
        .iter()
        .any(|c| c.start_time.is_some_and(|s| s < now - max_age_secs as i64))
}

/// The date of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tue, 24 Nov 2026 08:14:43 +0000
    const NOW: i64 = 1_795_508_083;

    fn call(sid: &str, parent: Option<&str>, direction: &str, age: i64) -> rest::Call {
        rest::Call {
            sid: sid.into(),
            parent_call_sid: parent.map(Into::into),
            status: "completed".into(),
            direction: Some(direction.into()),
            from: Some("+14155550123".into()),
            to: Some("+14155559000".into()),
            start_time: Some(NOW - age),
        }
    }

    #[test]
    fn the_list_starts_on_the_day_of_the_oldest_call_still_young_enough() {
        assert_eq!(start_day(NOW, 2 * 3600), "2026-11-24");
        assert_eq!(start_day(NOW, 9 * 3600), "2026-11-23");
        assert_eq!(start_day(0, 0), "1970-01-01");
        assert_eq!(start_day(951_782_400, 0), "2000-02-29");
    }

    #[test]
    fn only_inbound_parents_within_the_age_are_candidates() {
        let calls = [
            call("CA1", None, "inbound", 60),
            call("CA2", Some("CA1"), "outbound-dial", 60),
            call("CA3", None, "outbound-api", 60),
            call("CA4", None, "inbound", 7201),
            call("CA5", None, "inbound", 7200),
        ];
        let found: Vec<String> = inbound_within_age(&calls, NOW, 7200)
            .into_iter()
            .map(|l| l.call_sid)
            .collect();
        assert_eq!(found, ["CA1", "CA5"]);
        let mut queued = call("CA6", None, "inbound", 0);
        queued.start_time = None;
        assert!(inbound_within_age(&[queued], NOW, 7200).is_empty());
        assert!(!reaches_past_age(&calls[..2], NOW, 7200));
        assert!(reaches_past_age(&calls, NOW, 7200));
    }

    #[test]
    fn reconciliation_keeps_to_a_third_of_the_budget() {
        assert_eq!(page_budget(45), 15);
        assert_eq!(page_budget(1), 1);
    }
}
