//! The worker under test: `wrangler dev` (workerd) on a port of its own, with a wrangler.toml
//! written for the test (its settings, a Hyperdrive binding pointing at its database, and when asked
//! the CHECKS queue as producer and consumer).
use crate::database::{free_port, root};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Waits for this worker's own "Ready on" line for `port`: a bare connect could reach another
/// test's worker that took the port.
pub(crate) async fn worker_became_ready(worker: &mut Child, workdir: &Path, port: u16) -> bool {
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

/// CPU time (user + system, in ms) the `workerd` processes of the process group `group` have used
/// so far, read from /proc: every isolate of the test's worker runs in them, so a difference over N
/// requests bounds the CPU per request from above (workerd's own housekeeping is included).
pub(crate) fn workerd_cpu_ms(group: u32) -> f64 {
    let ticks_per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut ticks = 0u64;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp …`: comm may hold spaces, so fields count from its ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        let field = |n: usize| fields.get(n).and_then(|f| f.parse::<u64>().ok());
        // After the comm: state (0), ppid (1), pgrp (2) … utime (11), stime (12).
        if comm.starts_with("workerd") && field(2) == Some(u64::from(group)) {
            ticks += field(11).unwrap_or(0) + field(12).unwrap_or(0);
        }
    }
    ticks as f64 * 1000.0 / ticks_per_sec
}

pub(crate) fn stop_process_group(child: &mut Child) {
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let _ = child.wait();
}

/// The local queue of a worker started with the CHECKS binding: wrangler dev runs it in Miniflare,
/// one per worker (each test's state lives in its own folder).
const CHECKS_QUEUE: &str = "mctb-checks";

pub(crate) fn start_worker(
    workdir: &Path,
    port: u16,
    vars: &[(&str, Option<String>)],
    hyperdrive: Option<&str>,
    queue: bool,
) -> Child {
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
    if let Some(db_url) = hyperdrive {
        toml.push_str(&format!(
            "\n[[hyperdrive]]\nbinding = \"HYPERDRIVE\"\nid = \"00000000000000000000000000000000\"\nlocalConnectionString = {db_url:?}\n"
        ));
    }
    if queue {
        // The batch settings wrangler.toml documents, so tests and benchmarks run what deploys.
        toml.push_str(&format!(
            "\n[[queues.producers]]\nbinding = \"CHECKS\"\nqueue = \"{CHECKS_QUEUE}\"\n\n\
             [[queues.consumers]]\nqueue = \"{CHECKS_QUEUE}\"\nmax_batch_size = 10\n\
             max_batch_timeout = 1\nmax_retries = 3\n"
        ));
    }
    std::fs::write(workdir.join("wrangler.toml"), toml).unwrap();

    // As scripts/env.sh: npm's bin folder first, with the Node it installed where the machine's is
    // too old for wrangler (Linux), else the machine's own.
    let path = format!(
        "{}:{}",
        root().join("node_modules/.bin").display(),
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
