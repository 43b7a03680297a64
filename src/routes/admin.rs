//! `/api/admin/numbers[/{e164}]`: manage business numbers without writing SQL. The route decided
//! the method; this checks the bearer, then the input, and only then touches the database.
use crate::database;
use crate::domain::{BusinessNumber, BusinessNumberInput, PhoneNumber};
use crate::edge;
use crate::error::{ApiError, Reply};
use crate::routes::NumbersRequest;
use crate::store::numbers;
use worker::{Env, Request};

/// A request that is authorised and well-formed.
enum Action {
    List,
    Get(PhoneNumber),
    Put(BusinessNumber),
    Delete(PhoneNumber),
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
        NumbersRequest::Put(segment) => {
            let number = path_number(&segment)?;
            let body = request.text().await?;
            Action::Put(
                BusinessNumberInput::from_json(&body, &number).map_err(ApiError::BadRequest)?,
            )
        }
    };
    edge::bounded_by_database(DATABASE_BUDGET, act(env, action)).await
}

/// The connection and the one statement an admin request needs: seconds at most when the database
/// is well; past this it answers 503 rather than hold the client.
const DATABASE_BUDGET: std::time::Duration = std::time::Duration::from_secs(10);

async fn act(env: &Env, action: Action) -> Result<Reply, ApiError> {
    let db = database::connect(env).await?;
    let not_configured =
        |number: &PhoneNumber| ApiError::NotFound(format!("{number} is not configured"));
    Ok(match action {
        Action::List => Reply::json(
            200,
            &serde_json::json!({ "numbers": numbers::list(&db).await? }),
        ),
        Action::Get(number) => match numbers::get(&db, &number).await? {
            Some(found) => Reply::json(200, &serde_json::json!(found)),
            None => return Err(not_configured(&number)),
        },
        Action::Delete(number) => {
            if !numbers::delete(&db, &number).await? {
                return Err(not_configured(&number));
            }
            Reply::json(200, &serde_json::json!({ "deleted": number }))
        }
        Action::Put(valid) => {
            let stored = numbers::upsert(&db, &valid).await?;
            let status = if stored.created { 201 } else { 200 };
            Reply::json(status, &serde_json::json!(stored.number))
        }
    })
}

fn path_number(segment: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(segment)
        .map_err(|e| ApiError::BadRequest(format!("twilio_number in the path: {e}")))
}
