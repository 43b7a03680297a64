//! The KPIs of `/api/stats` and the dashboard, as plain data: the database groups the window's
//! calls (`store::stats`), and `Stats::fold` turns those groups into the totals, the per-number
//! counts, the days of the chart and the rates. Every definition below lives here once, so the API,
//! the dashboard and their tests agree on what "missed" or "delivered" means.
//!
//! - **window**: calls with `received_at >= now() - days` (`?days=N`); days are UTC days.
//! - **calls**: rows in the window. **answered**: outcome `answered`. **missed**: any settled or
//!   in-flight outcome except `answered` and `not_found` (Twilio does not know the call, e.g. a test
//!   call); `expired` counts as missed: a lead we failed.
//! - **texted**: outcome `texted`; **texted_by_callback** when the webhook fast path sent it
//!   (`processed_by` `callback` — Phase 2 — or `status_callback`, the forward's status callback,
//!   also reported alone as **texted_by_status_callback**); **texted_by_poll** when the poll did.
//! - **failed**: outcome `failed`. **pending**: outcome NULL, `sending` or `owed` (in flight).
//! - **suppressed**: outcome → count for every other outcome (`no_caller_id`, `own_number`,
//!   `not_found`, `expired`, and whatever outcome a later change adds: nothing is hard-coded).
//! - **callback_success_rate** = texted_by_callback / textable, **fallback_rate** = texted_by_poll /
//!   textable, where textable is the missed calls that should have been texted (texted, failed, in
//!   flight, or expired untexted): a missed call neither path texted counts against both, so a dead
//!   poll cannot hide behind a green fast path, while a call no rule allows a text to (no caller
//!   ID, the business's own phone, an opt-out) counts against neither. Null without such calls.
//! - **delivery**: over texted calls, by the message's latest status: `delivered` (or `read`, which
//!   follows it), `undelivered`, `failed`, and `pending` for any other status or none yet; rate = delivered / (delivered +
//!   undelivered + failed). **unreachable**: undelivered or failed with error 30003/30005/30006
//!   (unreachable or a landline: will not change). **carrier_filtered**: error 30007/30034
//!   (carrier filtering, unregistered 10DLC: the business's A2P registration).
//! - **dedup_prevented**: claims lost after the call's text was already claimed.
use super::{Outcome, ProcessedBy};
use serde::Serialize;
use std::collections::BTreeMap;

/// `?days=` when it is not given.
pub const DEFAULT_DAYS: u32 = 7;
/// The longest window `/api/stats` answers for.
pub const MAX_DAYS: u32 = 90;
/// The periods the dashboard's switch offers.
pub const DASHBOARD_PERIODS: [u32; 3] = [1, 7, 30];

/// The `days` query parameter of `/api/stats`: an integer 1–90, 7 when absent.
pub fn stats_days(value: Option<&str>) -> Result<u32, String> {
    let days = parse_days(value)?;
    if (1..=MAX_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(format!("days: must be 1 to {MAX_DAYS}, not {days}"))
    }
}

/// The `days` query parameter of the dashboard: one of its periods (1, 7, 30), 7 when absent.
pub fn dashboard_days(value: Option<&str>) -> Result<u32, String> {
    let days = parse_days(value)?;
    if DASHBOARD_PERIODS.contains(&days) {
        Ok(days)
    } else {
        Err(format!("days: must be 1, 7 or 30, not {days}"))
    }
}

fn parse_days(value: Option<&str>) -> Result<u32, String> {
    match value {
        None => Ok(DEFAULT_DAYS),
        Some(raw) => raw
            .parse()
            .map_err(|_| format!("days: {raw:?} is not a whole number of days")),
    }
}

/// The first `days` parameter of a query string (without its `?`), as sent.
pub fn days_param(query: Option<&str>) -> Result<Option<String>, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| format!("query string: {e}"))?;
    Ok(pairs.into_iter().find(|(k, _)| k == "days").map(|(_, v)| v))
}

/// One group of the window's calls with the same day, number, outcome and path: a row of
/// `store::stats::call_groups`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallGroup {
    /// The UTC day the calls came in on, `YYYY-MM-DD`.
    pub day: String,
    pub to_number: String,
    /// None when the number is no longer configured.
    pub business_name: Option<String>,
    pub outcome: Option<String>,
    pub processed_by: Option<String>,
    pub calls: i64,
    pub dedup_prevented: i64,
    /// By the message's latest status (counted only for texted calls).
    pub delivered: i64,
    pub undelivered: i64,
    pub sms_failed: i64,
    pub unreachable: i64,
    pub carrier_filtered: i64,
}

/// What the database tells besides the groups: the window's days, the latency percentiles, the
/// poll's heartbeat and the table's size (`store::stats::window_facts`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowFacts {
    /// The database's clock when it answered, RFC 3339 UTC (a cached answer shows its age).
    pub as_of: String,
    /// Every UTC day the window touches, oldest first.
    pub days: Vec<String>,
    pub callback: Latency,
    pub poll: Latency,
    pub last_poll_at: Option<String>,
    /// Finished poll runs in the window.
    pub runs: i64,
    /// Distinct minutes with a finished run, since `uptime_minutes` began.
    pub minutes_with_run: i64,
    /// Whole minutes from the start of the uptime window to now; None when there are neither
    /// runs nor calls.
    pub uptime_minutes: Option<i64>,
    pub table_bytes: i64,
}

/// Seconds from a call's arrival to its text (`percentile_cont`), per path; None without texts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Delivery {
    pub delivered: i64,
    pub undelivered: i64,
    pub failed: i64,
    pub pending: i64,
    pub rate: Option<f64>,
    pub unreachable: i64,
    pub carrier_filtered: i64,
}

/// The counts, for the whole window or for one number.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub calls: i64,
    pub answered: i64,
    pub missed: i64,
    pub texted: i64,
    pub texted_by_callback: i64,
    pub texted_by_status_callback: i64,
    pub texted_by_poll: i64,
    pub failed: i64,
    pub suppressed: BTreeMap<String, i64>,
    pub pending: i64,
    pub dedup_prevented: i64,
    pub delivery: Delivery,
    /// Missed calls that should have been texted: texted, failed, still owed or in flight, or
    /// expired before anything texted them (not those no rule allows a text to: a withheld caller,
    /// the business's own phone, an opt-out). The denominator of the two path rates.
    #[serde(skip)]
    pub textable: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberStats {
    pub number: String,
    pub business_name: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayStats {
    pub day: String,
    pub missed: i64,
    pub texted: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmsLatency {
    pub callback: Latency,
    pub poll: Latency,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cron {
    pub last_poll_at: Option<String>,
    pub runs: i64,
    pub uptime: Option<f64>,
}

/// The answer of `/api/stats`, and what the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub days: u32,
    pub as_of: String,
    #[serde(flatten)]
    pub totals: Counts,
    pub callback_success_rate: Option<f64>,
    pub fallback_rate: Option<f64>,
    pub sms_latency_secs: SmsLatency,
    pub cron: Cron,
    pub table_bytes: i64,
    pub by_number: Vec<NumberStats>,
    pub by_day: Vec<DayStats>,
}

/// A call as the dashboard lists it. `caller` is masked (`domain::mask`) where the row is read,
/// so the full number never reaches the page.
#[derive(Debug, Clone, PartialEq)]
pub struct RecentCall {
    /// `YYYY-MM-DD HH:MM`, UTC.
    pub received: String,
    pub caller: String,
    pub to_number: String,
    pub outcome: Option<String>,
    pub processed_by: Option<String>,
    pub secs_to_text: Option<f64>,
    pub sms_status: Option<String>,
    pub sms_error_code: Option<i32>,
}

impl Counts {
    fn add(&mut self, group: &CallGroup) {
        let n = group.calls;
        self.calls += n;
        self.dedup_prevented += group.dedup_prevented;
        let outcome = group.outcome.as_deref();
        let is = |o: Outcome| outcome == Some(o.as_str());
        if outcome.is_some() && !is(Outcome::Answered) && !is(Outcome::NotFound) {
            self.missed += n;
        }
        let textable = [
            Outcome::Texted,
            Outcome::Failed,
            Outcome::Sending,
            Outcome::Owed,
            Outcome::Expired,
        ];
        if textable.into_iter().any(is) {
            self.textable += n;
        }
        match outcome {
            None => self.pending += n,
            Some(_) if is(Outcome::Sending) || is(Outcome::Owed) => self.pending += n,
            Some(_) if is(Outcome::Answered) => self.answered += n,
            Some(_) if is(Outcome::Failed) => self.failed += n,
            Some(_) if is(Outcome::Texted) => self.add_texts(group),
            Some(other) => *self.suppressed.entry(other.to_string()).or_default() += n,
        }
    }

    fn add_texts(&mut self, group: &CallGroup) {
        let n = group.calls;
        self.texted += n;
        let by = |path: ProcessedBy| group.processed_by.as_deref() == Some(path.as_str());
        if by(ProcessedBy::Callback) || by(ProcessedBy::StatusCallback) {
            self.texted_by_callback += n;
        }
        if by(ProcessedBy::StatusCallback) {
            self.texted_by_status_callback += n;
        }
        if by(ProcessedBy::Poll) {
            self.texted_by_poll += n;
        }
        let delivery = &mut self.delivery;
        delivery.delivered += group.delivered;
        delivery.undelivered += group.undelivered;
        delivery.failed += group.sms_failed;
        delivery.pending += n - group.delivered - group.undelivered - group.sms_failed;
        delivery.unreachable += group.unreachable;
        delivery.carrier_filtered += group.carrier_filtered;
    }

    /// Finishes the counts: the delivery rate.
    fn finish(mut self) -> Counts {
        let d = &mut self.delivery;
        d.rate = fraction(d.delivered, d.delivered + d.undelivered + d.failed);
        self
    }
}

/// The value for `key` in a short list of pairs kept in key order, inserted as the default when it
/// is not there yet. (A handful of numbers and days: a sorted list is smaller in the worker than
/// another map type and a sort.)
fn entry<'l, 'k, V: Default>(list: &'l mut Vec<(&'k str, V)>, key: &'k str) -> &'l mut V {
    let at = list
        .binary_search_by(|(k, _)| (*k).cmp(key))
        .unwrap_or_else(|at| {
            list.insert(at, (key, V::default()));
            at
        });
    &mut list[at].1
}

/// `part / whole`, None when `whole` is 0.
fn fraction(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Seconds rounded to the millisecond: percentiles interpolate, and 3.8999999999999995 helps no one.
fn millis(secs: Option<f64>) -> Option<f64> {
    secs.map(|s| (s * 1000.0).round() / 1000.0)
}

impl Stats {
    /// Folds the database's groups and facts into the KPIs for a window of `days`.
    pub fn fold(days: u32, groups: &[CallGroup], facts: WindowFacts) -> Stats {
        let mut totals = Counts::default();
        let mut numbers: Vec<(&str, (Option<&str>, Counts))> = Vec::new();
        let mut by_day: Vec<(&str, Counts)> = Vec::new();
        for group in groups {
            totals.add(group);
            let number = entry(&mut numbers, &group.to_number);
            number.0 = number.0.or(group.business_name.as_deref());
            number.1.add(group);
            entry(&mut by_day, &group.day).add(group);
        }
        let totals = totals.finish();
        let latency = |l: Latency| Latency {
            p50: millis(l.p50),
            p95: millis(l.p95),
        };
        Stats {
            days,
            callback_success_rate: fraction(totals.texted_by_callback, totals.textable),
            fallback_rate: fraction(totals.texted_by_poll, totals.textable),
            sms_latency_secs: SmsLatency {
                callback: latency(facts.callback),
                poll: latency(facts.poll),
            },
            cron: Cron {
                last_poll_at: facts.last_poll_at,
                runs: facts.runs,
                uptime: facts.uptime_minutes.map(|minutes| {
                    (facts.minutes_with_run as f64 / minutes.max(1) as f64).min(1.0)
                }),
            },
            table_bytes: facts.table_bytes,
            by_number: numbers
                .into_iter()
                .map(|(number, (business_name, counts))| NumberStats {
                    number: number.to_string(),
                    business_name: business_name.map(str::to_string),
                    counts: counts.finish(),
                })
                .collect(),
            by_day: facts
                .days
                .iter()
                .map(|day| {
                    let counts = by_day
                        .binary_search_by(|(d, _)| (*d).cmp(day))
                        .ok()
                        .map(|at| &by_day[at].1);
                    DayStats {
                        day: day.clone(),
                        missed: counts.map_or(0, |c| c.missed),
                        texted: counts.map_or(0, |c| c.texted),
                    }
                })
                .collect(),
            as_of: facts.as_of,
            totals,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("stats serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn group(
        day: &str,
        to: &str,
        outcome: Option<&str>,
        by: Option<&str>,
        calls: i64,
    ) -> CallGroup {
        CallGroup {
            day: day.into(),
            to_number: to.into(),
            business_name: Some("Joe's".into()),
            outcome: outcome.map(Into::into),
            processed_by: by.map(Into::into),
            calls,
            ..CallGroup::default()
        }
    }

    const A: &str = "+14155559000";
    const B: &str = "+14155559001";

    fn facts() -> WindowFacts {
        WindowFacts {
            as_of: "2026-11-25T19:35:32Z".into(),
            days: vec!["2026-11-24".into(), "2026-11-25".into()],
            ..WindowFacts::default()
        }
    }

    #[test]
    fn every_outcome_lands_in_its_count() {
        let groups = [
            CallGroup {
                delivered: 3,
                undelivered: 1,
                unreachable: 1,
                dedup_prevented: 2,
                ..group("2026-11-25", A, Some("texted"), Some("callback"), 5)
            },
            CallGroup {
                sms_failed: 1,
                carrier_filtered: 1,
                ..group("2026-11-25", A, Some("texted"), Some("status_callback"), 2)
            },
            group("2026-11-24", B, Some("texted"), Some("poll"), 1),
            group("2026-11-25", A, Some("answered"), Some("callback"), 4),
            group("2026-11-25", A, Some("not_found"), Some("poll"), 1),
            group("2026-11-25", A, Some("expired"), Some("poll"), 2),
            group("2026-11-24", B, Some("no_caller_id"), Some("callback"), 1),
            group("2026-11-24", B, Some("a_future_outcome"), Some("poll"), 1),
            group("2026-11-25", A, Some("failed"), Some("callback"), 1),
            group("2026-11-25", A, None, None, 1),
            group("2026-11-25", A, Some("sending"), Some("callback"), 1),
            group("2026-11-25", B, Some("owed"), Some("poll"), 1),
        ];
        let stats = Stats::fold(7, &groups, facts());
        let t = &stats.totals;
        assert_eq!(t.calls, 21);
        assert_eq!(t.answered, 4);
        // All but answered (4), not_found (1) and the NULL outcome (1).
        assert_eq!(t.missed, 15);
        assert_eq!(
            (t.texted, t.texted_by_callback, t.texted_by_status_callback),
            (8, 7, 2)
        );
        assert_eq!((t.texted_by_poll, t.failed, t.pending), (1, 1, 3));
        assert_eq!(
            t.suppressed,
            BTreeMap::from([
                ("a_future_outcome".to_string(), 1),
                ("expired".to_string(), 2),
                ("no_caller_id".to_string(), 1),
                ("not_found".to_string(), 1),
            ])
        );
        assert_eq!(t.dedup_prevented, 2);
        assert_eq!(
            t.delivery,
            Delivery {
                delivered: 3,
                undelivered: 1,
                failed: 1,
                pending: 3,
                rate: Some(0.6),
                unreachable: 1,
                carrier_filtered: 1,
            }
        );
        // Texted 8, failed 1, in flight 2, expired 2: 13 calls should have been texted.
        assert_eq!(t.textable, 13);
        assert_eq!(stats.callback_success_rate, Some(7.0 / 13.0));
        assert_eq!(stats.fallback_rate, Some(1.0 / 13.0));

        assert_eq!(stats.by_number.len(), 2);
        let b = &stats.by_number[1];
        assert_eq!(b.number, B);
        assert_eq!(
            (b.counts.calls, b.counts.missed, b.counts.texted),
            (4, 4, 1)
        );
        assert_eq!(b.counts.delivery.pending, 1);
        assert_eq!(b.counts.delivery.rate, None);
        let sum: i64 = stats.by_number.iter().map(|n| n.counts.calls).sum();
        assert_eq!(sum, t.calls);

        assert_eq!(
            stats.by_day,
            vec![
                DayStats {
                    day: "2026-11-24".into(),
                    missed: 3,
                    texted: 1
                },
                DayStats {
                    day: "2026-11-25".into(),
                    missed: 12,
                    texted: 7
                },
            ]
        );
    }

    #[test]
    fn no_data_is_null_not_zero() {
        let stats = Stats::fold(7, &[], facts());
        let json = stats.to_json();
        for rate in ["callback_success_rate", "fallback_rate"] {
            assert_eq!(json[rate], serde_json::Value::Null, "{rate}");
        }
        assert_eq!(
            json["sms_latency_secs"],
            json!({"callback": {"p50": null, "p95": null}, "poll": {"p50": null, "p95": null}})
        );
        assert_eq!(json["delivery"]["rate"], serde_json::Value::Null);
        assert_eq!(
            json["cron"],
            json!({"last_poll_at": null, "runs": 0, "uptime": null})
        );
        assert_eq!(json["by_number"], json!([]));
        assert_eq!(
            json["by_day"],
            json!([
                {"day": "2026-11-24", "missed": 0, "texted": 0},
                {"day": "2026-11-25", "missed": 0, "texted": 0},
            ])
        );
        assert_eq!(json["suppressed"], json!({}));
    }

    #[test]
    fn the_json_has_the_documented_shape() {
        let groups = [group("2026-11-25", A, Some("texted"), Some("poll"), 1)];
        let json = Stats::fold(30, &groups, facts()).to_json();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "answered",
                "as_of",
                "by_day",
                "by_number",
                "callback_success_rate",
                "calls",
                "cron",
                "days",
                "dedup_prevented",
                "delivery",
                "failed",
                "fallback_rate",
                "missed",
                "pending",
                "sms_latency_secs",
                "suppressed",
                "table_bytes",
                "texted",
                "texted_by_callback",
                "texted_by_poll",
                "texted_by_status_callback",
            ]
        );
        assert_eq!(json["by_number"][0]["number"], A);
        assert_eq!(json["by_number"][0]["business_name"], "Joe's");
        assert_eq!(json["by_number"][0]["delivery"]["pending"], 1);
        assert_eq!(json["fallback_rate"], 1.0);
        assert_eq!(json["callback_success_rate"], 0.0);
    }

    #[test]
    fn latency_is_rounded_to_the_millisecond() {
        let stats = Stats::fold(
            7,
            &[],
            WindowFacts {
                callback: Latency {
                    p50: Some(3.0),
                    p95: Some(3.8999999999999995),
                },
                poll: Latency {
                    p50: Some(61.23449),
                    p95: None,
                },
                ..facts()
            },
        );
        assert_eq!(stats.sms_latency_secs.callback.p95, Some(3.9));
        assert_eq!(stats.sms_latency_secs.poll.p50, Some(61.234));
        assert_eq!(stats.sms_latency_secs.poll.p95, None);
    }

    #[test]
    fn uptime_is_the_share_of_minutes_with_a_run() {
        let uptime = |minutes_with_run, uptime_minutes| {
            Stats::fold(
                7,
                &[],
                WindowFacts {
                    minutes_with_run,
                    uptime_minutes,
                    ..facts()
                },
            )
            .cron
            .uptime
        };
        assert_eq!(uptime(0, None), None);
        assert_eq!(uptime(3, Some(10)), Some(0.3));
        assert_eq!(uptime(0, Some(10)), Some(0.0));
        // A run in the minute still under way, or a window shorter than a minute, is never more
        // than all of it.
        assert_eq!(uptime(11, Some(10)), Some(1.0));
        assert_eq!(uptime(1, Some(0)), Some(1.0));
    }

    #[test]
    fn a_deleted_number_keeps_its_calls_without_a_name() {
        let groups = [CallGroup {
            business_name: None,
            ..group("2026-11-25", B, Some("answered"), Some("callback"), 2)
        }];
        let stats = Stats::fold(7, &groups, facts());
        assert_eq!(stats.by_number[0].business_name, None);
        assert_eq!(stats.by_number[0].counts.answered, 2);
    }

    #[test]
    fn days_are_checked() {
        assert_eq!(stats_days(None), Ok(7));
        assert_eq!(stats_days(Some("1")), Ok(1));
        assert_eq!(stats_days(Some("90")), Ok(90));
        for bad in ["0", "91", "-1", "7.5", "", "seven", "1e2"] {
            assert!(stats_days(Some(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(
            stats_days(Some("91")),
            Err("days: must be 1 to 90, not 91".into())
        );
        assert_eq!(dashboard_days(None), Ok(7));
        for good in [1, 7, 30] {
            assert_eq!(dashboard_days(Some(&good.to_string())), Ok(good));
        }
        assert_eq!(
            dashboard_days(Some("14")),
            Err("days: must be 1, 7 or 30, not 14".into())
        );
        assert!(dashboard_days(Some("x")).is_err());
    }

    #[test]
    fn the_days_parameter_is_read_from_the_query() {
        assert_eq!(days_param(None), Ok(None));
        assert_eq!(days_param(Some("")), Ok(None));
        assert_eq!(days_param(Some("days=30")), Ok(Some("30".into())));
        assert_eq!(days_param(Some("x=1&days=%37")), Ok(Some("7".into())));
        assert_eq!(days_param(Some("days=1&days=30")), Ok(Some("1".into())));
        assert_eq!(days_param(Some("other=1")), Ok(None));
    }
}
