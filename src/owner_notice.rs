//! The owner's heads-ups about a call (a missed call, a voicemail), sent from the business's
//! Twilio number to `owner_phone()` when the number has `notify_owner` on. Each kind is claimed
//! once per call in the database before it is sent, so a repeated callback, or a second path
//! reporting the same call, sends nothing. A failed send is logged and never retried: the claim
//! stays, since a send that timed out may have gone, and the owner must not get it twice. The
//! texts are built in `domain::owner_notice`.
use crate::config::TwilioConfig;
use crate::database::{Client, DbError};
use crate::domain::BusinessNumber;
use crate::http::HttpClient;
use crate::log::Log;
use crate::store::owner_notices;
use crate::twilio::rest::{self, Failure, Tracking};
use crate::{error, info};

pub use crate::domain::owner_notice::NoticeKind;

pub const LOG: Log = Log("[Owner Notice]");

/// What became of a heads-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeSent {
    /// The number does not notify its owner.
    Off,
    /// Sent before for this call (or no such call): nothing sent now.
    AlreadyClaimed,
    Sent {
        message_sid: String,
    },
    /// Twilio refused or did not answer; logged, not retried.
    Failed(Failure),
}

/// Sends `body` to the owner of `business` as the `kind` heads-up about `call_sid`, at most once.
pub async fn notify(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    business: &BusinessNumber,
    call_sid: &str,
    kind: NoticeKind,
    body: &str,
) -> Result<NoticeSent, DbError> {
    let what = kind.as_str();
    if !business.notify_owner {
        info!(
            LOG,
            "No {what} heads-up for {call_sid}: {} does not notify its owner",
            business.twilio_number.masked()
        );
        return Ok(NoticeSent::Off);
    }
    if !owner_notices::claim(db, call_sid, kind).await? {
        info!(
            LOG,
            "The {what} heads-up for {call_sid} was already sent (or the call is unknown): not again"
        );
        return Ok(NoticeSent::AlreadyClaimed);
    }
    let owner = business.owner_phone();
    let request = rest::send_message(twilio, owner, &business.twilio_number, body, Tracking::None);
    match rest::parse_message(http.send(request).await) {
        Ok(message) => {
            info!(
                LOG,
                "Sent the {what} heads-up for {call_sid} to the owner ({}): {}",
                owner.masked(),
                message.sid
            );
            Ok(NoticeSent::Sent {
                message_sid: message.sid,
            })
        }
        Err(failure) => {
            error!(
                LOG,
                "Could not send the {what} heads-up for {call_sid} to the owner ({}): {failure}; not retried",
                owner.masked()
            );
            Ok(NoticeSent::Failed(failure))
        }
    }
}
