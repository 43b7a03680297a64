//! `POST /api/webhooks/twilio/recording`: the voicemail a missed caller left (Phase 2's `<Record>`).
//! Its `recordingStatusCallback` is answered 200 with empty TwiML at once (Twilio ignores the body
//! of a status callback), and after the answer the recording is stored on the call and, when the
//! number has `notify_owner` on, the owner gets one text with the link. `?step=done` is the
//! `<Record action>`: the caller is thanked and the call hung up. Decisions are in `crate::voice`
//! and `domain::owner_notice`.
use crate::domain::owner_notice::{playable_url, voicemail_text};
use crate::edge::{self, WorkerFetch};
use crate::error::{ApiError, Reply};
use crate::log::Log;
use crate::owner_notice::{self, NoticeKind};
use crate::routes::voice::{in_background, verified_webhook};
use crate::routes::RECORDING_PATH;
use crate::store::recordings;
use crate::twilio::twiml;
use crate::voice::{self, RecordingRequest, AFTER_MESSAGE};
use crate::{error, info, warn};
use worker::{Context, Env, Request};

const RECORDING: Log = Log("[Voice Recording]");

pub async fn recording(mut request: Request, env: &Env, ctx: &Context) -> Result<Reply, ApiError> {
    let done = request
        .url()?
        .query_pairs()
        .any(|(name, value)| name == "step" && value == "done");
    let config = match edge::load_config(env) {
        Ok(config) => config,
        // The caller is still on the line after their message: they hear a goodbye regardless.
        Err(problem) if done => {
            error!(RECORDING, "cannot check the request: {problem}");
            return Ok(Reply::twiml(twiml::say_and_hang_up(AFTER_MESSAGE)));
        }
        Err(problem) => return Err(problem.into()),
    };
    let (query, form) = verified_webhook(&mut request, &config, RECORDING_PATH).await?;
    let recording = match voice::parse_recording(&query, &form).map_err(ApiError::BadRequest)? {
        RecordingRequest::Done => {
            return Ok(Reply::twiml(twiml::say_and_hang_up(AFTER_MESSAGE)));
        }
        RecordingRequest::Other {
            call_sid,
            recording_sid,
            status,
        } => {
            warn!(
                RECORDING,
                "Recording {recording_sid} of {call_sid} is {status:?}, not completed: nothing stored"
            );
            return Ok(Reply::twiml(twiml::empty()));
        }
        RecordingRequest::Completed(recording) => recording,
    };
    let twilio = config.twilio.clone();
    let what = format!("store the voicemail of {}", recording.call.call_sid);
    in_background(ctx, env, &config, RECORDING, what, move |db| async move {
        let call_sid = &recording.call.call_sid;
        let stored = recordings::record(&db, &recording).await?;
        info!(
            RECORDING,
            "Voicemail {} ({} s) from {} for {call_sid}{}",
            recording.recording_sid,
            recording.duration_secs,
            recording.call.from.masked(),
            if stored.new {
                ": stored"
            } else {
                " was stored before: unchanged"
            }
        );
        let Some(business) = stored.business else {
            warn!(
                RECORDING,
                "{} is not a configured number: nobody to tell about the voicemail of {call_sid}",
                recording.call.to.masked()
            );
            return Ok(());
        };
        let text = voicemail_text(
            &recording.call.from,
            &business.business_name,
            recording.duration_secs,
            &playable_url(&recording.url),
        );
        owner_notice::notify(
            &db,
            &WorkerFetch,
            &twilio,
            &business,
            call_sid,
            NoticeKind::Voicemail,
            &text,
        )
        .await?;
        Ok(())
    });
    Ok(Reply::twiml(twiml::empty()))
}
