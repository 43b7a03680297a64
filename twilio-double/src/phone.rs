//! The double's own check of a `To` number, implementing Twilio's error 21211 rule rather than
//! borrowing the product's parser: `+`, then 8 to 15 digits, the first of which is not 0.

/// Whether Twilio would take `number` as a valid E.164 destination.
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::is_e164;

    #[test]
    fn accepts_plus_and_eight_to_fifteen_digits() {
        for good in [
            "+14155550123",
            "+4930123456",
            "+12345678",
            "+123456789012345",
        ] {
            assert!(is_e164(good), "{good}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "+",
            "14155550123",
            "+1234567",
            "+1234567890123456",
            "+04155550123",
            "+1415555012a",
            "+1 415 555 0123",
            "++14155550123",
            "anonymous",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }
}
