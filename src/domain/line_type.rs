//! What kind of line a phone number is, in Twilio Lookup v2's words (`line_type_intelligence.type`):
//! a number that skips landlines does not text a caller whose line is a `landline`. Pure; the
//! request and the answer's JSON are in `twilio::lookup`, the cache in `store::line_types`.
use std::fmt;

/// How long a Lookup answer is trusted (and kept): Lookup is paid per request, and a number's line
/// type rarely changes; a number ported from a landline to a mobile is texted again within this.
pub const LINE_TYPE_CACHE_DAYS: u32 = 180;

/// Twilio's line types, plus `Other` for any value Twilio adds later (kept as Twilio wrote it, so
/// it round-trips through the cache).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LineType {
    Mobile,
    Landline,
    FixedVoip,
    NonFixedVoip,
    Personal,
    TollFree,
    Premium,
    SharedCost,
    Uan,
    Voicemail,
    Pager,
    /// Twilio answered but could not tell (its `unknown`, a `null` type, or an `error_code`).
    Unknown,
    Other(String),
}

const NAMED: [(LineType, &str); 12] = [
    (LineType::Mobile, "mobile"),
    (LineType::Landline, "landline"),
    (LineType::FixedVoip, "fixedVoip"),
    (LineType::NonFixedVoip, "nonFixedVoip"),
    (LineType::Personal, "personal"),
    (LineType::TollFree, "tollFree"),
    (LineType::Premium, "premium"),
    (LineType::SharedCost, "sharedCost"),
    (LineType::Uan, "uan"),
    (LineType::Voicemail, "voicemail"),
    (LineType::Pager, "pager"),
    (LineType::Unknown, "unknown"),
];

impl LineType {
    /// Twilio's spelling (`fixedVoip`); `Other` as Twilio wrote it. What the cache stores.
    pub fn as_str(&self) -> &str {
        match self {
            LineType::Other(raw) => raw,
            named => NAMED
                .iter()
                .find(|(line_type, _)| line_type == named)
                .map_or("unknown", |(_, name)| name),
        }
    }

    /// Twilio's value, exactly as it spells it (case matters: `fixedVoip`). Never fails: an empty
    /// value is `Unknown`, anything unheard of is `Other`.
    pub fn parse(raw: &str) -> LineType {
        let raw = raw.trim();
        if raw.is_empty() {
            return LineType::Unknown;
        }
        NAMED.iter().find(|(_, name)| *name == raw).map_or_else(
            || LineType::Other(raw.to_string()),
            |(line_type, _)| line_type.clone(),
        )
    }

    /// Whether a number that skips landlines must not text this line: `landline` only.
    ///
    /// `fixedVoip` (a VoIP line tied to an address: cable and office phones) is *not* a landline
    /// here: many such lines take texts (business VoIP services forward them to an app), the issue
    /// asks to skip `landline`, and skipping a line that could have read the text loses the lead,
    /// where texting one that cannot costs one failed message. `unknown`, `tollFree`, `voicemail`
    /// and values Twilio adds later are texted too: the rule fails open.
    pub fn is_landline(&self) -> bool {
        *self == LineType::Landline
    }
}

impl fmt::Display for LineType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilios_values_round_trip() {
        for (line_type, name) in NAMED {
            assert_eq!(LineType::parse(name), line_type);
            assert_eq!(line_type.as_str(), name);
        }
        let later = LineType::parse("satellite");
        assert_eq!(later, LineType::Other("satellite".into()));
        assert_eq!(later.as_str(), "satellite");
        assert_eq!(LineType::parse(later.as_str()), later);
    }

    #[test]
    fn reads_values_strictly_but_never_fails() {
        assert_eq!(LineType::parse(""), LineType::Unknown);
        assert_eq!(LineType::parse("  "), LineType::Unknown);
        assert_eq!(LineType::parse(" landline "), LineType::Landline);
        // Twilio's spelling is camelCase; another spelling is not guessed at.
        assert_eq!(
            LineType::parse("fixedvoip"),
            LineType::Other("fixedvoip".into())
        );
        assert_eq!(
            LineType::parse("Landline"),
            LineType::Other("Landline".into())
        );
    }

    #[test]
    fn only_a_landline_is_skipped() {
        let skipped: Vec<&str> = NAMED
            .iter()
            .filter(|(line_type, _)| line_type.is_landline())
            .map(|(_, name)| *name)
            .collect();
        assert_eq!(skipped, ["landline"]);
        assert!(!LineType::FixedVoip.is_landline());
        assert!(!LineType::Other("landline-ish".into()).is_landline());
        assert_eq!(LineType::NonFixedVoip.to_string(), "nonFixedVoip");
    }
}
