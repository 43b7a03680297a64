//! Log lines for `wrangler tail` (console) in the worker, stderr natively. Each module names its
//! tag once (`const LOG: Log = Log("[Voice Phase 2]");`) and logs with `info!(LOG, "…")`, so the
//! design document's texts (`[Voice Phase 2] Missed call detected - processing immediately`) stay
//! exact and grep-able. Phone numbers go through `mask`; secrets are `config::Secret`, which never
//! prints. Text the worker does not write itself (Twilio's error messages quote numbers in full,
//! "The 'To' number +14155550123 is not a valid phone number.") is caught here: every line goes
//! through `mask_numbers` before it is written.
use std::fmt;

/// A log tag such as `[Missed Call Handler]`: every line it writes starts with it.
#[derive(Debug, Clone, Copy)]
pub struct Log(pub &'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Log {
    pub fn line(self, message: fmt::Arguments<'_>) -> String {
        format!("{} {}", self.0, mask_numbers(&message.to_string()))
    }

    pub fn write(self, level: Level, message: fmt::Arguments<'_>) {
        emit(level, &self.line(message));
    }
}

/// The fewest digits a run needs to be taken for a phone number: a local number without its area
/// code. Shorter runs are codes, counts and statuses (21610, 500, 45), which logs need.
const PHONE_DIGITS: usize = 7;

/// Masks every run of digits in `text` that may be a phone number to its last four digits, the way
/// `domain::PhoneNumber::masked` masks a number: `+14155550123` becomes `********0123`. A run is
/// `PHONE_DIGITS` digits or more standing alone (not inside a word such as a SID), perhaps after a
/// `+` (or `%2B`) and a `(`, perhaps split by single spaces, dashes or brackets (`(415) 555-0123`).
pub fn mask_numbers(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in number_runs(text) {
        let last_four = text[start..end]
            .char_indices()
            .rev()
            .filter(|(_, c)| c.is_ascii_digit())
            .nth(3)
            .map_or(end, |(index, _)| start + index);
        masked.push_str(&text[copied..start]);
        // Everything masked is ASCII (digits, separators, the prefix): one `*` a byte.
        masked.push_str(&"*".repeat(last_four - start));
        copied = last_four;
    }
    masked.push_str(&text[copied..]);
    masked
}

/// The byte ranges of the runs `mask_numbers` masks, each with its prefix.
fn number_runs(text: &str) -> Vec<(usize, usize)> {
    // (start with the prefix, end, digits)
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (start, end) in digit_groups(text) {
        let joins = runs.last().is_some_and(|&(_, previous, _)| {
            let gap = &text[previous..start];
            gap.len() <= 2 && gap.chars().all(|c| matches!(c, ' ' | '-' | '(' | ')'))
        });
        match runs.last_mut() {
            Some(run) if joins => {
                run.1 = end;
                run.2 += end - start;
            }
            _ => runs.push((start - prefix_len(&text[..start]), end, end - start)),
        }
    }
    runs.into_iter()
        .filter(|&(_, _, digits)| digits >= PHONE_DIGITS)
        .map(|(start, end, _)| (start, end))
        .collect()
}

/// Runs of digits that stand alone, not inside a word such as a SID (`CA0123…`); the digits of an
/// URL-encoded plus (`%2B14155550123`) stand alone too.
fn digit_groups(text: &str) -> Vec<(usize, usize)> {
    let mut groups = Vec::new();
    let mut word_start = None;
    for (index, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (word_start, c.is_alphanumeric() || c == '_') {
            (None, true) => word_start = Some(index),
            (Some(start), false) => {
                word_start = None;
                let encoded_plus = text[..start].ends_with('%')
                    && text[start..index].to_ascii_uppercase().starts_with("2B");
                let digits = start + if encoded_plus { 2 } else { 0 };
                if digits < index && text[digits..index].bytes().all(|b| b.is_ascii_digit()) {
                    groups.push((digits, index));
                }
            }
            _ => {}
        }
    }
    groups
}

/// How many bytes before a run belong to the number: a `+` (or `%2B`), and a `(` before that.
fn prefix_len(before: &str) -> usize {
    let plus = if before.ends_with('+') {
        1
    } else if before.to_ascii_uppercase().ends_with("%2B") {
        3
    } else {
        0
    };
    plus + usize::from(before[..before.len() - plus].ends_with('('))
}

/// `info!(LOG, "format {}", args)`: one line at info level, starting with LOG's tag.
#[macro_export]
macro_rules! info {
    ($log:expr, $($message:tt)+) => {
        $log.write($crate::log::Level::Info, format_args!($($message)+))
    };
}

#[macro_export]
macro_rules! warn {
    ($log:expr, $($message:tt)+) => {
        $log.write($crate::log::Level::Warn, format_args!($($message)+))
    };
}

#[macro_export]
macro_rules! error {
    ($log:expr, $($message:tt)+) => {
        $log.write($crate::log::Level::Error, format_args!($($message)+))
    };
}

#[cfg(target_arch = "wasm32")]
fn emit(level: Level, line: &str) {
    match level {
        Level::Info => worker::console_log!("{line}"),
        Level::Warn => worker::console_warn!("{line}"),
        Level::Error => worker::console_error!("{line}"),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn emit(level: Level, line: &str) {
    match level {
        Level::Info => eprintln!("{line}"),
        Level::Warn => eprintln!("WARN {line}"),
        Level::Error => eprintln!("ERROR {line}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_starts_with_its_tag() {
        const LOG: Log = Log("[Voice Phase 2]");
        assert_eq!(
            LOG.line(format_args!(
                "Missed call detected - processing immediately: {} ({})",
                "CA1", "busy"
            )),
            "[Voice Phase 2] Missed call detected - processing immediately: CA1 (busy)"
        );
    }

    #[test]
    fn a_line_never_carries_a_full_number() {
        const LOG: Log = Log("[Missed Call Handler]");
        assert_eq!(
            LOG.line(format_args!(
                "Failed to send SMS for CA1: Twilio error {} ({})",
                21211, "The 'To' number +14155550123 is not a valid phone number."
            )),
            "[Missed Call Handler] Failed to send SMS for CA1: Twilio error 21211 \
             (The 'To' number ********0123 is not a valid phone number.)"
        );
    }

    #[test]
    fn masks_phone_numbers_to_their_last_four_digits() {
        let cases = [
            ("+14155550123", "********0123"),
            (
                "The 'To' phone number: +14155550123, is not currently reachable using the \
                 'From' phone number: +14155559000 via SMS.",
                "The 'To' phone number: ********0123, is not currently reachable using the \
                 'From' phone number: ********9000 via SMS.",
            ),
            (
                "To number: 4155550123, is not",
                "To number: ******0123, is not",
            ),
            ("call (415) 555-0123 now", "call **********0123 now"),
            ("+1 (415) 555-0123", "*************0123"),
            ("+1 415 555 01 23", "***********01 23"),
            ("origFrom=%2B14155550123&x", "origFrom=**********0123&x"),
            ("5550123 or 555-0123", "***0123 or ****0123"),
            ("Numéro +33612345678 ☎", "Numéro ********5678 ☎"),
            // Digits enough to be a number: a date is masked too, rather than a number let through.
            ("/2010-04-01/", "/*****04-01/"),
        ];
        for (raw, masked) in cases {
            assert_eq!(mask_numbers(raw), masked, "{raw}");
        }
    }

    #[test]
    fn leaves_everything_else_alone() {
        for text in [
            "Twilio error 21610 (HTTP 400); will retry in 120 s",
            "CA0123456789abcdef0123456789abcdef and SM00000000000000000000000000000001",
            "/Accounts/AC0123456789/Calls/CA1.json",
            "127.0.0.1:8787 and 192.168.100.200",
            "attempt 3 of 5, 45 requests, 555-012",
            "already masked: ********0123",
            "{\"checked\":100000,\"texted\":2}",
            "",
        ] {
            assert_eq!(mask_numbers(text), text);
        }
    }
}
