//! A phone number in E.164 form: `+`, a country code that does not start with 0, at most 15 digits.
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPhoneNumber(pub String);

impl fmt::Display for InvalidPhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an E.164 phone number (expected + and 8 to 15 digits, e.g. +14155550123)",
            self.0
        )
    }
}

impl std::error::Error for InvalidPhoneNumber {}

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, InvalidPhoneNumber> {
        let digits = raw
            .strip_prefix('+')
            .ok_or_else(|| InvalidPhoneNumber(raw.to_string()))?;
        // Eight digits is the shortest real numbering plan in use; fewer is a short code or junk.
        let valid = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(Self(raw.to_string()))
        } else {
            Err(InvalidPhoneNumber(raw.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: enough to tell calls apart, never the whole number.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks anything that might be a phone number, including the non-E.164 text Twilio sends for a
/// withheld caller ID, keeping only the last four characters.
pub fn mask(raw: &str) -> String {
    let count = raw.chars().count();
    if count <= 4 {
        return "*".repeat(count);
    }
    let tail: String = raw.chars().skip(count - 4).collect();
    format!("{}{}", "*".repeat(count - 4), tail)
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        PhoneNumber::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_e164() {
        for ok in ["+14155550123", "+447911123456", "+61412345678", "+12345678"] {
            assert_eq!(PhoneNumber::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "+",
            "14155550123",
            "+1 415 555 0123",
            "+1-415-555-0123",
            "+04155550123",
            "+1234567",
            "+1234567890123456",
            "anonymous",
            "restricted",
            "+1415555012a",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn masks_all_but_last_four() {
        let number = PhoneNumber::parse("+14155550123").unwrap();
        assert_eq!(number.masked(), "********0123");
        assert_eq!(mask("anonymous"), "*****mous");
        assert_eq!(mask("123"), "***");
    }

    #[test]
    fn deserialize_validates() {
        let ok: PhoneNumber = serde_json::from_str("\"+14155550123\"").unwrap();
        assert_eq!(ok.as_str(), "+14155550123");
        let err = serde_json::from_str::<PhoneNumber>("\"555-0123\"").unwrap_err();
        assert!(err.to_string().contains("E.164"), "{err}");
    }
}
