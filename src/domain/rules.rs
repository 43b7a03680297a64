//! Who gets a text and when, as one plain function of the number's settings, the caller, the call
//! and `now`: blocked callers, the allowed countries, quiet hours (skip, or defer to their end),
//! and the words (the usual text in business hours, the after-hours text outside them). The rules
//! that count (the cooldown and the daily limit) are decided by the database in one statement
//! (`store::calls::reserve_text`), since concurrent calls must see each other; the line type needs
//! Twilio Lookup. `missed_call` runs them in that order: free rules first, the paid Lookup last
//! (a landline gives the reserved cooldown and count back).
use super::business::render_sms;
use super::hours::Clock;
use super::{calling_codes, BusinessNumber, Caller, Outcome, PhoneNumber};
use crate::domain::business::QuietAction;
use jiff::civil::Date;
use jiff::Timestamp;

/// A text deferred past quiet hours goes out at most this long after the call: a text the next
/// afternoon about a call the evening before would puzzle more than it helps.
pub const MAX_DEFERRAL_SECS: i64 = 16 * 60 * 60;

/// The call as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct CallTiming {
    pub received_at: Timestamp,
    /// The text already waited for quiet hours to end: it goes out now.
    pub deferred: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No text, for this reason.
    Skip(Outcome),
    /// Quiet hours: the text waits until `until`.
    Defer { until: Timestamp },
    /// Text `body`, counted against the limit of the local `day`; ask Lookup for the line type
    /// first when `check_line_type`.
    Text {
        body: String,
        day: Date,
        check_line_type: bool,
    },
}

/// The rules that keep `caller` from every text of `business`, whatever the hour: the blocked list
/// and the allowed countries. Phase 1 asks it too, so that Phase 2 promises no text to them.
pub fn never_texted(business: &BusinessNumber, caller: &PhoneNumber) -> Option<Outcome> {
    let rules = &business.rules;
    if rules.blocked_callers.contains(caller) {
        return Some(Outcome::Blocked);
    }
    let allowed = calling_codes::of(caller)
        .is_some_and(|code| rules.allowed_calling_codes.iter().any(|c| c == code));
    (!allowed).then_some(Outcome::CountryNotAllowed)
}

/// The decision for a missed call from `caller` to `business` at `now`.
pub fn decide(
    business: &BusinessNumber,
    clock: &Clock,
    caller: &PhoneNumber,
    call: CallTiming,
    now: Timestamp,
) -> Decision {
    let rules = &business.rules;
    if let Some(outcome) = never_texted(business, caller) {
        return Decision::Skip(outcome);
    }
    if !call.deferred {
        if let Some(until) = clock.quiet_until(now) {
            let too_late = until.as_second() - call.received_at.as_second() > MAX_DEFERRAL_SECS;
            return match rules.quiet_hours_action {
                QuietAction::Defer if !too_late => Decision::Defer { until },
                _ => Decision::Skip(Outcome::QuietHours),
            };
        }
    }
    let template = match &rules.after_hours_template {
        Some(after_hours) if !clock.is_open(now) => after_hours,
        _ => &business.sms_template,
    };
    Decision::Text {
        body: render_sms(
            template,
            &business.business_name,
            &clock.describe_next_open(now),
        ),
        day: clock.local_day(now),
        check_line_type: rules.skip_landlines,
    }
}

/// What the owner's heads-up says became of a missed call (after "Missed call from …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Texted,
    /// The text waits for quiet hours to end, at this local time ("8:00 AM").
    Deferred(String),
    NotTexted(Outcome),
    /// The text could not be sent.
    Failed,
}

/// The owner's words for `fate`, given the number's settings.
pub fn owner_why(business: &BusinessNumber, caller: &Caller, fate: &Fate) -> String {
    let rules = &business.rules;
    match fate {
        Fate::Texted => "we texted them.".to_string(),
        Fate::Deferred(at) => format!("we will text them when quiet hours end ({at})."),
        Fate::Failed => "our text to them failed; see the dashboard.".to_string(),
        Fate::NotTexted(outcome) => format!(
            "not texted: {}.",
            match outcome {
                Outcome::Cooldown => format!(
                    "we texted them within the last {} hours",
                    rules.cooldown_hours
                ),
                Outcome::Blocked => "the number is on your blocked list".to_string(),
                Outcome::CountryNotAllowed => format!(
                    "calls from {} are not texted (allowed calling codes: {})",
                    calling_codes::of_caller(caller)
                        .map_or("there".to_string(), |c| format!("+{c}")),
                    rules
                        .allowed_calling_codes
                        .iter()
                        .map(|c| format!("+{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Outcome::DailyLimit => format!(
                    "today's limit of {} texts is reached",
                    rules.daily_text_limit
                ),
                Outcome::Landline => "it is a landline".to_string(),
                Outcome::QuietHours => "the call came in quiet hours".to_string(),
                Outcome::OptedOut => "they opted out of your texts (STOP)".to_string(),
                Outcome::NoCallerId => "the caller ID was withheld".to_string(),
                other => other.as_str().replace('_', " "),
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hours::parse_timezone;
    use crate::domain::BusinessNumberInput;
    use std::collections::BTreeMap;

    fn business(change: impl FnOnce(&mut BusinessNumberInput)) -> BusinessNumber {
        let mut input = BusinessNumberInput {
            forward_to: "+14155550100".into(),
            business_name: "Joe's".into(),
            sms_template: Some("Sorry we missed you at {business_name}.".into()),
            timezone: Some("America/New_York".into()),
            ..Default::default()
        };
        change(&mut input);
        input.validate("+14155559000").unwrap()
    }

    fn at(local: &str) -> Timestamp {
        parse_timezone("America/New_York")
            .unwrap()
            .to_zoned_datetime(local.parse().unwrap())
            .unwrap()
            .timestamp()
    }

    fn decide_at(number: &BusinessNumber, caller: &str, local: &str) -> Decision {
        let now = at(local);
        let call = CallTiming {
            received_at: now,
            deferred: false,
        };
        let clock = number.rules.clock().unwrap();
        decide(
            number,
            &clock,
            &PhoneNumber::parse(caller).unwrap(),
            call,
            now,
        )
    }

    const CALLER: &str = "+14155550123";
    const MONDAY_NOON: &str = "2026-11-23T12:00";

    #[test]
    fn by_default_every_caller_of_the_numbers_country_is_texted() {
        let number = business(|_| {});
        assert_eq!(
            decide_at(&number, CALLER, MONDAY_NOON),
            Decision::Text {
                body: "Sorry we missed you at Joe's. Reply STOP to opt out.".into(),
                day: "2026-11-23".parse().unwrap(),
                check_line_type: false,
            }
        );
        assert_eq!(
            decide_at(&number, "+447700900123", MONDAY_NOON),
            Decision::Skip(Outcome::CountryNotAllowed)
        );
    }

    #[test]
    fn blocked_callers_and_other_countries_are_skipped() {
        let number = business(|n| {
            n.blocked_callers = Some(vec![CALLER.into()]);
            n.allowed_calling_codes = Some(vec!["1".into(), "+44".into()]);
            n.skip_landlines = Some(true);
        });
        assert_eq!(
            decide_at(&number, CALLER, MONDAY_NOON),
            Decision::Skip(Outcome::Blocked)
        );
        assert!(matches!(
            decide_at(&number, "+447700900123", MONDAY_NOON),
            Decision::Text {
                check_line_type: true,
                ..
            }
        ));
        assert_eq!(
            decide_at(&number, "+882345678901", MONDAY_NOON),
            Decision::Skip(Outcome::CountryNotAllowed)
        );
    }

    #[test]
    fn after_hours_the_after_hours_text_says_when_we_open() {
        let number = business(|n| {
            n.business_hours = Some(BTreeMap::from([
                ("mon".to_string(), "09:00-17:00".to_string()),
                ("tue".to_string(), "09:00-17:00".to_string()),
            ]));
            n.after_hours_template = Some("{business_name} is closed; we open {next_open}.".into());
        });
        let Decision::Text { body, day, .. } = decide_at(&number, CALLER, "2026-11-23T20:30")
        else {
            panic!("not a text");
        };
        assert_eq!(
            body,
            "Joe's is closed; we open tomorrow at 9:00 AM. Reply STOP to opt out."
        );
        assert_eq!(day.to_string(), "2026-11-23", "the local day, not UTC's");
        let Decision::Text { body, .. } = decide_at(&number, CALLER, MONDAY_NOON) else {
            panic!("not a text");
        };
        assert!(body.starts_with("Sorry we missed you"), "{body}");
        // Without an after-hours text, the usual one goes out at any hour.
        let plain = business(|n| {
            n.business_hours = Some(BTreeMap::from([(
                "mon".to_string(),
                "09:00-17:00".to_string(),
            )]))
        });
        let Decision::Text { body, .. } = decide_at(&plain, CALLER, "2026-11-23T20:30") else {
            panic!("not a text");
        };
        assert!(body.starts_with("Sorry we missed you"), "{body}");
    }

    #[test]
    fn quiet_hours_defer_to_their_end_or_skip() {
        let deferring = business(|n| n.quiet_hours = Some("21:00-08:00".into()));
        assert_eq!(
            decide_at(&deferring, CALLER, "2026-11-23T22:15"),
            Decision::Defer {
                until: at("2026-11-24T08:00")
            }
        );
        assert!(matches!(
            decide_at(&deferring, CALLER, "2026-11-23T20:59"),
            Decision::Text { .. }
        ));
        // A deferred text, once due, goes out whatever the clock says.
        let now = at("2026-11-23T23:00");
        let clock = deferring.rules.clock().unwrap();
        let due = CallTiming {
            received_at: now,
            deferred: true,
        };
        let caller = PhoneNumber::parse(CALLER).unwrap();
        assert!(matches!(
            decide(&deferring, &clock, &caller, due, now),
            Decision::Text { .. }
        ));
        let skipping = business(|n| {
            n.quiet_hours = Some("21:00-08:00".into());
            n.quiet_hours_action = Some("skip".into());
        });
        assert_eq!(
            decide_at(&skipping, CALLER, "2026-11-23T22:15"),
            Decision::Skip(Outcome::QuietHours)
        );
    }

    #[test]
    fn a_deferral_never_sends_more_than_16_hours_after_the_call() {
        let number = business(|n| n.quiet_hours = Some("18:00-10:30".into()));
        let clock = number.rules.clock().unwrap();
        let caller = PhoneNumber::parse(CALLER).unwrap();
        let decide_for = |received: &str, now: &str| {
            let call = CallTiming {
                received_at: at(received),
                deferred: false,
            };
            decide(&number, &clock, &caller, call, at(now))
        };
        // 18:30 → 10:30 is exactly 16 hours: deferred.
        assert!(matches!(
            decide_for("2026-11-23T18:30", "2026-11-23T18:30"),
            Decision::Defer { .. }
        ));
        // 18:29 → 10:30 is 16 hours and a minute: not sent.
        assert_eq!(
            decide_for("2026-11-23T18:29", "2026-11-23T18:29"),
            Decision::Skip(Outcome::QuietHours)
        );
    }

    #[test]
    fn quiet_hours_across_the_clock_change_end_at_local_time() {
        // 2026-11-01, New York falls back at 02:00: a call at 22:00 EDT waits until 08:00 EST,
        // eleven hours of real time, not ten.
        let number = business(|n| n.quiet_hours = Some("21:00-08:00".into()));
        let Decision::Defer { until } = decide_at(&number, CALLER, "2026-10-31T22:00") else {
            panic!("not deferred");
        };
        assert_eq!(until.to_string(), "2026-11-01T13:00:00Z");
        assert_eq!(
            until.as_second() - at("2026-10-31T22:00").as_second(),
            11 * 3600
        );
        // 2026-03-08 springs forward: 22:00 EST to 08:00 EDT is nine hours.
        let Decision::Defer { until } = decide_at(&number, CALLER, "2026-03-07T22:00") else {
            panic!("not deferred");
        };
        assert_eq!(until.to_string(), "2026-03-08T12:00:00Z");
        assert_eq!(
            until.as_second() - at("2026-03-07T22:00").as_second(),
            9 * 3600
        );
    }

    #[test]
    fn the_owner_is_told_why() {
        let number = business(|n| n.cooldown_hours = Some(6));
        let caller = Caller::parse("+447700900123");
        let why = |fate: Fate| owner_why(&number, &caller, &fate);
        assert_eq!(why(Fate::Texted), "we texted them.");
        assert_eq!(
            why(Fate::NotTexted(Outcome::Cooldown)),
            "not texted: we texted them within the last 6 hours."
        );
        assert_eq!(
            why(Fate::NotTexted(Outcome::CountryNotAllowed)),
            "not texted: calls from +44 are not texted (allowed calling codes: +1)."
        );
        assert_eq!(
            why(Fate::NotTexted(Outcome::DailyLimit)),
            "not texted: today's limit of 200 texts is reached."
        );
        assert_eq!(
            why(Fate::Deferred("8:00 AM".into())),
            "we will text them when quiet hours end (8:00 AM)."
        );
    }
}
