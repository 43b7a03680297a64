//! A caller's line type, for business numbers that skip landlines (`rules.skip_landlines`): from
//! the `line_types` cache when Lookup answered within `LINE_TYPE_CACHE_DAYS`, else from Twilio
//! Lookup v2 (paid per request), whose answer is then remembered. Nothing here stops a text: any
//! failure is `LineTypeAnswer::Unknown` and the missed-call path texts anyway (fail open), because
//! a text to a landline costs one failed message while a skipped mobile loses the lead.
use crate::config::TwilioConfig;
use crate::database::Client;
use crate::domain::line_type::{LineType, LINE_TYPE_CACHE_DAYS};
use crate::domain::PhoneNumber;
use crate::http::HttpClient;
use crate::log::Log;
use crate::store::line_types;
use crate::twilio::lookup::{self, NOT_FOUND};
use crate::twilio::rest::Failure;
use crate::{info, warn};

const LOG: Log = Log("[Line Type]");

/// What `line_type_of` learnt, and whether it cost a Lookup request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineTypeAnswer {
    /// From the cache: no request to Twilio.
    Cached(LineType),
    /// Twilio answered just now (one paid request); the answer is remembered.
    LookedUp(LineType),
    /// Nobody could say; text anyway. `requested` says whether a request went to Twilio (it
    /// counts against a poll's Twilio budget like any other).
    Unknown { reason: String, requested: bool },
}

impl LineTypeAnswer {
    /// Whether a number that skips landlines must not text this caller: only a known `landline`.
    pub fn is_landline(&self) -> bool {
        self.line_type().is_some_and(LineType::is_landline)
    }

    /// The line type, when one is known (`LineType::Unknown` included: Twilio's own "cannot tell").
    pub fn line_type(&self) -> Option<&LineType> {
        match self {
            LineTypeAnswer::Cached(line_type) | LineTypeAnswer::LookedUp(line_type) => {
                Some(line_type)
            }
            LineTypeAnswer::Unknown { .. } => None,
        }
    }

    /// Whether a request went to Twilio for this answer.
    pub fn requested(&self) -> bool {
        match self {
            LineTypeAnswer::Cached(_) => false,
            LineTypeAnswer::LookedUp(_) => true,
            LineTypeAnswer::Unknown { requested, .. } => *requested,
        }
    }
}

/// The line type of `phone`: the cache, else one Lookup request. Never fails (see the module doc).
/// A cache that cannot be read does not stop the Lookup (the rule still deserves an answer); an
/// answer that cannot be remembered is still answered, and logged.
pub async fn line_type_of(
    db: &Client,
    http: &impl HttpClient,
    twilio: &TwilioConfig,
    phone: &PhoneNumber,
) -> LineTypeAnswer {
    match line_types::cached(db, phone, LINE_TYPE_CACHE_DAYS).await {
        Ok(Some(line_type)) => {
            info!(LOG, "{} is {line_type} (cached)", phone.masked());
            return LineTypeAnswer::Cached(line_type);
        }
        Ok(None) => {}
        Err(error) => warn!(
            LOG,
            "Could not read the cached line type of {}: {error}; asking Twilio",
            phone.masked()
        ),
    }
    let response = http.send(lookup::lookup_line_type(twilio, phone)).await;
    let (answer, to_remember) = decide(lookup::parse_line_type(response));
    match &answer {
        LineTypeAnswer::Unknown { reason, .. } => warn!(
            LOG,
            "Lookup failed for {}: {reason}; texting anyway",
            phone.masked()
        ),
        _ => info!(
            LOG,
            "{} is {} (Twilio Lookup)",
            phone.masked(),
            answer.line_type().map_or("?", LineType::as_str)
        ),
    }
    if let Some(line_type) = to_remember {
        if let Err(error) = line_types::remember(db, phone, &line_type).await {
            warn!(
                LOG,
                "Could not remember that {} is {line_type}: {error}",
                phone.masked()
            );
        }
    }
    answer
}

/// What a Lookup's outcome answers, and what is remembered of it. Every answer Twilio gives is
/// remembered (`unknown` too: asking again is paid and most likely says the same). A 404 with
/// Twilio's 20404 is an answer about the number (Twilio does not know it) and is remembered as
/// `unknown`, so it is not paid for on every call; a 404 without that code (a proxy, a wrong
/// `TWILIO_LOOKUP_BASE_URL`) is not. Any other failure (auth, rate limit, 5xx, timeout, an
/// unreadable body) is answered `Unknown` and not remembered, so the next call asks again.
pub fn decide(outcome: Result<LineType, Failure>) -> (LineTypeAnswer, Option<LineType>) {
    match outcome {
        Ok(line_type) => (LineTypeAnswer::LookedUp(line_type.clone()), Some(line_type)),
        Err(Failure::Final {
            status: 404,
            code: Some(NOT_FOUND),
            ..
        }) => (
            LineTypeAnswer::LookedUp(LineType::Unknown),
            Some(LineType::Unknown),
        ),
        Err(failure) => (
            LineTypeAnswer::Unknown {
                reason: failure.to_string(),
                requested: true,
            },
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn final_failure(status: u16, code: Option<u32>) -> Failure {
        Failure::Final {
            status,
            code,
            message: "x".into(),
        }
    }

    fn retryable(status: Option<u16>, code: Option<u32>, message: &str) -> Failure {
        Failure::Retryable {
            status,
            code,
            message: message.into(),
        }
    }

    #[test]
    fn every_answer_twilio_gives_is_remembered() {
        for line_type in [
            LineType::Landline,
            LineType::Mobile,
            LineType::Unknown,
            LineType::Other("satellite".into()),
        ] {
            let (answer, remembered) = decide(Ok(line_type.clone()));
            assert_eq!(answer, LineTypeAnswer::LookedUp(line_type.clone()));
            assert_eq!(remembered, Some(line_type));
            assert!(answer.requested());
        }
    }

    #[test]
    fn a_number_twilio_does_not_know_is_remembered_as_unknown() {
        let (answer, remembered) = decide(Err(final_failure(404, Some(20404))));
        assert_eq!(answer, LineTypeAnswer::LookedUp(LineType::Unknown));
        assert_eq!(remembered, Some(LineType::Unknown));
        assert!(!answer.is_landline());
    }

    #[test]
    fn other_failures_fail_open_and_are_not_remembered() {
        for failure in [
            final_failure(404, None),
            final_failure(401, Some(20003)),
            final_failure(400, Some(21211)),
            retryable(Some(429), Some(20429), "Too Many Requests"),
            retryable(Some(500), Some(20500), "Internal Server Error"),
            retryable(None, None, "timed out"),
            retryable(Some(200), None, "unreadable Twilio response"),
        ] {
            let label = failure.label();
            let (answer, remembered) = decide(Err(failure));
            assert_eq!(remembered, None, "{label}");
            assert!(!answer.is_landline(), "{label}");
            assert!(answer.requested(), "{label}");
            let LineTypeAnswer::Unknown { reason, .. } = &answer else {
                panic!("{answer:?}");
            };
            assert!(reason.starts_with(&label), "{reason}");
        }
    }

    #[test]
    fn only_a_known_landline_is_skipped() {
        assert!(LineTypeAnswer::Cached(LineType::Landline).is_landline());
        assert!(LineTypeAnswer::LookedUp(LineType::Landline).is_landline());
        for texted in [
            LineTypeAnswer::Cached(LineType::Mobile),
            LineTypeAnswer::LookedUp(LineType::FixedVoip),
            LineTypeAnswer::LookedUp(LineType::Unknown),
            LineTypeAnswer::Unknown {
                reason: "timeout".into(),
                requested: true,
            },
        ] {
            assert!(!texted.is_landline(), "{texted:?}");
        }
        assert!(!LineTypeAnswer::Cached(LineType::Landline).requested());
    }
}
