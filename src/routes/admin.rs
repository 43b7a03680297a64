//! `/api/admin/numbers[/{e164}[/sync]]`: manage business numbers without writing SQL, and point
//! them at this deployment. The route decided the method; this checks the bearer, then the input,
//! and only then touches the database, and Twilio last.
use crate::database;
use crate::domain::{BusinessNumber, BusinessNumberInput, PhoneNumber};
use crate::edge::{self, WorkerFetch};
use crate::error::{ApiError, Reply};
use crate::routes::{NumbersRequest, ADMIN_LOG};
use crate::store::numbers;
use crate::twilio::number_sync::{self, SyncReport, Webhooks};
use worker::{Env, Request};

/// A request that is authorised and well-formed.
enum Action {
    List,
    Get(PhoneNumber),
    /// Save the number; with `sync`, point it at this deployment too.
    Put {
        number: BusinessNumber,
        sync: bool,
    },
    Delete(PhoneNumber),
    Sync(PhoneNumber),
}

/// What the database part decided.
enum Done {
    /// The answer, as it is.
    Answer(Reply),
    /// A configured number to sync: the answer is the sync's.
    Sync(PhoneNumber),
    /// A number saved (`saved`, answered with `status`) and to be synced: the answer is the saved
    /// number and what its sync did.
    SavedThenSync {
        status: u16,
        saved: serde_json::Value,
        number: PhoneNumber,
    },
}

pub async fn numbers(
    mut request: Request,
    env: &Env,
    asked: NumbersRequest,
) -> Result<Reply, ApiError> {
    let config = edge::load_config(env)?;
    edge::require_token(&request, &config.admin_token, "ADMIN_TOKEN")?;
    let action = match asked {
        NumbersRequest::List => Action::List,
        NumbersRequest::Get(segment) => Action::Get(path_number(&segment)?),
        NumbersRequest::Delete(segment) => Action::Delete(path_number(&segment)?),
        NumbersRequest::Sync(segment) => Action::Sync(path_number(&segment)?),
        NumbersRequest::Put(segment) => {
            let number = path_number(&segment)?;
            let body = request.text().await?;
            let (number, sync) =
                BusinessNumberInput::from_put_json(&body, &number).map_err(ApiError::BadRequest)?;
            Action::Put { number, sync }
        }
    };
    // Twilio's requests are bounded on their own (edge::TWILIO_TIMEOUT), outside the database's.
    match edge::bounded_by_database(edge::ADMIN_DATABASE_BUDGET, act(env, action)).await? {
        Done::Answer(reply) => Ok(reply),
        Done::Sync(number) => Ok(Reply::json(200, &sync(&config, &number).await?.json())),
        // The number is saved whatever the sync does: the answer keeps the save's status, and its
        // `sync` says what the sync did or why it did nothing.
        Done::SavedThenSync {
            status,
            mut saved,
            number,
        } => {
            saved["sync"] = match sync(&config, &number).await {
                Ok(report) => report.json(),
                Err(error) => {
                    if error.is_server_side() {
                        let masked = number.masked();
                        crate::error!(ADMIN_LOG, "{masked} saved but not synced: {error}");
                    }
                    serde_json::json!({ "error": error.to_string(), "status": error.status() })
                }
            };
            Ok(Reply::json(status, &saved))
        }
    }
}

async fn act(env: &Env, action: Action) -> Result<Done, ApiError> {
    let db = database::connect(env).await?;
    let not_configured =
        |number: &PhoneNumber| ApiError::NotFound(format!("{number} is not configured"));
    Ok(match action {
        Action::List => Done::Answer(Reply::json(
            200,
            &serde_json::json!({ "numbers": numbers::list(&db).await? }),
        )),
        Action::Get(number) => match numbers::get(&db, &number).await? {
            Some(found) => Done::Answer(Reply::json(200, &serde_json::json!(found))),
            None => return Err(not_configured(&number)),
        },
        Action::Delete(number) => {
            if !numbers::delete(&db, &number).await? {
                return Err(not_configured(&number));
            }
            Done::Answer(Reply::json(200, &serde_json::json!({ "deleted": number })))
        }
        Action::Put { number, sync } => {
            let stored = numbers::upsert(&db, &number).await?;
            let status = if stored.created { 201 } else { 200 };
            let saved = serde_json::json!(stored.number);
            if sync {
                Done::SavedThenSync {
                    status,
                    saved,
                    number: number.twilio_number,
                }
            } else {
                Done::Answer(Reply::json(status, &saved))
            }
        }
        // A number pointed here but not configured, or disabled, would tell every caller it is not
        // in service.
        Action::Sync(number) => match numbers::get(&db, &number).await? {
            Some(found) if found.enabled => Done::Sync(number),
            Some(_) => {
                return Err(ApiError::Conflict(format!(
                    "{number} is disabled: enable it first (PUT with \"enabled\": true), or its \
                     callers would hear that it is not in service"
                )))
            }
            None => {
                return Err(ApiError::NotFound(format!(
                    "{number} is not configured: PUT it first, or its callers would hear that \
                     it is not in service"
                )))
            }
        },
    })
}

/// The one sync both `POST …/sync` and `PUT` with `"sync": true` do.
async fn sync(
    config: &crate::config::Config,
    number: &PhoneNumber,
) -> Result<SyncReport, ApiError> {
    let wanted = Webhooks::at(&config.app_url);
    Ok(number_sync::sync(&WorkerFetch, &config.twilio, number, &wanted).await?)
}

fn path_number(segment: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(segment)
        .map_err(|e| ApiError::BadRequest(format!("twilio_number in the path: {e}")))
}
