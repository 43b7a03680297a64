//! `POST /api/webhooks/twilio/sms`: the number's "A message comes in" webhook. Signed like the voice
//! webhook (403 otherwise, 400 naming a malformed field); answers empty TwiML at once, because
//! Twilio confirms keywords itself and replies are relayed by the REST API after the answer
//! (`conversation::handle_inbound_sms`), with the same connection retries as Phase 2.
use crate::conversation::{handle_inbound_sms, LOG};
use crate::domain::conversation::InboundSms;
use crate::edge::{self, WorkerFetch};
use crate::error::{ApiError, Reply};
use crate::routes::voice::{in_background, verified_webhook};
use crate::routes::SMS_WEBHOOK_PATH;
use crate::twilio::twiml;
use worker::{Context, Env, Request};

pub async fn sms(mut request: Request, env: &Env, ctx: &Context) -> Result<Reply, ApiError> {
    let config = edge::load_config(env)?;
    let (_, form) = verified_webhook(&mut request, &config, SMS_WEBHOOK_PATH).await?;
    let sms = InboundSms::read(
        form.get("MessageSid"),
        form.get("From"),
        form.get("To"),
        form.get("Body"),
        form.get("MediaUrl0"),
        form.get("OptOutType"),
    )
    .map_err(ApiError::BadRequest)?;
    let twilio = config.twilio.clone();
    let what = format!("handle the text {}", sms.message_sid);
    in_background(ctx, env, &config, LOG, what, move |db| async move {
        handle_inbound_sms(&db, &WorkerFetch, &twilio, &sms).await
    });
    Ok(Reply::twiml(twiml::empty()))
}
