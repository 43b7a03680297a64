//! The owner's heads-ups, as pure text builders: a missed call (and why the caller was or was not
//! texted) and a voicemail (who, how long, for which business, and a link that plays it). Each is
//! one Twilio message: what does not fit is cut, never the voicemail's link. `crate::owner_notice`
//! sends them, once per call and kind.
use super::business::MAX_SMS_CHARS;
use super::Caller;

/// Which heads-up about a call: each is sent at most once per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    MissedCall,
    Voicemail,
}

impl NoticeKind {
    /// For log lines.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::MissedCall => "missed-call",
            NoticeKind::Voicemail => "voicemail",
        }
    }
}

/// Who called, for the owner: the whole number, so they can call back.
fn from_whom(caller: &Caller) -> String {
    match caller.textable() {
        Some(number) => format!("from {number}"),
        None => "from a withheld number".to_string(),
    }
}

/// `secs` as the phone shows a call's length: `0:42`, `2:00`.
pub fn duration(secs: u32) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// Twilio's RecordingUrl has no extension, and a phone's browser shows Twilio's metadata for it;
/// with `.mp3` it plays the message.
pub fn playable_url(recording_url: &str) -> String {
    let url = recording_url.trim();
    if url.ends_with(".mp3") || url.ends_with(".wav") {
        url.to_string()
    } else {
        format!("{url}.mp3")
    }
}

fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` cut to `room` UTF-16 units (as Twilio counts), ending with an ellipsis when cut.
fn cut(text: &str, room: usize) -> String {
    if units(text) <= room {
        return text.to_string();
    }
    let mut kept = String::new();
    let mut used = 1; // the ellipsis
    for c in text.chars() {
        if used + c.len_utf16() > room {
            break;
        }
        used += c.len_utf16();
        kept.push(c);
    }
    format!("{kept}…")
}

/// `Voicemail from +14155550123 (0:42) for Joe's Plumbing: https://…/RE….mp3`; the business
/// name gives way when the whole would not fit one message, the link never.
pub fn voicemail_text(
    caller: &Caller,
    business_name: &str,
    duration_secs: u32,
    url: &str,
) -> String {
    let head = format!(
        "Voicemail {} ({})",
        from_whom(caller),
        duration(duration_secs)
    );
    let tail = format!(": {url}");
    let room = MAX_SMS_CHARS.saturating_sub(units(&head) + units(&tail) + units(" for "));
    match business_name.trim() {
        "" => format!("{head}{tail}"),
        name => format!("{head} for {}{tail}", cut(name, room)),
    }
}

/// `Missed call from +14155550123 — {why}`, cut to one message.
pub fn missed_call_text(caller: &Caller, why: &str) -> String {
    let head = format!("Missed call {} — ", from_whom(caller));
    let room = MAX_SMS_CHARS.saturating_sub(units(&head));
    format!("{head}{}", cut(why.trim(), room))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str =
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123456789abcdef0123456789abcdef";

    #[test]
    fn a_voicemail_says_who_how_long_for_whom_and_links_a_playable_file() {
        let text = voicemail_text(
            &Caller::parse("+14155550123"),
            "Joe's Plumbing",
            42,
            &playable_url(URL),
        );
        assert_eq!(
            text,
            format!("Voicemail from +14155550123 (0:42) for Joe's Plumbing: {URL}.mp3")
        );
        let withheld = voicemail_text(&Caller::parse("anonymous"), "Joe's", 125, URL);
        assert_eq!(
            withheld,
            format!("Voicemail from a withheld number (2:05) for Joe's: {URL}")
        );
        assert_eq!(
            voicemail_text(&Caller::parse(""), "", 0, URL),
            format!("Voicemail from a withheld number (0:00): {URL}")
        );
    }

    #[test]
    fn durations_read_like_a_phone_shows_them() {
        for (secs, shown) in [
            (0, "0:00"),
            (7, "0:07"),
            (42, "0:42"),
            (60, "1:00"),
            (120, "2:00"),
        ] {
            assert_eq!(duration(secs), shown);
        }
    }

    #[test]
    fn a_recording_url_gets_an_extension_once() {
        assert_eq!(playable_url(URL), format!("{URL}.mp3"));
        assert_eq!(playable_url(&format!("{URL}.mp3")), format!("{URL}.mp3"));
        assert_eq!(playable_url(&format!("{URL}.wav")), format!("{URL}.wav"));
    }

    #[test]
    fn a_long_voicemail_text_cuts_the_name_never_the_link() {
        let url = format!("https://x.example/{}", "r".repeat(1400));
        let name = "N".repeat(300);
        let text = voicemail_text(&Caller::parse("+14155550123"), &name, 42, &url);
        assert_eq!(units(&text), MAX_SMS_CHARS, "{text}");
        assert!(text.ends_with(&format!("…: {url}")), "{text}");
    }

    #[test]
    fn a_missed_call_text_says_who_and_why() {
        assert_eq!(
            missed_call_text(&Caller::parse("+14155550123"), "texted them back"),
            "Missed call from +14155550123 — texted them back"
        );
        for withheld in ["anonymous", "+266696687", ""] {
            assert_eq!(
                missed_call_text(&Caller::parse(withheld), "no text (caller ID withheld)"),
                "Missed call from a withheld number — no text (caller ID withheld)",
                "{withheld:?}"
            );
        }
    }

    #[test]
    fn a_long_reason_is_cut_to_one_message() {
        let why = "é".repeat(2000);
        let text = missed_call_text(&Caller::parse("+14155550123"), &why);
        assert_eq!(units(&text), MAX_SMS_CHARS);
        assert!(text.starts_with("Missed call from +14155550123 — éé"));
        assert!(text.ends_with("é…"));
        // An emoji is never split in half.
        let text = missed_call_text(&Caller::parse("+14155550123"), &"😀".repeat(1000));
        assert!(units(&text) <= MAX_SMS_CHARS);
        assert!(text.ends_with("😀…"), "{text}");
    }
}
