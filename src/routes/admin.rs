//! `/api/admin/numbers[/{e164}]`: manage business numbers without writing SQL.
use crate::business::{BusinessNumber, BusinessNumberInput};
use crate::edge;
use crate::phone_number::PhoneNumber;
use crate::{database, store};
use worker::{Env, Method, Request, Response, Result};

pub const NUMBERS_PATH: &str = "/api/admin/numbers";

/// What the method and path ask for, before anything is parsed; the path segment rides along.
enum Verb<'a> {
    List,
    Get(&'a str),
    Put(&'a str),
    Delete(&'a str),
}

/// A request that is allowed, authorised and well-formed.
enum Action {
    List,
    Get(PhoneNumber),
    Put(BusinessNumber),
    Delete(PhoneNumber),
}

fn verb(method: Method, number: Option<&str>) -> std::result::Result<Verb<'_>, &'static str> {
    match (method, number) {
        (Method::Get, None) => Ok(Verb::List),
        (Method::Get, Some(number)) => Ok(Verb::Get(number)),
        (Method::Put, Some(number)) => Ok(Verb::Put(number)),
        (Method::Delete, Some(number)) => Ok(Verb::Delete(number)),
        (_, None) => Err("GET"),
        (_, Some(_)) => Err("GET, PUT, DELETE"),
    }
}

pub async fn numbers(mut request: Request, env: &Env, number: Option<&str>) -> Result<Response> {
    let verb = match verb(request.method(), number) {
        Ok(verb) => verb,
        Err(allowed) => return edge::method_not_allowed(allowed),
    };
    let config = match edge::load_config(env) {
        Ok(config) => config,
        Err(problem) => return edge::config_unavailable(&problem),
    };
    if let Some(denied) = edge::require_bearer(&request, &config.admin_token) {
        return denied;
    }
    // Bad input is answered before the database is touched.
    let action = match verb {
        Verb::List => Ok(Action::List),
        Verb::Get(segment) => parse_path_number(segment).map(Action::Get),
        Verb::Delete(segment) => parse_path_number(segment).map(Action::Delete),
        Verb::Put(segment) => {
            let body = request.text().await?;
            parse_path_number(segment)
                .and_then(|number| {
                    serde_json::from_str::<BusinessNumberInput>(&body)
                        .map_err(|e| format!("body is not a valid number definition: {e}"))
                        .and_then(|input| input.validate(number.as_str()))
                })
                .map(Action::Put)
        }
    };
    let action = match action {
        Ok(action) => action,
        Err(reason) => return edge::error(400, reason),
    };
    let db = match database::connect(env).await {
        Ok(db) => db,
        Err(error) => return edge::error(503, format!("database unavailable: {error}")),
    };
    let outcome = match action {
        Action::List => store::list_business_numbers(&db)
            .await
            .map(|numbers| edge::json(200, &serde_json::json!({ "numbers": numbers }))),
        Action::Get(number) => {
            store::get_business_number(&db, &number)
                .await
                .map(|found| match found {
                    Some(found) => edge::json(200, &serde_json::json!(found)),
                    None => edge::error(404, format!("{number} is not configured")),
                })
        }
        Action::Delete(number) => {
            store::delete_business_number(&db, &number)
                .await
                .map(|deleted| {
                    if deleted {
                        edge::json(200, &serde_json::json!({ "deleted": number }))
                    } else {
                        edge::error(404, format!("{number} is not configured"))
                    }
                })
        }
        Action::Put(valid) => {
            store::upsert_business_number(&db, &valid)
                .await
                .map(|(stored, created)| {
                    edge::json(if created { 201 } else { 200 }, &serde_json::json!(stored))
                })
        }
    };
    match outcome {
        Ok(response) => response,
        Err(error) => {
            crate::log::error(&format!("[Admin] database error: {error}"));
            edge::error(503, format!("database error: {error}"))
        }
    }
}

/// The path segment may arrive as `+1415…` or percent-encoded as `%2B1415…`.
fn parse_path_number(segment: &str) -> std::result::Result<PhoneNumber, String> {
    let decoded = segment.replace("%2B", "+").replace("%2b", "+");
    PhoneNumber::parse(&decoded).map_err(|e| format!("twilio_number in the path: {e}"))
}
