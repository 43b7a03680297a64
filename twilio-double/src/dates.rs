//! Dates the way Twilio writes them, with the `time` crate: RFC 2822 in UTC
//! (`Tue, 24 Nov 2026 08:14:43 +0000`) on resources, and the UTC day (`YYYY-MM-DD`) its
//! `DateSent` filters compare against.
use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

pub fn rfc2822(at: OffsetDateTime) -> String {
    at.format(&Rfc2822)
        .expect("dates after 1900 always format as RFC 2822")
}

pub fn utc_day(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_twilio() {
        let at = OffsetDateTime::from_unix_timestamp(1_795_508_083).unwrap();
        assert_eq!(rfc2822(at), "Tue, 24 Nov 2026 08:14:43 +0000");
        assert_eq!(utc_day(at), "2026-11-24");
        let epoch = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(rfc2822(epoch), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(utc_day(epoch), "1970-01-01");
    }
}
