//! `POST /api/webhooks/twilio/dial-status`: the forwarded leg's status callback, the third signal
//! beside Phase 2 and the poll. It is a second, independent request, so a lost action request
//! costs seconds: a missed forward goes to the same missed-call handler (the claim deduplicates),
//! an answered one is settled at once so the poll never asks Twilio about it. Twilio ignores the
//! answer's body; it gets empty TwiML.
use crate::domain::ProcessedBy;
use crate::edge;
use crate::error::{ApiError, Reply};
use crate::info;
use crate::log::Log;
use crate::routes::voice::{forward_ended, in_background, verified_webhook, Ended};
use crate::routes::DIAL_STATUS_PATH;
use crate::store::calls;
use crate::twilio::twiml;
use crate::voice::{self, AfterDial, AfterStatus};
use worker::{Context, Env, Request};

const DIAL_STATUS: Log = Log("[Dial Status]");

pub async fn dial_status(
    mut request: Request,
    env: &Env,
    ctx: &Context,
) -> Result<Reply, ApiError> {
    let config = edge::load_config(env).map_err(ApiError::Config)?;
    let (query, form) = verified_webhook(&mut request, &config, DIAL_STATUS_PATH).await?;
    let callback = voice::parse_status_callback(&query, &form).map_err(ApiError::BadRequest)?;
    let after = voice::after_status(&callback, config.polling_only);
    let call = callback.call;
    match after {
        AfterStatus::Ended(after, status) => {
            if after == AfterDial::Text {
                info!(
                    DIAL_STATUS,
                    "Missed call detected: {} ({status})", call.call_sid
                );
            }
            let ended = Ended {
                by: ProcessedBy::StatusCallback,
                log: DIAL_STATUS,
            };
            forward_ended(ctx, env, &config, after, call, status, ended);
        }
        AfterStatus::RecordAnswered { settle } => {
            info!(
                DIAL_STATUS,
                "Forward of {} picked up{}",
                call.call_sid,
                if settle {
                    ": settled as answered"
                } else {
                    " (screened: the acceptance decides)"
                }
            );
            let what = format!("record the answer of {}", call.call_sid);
            in_background(ctx, env, &config, DIAL_STATUS, what, move |db| async move {
                calls::record_answered(&db, &call, !settle, ProcessedBy::StatusCallback).await
            });
        }
        AfterStatus::Ignore => info!(
            DIAL_STATUS,
            "Ignoring status {:?} of the forward of {}", callback.leg, call.call_sid
        ),
    }
    Ok(Reply::twiml(twiml::empty()))
}
