//! `GET /api/stats?days=N` (bearer `ADMIN_TOKEN`) and `GET /dashboard?days=1|7|30` (HTTP Basic,
//! `ADMIN_TOKEN` as the password): the same KPIs as JSON for scripts and as a page for the business
//! owner. Both check their credentials and the period before touching the database, then read the
//! window with two statements (the dashboard a third, its recent calls), sent together.
use crate::dashboard;
use crate::database::{self, Client};
use crate::domain::stats::{dashboard_days, days_param as days_param_of, stats_days, Stats};
use crate::edge;
use crate::error::{ApiError, Reply};
use crate::store::stats as store;
use worker::{Env, Request};

pub async fn stats(request: &Request, env: &Env) -> Result<Reply, ApiError> {
    let config = edge::load_config(env)?;
    edge::require_token(request, &config.admin_token, "ADMIN_TOKEN")?;
    let days = stats_days(days_param(request)?.as_deref()).map_err(ApiError::BadRequest)?;
    let stats = edge::bounded_by_database(edge::ADMIN_DATABASE_BUDGET, async {
        let db = database::connect(env).await?;
        load(&db, days).await
    })
    .await?;
    Ok(Reply::json(200, &stats.to_json()))
}

pub async fn dashboard(request: &Request, env: &Env) -> Result<Reply, ApiError> {
    let config = edge::load_config(env)?;
    edge::require_login(request, &config.admin_token, "ADMIN_TOKEN")?;
    let days = dashboard_days(days_param(request)?.as_deref()).map_err(ApiError::BadRequest)?;
    let (stats, recent) = edge::bounded_by_database(edge::ADMIN_DATABASE_BUDGET, async {
        let db = database::connect(env).await?;
        let (stats, recent) = futures::try_join!(load(&db, days), async {
            Ok(store::recent_calls(&db, days).await?)
        })?;
        Ok((stats, recent))
    })
    .await?;
    Ok(Reply::html(dashboard::render(&stats, &recent)))
}

async fn load(db: &Client, days: u32) -> Result<Stats, ApiError> {
    let (groups, facts) =
        futures::try_join!(store::call_groups(db, days), store::window_facts(db, days))?;
    Ok(Stats::fold(days, &groups, facts))
}

fn days_param(request: &Request) -> Result<Option<String>, ApiError> {
    days_param_of(request.url()?.query()).map_err(ApiError::BadRequest)
}
