//! `/api/admin/numbers[/{e164}]`: manage business numbers without writing SQL.
use crate::business::BusinessNumberInput;
use crate::edge;
use crate::phone_number::PhoneNumber;
use crate::{database, store};
use worker::{Env, Method, Request, Response, Result};

pub const NUMBERS_PATH: &str = "/api/admin/numbers";

pub async fn numbers(mut request: Request, env: &Env, number: Option<&str>) -> Result<Response> {
    let method = request.method();
    match (&method, number) {
        (Method::Get, _) | (Method::Put | Method::Delete, Some(_)) => {}
        (_, None) => return edge::method_not_allowed("GET"),
        (_, Some(_)) => return edge::method_not_allowed("GET, PUT, DELETE"),
    }
    let config = match edge::load_config(env) {
        Ok(config) => config,
        Err(problem) => return edge::config_unavailable(&problem),
    };
    if let Some(denied) = edge::require_bearer(&request, &config.admin_token) {
        return denied;
    }
    let number = match number.map(parse_path_number).transpose() {
        Ok(number) => number,
        Err(reason) => return edge::error(400, reason),
    };
    let body = match (&method, &number) {
        (Method::Put, Some(_)) => request.text().await?,
        _ => String::new(),
    };
    let db = match database::connect(env).await {
        Ok(db) => db,
        Err(error) => return edge::error(503, format!("database unavailable: {error}")),
    };
    let outcome = match (method, number) {
        (Method::Get, None) => store::list_business_numbers(&db)
            .await
            .map(|numbers| edge::json(200, &serde_json::json!({ "numbers": numbers }))),
        (Method::Get, Some(number)) => {
            store::get_business_number(&db, &number)
                .await
                .map(|found| match found {
                    Some(found) => edge::json(200, &serde_json::json!(found)),
                    None => edge::error(404, format!("{number} is not configured")),
                })
        }
        (Method::Delete, Some(number)) => {
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
        (Method::Put, Some(number)) => {
            let input: BusinessNumberInput = match serde_json::from_str(&body) {
                Ok(input) => input,
                Err(e) => {
                    return edge::error(400, format!("body is not a valid number definition: {e}"))
                }
            };
            let valid = match input.validate(number.as_str()) {
                Ok(valid) => valid,
                Err(reason) => return edge::error(400, reason),
            };
            store::upsert_business_number(&db, &valid)
                .await
                .map(|(stored, created)| {
                    edge::json(if created { 201 } else { 200 }, &serde_json::json!(stored))
                })
        }
        (_, _) => return edge::method_not_allowed("GET, PUT, DELETE"),
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
