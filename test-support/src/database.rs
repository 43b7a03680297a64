//! The test cluster and the databases on it: every test gets a fresh, migrated database of its own,
//! and a test that must stop PostgreSQL gets a cluster of its own. Ports come from a stretch of the
//! range no outgoing connection takes.
use missed_call_textback::database;
use missed_call_textback::store::migrations;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio_postgres::Client;

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// The project's root (this crate lives in `test-support/`).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

pub(crate) fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}{}_{nanos:x}_{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    )
}

static NEXT_PORT: AtomicU32 = AtomicU32::new(0);

/// A port no one is listening on, from below the kernel's ephemeral range (32768+) so that no
/// outgoing connection can take it between this check and the listener's bind. Each test process
/// walks its own stretch of the range, so parallel test binaries rarely even try the same port.
pub fn free_port() -> u16 {
    let _ = NEXT_PORT.compare_exchange(
        0,
        20_000 + (std::process::id() % 600) * 20,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let port = 20_000 + (NEXT_PORT.fetch_add(1, Ordering::SeqCst) - 20_000) % 12_000;
        if std::net::TcpListener::bind(("127.0.0.1", port as u16)).is_ok() {
            return port as u16;
        }
    }
}

/// The cluster `make test` starts; its URL names the maintenance database.
pub(crate) fn test_cluster_url() -> String {
    std::env::var("TEST_DATABASE_URL").expect(
        "TEST_DATABASE_URL is not set: run the suite with `make test`, which starts the test cluster",
    )
}

fn with_database(url: &str, name: &str) -> String {
    let base = url.rsplit_once('/').map(|(base, _)| base).unwrap_or(url);
    format!("{base}/{name}")
}

/// A new database on the cluster at `admin_url`, migrated; its URL and a client.
pub async fn fresh_database(admin_url: &str) -> (String, Client) {
    let name = unique("t_");
    let admin = database::connect_url(admin_url)
        .await
        .expect("connect to the test cluster");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = with_database(admin_url, &name);
    let mut db = database::connect_url(&url).await.unwrap();
    migrations::run(&mut db)
        .await
        .expect("migrate the test database");
    (url, db)
}

/// A fresh database on the shared test cluster, for tests that need no worker (tests/store.rs).
pub async fn fresh_test_database() -> (String, Client) {
    fresh_database(&test_cluster_url()).await
}

/// A PostgreSQL cluster of a test's own, run by scripts/pg.sh (as README's commands run theirs);
/// dropping it stops it and deletes its data.
pub struct OwnCluster {
    dir: PathBuf,
    pub port: u16,
    tls: Option<(PathBuf, PathBuf)>,
}

impl OwnCluster {
    /// A cluster whose data folder is `dir` (pg.sh may keep the data elsewhere, see there), on a
    /// free port; `start` starts it.
    pub fn new(dir: PathBuf) -> OwnCluster {
        OwnCluster {
            dir,
            port: free_port(),
            tls: None,
        }
    }

    /// Serves TLS (`ssl=on`) with this certificate and key.
    pub fn with_tls(mut self, cert: PathBuf, key: PathBuf) -> OwnCluster {
        self.tls = Some((cert, key));
        self
    }

    /// The URL of its maintenance database, plus `query` (`?sslmode=…`, or empty).
    pub fn url(&self, query: &str) -> String {
        format!(
            "postgresql://app:app@127.0.0.1:{}/postgres{query}",
            self.port
        )
    }

    /// `pg.sh COMMAND DIR ARGS…`; whether it succeeded.
    fn run(&self, command: &str, args: &[&OsStr]) -> bool {
        Command::new("bash")
            .arg(root().join("scripts/pg.sh"))
            .arg(command)
            .arg(&self.dir)
            .args(args)
            .status()
            .expect("run scripts/pg.sh")
            .success()
    }

    pub fn start(&self) {
        let port = self.port.to_string();
        let mut args = vec![port.as_ref()];
        if let Some((cert, key)) = &self.tls {
            args.extend([OsStr::new("--tls"), cert.as_os_str(), key.as_os_str()]);
        }
        args.push(OsStr::new("fsync=off"));
        assert!(self.run("start", &args), "scripts/pg.sh start failed");
    }

    pub fn stop(&self) {
        assert!(self.run("stop", &[]), "scripts/pg.sh stop failed");
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        // Best effort: a failed removal must not turn a test failure into an abort.
        self.run("remove", &[]);
    }
}

/// A new folder under the system's temporary folder, deleted with everything in it when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let path = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
