//! `POST /api/webhooks/twilio/message-status`: the `StatusCallback` of every text. Records on the
//! call what became of its text (sent, delivered, undelivered, failed, with Twilio's error code),
//! never moving a status backwards, and raises the delivery alert when undelivered texts pile up.
//! An unknown MessageSid is answered 200, logged, and its status kept for a call that records the
//! SID later: an error would only make Twilio try again.
use crate::domain::StatusReport;
use crate::edge;
use crate::error::{ApiError, Reply};
use crate::routes::voice::{in_background, verified_webhook, TextFailed};
use crate::routes::{MESSAGE_STATUS_LOG as LOG, MESSAGE_STATUS_PATH};
use crate::store::calls::{self, StatusRecord};
use crate::twilio::twiml;
use crate::{info, warn};
use worker::{Context, Env, Request};

pub async fn message_status(
    mut request: Request,
    env: &Env,
    ctx: &Context,
) -> Result<Reply, ApiError> {
    let config = edge::load_config(env)?;
    let (_, form) = verified_webhook(&mut request, &config, MESSAGE_STATUS_PATH).await?;
    let report = StatusReport::read(
        form.get("MessageSid"),
        form.get("MessageStatus"),
        form.get("ErrorCode"),
    )
    .map_err(ApiError::BadRequest)?;
    let what = format!("record the status of {}", report.message_sid);
    in_background(ctx, env, &config, LOG, what, move |db| async move {
        let StatusReport {
            message_sid: sid,
            status,
            ..
        } = &report;
        let recorded = calls::record_message_status(&db, sid, status, report.error_code).await?;
        match recorded {
            StatusRecord::Recorded { call_sid } if status.is_failure() => {
                warn!(
                    LOG,
                    "Text {sid} for {call_sid} {status}: {}",
                    report
                        .problem()
                        .unwrap_or_else(|| "no error code".to_string())
                );
                return Ok(TextFailed(true));
            }
            StatusRecord::Recorded { call_sid } => {
                info!(LOG, "Text {sid} for {call_sid} {status}")
            }
            StatusRecord::Unchanged { call_sid } => info!(
                LOG,
                "Text {sid} for {call_sid}: {status} arrived after a later status or again; kept the later one"
            ),
            StatusRecord::Unknown => warn!(
                LOG,
                "Status {status} for {sid}, which no call has recorded: kept for the call that records it (a text in flight, or one the poll will adopt); another sender's texts are cleaned up with the calls"
            ),
        }
        Ok(TextFailed(false))
    });
    Ok(Reply::twiml(twiml::empty()))
}
