//! Who called and which call: the caller as Twilio reported them (a textable number or a withheld
//! ID), and `CallRef`, what every path knows about a call before it is texted or settled.
use super::PhoneNumber;

/// The `From` of an inbound call. Twilio sends text such as `anonymous` or `restricted`
/// for a withheld or unusable caller ID, and some carriers send the keypad spelling of those words,
/// which looks like E.164 (`+266696687` is ANONYMOUS); only a real E.164 number can be texted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    Number(PhoneNumber),
    Withheld(String),
}

/// What carriers put in `From` when the caller ID is withheld: the words, and their keypad
/// spellings as Twilio passes them on (ANONYMOUS, RESTRICTED, UNAVAILABLE, BLOCKED, UNKNOWN).
const WITHHELD_WORDS: [&str; 6] = [
    "anonymous",
    "restricted",
    "unknown",
    "unavailable",
    "private",
    "blocked",
];
const WITHHELD_SPELLINGS: [&str; 5] = [
    "+266696687",
    "+7378742833",
    "+86282452253",
    "+2562533",
    "+8656696",
];

impl Caller {
    pub fn parse(raw: &str) -> Caller {
        let trimmed = raw.trim();
        let withheld = WITHHELD_SPELLINGS.contains(&trimmed)
            || WITHHELD_WORDS
                .iter()
                .any(|word| trimmed.eq_ignore_ascii_case(word));
        match PhoneNumber::parse(trimmed) {
            Ok(number) if !withheld => Caller::Number(number),
            _ => Caller::Withheld(raw.to_string()),
        }
    }

    /// What is stored in `active_calls.from_number`: the number, or Twilio's text as it came.
    pub fn as_str(&self) -> &str {
        match self {
            Caller::Number(number) => number.as_str(),
            Caller::Withheld(raw) => raw,
        }
    }

    /// The number to text, if there is one.
    pub fn textable(&self) -> Option<&PhoneNumber> {
        match self {
            Caller::Number(number) => Some(number),
            Caller::Withheld(_) => None,
        }
    }

    /// For logs: never the whole number, nor the whole of a withheld ID's text.
    pub fn masked(&self) -> String {
        super::mask(self.as_str())
    }

    /// For the owner's dashboard: a number masked, a withheld caller ID said in words (its masked
    /// text, `*****mous`, reads like a broken number).
    pub fn shown(&self) -> String {
        match self {
            Caller::Number(number) => number.masked(),
            Caller::Withheld(_) => "withheld".to_string(),
        }
    }
}

/// A call identified by what both paths know: Phase 2 carries these in its action URL, the poll
/// reads them from the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRef {
    pub call_sid: String,
    pub from: Caller,
    /// The business's Twilio number that was called.
    pub to: PhoneNumber,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_is_a_number_or_withheld() {
        let number = Caller::parse("+14155550123");
        assert_eq!(
            number.textable().map(PhoneNumber::as_str),
            Some("+14155550123")
        );
        assert_eq!(number.masked(), "********0123");
        for withheld in [
            "anonymous",
            "Anonymous",
            "restricted",
            "RESTRICTED",
            "unknown",
            "unavailable",
            "private",
            "",
            "+1234",
            "4155550123",
            "+266696687",
            "+7378742833",
            "+86282452253",
            "+2562533",
            "+8656696",
        ] {
            let caller = Caller::parse(withheld);
            assert_eq!(caller, Caller::Withheld(withheld.to_string()));
            assert!(caller.textable().is_none());
            assert_eq!(caller.as_str(), withheld);
        }
    }

    #[test]
    fn the_dashboard_shows_a_withheld_caller_in_words() {
        assert_eq!(Caller::parse("+14155550123").shown(), "********0123");
        for withheld in ["anonymous", "266696687", "Restricted", "4155550123"] {
            assert_eq!(Caller::parse(withheld).shown(), "withheld", "{withheld}");
        }
    }
}
