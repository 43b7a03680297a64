use crate::edge::{self, with_timeout};
use crate::{database, store};
use std::time::Duration;
use worker::{Env, Response, Result};

pub async fn health(env: &Env) -> Result<Response> {
    if let Err(problem) = edge::load_config(env) {
        return edge::config_unavailable(&problem);
    }
    let check = async {
        let db = database::connect(env).await?;
        store::ping(&db).await
    };
    match with_timeout(Duration::from_secs(5), check).await {
        Some(Ok(())) => edge::json(
            200,
            &serde_json::json!({ "status": "ok", "database": "ok" }),
        ),
        outcome => {
            let reason = match outcome {
                Some(Err(error)) => error.to_string(),
                _ => "no answer within 5 s".to_string(),
            };
            crate::log::error(&format!("[Health] database unreachable: {reason}"));
            edge::json(
                503,
                &serde_json::json!({ "status": "error", "database": format!("unreachable: {reason}") }),
            )
        }
    }
}
