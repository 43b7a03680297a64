//! The conversation a missed-call text starts: what the inbound-SMS webhook does with a text to a
//! business number once it is read. An opt-out keyword is recorded (Twilio sends its own
//! confirmation); a lead's reply is forwarded at once to the owner's phone with the lead's number;
//! the owner's answer from their own phone is relayed to the lead. Relays are sent from the business
//! number and are not missed-call texts: they touch no call and never trigger one.
use crate::config::TwilioConfig;
use crate::database::{Client, DbError};
use crate::domain::conversation::{
    lead_opted_out, no_lead_yet, owner_answer, reply_for_owner, InboundSms, Keyword,
    NOTHING_TO_SEND,
};
use crate::domain::{BusinessNumber, PhoneNumber};
use crate::http::HttpClient;
use crate::log::Log;
use crate::store::conversation::{self, Answer};
use crate::store::numbers;
use crate::store::opt_outs::{self, OptOutSource};
use crate::twilio::rest::{self, Tracking};
use crate::{error, info, warn};

pub const LOG: Log = Log("[SMS]");

pub async fn handle_inbound_sms(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    sms: &InboundSms,
) -> Result<(), DbError> {
    let Some(from) = sms.from.textable() else {
        warn!(
            LOG,
            "{} from a sender that is not a phone number ({}): nobody to forward it to or answer",
            sms.message_sid,
            sms.from.masked()
        );
        return Ok(());
    };
    if let Some(keyword) = sms.keyword {
        return record_keyword(db, sms, from, keyword).await;
    }
    let Some(business) = numbers::get(db, &sms.to).await? else {
        warn!(
            LOG,
            "{} to {}, which is not a configured number: not forwarded",
            sms.message_sid,
            sms.to.masked()
        );
        return Ok(());
    };
    if business.is_owner(from) {
        owner_answers(db, http, twilio, sms, &business, from).await
    } else {
        lead_replies(db, http, twilio, sms, &business, from).await
    }
}

/// STOP and the other opt-out keywords, START, HELP: recorded, and nothing sent, because Twilio
/// answers these itself on long codes and the caller must not get two confirmations.
async fn record_keyword(
    db: &Client,
    sms: &InboundSms,
    from: &PhoneNumber,
    keyword: Keyword,
) -> Result<(), DbError> {
    match keyword {
        Keyword::OptOut => {
            opt_outs::record(db, &sms.to, from, OptOutSource::Keyword).await?;
            info!(
                LOG,
                "{} opted out of texts from {} (STOP): no missed-call text goes to them",
                from.masked(),
                sms.to.masked()
            );
        }
        Keyword::OptIn => {
            let lifted = opt_outs::lift(db, &sms.to, from).await?;
            info!(
                LOG,
                "{} opted back in to texts from {} (START){}",
                from.masked(),
                sms.to.masked(),
                if lifted {
                    ""
                } else {
                    ": they had not opted out"
                }
            );
        }
        Keyword::Help => info!(
            LOG,
            "HELP from {} to {}: Twilio answers it",
            from.masked(),
            sms.to.masked()
        ),
    }
    Ok(())
}

/// A lead wrote back: the owner gets it at once, with the lead's full number to call back.
async fn lead_replies(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    sms: &InboundSms,
    business: &BusinessNumber,
    lead: &PhoneNumber,
) -> Result<(), DbError> {
    let media = sms.media_url.as_deref();
    let recorded =
        conversation::record_reply(db, &sms.to, lead, &sms.body, media, &sms.message_sid).await?;
    let Some(recorded) = recorded else {
        info!(LOG, "{} was already forwarded: not again", sms.message_sid);
        return Ok(());
    };
    let text = reply_for_owner(
        lead,
        &business.business_name,
        recorded.missed_call_at.as_deref(),
        &sms.body,
        media,
    );
    let owner = business.owner_phone();
    let relayed = send(http, twilio, &sms.to, owner, &text).await;
    match &relayed {
        Ok(sid) => info!(
            LOG,
            "Reply from {} forwarded to the owner ({}): {sid}",
            lead.masked(),
            owner.masked()
        ),
        Err(reason) => error!(
            LOG,
            "Could not forward the reply from {} to the owner ({}): {reason}",
            lead.masked(),
            owner.masked()
        ),
    }
    conversation::record_relay(db, recorded.id, relayed.as_deref().map_err(String::as_str)).await
}

/// The owner answered from their own phone: relayed to the lead it names, or to the lead who
/// wrote last; the owner hears back when there is nobody to send it to.
async fn owner_answers(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    sms: &InboundSms,
    business: &BusinessNumber,
    owner: &PhoneNumber,
) -> Result<(), DbError> {
    let answer = owner_answer(&sms.body);
    if answer.text.is_empty() {
        tell_owner(http, twilio, &sms.to, owner, NOTHING_TO_SEND).await;
        return Ok(());
    }
    let recorded = conversation::record_answer(
        db,
        &sms.to,
        answer.to.as_ref(),
        &answer.text,
        &sms.message_sid,
    )
    .await?;
    match recorded {
        Answer::Relay { id, lead } => {
            let relayed = send(http, twilio, &sms.to, &lead, &answer.text).await;
            match &relayed {
                Ok(sid) => info!(
                    LOG,
                    "The owner's answer relayed to {}: {sid}",
                    lead.masked()
                ),
                Err(reason) => error!(
                    LOG,
                    "Could not relay the owner's answer to {}: {reason}",
                    lead.masked()
                ),
            }
            conversation::record_relay(db, id, relayed.as_deref().map_err(String::as_str)).await?;
        }
        Answer::NoLead => {
            let notice = no_lead_yet(&business.business_name);
            tell_owner(http, twilio, &sms.to, owner, &notice).await;
        }
        Answer::OptedOut { lead } => {
            let notice = lead_opted_out(&lead);
            tell_owner(http, twilio, &sms.to, owner, &notice).await;
        }
        Answer::Repeated => info!(LOG, "{} was already relayed: not again", sms.message_sid),
    }
    Ok(())
}

/// A notice to the owner about their own message (nothing sent, and why).
async fn tell_owner(
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    business_number: &PhoneNumber,
    owner: &PhoneNumber,
    notice: &str,
) {
    match send(http, twilio, business_number, owner, notice).await {
        Ok(_) => info!(LOG, "Told the owner ({}): {notice}", owner.masked()),
        Err(reason) => error!(
            LOG,
            "Could not tell the owner ({}) \"{notice}\": {reason}",
            owner.masked()
        ),
    }
}

/// One relayed text from the business number: its MessageSid, or why Twilio did not take it.
async fn send(
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    business_number: &PhoneNumber,
    to: &PhoneNumber,
    text: &str,
) -> Result<String, String> {
    let request = rest::send_message(twilio, to, business_number, text, Tracking::None);
    rest::parse_message(http.send(request).await)
        .map(|message| message.sid)
        .map_err(|failure| failure.to_string())
}
