//! The only module that knows how to reach Postgres. In the worker: the `HYPERDRIVE` binding, else a
//! `DATABASE_URL` secret (Neon direct), each connection bounded in time. Natively (migrations,
//! tests): TCP with rustls, as the URL's `sslmode` asks (`url` reads it, `tls` connects).
use crate::config::ConfigError;
use std::fmt;
use std::time::Duration;

pub use tokio_postgres::Client;

/// How long one connection attempt may take. Locally a connection and a statement take about
/// 12 ms together (README, Benchmarks); Neon documents a few hundred milliseconds to wake a
/// suspended compute. 4 s covers that many times over and still leaves Phase 2 time for its two
/// retries inside waitUntil's 30 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(4);

#[derive(Debug, Clone)]
pub struct DbError(pub String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

impl From<tokio_postgres::Error> for DbError {
    fn from(error: tokio_postgres::Error) -> Self {
        // The Display of a server error hides the server's message; the Debug carries it.
        match error.as_db_error() {
            Some(db) => DbError(format!("{}: {}", db.code().code(), db.message())),
            None => DbError(error.to_string()),
        }
    }
}

/// What the worker connects with: Hyperdrive's connection string when the binding exists, else the
/// `DATABASE_URL` secret, checked for what a Workers socket can do. Pure, so it is tested natively.
pub fn worker_connection(
    hyperdrive: Option<String>,
    database_url: Option<String>,
) -> Result<tokio_postgres::Config, ConfigError> {
    use std::str::FromStr;
    use tokio_postgres::config::{ChannelBinding, Host};

    let problem = |problem: String| ConfigError {
        setting: "DATABASE_URL",
        problem,
    };
    let (setting, raw) = match (hyperdrive, database_url) {
        (Some(raw), _) => ("HYPERDRIVE", raw),
        (None, Some(raw)) => ("DATABASE_URL", raw),
        (None, None) => {
            return Err(problem(
                "is not set, and there is no HYPERDRIVE binding: nothing to connect to".into(),
            ))
        }
    };
    let config = tokio_postgres::Config::from_str(&raw).map_err(|e| ConfigError {
        setting,
        problem: format!("is not a readable connection string: {e}"),
    })?;
    if !matches!(config.get_hosts().first(), Some(Host::Tcp(_))) {
        return Err(ConfigError {
            setting,
            problem: "names no TCP host".into(),
        });
    }
    // Hyperdrive speaks to the origin itself; a direct connection goes through a Workers socket,
    // whose TLS the Postgres client cannot see, so SCRAM channel binding cannot be offered.
    if setting == "DATABASE_URL" && config.get_channel_binding() == ChannelBinding::Require {
        return Err(problem(
            "channel_binding=require cannot be met by a direct connection from a Worker (the \
             socket's TLS is the runtime's): use a Hyperdrive binding, or remove channel_binding \
             from the string (sslmode=require still encrypts it)"
                .into(),
        ));
    }
    Ok(config)
}

/// The connection the worker's environment describes (see `worker_connection`).
#[cfg(target_arch = "wasm32")]
pub fn configured(env: &worker::Env) -> Result<tokio_postgres::Config, ConfigError> {
    let hyperdrive = env
        .hyperdrive("HYPERDRIVE")
        .ok()
        .map(|h| h.connection_string());
    let database_url = env
        .secret("DATABASE_URL")
        .map(|s| s.to_string())
        .or_else(|_| env.var("DATABASE_URL").map(|v| v.to_string()))
        .ok()
        .filter(|url| !url.trim().is_empty());
    worker_connection(hyperdrive, database_url)
}

/// Connects within CONNECT_TIMEOUT, so a hanging database costs a bounded wait and the caller's
/// retries still get their turn.
#[cfg(target_arch = "wasm32")]
pub async fn connect(env: &worker::Env) -> Result<Client, DbError> {
    let config = configured(env).map_err(|problem| DbError(problem.to_string()))?;
    connect_to(config).await
}

/// Connects to what `configured` returned, within CONNECT_TIMEOUT.
#[cfg(target_arch = "wasm32")]
pub async fn connect_to(config: tokio_postgres::Config) -> Result<Client, DbError> {
    crate::edge::with_timeout(CONNECT_TIMEOUT, connect_with(config))
        .await
        .unwrap_or_else(|| {
            Err(DbError(format!(
                "no connection within {} s",
                CONNECT_TIMEOUT.as_secs()
            )))
        })
}

#[cfg(target_arch = "wasm32")]
async fn connect_with(config: tokio_postgres::Config) -> Result<Client, DbError> {
    use worker::{postgres_tls::PassthroughTls, SecureTransport, Socket};

    let (host, port) = match (config.get_hosts().first(), config.get_ports().first()) {
        (Some(tokio_postgres::config::Host::Tcp(host)), port) => {
            (host.clone(), port.copied().unwrap_or(5432))
        }
        _ => return Err(DbError("connection string names no TCP host".into())),
    };
    // StartTls lets Postgres negotiate TLS in-band (Neon requires it); a local server that says no
    // to TLS keeps the plain socket.
    let socket = Socket::builder()
        .secure_transport(SecureTransport::StartTls)
        .connect(host, port)
        .map_err(|e| DbError(format!("socket: {e}")))?;
    let (client, connection) = config.connect_raw(socket, PassthroughTls).await?;
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(error) = connection.await {
            worker::console_error!("[Database] connection ended: {error}");
        }
    });
    Ok(client)
}

#[cfg(not(target_arch = "wasm32"))]
mod tls;
#[cfg(not(target_arch = "wasm32"))]
mod url;

/// Connects to `url` (`postgresql://…`) over TLS as its `sslmode`, `sslrootcert` and
/// `channel_binding` ask, with libpq's meaning (see `url`).
#[cfg(not(target_arch = "wasm32"))]
pub async fn connect_url(url: &str) -> Result<Client, DbError> {
    let target = url::Target::parse(url)?;
    let mut config: tokio_postgres::Config = target
        .url
        .parse()
        .map_err(|e| DbError(format!("unreadable connection string: {e}")))?;
    config
        .ssl_mode(target.tls.tokio_ssl_mode())
        .channel_binding(target.tls.tokio_channel_binding());
    let (client, connection) = config
        .connect(tls::connector(&target.tls.check())?)
        .await
        .map_err(|error| tls::explain(error, &target.tls))?;
    tokio::spawn(async move {
        // Dropping the client ends the connection; that error is the normal goodbye.
        let _ = connection.await;
    });
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEON: &str = "postgresql://app:secret@ep-x.eu-central-1.aws.neon.tech/neondb?sslmode=require&channel_binding=require";

    #[test]
    fn hyperdrive_comes_first() {
        let config = worker_connection(
            Some("postgresql://u:p@hyperdrive.local:5432/db".into()),
            Some(NEON.into()),
        )
        .unwrap();
        assert_eq!(config.get_dbname(), Some("db"));
    }

    #[test]
    fn a_direct_url_with_channel_binding_required_is_refused_by_name() {
        let error = worker_connection(None, Some(NEON.into())).unwrap_err();
        assert_eq!(error.setting, "DATABASE_URL");
        assert!(error.problem.contains("channel_binding=require"), "{error}");
        assert!(!error.to_string().contains("secret"), "{error}");
        let without = NEON.replace("&channel_binding=require", "");
        assert!(worker_connection(None, Some(without)).is_ok());
        let prefer = NEON.replace("channel_binding=require", "channel_binding=prefer");
        assert!(worker_connection(None, Some(prefer)).is_ok());
    }

    #[test]
    fn nothing_to_connect_to_names_the_setting() {
        let error = worker_connection(None, None).unwrap_err();
        assert_eq!(error.setting, "DATABASE_URL");
        let error = worker_connection(None, Some("not a url at all =".into())).unwrap_err();
        assert!(
            error.problem.contains("not a readable connection string"),
            "{error}"
        );
    }
}
