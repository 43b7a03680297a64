//! README's Deploying step, `DATABASE_URL=… cargo run --bin migrate`, against PostgreSQL clusters
//! serving TLS with certificates from a CA the test made (as Neon serves TLS), and against the plain
//! test cluster: each `sslmode` with libpq's meaning, and `channel_binding=require`.
use missed_call_textback::database::{self, Client};
use std::process::Output;
use test_support::{fresh_test_database, start_tls_cluster, TlsCluster};

/// The names the server's certificate is valid for.
const SERVER_NAMES: &[&str] = &["localhost", "127.0.0.1"];

fn tls_cluster() -> TlsCluster {
    start_tls_cluster(SERVER_NAMES)
}

/// The migrate binary, run the way README runs it: the URL in `DATABASE_URL`.
fn migrate(url: &str) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_migrate"))
        .env("DATABASE_URL", url)
        .output()
        .expect("run the migrate binary")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Whether the client's own session is encrypted, as the server sees it.
async fn encrypted(db: &Client) -> bool {
    db.query_one(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

async fn connect_error(url: &str) -> String {
    match database::connect_url(url).await {
        Ok(_) => panic!("connected, but should not have"),
        Err(error) => error.0,
    }
}

#[tokio::test]
async fn migrate_over_tls_with_neons_default_parameters() {
    let server = tls_cluster();
    let url = server
        .cluster
        .url("?sslmode=require&channel_binding=require");
    let output = migrate(&url);
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("migrations: applied"), "{said}");
    assert!(!said.contains(":app@"), "the password was printed: {said}");
    let again = migrate(&url);
    assert!(
        text(&again).contains("migrations: nothing to apply"),
        "{}",
        text(&again)
    );
    // require encrypts without checking the certificate (this CA is not trusted), and
    // channel_binding=require only connects if SCRAM-SHA-256-PLUS bound the login to the session.
    let db = database::connect_url(&url).await.unwrap();
    assert!(encrypted(&db).await);
}

#[tokio::test]
async fn verify_full_with_the_trusted_ca_succeeds() {
    let server = tls_cluster();
    let url = server.cluster.url(&format!(
        "?sslmode=verify-full&sslrootcert={}",
        server.ca.display()
    ));
    let db = database::connect_url(&url).await.unwrap();
    assert!(encrypted(&db).await);
}

#[tokio::test]
async fn verify_full_refuses_a_certificate_for_another_host_name() {
    let server = tls_cluster();
    // The host name the certificate is checked against; the connection still goes to 127.0.0.1.
    let url = format!(
        "postgresql://app:app@db.example.test:{}/postgres?hostaddr=127.0.0.1&sslrootcert={}",
        server.cluster.port,
        server.ca.display()
    );
    let output = migrate(&format!("{url}&sslmode=verify-full"));
    let said = text(&output);
    assert!(!output.status.success(), "{said}");
    assert!(
        said.contains("migrations failed: connecting with sslmode=verify-full"),
        "{said}"
    );
    assert!(
        said.contains("certificate not valid for name \"db.example.test\""),
        "{said}"
    );
    assert!(said.contains("verify-ca checks the chain only"), "{said}");
    assert!(!said.contains(":app@"), "the password was printed: {said}");

    // verify-ca checks the chain only, so the same URL connects.
    let db = database::connect_url(&format!("{url}&sslmode=verify-ca"))
        .await
        .unwrap();
    assert!(encrypted(&db).await);
}

#[tokio::test]
async fn verify_full_refuses_a_certificate_from_an_untrusted_ca() {
    let server = tls_cluster();
    let untrusted = server.cluster.url(&format!(
        "?sslmode=verify-full&sslrootcert={}",
        server.other_ca.display()
    ));
    let error = connect_error(&untrusted).await;
    assert!(
        error.contains("invalid peer certificate: UnknownIssuer"),
        "{error}"
    );
    assert!(
        error.contains(&format!(
            "not issued by a CA in sslrootcert={}",
            server.other_ca.display()
        )),
        "{error}"
    );

    // Without sslrootcert, verify-full trusts Mozilla's roots only, which never issued this one.
    let error = connect_error(&server.cluster.url("?sslmode=verify-full")).await;
    assert!(error.contains("Mozilla's root store"), "{error}");

    // A root certificate makes require check the chain, as in libpq.
    let error = connect_error(&server.cluster.url(&format!(
        "?sslmode=require&sslrootcert={}",
        server.other_ca.display()
    )))
    .await;
    assert!(error.contains("UnknownIssuer"), "{error}");
}

#[tokio::test]
async fn sslmode_disable_still_works_on_a_server_without_tls() {
    let (url, _) = fresh_test_database().await;
    let output = migrate(&format!("{url}?sslmode=disable"));
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("migrations: nothing to apply"), "{said}");
}

#[tokio::test]
async fn channel_binding_require_without_tls_fails_clearly() {
    let (url, _) = fresh_test_database().await;
    let error = connect_error(&format!("{url}?sslmode=disable&channel_binding=require")).await;
    assert_eq!(
        error,
        "channel_binding=require needs TLS, but sslmode=disable turns it off"
    );
    // The test cluster serves no TLS: channel binding, which binds the login to TLS, cannot be had.
    let error = connect_error(&format!("{url}?channel_binding=require")).await;
    assert_eq!(
        error,
        "connecting with sslmode=prefer, channel_binding=require: \
         error performing TLS handshake: server does not support TLS"
    );
}
