//! The only module that knows how to reach Postgres. In the worker: the `HYPERDRIVE` binding, else a
//! `DATABASE_URL` secret (Neon direct). Natively (migrations, tests): TCP with rustls, as the URL's
//! `sslmode` asks (`url` reads it, `tls` connects).
use std::fmt;

pub use tokio_postgres::Client;

#[derive(Debug)]
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

#[cfg(target_arch = "wasm32")]
pub async fn connect(env: &worker::Env) -> Result<Client, DbError> {
    use std::str::FromStr;
    use worker::{postgres_tls::PassthroughTls, SecureTransport, Socket};

    let connection_string = match env.hyperdrive("HYPERDRIVE") {
        Ok(hyperdrive) => hyperdrive.connection_string(),
        Err(_) => env
            .secret("DATABASE_URL")
            .map(|s| s.to_string())
            .or_else(|_| env.var("DATABASE_URL").map(|v| v.to_string()))
            .map_err(|_| {
                DbError(
                    "no HYPERDRIVE binding and no DATABASE_URL secret: nothing to connect to"
                        .into(),
                )
            })?,
    };
    let config = tokio_postgres::Config::from_str(&connection_string)
        .map_err(|e| DbError(format!("unreadable connection string: {e}")))?;
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
