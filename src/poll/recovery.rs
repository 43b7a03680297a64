//! Whether a text went out after all, when its send ended ambiguously (a timeout, a dropped
//! connection, a 5xx, a 2xx that could not be read) or its claim was left behind by a crash: a
//! plain function of the messages Twilio lists from the business to the caller, newest first.
use crate::twilio::rest::MessagePage;

/// Twilio's clock and the database's may differ a little, and Twilio's dates drop the fraction of
/// a second: a message created this shortly before the claim still counts as the claim's own.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// Statuses of a message that did not reach the caller.
const NOT_DELIVERED: [&str; 3] = ["failed", "undelivered", "canceled"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentText {
    /// The messages that may be the claimed text, newest first: it went out as one of them,
    /// unless another call has recorded that one already.
    Found(Vec<String>),
    /// Twilio has nothing that could be it: the text did not go out.
    NotSent,
    /// The page holds only messages newer than the claim, none of them the text: it may be among
    /// older ones, so nothing can be told yet.
    Unknown,
}

/// What `page` says about the text `body` claimed at `claimed_at` (seconds since the epoch): a
/// message with that very body, created since the claim, and not failed or undelivered. Other
/// messages from the business (a reply typed by hand, an earlier call's text) are not it.
pub fn sent_text(page: &MessagePage, claimed_at: i64, body: &str) -> SentText {
    let since = claimed_at - CLOCK_SKEW_SECS;
    let found: Vec<String> = page
        .messages
        .iter()
        .filter(|m| m.created >= since && m.body == body)
        .filter(|m| !NOT_DELIVERED.contains(&m.status.as_str()))
        .map(|m| m.sid.clone())
        .collect();
    let reaches_back =
        page.next_page_uri.is_none() || page.messages.iter().any(|m| m.created < since);
    match (found.is_empty(), reaches_back) {
        (false, _) => SentText::Found(found),
        (true, true) => SentText::NotSent,
        (true, false) => SentText::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::rest::ListedMessage;

    const CLAIM: i64 = 1_795_508_083;
    const TEXT: &str = "Sorry we missed your call at Joe's!";

    fn message(sid: &str, status: &str, body: &str, created: i64) -> ListedMessage {
        ListedMessage {
            sid: sid.into(),
            status: status.into(),
            body: body.into(),
            created,
        }
    }

    fn page(messages: Vec<ListedMessage>) -> MessagePage {
        MessagePage {
            messages,
            next_page_uri: None,
        }
    }

    #[test]
    fn a_queued_or_sent_message_with_the_text_since_the_claim_is_it() {
        for status in ["queued", "accepted", "sending", "sent", "delivered"] {
            let listed = page(vec![message("SM1", status, TEXT, CLAIM + 1)]);
            assert_eq!(
                sent_text(&listed, CLAIM, TEXT),
                SentText::Found(vec!["SM1".into()]),
                "{status}"
            );
        }
    }

    #[test]
    fn twilios_clock_may_be_a_little_behind() {
        let listed = page(vec![message(
            "SM1",
            "queued",
            TEXT,
            CLAIM - CLOCK_SKEW_SECS,
        )]);
        assert_eq!(
            sent_text(&listed, CLAIM, TEXT),
            SentText::Found(vec!["SM1".into()])
        );
    }

    #[test]
    fn other_texts_earlier_ones_and_undelivered_ones_are_not_it() {
        let listed = page(vec![
            message("SM5", "sent", "Thanks for calling!", CLAIM + 30),
            message("SM4", "failed", TEXT, CLAIM + 20),
            message("SM3", "undelivered", TEXT, CLAIM + 10),
            message("SM2", "canceled", TEXT, CLAIM + 5),
            message("SM1", "delivered", TEXT, CLAIM - CLOCK_SKEW_SECS - 1),
        ]);
        assert_eq!(sent_text(&listed, CLAIM, TEXT), SentText::NotSent);
        assert_eq!(sent_text(&page(vec![]), CLAIM, TEXT), SentText::NotSent);
    }

    #[test]
    fn every_candidate_is_offered_newest_first() {
        let listed = page(vec![
            message("SM2", "sent", TEXT, CLAIM + 20),
            message("SM1", "delivered", TEXT, CLAIM + 10),
        ]);
        assert_eq!(
            sent_text(&listed, CLAIM, TEXT),
            SentText::Found(vec!["SM2".into(), "SM1".into()])
        );
    }

    #[test]
    fn a_full_page_that_does_not_reach_back_to_the_claim_cannot_tell() {
        let mut listed = page(vec![message("SM9", "sent", "Running late", CLAIM + 5)]);
        listed.next_page_uri = Some("/2010-04-01/Accounts/AC1/Messages.json?Page=1".into());
        assert_eq!(sent_text(&listed, CLAIM, TEXT), SentText::Unknown);
        listed
            .messages
            .push(message("SM1", "sent", TEXT, CLAIM - 3600));
        assert_eq!(sent_text(&listed, CLAIM, TEXT), SentText::NotSent);
    }
}
