//! `spawn_app()`: each test gets its own world — a fresh database on the test cluster, its own Twilio
//! double, and its own worker in workerd wired to both — and `TestApp`, the handle a test drives
//! it with. The helpers per endpoint live beside this file (voice, cron, admin, health); the ones
//! here read the worker's log, the database and what the double received.
use crate::database::{free_port, fresh_database, test_cluster_url, unique, OwnCluster};
use crate::db_proxy::DbProxy;
use crate::worker::{start_worker, stop_process_group, worker_became_ready, workerd_cpu_ms};
use crate::{ADMIN_TOKEN, CRON_SECRET};
use missed_call_textback::database;
use missed_call_textback::domain::Outcome;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_postgres::Client;
use twilio_double::{RecordedRequest, TwilioDouble};

pub enum Database {
    /// A fresh database on the shared test cluster.
    Shared,
    /// A cluster of its own, so the test can stop and restart it.
    OwnCluster,
    /// Nothing listens where the worker is told to connect.
    Unreachable,
    /// A fresh database on the shared cluster, reached through a relay that can leave the next
    /// connections hanging (`TestApp::hang_next_database_connections`).
    BehindRelay,
}

pub struct Options {
    pub database: Database,
    /// Worker settings to override; `None` removes the setting.
    pub vars: Vec<(&'static str, Option<String>)>,
    /// false: no Hyperdrive binding; the worker gets the database as a `DATABASE_URL` setting
    /// (unless `vars` sets one itself), as a deployment without Hyperdrive does.
    pub hyperdrive: bool,
    /// true: the CHECKS queue is bound, producer and consumer, on a queue of this worker's own.
    pub queue: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            database: Database::Shared,
            vars: Vec::new(),
            hyperdrive: true,
            queue: false,
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub db: Client,
    pub(crate) db_url: String,
    pub twilio: TwilioDouble,
    pub http: reqwest::Client,
    worker: Child,
    workdir: PathBuf,
    /// How the worker was started, so `restart_worker` starts the same one on the same port.
    launch: Launch,
    cluster: Option<OwnCluster>,
    relay: Option<DbProxy>,
}
/// What `start_worker` was given.
struct Launch {
    port: u16,
    vars: Vec<(&'static str, Option<String>)>,
    hyperdrive: Option<String>,
    queue: bool,
}

impl TestApp {
    /// CPU time (ms) this test's workerd has used so far: the difference over N requests bounds the
    /// CPU per request from above.
    pub fn workerd_cpu_ms(&self) -> f64 {
        workerd_cpu_ms(self.worker.id())
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// The public APP_URL of `spawn_public_app`.
pub const PUBLIC_APP_URL: &str = "https://calls.example.com";

/// A worker whose APP_URL is public (`PUBLIC_APP_URL`): unsigned requests are only tolerated for
/// loopback development URLs, and Twilio signs the public URL, not the address tests post to.
pub async fn spawn_public_app() -> TestApp {
    spawn_app_with(Options {
        vars: vec![("APP_URL", Some(PUBLIC_APP_URL.into()))],
        ..Options::default()
    })
    .await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let workdir = std::env::temp_dir().join(unique("mctb-test-"));
    std::fs::create_dir_all(&workdir).unwrap();

    let (cluster, admin_url) = match options.database {
        Database::OwnCluster => {
            let cluster = OwnCluster::new(workdir.join("pg"));
            cluster.start();
            let url = cluster.url("");
            (Some(cluster), url)
        }
        _ => (None, test_cluster_url()),
    };
    let (db_url, db) = fresh_database(&admin_url).await;
    let relay = match options.database {
        Database::BehindRelay => Some(DbProxy::start(url_port(&db_url)).await),
        _ => None,
    };
    let worker_db_url = match (&options.database, &relay) {
        (Database::Unreachable, _) => {
            format!("postgresql://app:app@127.0.0.1:{}/nowhere", free_port())
        }
        (_, Some(relay)) => db_url.replacen(
            &format!(":{}/", url_port(&db_url)),
            &format!(":{}/", relay.port),
            1,
        ),
        _ => db_url.clone(),
    };

    let account_sid = format!(
        "AC{:032x}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let twilio = TwilioDouble::start(0, &account_sid, &unique("token-"))
        .await
        .unwrap();

    let mut vars: Vec<(&str, Option<String>)> = vec![
        ("CRON_SECRET", Some(CRON_SECRET.into())),
        ("ADMIN_TOKEN", Some(ADMIN_TOKEN.into())),
        ("TWILIO_ACCOUNT_SID", Some(account_sid)),
        ("TWILIO_AUTH_TOKEN", Some(twilio.auth_token.clone())),
        ("TWILIO_API_BASE_URL", Some(twilio.base_url())),
        ("TWILIO_LOOKUP_BASE_URL", Some(twilio.base_url())),
    ];
    if !options.hyperdrive {
        vars.push(("DATABASE_URL", Some(worker_db_url.clone())));
    }
    for (name, value) in options.vars {
        vars.retain(|(n, _)| *n != name);
        vars.push((name, value));
    }
    let hyperdrive = options.hyperdrive.then_some(worker_db_url.as_str());
    // Another process may still take the port first; then wrangler says so and we try another.
    for _attempt in 0..5 {
        let port = free_port();
        let address = format!("http://127.0.0.1:{port}");
        let mut attempt_vars = vars.clone();
        if !attempt_vars.iter().any(|(n, _)| *n == "APP_URL") {
            attempt_vars.push(("APP_URL", Some(address.clone())));
        }
        let mut worker = start_worker(&workdir, port, &attempt_vars, hyperdrive, options.queue);
        if !worker_became_ready(&mut worker, &workdir, port).await {
            stop_process_group(&mut worker);
            continue;
        }
        return TestApp {
            address,
            db_url,
            db,
            twilio,
            http: reqwest::Client::new(),
            worker,
            workdir,
            launch: Launch {
                port,
                vars: attempt_vars,
                hyperdrive: hyperdrive.map(str::to_string),
                queue: options.queue,
            },
            cluster,
            relay,
        };
    }
    panic!("no worker started after 5 attempts: {}", workdir.display());
}

impl Drop for TestApp {
    fn drop(&mut self) {
        stop_process_group(&mut self.worker);
        // Its own cluster, if any, is removed before the folder it lives in.
        self.cluster.take();
        if std::thread::panicking() {
            eprintln!(
                "worker log kept at {}",
                self.workdir.join("worker.log").display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.workdir);
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub elapsed: Duration,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestApp {
    /// Worker log lines reach the file a moment after the response; wait for the line to appear.
    pub async fn assert_logged(&self, needle: &str) {
        self.assert_logged_times(needle, 1).await
    }

    pub async fn assert_logged_times(&self, needle: &str, times: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.worker_log().matches(needle).count() < times {
            if Instant::now() > deadline {
                panic!(
                    "the worker did not log {needle:?} {times} times:\n{}",
                    self.worker_log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn worker_log(&self) -> String {
        std::fs::read_to_string(self.workdir.join("worker.log")).unwrap_or_default()
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<String>,
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.address));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        read(request).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(reqwest::Method::GET, path, None, None).await
    }

    /// Calls API requests about `call_sid`: its child legs or the call itself.
    pub fn call_lookups(&self, call_sid: &str) -> usize {
        let own_path = format!("/Calls/{call_sid}.json");
        self.twilio
            .requests()
            .iter()
            .filter(|r| r.is_call_lookup())
            .filter(|r| {
                r.query_value("ParentCallSid") == Some(call_sid) || r.path.ends_with(&own_path)
            })
            .count()
    }

    pub fn sms_requests(&self) -> Vec<RecordedRequest> {
        self.twilio
            .requests()
            .into_iter()
            .filter(|r| r.is_message_send())
            .collect()
    }

    /// Waits for at least `count` texts to reach the double, then a moment more so that a
    /// duplicate would have arrived too.
    pub async fn wait_for_sms(&self, count: usize) -> Vec<RecordedRequest> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.sms_requests().len() < count && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.sms_requests()
    }

    /// Waits until the call's row satisfies `done` (the fast path finishes after answering).
    pub async fn wait_for_call(&self, call_sid: &str, done: impl Fn(&CallRow) -> bool) -> CallRow {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(row) = self.call_row(call_sid).await {
                if done(&row) || Instant::now() > deadline {
                    return row;
                }
            } else if Instant::now() > deadline {
                panic!("no row for {call_sid}:\n{}", self.worker_log());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn call_row(&self, call_sid: &str) -> Option<CallRow> {
        self.db
            .query_opt(
                "SELECT call_sid, from_number, to_number, processed, outcome, processed_by,
                        dial_call_status, sms_sid, sms_error, sms_attempts,
                        next_attempt_at IS NOT NULL AS has_next_attempt
                 FROM active_calls WHERE call_sid = $1",
                &[&call_sid],
            )
            .await
            .unwrap()
            .map(|row| CallRow {
                from_number: row.get("from_number"),
                to_number: row.get("to_number"),
                processed: row.get("processed"),
                outcome: row.get("outcome"),
                processed_by: row.get("processed_by"),
                dial_call_status: row.get("dial_call_status"),
                sms_sid: row.get("sms_sid"),
                sms_error: row.get("sms_error"),
                sms_attempts: row.get("sms_attempts"),
                has_next_attempt: row.get("has_next_attempt"),
            })
    }

    pub async fn count_calls(&self) -> i64 {
        self.db
            .query_one("SELECT count(*) FROM active_calls", &[])
            .await
            .unwrap()
            .get(0)
    }

    /// For the benchmarks, which load the database directly.
    #[allow(dead_code)]
    pub fn db_url(&self) -> String {
        self.db_url.clone()
    }

    /// Kills wrangler and workerd at once (SIGKILL), whatever they were doing: requests in flight
    /// and work left in `waitUntil` die with them.
    pub fn kill_worker(&mut self) {
        stop_process_group(&mut self.worker);
    }

    /// Starts the worker again on its port, as it was first started, and waits until it serves.
    pub async fn restart_worker(&mut self) {
        let Launch {
            port,
            vars,
            hyperdrive,
            queue,
        } = &self.launch;
        // The port was this worker's; another process may briefly hold it after the kill.
        for _attempt in 0..20 {
            self.worker = start_worker(&self.workdir, *port, vars, hyperdrive.as_deref(), *queue);
            if worker_became_ready(&mut self.worker, &self.workdir, *port).await {
                return;
            }
            stop_process_group(&mut self.worker);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("the worker did not restart on port {port}");
    }

    pub fn stop_database(&self) {
        self.cluster
            .as_ref()
            .expect("spawn with Database::OwnCluster")
            .stop();
    }

    /// The worker's next `count` database connections are accepted and then never answered.
    pub fn hang_next_database_connections(&self, count: usize) {
        self.relay
            .as_ref()
            .expect("spawn with Database::BehindRelay")
            .hang_next(count);
    }

    /// How many of the connections told to hang have not been made yet.
    pub fn database_connections_still_to_hang(&self) -> usize {
        self.relay
            .as_ref()
            .expect("spawn with Database::BehindRelay")
            .still_to_hang()
    }

    /// Restarts the stopped cluster and reconnects the test's own client.
    pub async fn start_database(&mut self) {
        self.cluster
            .as_ref()
            .expect("spawn with Database::OwnCluster")
            .start();
        self.db = database::connect_url(&self.db_url).await.unwrap();
    }

    /// Waits until the call's outcome is `outcome` (the fast path settles after answering) and
    /// returns its row; fails with the worker's log if it never gets there.
    pub async fn wait_for_outcome(&self, call_sid: &str, outcome: Outcome) -> CallRow {
        let row = self
            .wait_for_call(call_sid, |row| {
                row.outcome.as_deref() == Some(outcome.as_str())
            })
            .await;
        assert_eq!(
            row.outcome.as_deref(),
            Some(outcome.as_str()),
            "{call_sid} never became {outcome}:\n{}",
            self.worker_log()
        );
        row
    }

    /// A call Phase 1 recorded `age_secs` ago (as if its callback was lost), straight into the
    /// database, for tests and benchmarks that need many calls fast.
    pub async fn seed_call(&self, call_sid: &str, from: &str, to: &str, age_secs: i32) {
        self.db
            .execute(
                "INSERT INTO active_calls (call_sid, from_number, to_number, received_at)
                 VALUES ($1, $2, $3, now() - make_interval(secs => $4::int))",
                &[&call_sid, &from, &to, &age_secs],
            )
            .await
            .unwrap();
    }
}

#[derive(Debug, Clone)]
pub struct CallRow {
    pub from_number: String,
    pub to_number: String,
    pub processed: bool,
    pub outcome: Option<String>,
    pub processed_by: Option<String>,
    pub dial_call_status: Option<String>,
    pub sms_sid: Option<String>,
    pub sms_error: Option<String>,
    pub sms_attempts: i32,
    pub has_next_attempt: bool,
}

/// The port of a `postgresql://user:pass@127.0.0.1:PORT/db` URL.
fn url_port(url: &str) -> u16 {
    let after_host = url.rsplit_once("127.0.0.1:").expect("a loopback URL").1;
    after_host.split('/').next().unwrap().parse().unwrap()
}

pub(crate) async fn read(request: reqwest::RequestBuilder) -> Reply {
    let started = Instant::now();
    let response = request.send().await.expect("worker answered");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.text().await.unwrap();
    Reply {
        status,
        content_type,
        body,
        elapsed: started.elapsed(),
    }
}
