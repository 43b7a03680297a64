//! `POST /api/webhooks/twilio/screen`: call screening on a number with `screen_calls` on. Twilio
//! runs this TwiML on the business's phone when it picks up the forward: whoever answered hears
//! whose call it is and must press a key (`step=accept`), so carrier voicemail, a declined call or
//! a phone that is off is never taken for an answer. The decisions are in `crate::voice`.
use crate::database;
use crate::edge::{self, with_timeout};
use crate::error::{ApiError, Reply};
use crate::log::Log;
use crate::routes::voice::{verified_webhook, DATABASE_BUDGET};
use crate::routes::SCREEN_PATH;
use crate::store::calls;
use crate::twilio::twiml;
use crate::voice::{self, ScreenRequest, APOLOGY};
use crate::{error, info, warn};
use worker::{Env, Request};

const SCREEN: Log = Log("[Screen]");

pub async fn screen(mut request: Request, env: &Env) -> Result<Reply, ApiError> {
    let config = match edge::load_config(env) {
        Ok(config) => config,
        Err(problem) => {
            // Not bridged: the forward ends unaccepted and the caller is texted as missed.
            error!(SCREEN, "cannot screen the call: {problem}");
            return Ok(Reply::twiml(twiml::say_and_hang_up(APOLOGY)));
        }
    };
    let (query, form) = verified_webhook(&mut request, &config, SCREEN_PATH).await?;
    let xml = match voice::parse_screen(&query, &form).map_err(ApiError::BadRequest)? {
        ScreenRequest::Ask { call, business } => {
            info!(
                SCREEN,
                "Screening the forward of {}: asking whoever picked up to press a key",
                call.call_sid
            );
            voice::screen_twiml(&config.app_url, &call, &business)
        }
        ScreenRequest::Accept { call } => {
            // Recorded before Twilio bridges, so Phase 2 (sent after the bridged call) sees it.
            let accept = async {
                let db = database::connect(env).await?;
                calls::record_acceptance(&db, &call).await
            };
            match with_timeout(DATABASE_BUDGET, accept).await {
                Some(Ok(true)) => info!(
                    SCREEN,
                    "Forward of {} accepted by a person: bridging", call.call_sid
                ),
                Some(Ok(false)) => warn!(
                    SCREEN,
                    "Forward of {} accepted after the call was settled: bridging, the outcome stands",
                    call.call_sid
                ),
                failed => error!(
                    SCREEN,
                    "Could not record the acceptance of {} ({}): bridging anyway; the caller may be texted",
                    call.call_sid,
                    match failed {
                        Some(Err(error)) => error.to_string(),
                        _ => format!("no answer within {} s", DATABASE_BUDGET.as_secs()),
                    }
                ),
            }
            twiml::empty()
        }
    };
    Ok(Reply::twiml(xml))
}
