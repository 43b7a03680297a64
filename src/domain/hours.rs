//! A business number's clock: its time zone, its opening hours and its quiet hours, read once from
//! the settings, and the questions the text rules ask of them at an instant passed in (open now?
//! when next? quiet until when? which local day?). Wall-clock times are local and converted with
//! the time zone's rules for that date (jiff and its bundled tz database), so a range means the
//! same hours on the day the clocks change: a time the spring-forward skips is moved forward by the
//! gap (02:30 becomes 03:30 daylight time), a time the fall-back repeats is its first occurrence
//! (or its second, when the first has passed).
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use std::collections::BTreeMap;

/// The days of `business_hours`, Monday first (jiff's Monday-zero offset).
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MINUTES_PER_DAY: u16 = 24 * 60;

/// Reads an IANA time zone name (`America/New_York`); the error says what is expected.
pub fn parse_timezone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name.trim()).map_err(|_| {
        format!("{name:?} is not an IANA time zone name (e.g. \"America/New_York\", \"UTC\")")
    })
}

/// Local minutes since midnight, `start` inclusive, `end` exclusive; `end` may be 24:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    start: u16,
    end: u16,
}

/// Reads `HH:MM` (00:00 to 24:00) as minutes since midnight.
fn clock(raw: &str) -> Result<u16, String> {
    let bad = || format!("{raw:?} is not a time of day HH:MM (e.g. 09:00, 17:30)");
    let (hours, minutes) = raw.trim().split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(hours, 1..=2) && digits(minutes, 2..=2)) {
        return Err(bad());
    }
    let (hours, minutes): (u16, u16) = (
        hours.parse().map_err(|_| bad())?,
        minutes.parse().map_err(|_| bad())?,
    );
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > MINUTES_PER_DAY {
        return Err(bad());
    }
    Ok(total)
}

/// Reads `HH:MM-HH:MM`.
fn span(raw: &str) -> Result<(u16, u16), String> {
    let (start, end) = raw
        .split_once('-')
        .ok_or_else(|| format!("{:?} is not a range HH:MM-HH:MM", raw.trim()))?;
    Ok((clock(start)?, clock(end)?))
}

fn format_clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Opening hours per weekday; a day without ranges is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    days: [Vec<Range>; 7],
}

impl Week {
    /// Reads `{"mon": "09:00-12:00,13:00-17:30", …}`: the error names the day. A range ends the day
    /// it starts (up to 24:00); opening past midnight is the next day's range from 00:00.
    pub fn parse(days: &BTreeMap<String, String>) -> Result<Week, String> {
        let mut week: [Vec<Range>; 7] = Default::default();
        for (day, ranges) in days {
            let index = DAYS
                .iter()
                .position(|d| d == day)
                .ok_or_else(|| format!("{day:?} is not a day; use {}", DAYS.join(", ")))?;
            let mut parsed = Vec::new();
            for raw in ranges.split(',').filter(|r| !r.trim().is_empty()) {
                let (start, end) = span(raw).map_err(|e| format!("{day}: {e}"))?;
                if start >= end {
                    return Err(format!(
                        "{day}: {:?} must end after it starts on the same day (up to 24:00); \
                         hours past midnight belong to the next day from 00:00",
                        raw.trim()
                    ));
                }
                parsed.push(Range { start, end });
            }
            parsed.sort_by_key(|r| r.start);
            if parsed.windows(2).any(|pair| pair[1].start < pair[0].end) {
                return Err(format!("{day}: ranges overlap"));
            }
            week[index] = parsed;
        }
        Ok(Week { days: week })
    }

    /// The settings' form again, with every day and range written canonically.
    pub fn to_settings(&self) -> BTreeMap<String, String> {
        DAYS.iter()
            .zip(&self.days)
            .filter(|(_, ranges)| !ranges.is_empty())
            .map(|(day, ranges)| {
                let written: Vec<String> = ranges
                    .iter()
                    .map(|r| format!("{}-{}", format_clock(r.start), format_clock(r.end)))
                    .collect();
                (day.to_string(), written.join(","))
            })
            .collect()
    }

    fn ranges_on(&self, date: Date) -> &[Range] {
        &self.days[date.weekday().to_monday_zero_offset() as usize]
    }
}

/// Hours such as `21:00-08:00` in which no text goes out; they may span midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quiet {
    start: u16,
    end: u16,
}

impl Quiet {
    pub fn parse(raw: &str) -> Result<Quiet, String> {
        let (start, end) = span(raw)?;
        let (start, end) = (start % MINUTES_PER_DAY, end % MINUTES_PER_DAY);
        if start == end {
            return Err(format!("{:?} starts and ends at the same time", raw.trim()));
        }
        Ok(Quiet { start, end })
    }

    pub fn to_settings(self) -> String {
        format!("{}-{}", format_clock(self.start), format_clock(self.end))
    }
}

/// The instant the local `date` reaches `minutes` past midnight in `tz`.
fn instant(tz: &TimeZone, date: Date, minutes: u16) -> Option<ZonedDateTime> {
    let at = match minutes {
        MINUTES_PER_DAY => date.tomorrow().ok()?.at(0, 0, 0, 0),
        m => date.at((m / 60) as i8, (m % 60) as i8, 0, 0),
    };
    tz.to_zoned_datetime(at).ok()
}

fn minutes_of(local: &DateTime) -> u16 {
    local.hour() as u16 * 60 + local.minute() as u16
}

fn twelve_hour(at: &ZonedDateTime) -> String {
    let (hour, minute) = (at.hour(), at.minute());
    let twelve = match hour % 12 {
        0 => 12,
        h => h,
    };
    let half = if hour < 12 { "AM" } else { "PM" };
    format!("{twelve}:{minute:02} {half}")
}

/// The number's clock: its zone, opening hours (None: always open) and quiet hours.
#[derive(Debug, Clone)]
pub struct Clock {
    pub tz: TimeZone,
    pub week: Option<Week>,
    pub quiet: Option<Quiet>,
}

impl Clock {
    pub fn local(&self, now: Timestamp) -> ZonedDateTime {
        now.to_zoned_datetime(self.tz.clone())
    }

    /// The local calendar day of `now`: the day the daily text limit counts.
    pub fn local_day(&self, now: Timestamp) -> Date {
        self.local(now).date()
    }

    /// Whether the business is open at `now`.
    pub fn is_open(&self, now: Timestamp) -> bool {
        let Some(week) = &self.week else {
            return true;
        };
        let local = self.local(now);
        let minute = minutes_of(&local.datetime());
        week.ranges_on(local.date())
            .iter()
            .any(|r| r.start <= minute && minute < r.end)
    }

    /// When the business opens next after `now` (within the coming week), or None when it never
    /// opens.
    pub fn next_open(&self, now: Timestamp) -> Option<ZonedDateTime> {
        let week = self.week.as_ref()?;
        let mut date = self.local(now).date();
        for _ in 0..8 {
            for range in week.ranges_on(date) {
                if let Some(opens) = instant(&self.tz, date, range.start) {
                    if opens.timestamp() > now {
                        return Some(opens);
                    }
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    /// `{next_open}` of the after-hours text: "today at 9:00 AM", "tomorrow at 9:00 AM", or the
    /// weekday ("Monday at 9:00 AM"), in the number's zone; empty when it never opens.
    pub fn describe_next_open(&self, now: Timestamp) -> String {
        let Some(opens) = self.next_open(now) else {
            return String::new();
        };
        let today = self.local(now).date();
        let day = if opens.date() == today {
            "today".to_string()
        } else if today.tomorrow().ok() == Some(opens.date()) {
            "tomorrow".to_string()
        } else {
            DAY_NAMES[opens.weekday().to_monday_zero_offset() as usize].to_string()
        };
        format!("{day} at {}", twelve_hour(&opens))
    }

    /// The local time of `at` on a twelve-hour clock ("8:00 AM").
    pub fn time_of_day(&self, at: Timestamp) -> String {
        twelve_hour(&self.local(at))
    }

    /// When `now` falls in quiet hours, the instant they end; None outside them.
    pub fn quiet_until(&self, now: Timestamp) -> Option<Timestamp> {
        let quiet = self.quiet?;
        let local = self.local(now);
        let minute = minutes_of(&local.datetime());
        let today = local.date();
        let ends_on = if quiet.start < quiet.end {
            (quiet.start <= minute && minute < quiet.end).then_some(today)?
        } else if minute >= quiet.start {
            today.tomorrow().ok()?
        } else if minute < quiet.end {
            today
        } else {
            return None;
        };
        let end = instant(&self.tz, ends_on, quiet.end)?.timestamp();
        if end > now {
            return Some(end);
        }
        // In the repeated hour of the fall-back night, after the first occurrence of the end:
        // quiet hours end at its second.
        let minutes = quiet.end % MINUTES_PER_DAY;
        let at = ends_on.at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0);
        let later = self.tz.to_ambiguous_zoned_datetime(at).later().ok()?;
        Some(later.timestamp()).filter(|later| *later > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(days: &[(&str, &str)]) -> Week {
        let map = days
            .iter()
            .map(|(d, r)| (d.to_string(), r.to_string()))
            .collect();
        Week::parse(&map).unwrap()
    }

    fn clock_in(zone: &str, days: &[(&str, &str)], quiet: Option<&str>) -> Clock {
        Clock {
            tz: parse_timezone(zone).unwrap(),
            week: Some(week(days)),
            quiet: quiet.map(|q| Quiet::parse(q).unwrap()),
        }
    }

    /// The instant of a local wall-clock time in `zone` (its first occurrence).
    fn at(zone: &str, local: &str) -> Timestamp {
        let dt: DateTime = local.parse().unwrap();
        parse_timezone(zone)
            .unwrap()
            .to_zoned_datetime(dt)
            .unwrap()
            .timestamp()
    }

    const NY: &str = "America/New_York";
    const WEEKDAYS: [(&str, &str); 5] = [
        ("mon", "09:00-12:00,13:00-17:30"),
        ("tue", "09:00-17:30"),
        ("wed", "09:00-17:30"),
        ("thu", "09:00-17:30"),
        ("fri", "09:00-17:00"),
    ];

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            parse_timezone("Europe/London").unwrap().iana_name(),
            Some("Europe/London")
        );
        assert!(parse_timezone("UTC").is_ok());
        for bad in ["", "Mars/Olympus", "EST5EDT/x", "+05:00"] {
            let error = parse_timezone(bad).unwrap_err();
            assert!(error.contains("not an IANA time zone"), "{error}");
        }
    }

    #[test]
    fn hours_are_read_and_checked_per_day() {
        let read = week(&[
            ("mon", " 13:00-17:30, 09:00-12:00 "),
            ("sun", "00:00-24:00"),
        ]);
        let written = read.to_settings();
        assert_eq!(written["mon"], "09:00-12:00,13:00-17:30");
        assert_eq!(written["sun"], "00:00-24:00");
        assert_eq!(written.len(), 2, "closed days are absent");
        for (day, ranges, expected) in [
            ("monday", "09:00-17:00", "not a day"),
            ("mon", "9-17", "not a time of day"),
            ("mon", "09:00", "not a range"),
            ("mon", "17:00-09:00", "must end after it starts"),
            ("mon", "09:00-12:00,11:00-13:00", "overlap"),
            ("tue", "09:60-10:00", "not a time of day"),
            ("tue", "24:01-24:30", "not a time of day"),
        ] {
            let map = BTreeMap::from([(day.to_string(), ranges.to_string())]);
            let error = Week::parse(&map).unwrap_err();
            assert!(error.contains(expected), "{day} {ranges}: {error}");
        }
        assert_eq!(
            Quiet::parse("21:00-08:00").unwrap().to_settings(),
            "21:00-08:00"
        );
        assert_eq!(
            Quiet::parse("22:00-24:00").unwrap().to_settings(),
            "22:00-00:00"
        );
        assert!(Quiet::parse("08:00-08:00")
            .unwrap_err()
            .contains("same time"));
    }

    #[test]
    fn open_inside_the_ranges_of_the_local_day() {
        let clock = clock_in(NY, &WEEKDAYS, None);
        // 2026-11-23 is a Monday.
        for (local, open) in [
            ("2026-11-23T08:59", false),
            ("2026-11-23T09:00", true),
            ("2026-11-23T12:30", false),
            ("2026-11-23T17:29", true),
            ("2026-11-23T17:30", false),
            ("2026-11-28T10:00", false),
        ] {
            assert_eq!(clock.is_open(at(NY, local)), open, "{local}");
        }
        // 22:00 on Monday in New York is 03:00 on Tuesday in UTC: the local day decides.
        assert!(!clock.is_open(at(NY, "2026-11-23T22:00")));
        let always = Clock {
            week: None,
            ..clock
        };
        assert!(always.is_open(at(NY, "2026-11-28T03:00")));
        assert_eq!(always.next_open(at(NY, "2026-11-28T03:00")), None);
    }

    #[test]
    fn next_open_is_said_in_local_words() {
        let clock = clock_in(NY, &WEEKDAYS, None);
        assert_eq!(clock.time_of_day(at(NY, "2026-11-23T00:05")), "12:05 AM");
        assert_eq!(clock.time_of_day(at(NY, "2026-11-23T13:30")), "1:30 PM");
        for (local, said) in [
            ("2026-11-23T07:00", "today at 9:00 AM"),
            ("2026-11-23T12:15", "today at 1:00 PM"),
            ("2026-11-23T20:00", "tomorrow at 9:00 AM"),
            ("2026-11-27T18:00", "Monday at 9:00 AM"),
            ("2026-11-28T11:00", "Monday at 9:00 AM"),
        ] {
            assert_eq!(clock.describe_next_open(at(NY, local)), said, "{local}");
        }
        let late = clock_in("UTC", &[("sat", "00:00-00:30,12:00-23:59")], None);
        assert_eq!(
            late.describe_next_open(at("UTC", "2026-11-27T23:00")),
            "tomorrow at 12:00 AM"
        );
        assert_eq!(
            late.describe_next_open(at("UTC", "2026-11-28T01:00")),
            "today at 12:00 PM"
        );
        let closed = clock_in("UTC", &[], None);
        assert_eq!(closed.describe_next_open(at("UTC", "2026-11-28T01:00")), "");
    }

    #[test]
    fn the_spring_forward_night_keeps_local_hours() {
        // 2026-03-08, New York: 02:00 EST jumps to 03:00 EDT.
        let clock = clock_in(NY, &[("sun", "01:00-03:30")], Some("01:30-02:30"));
        let before = at(NY, "2026-03-08T01:45");
        assert!(clock.is_open(before));
        // 02:30, when quiet hours end, does not exist that night: the clocks skip it, and they end
        // at 03:30 EDT (07:30 UTC), 45 minutes of real time after 01:45 EST (06:45 UTC).
        let ends = clock.quiet_until(before).unwrap();
        assert_eq!(ends.to_string(), "2026-03-08T07:30:00Z");
        assert_eq!(ends.as_second() - before.as_second(), 45 * 60);
        // An hour of real time after 01:45 EST is 03:45 EDT: closed by local time.
        let later = Timestamp::from_second(before.as_second() + 3600).unwrap();
        assert!(!clock.is_open(later));
        assert_eq!(clock.local_day(later).to_string(), "2026-03-08");
        // Opening at 02:30 local on that day means opening when the clocks reach 03:30 EDT.
        let gap = clock_in(NY, &[("sun", "02:30-05:00")], None);
        let opens = gap.next_open(at(NY, "2026-03-08T01:00")).unwrap();
        assert_eq!(opens.timestamp().to_string(), "2026-03-08T07:30:00Z");
        assert_eq!(
            gap.describe_next_open(at(NY, "2026-03-08T01:00")),
            "today at 3:30 AM"
        );
    }

    #[test]
    fn the_fall_back_night_keeps_local_hours() {
        // 2026-11-01, New York: 02:00 EDT falls back to 01:00 EST; 01:00-02:00 happens twice.
        let clock = clock_in(NY, &[("sun", "09:00-17:00")], Some("21:00-08:00"));
        let night = at(NY, "2026-10-31T23:00"); // EDT, UTC-4: 03:00 UTC on Nov 1.
        let ends = clock.quiet_until(night).unwrap();
        // 08:00 EST is 13:00 UTC: ten hours of real time after 23:00 EDT, though nine on the wall.
        assert_eq!(ends.to_string(), "2026-11-01T13:00:00Z");
        assert_eq!(ends.as_second() - night.as_second(), 10 * 3600);
        // The repeated hour: both 01:30s are quiet and the day is still Sunday.
        let first = at(NY, "2026-11-01T01:30");
        let second = Timestamp::from_second(first.as_second() + 3600).unwrap();
        assert_eq!(clock.local(second).hour(), 1);
        for instant in [first, second] {
            assert_eq!(clock.quiet_until(instant), Some(ends));
            assert!(!clock.is_open(instant));
        }
        assert!(clock.is_open(at(NY, "2026-11-01T09:00")));
        // Quiet hours ending at 01:30 that night: in the second 01:00-02:00 (EST), before the
        // second 01:30, they end at the second 01:30, not at the first, which has passed.
        let short = clock_in(NY, &[], Some("00:00-01:30"));
        let second_one_fifteen =
            Timestamp::from_second(at(NY, "2026-11-01T01:15").as_second() + 3600).unwrap();
        assert_eq!(
            short.quiet_until(second_one_fifteen).unwrap().to_string(),
            "2026-11-01T06:30:00Z"
        );
        assert_eq!(
            clock.describe_next_open(night),
            "tomorrow at 9:00 AM",
            "Saturday 23:00: Sunday opens at 9"
        );
    }

    #[test]
    fn quiet_hours_may_span_midnight_or_not() {
        let overnight = clock_in("UTC", &[], Some("21:00-08:00"));
        for (local, until) in [
            ("2026-11-25T20:59", None),
            ("2026-11-25T21:00", Some("2026-11-26T08:00:00Z")),
            ("2026-11-25T23:59", Some("2026-11-26T08:00:00Z")),
            ("2026-11-26T00:00", Some("2026-11-26T08:00:00Z")),
            ("2026-11-26T07:59", Some("2026-11-26T08:00:00Z")),
            ("2026-11-26T08:00", None),
        ] {
            let got = overnight
                .quiet_until(at("UTC", local))
                .map(|t| t.to_string());
            assert_eq!(got.as_deref(), until, "{local}");
        }
        let lunch = clock_in("UTC", &[], Some("12:00-13:00"));
        assert_eq!(lunch.quiet_until(at("UTC", "2026-11-25T11:59")), None);
        assert_eq!(
            lunch
                .quiet_until(at("UTC", "2026-11-25T12:30"))
                .unwrap()
                .to_string(),
            "2026-11-25T13:00:00Z"
        );
        let none = Clock {
            quiet: None,
            ..lunch
        };
        assert_eq!(none.quiet_until(at("UTC", "2026-11-25T12:30")), None);
    }
}
