//! What every scenario of the suite shares: the dice, the trials (calls with a scripted fate),
//! a world (the worker in workerd, its database and the Twilio double) that plays them, waits for
//! the worker's work in flight, lets time pass in the database, and checks every call against the
//! promise from the double's own record of the messages it created.
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use test_support::*;

/// A small xorshift generator: every choice of a run, so `SEED=` replays it.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Clone>(&mut self, from: &[T]) -> T {
        from[self.below(from.len() as u64) as usize].clone()
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i as u64 + 1) as usize);
        }
    }
}

/// What really happened to a call, as Twilio will tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Nobody picked up the forward: owed exactly one text.
    Missed,
    /// The business answered: never texted.
    Answered,
    /// A Call SID Twilio does not have (a forged or foreign webhook): never texted.
    Unknown,
    /// Missed, from a caller who texted STOP to the number earlier: never texted.
    OptedOut,
}

/// One call of a scenario.
pub struct Trial {
    pub sid: String,
    pub caller: String,
    pub fate: Fate,
    /// When the call ended for the harness: its Phase 2 went out, or its callback was lost.
    pub ended: Option<SystemTime>,
}

impl Trial {
    /// The forwarded leg's status (and Phase 2's `DialCallStatus`).
    pub fn leg_status(&self) -> &'static str {
        match self.fate {
            Fate::Missed | Fate::OptedOut => "no-answer",
            Fate::Answered | Fate::Unknown => "completed",
        }
    }

    pub fn missed(&self) -> bool {
        self.fate == Fate::Missed
    }
}

/// A scenario's world: the worker, its database and the double, and the dice.
pub struct World {
    pub app: TestApp,
    pub dice: Dice,
    made: u32,
}

impl World {
    /// A worker with a budget above any wave, whose number may text every missed call of the run
    /// (each call has a caller of its own, so the cooldown never applies).
    pub async fn start(seed: u64, database: Database) -> World {
        let app = spawn_app_with(Options {
            database,
            vars: vec![("POLL_TWILIO_BUDGET", Some("10000".into()))],
            ..Options::default()
        })
        .await;
        let settings = serde_json::json!({ "daily_text_limit": 100_000 });
        let reply = app.configure_default_number_with(settings).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        World {
            app,
            dice: Dice::new(seed),
            made: 0,
        }
    }

    /// `count` new calls: `missed` percent missed, `unknown` percent unknown to Twilio, the rest
    /// answered.
    pub fn trials(&mut self, count: usize, missed: u64, unknown: u64) -> Vec<Trial> {
        let stamp = call_sid(0);
        (0..count)
            .map(|_| {
                let n = self.made;
                self.made += 1;
                let roll = self.dice.below(100);
                let fate = if roll < unknown {
                    Fate::Unknown
                } else if roll < unknown + (100 - unknown) * missed / 100 {
                    Fate::Missed
                } else {
                    Fate::Answered
                };
                Trial {
                    sid: format!("{}{n:08x}", &stamp[..26]),
                    caller: format!("+1415{n:07}"),
                    fate,
                    ended: None,
                }
            })
            .collect()
    }

    /// Turns `percent` of the missed calls into calls from callers who texted STOP to the number
    /// first (delivered through the inbound-SMS webhook, as Twilio would).
    pub async fn opt_out(&mut self, trials: &mut [Trial], percent: u64) {
        for trial in trials.iter_mut().filter(|t| t.missed()) {
            if self.dice.chance(percent) {
                trial.fate = Fate::OptedOut;
                self.app.text_number(&trial.caller, "STOP").await;
            }
        }
    }

    /// Each call starts: Twilio knows it from now on (from its caller to the business's number,
    /// so its Calls list shows it to reconciliation too), already over as its fate says, and its
    /// Phase 1 comes, ten at a time; every answer must still connect the caller.
    pub async fn phase_1(&self, trials: &[Trial]) {
        use futures::StreamExt;
        for trial in trials.iter().filter(|t| t.fate != Fate::Unknown) {
            self.app.twilio.script_inbound_call(
                &trial.sid,
                (&trial.caller, TWILIO_NUMBER),
                Duration::ZERO,
                "completed",
                &[trial.leg_status()],
            );
        }
        futures::stream::iter(trials)
            .for_each_concurrent(10, |trial| async move {
                let reply = self.app.incoming_call_from(&trial.sid, &trial.caller).await;
                assert_eq!(reply.status, 200, "{}", reply.body);
                assert!(
                    reply.body.contains("<Dial"),
                    "not connected: {}",
                    reply.body
                );
            })
            .await;
    }

    /// Phase 2 of each call, all at once, each with its leg's status.
    pub async fn phase_2(&self, trials: &mut [Trial]) {
        let now = SystemTime::now();
        futures::future::join_all(trials.iter_mut().map(|trial| async move {
            trial.ended = Some(now);
            let reply = self
                .app
                .dial_result_from(&trial.sid, &trial.caller, trial.leg_status())
                .await;
            assert_eq!(reply.status, 200, "{}", reply.body);
        }))
        .await;
    }

    /// The calls' callbacks never come: they are due for the poll now.
    pub async fn lose_callbacks(&self, trials: &mut [Trial]) {
        let sids: Vec<&str> = trials.iter().map(|t| t.sid.as_str()).collect();
        self.app
            .db
            .execute(
                "UPDATE active_calls SET received_at = now() - make_interval(secs => $2::int)
                 WHERE call_sid = ANY($1)",
                &[&sids, &DUE],
            )
            .await
            .unwrap();
        let now = SystemTime::now();
        for trial in trials {
            trial.ended = Some(now);
        }
    }

    /// Waits until the worker's work in flight is over: nothing is being asked of the double, no
    /// statement of the worker's is running, and no claim for a text is younger than a moment. Time may then pass without making a live
    /// claim look abandoned (which in the field takes minutes, far beyond any request's life).
    pub async fn quiesce(&self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut quiet_since: Option<(Instant, usize)> = None;
        loop {
            let count = self.app.twilio.request_count();
            let idle = self.app.twilio.requests_in_flight().is_empty();
            // Claims younger than a moment, and the worker's statements still running.
            let young_claims: i64 = self
                .app
                .db
                .query_one(
                    "SELECT (SELECT count(*) FROM active_calls WHERE outcome = 'sending'
                                AND claimed_at > now() - interval '2 seconds')
                          + (SELECT count(*) FROM pg_stat_activity
                             WHERE datname = current_database() AND pid <> pg_backend_pid()
                               AND state NOT IN ('idle'))",
                    &[],
                )
                .await
                .map(|row| row.get(0))
                .unwrap_or(1);
            quiet_since = match quiet_since {
                Some((since, seen)) if idle && young_claims == 0 && seen == count => {
                    if since.elapsed() >= Duration::from_millis(400) {
                        return;
                    }
                    Some((since, seen))
                }
                _ if idle && young_claims == 0 => Some((Instant::now(), count)),
                _ => None,
            };
            assert!(Instant::now() < deadline, "the worker never went quiet");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Lets the worker finish what it owes: time passes in the database (six minutes a round, so
    /// leases, backoffs, stale claims and reconciliation's turn come as they would; nothing is made
    /// due that the worker itself would not take up) and the poll runs, until no call is left open
    /// (at least two rounds, at most ten: an hour, inside the calls' two-hour maximum age).
    pub async fn settle(&self) {
        for round in 0..10 {
            self.quiesce().await;
            self.app.pass_time(360).await;
            // A run that fails (its database slow to connect on a loaded machine) is a tick
            // missed: the next round's tick takes its calls, as the next minute's would.
            self.app.request_poll().await;
            let open: i64 = self
                .app
                .db
                .query_one("SELECT count(*) FROM active_calls WHERE NOT processed", &[])
                .await
                .unwrap()
                .get(0);
            if round >= 1 && open == 0 {
                self.quiesce().await;
                return;
            }
        }
        self.quiesce().await;
    }

    /// Every trial against the promise, from the messages the double created for its caller.
    pub async fn check(
        &self,
        scenario: &str,
        trials: &[Trial],
        faults_hit: u64,
        faults: String,
    ) -> Row {
        let mut row = Row {
            scenario: scenario.to_string(),
            trials: trials.len(),
            faults_hit,
            faults,
            ..Row::default()
        };
        let mut latencies = Vec::new();
        for trial in trials {
            let texts = self.app.twilio.messages_created_to(&trial.caller);
            match (trial.missed(), texts.len()) {
                (true, 1) => {
                    row.texted_once += 1;
                    if let Some(ended) = trial.ended {
                        latencies.push(texts[0].duration_since(ended).unwrap_or_default());
                    }
                }
                (true, 0) => row.lost.push(self.describe(trial).await),
                (true, _) => row.doubled.push(self.describe(trial).await),
                (false, 0) => {}
                (false, _) => row.wrong.push(self.describe(trial).await),
            }
        }
        row.missed = trials.iter().filter(|t| t.missed()).count();
        if row.failed() {
            // The worker's log goes when the world does: keep it beside the report.
            let path = std::env::temp_dir().join(format!("faults-{}.log", std::process::id()));
            let mut log = std::fs::read_to_string(&path).unwrap_or_default();
            log.push_str(&format!("==== {scenario}\n{}", self.app.worker_log()));
            std::fs::write(&path, log).unwrap();
            row.log = Some(path);
        }
        latencies.sort();
        let at = |q: f64| {
            let i = ((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1));
            latencies.get(i).copied().unwrap_or_default()
        };
        row.p50 = at(0.5);
        row.p99 = at(0.99);
        row
    }
}

impl World {
    /// A call as the database ended it, for the report of a failure.
    async fn describe(&self, trial: &Trial) -> String {
        let row = self.app.call_row(&trial.sid).await;
        let state = row.map_or("never recorded".to_string(), |row| {
            format!(
                "{} by {}, dial {}, {} attempts",
                row.outcome.as_deref().unwrap_or("undecided"),
                row.processed_by.as_deref().unwrap_or("nobody"),
                row.dial_call_status.as_deref().unwrap_or("unknown"),
                row.sms_attempts
            )
        });
        format!("{} ({:?}: {state})", trial.sid, trial.fate)
    }
}

/// A scenario's line of the table.
#[derive(Default)]
pub struct Row {
    pub scenario: String,
    pub trials: usize,
    pub missed: usize,
    pub texted_once: usize,
    /// The missed calls never texted, texted twice or more, and the calls texted wrongly, each
    /// with what the database made of it.
    pub lost: Vec<String>,
    pub doubled: Vec<String>,
    pub wrong: Vec<String>,
    pub p50: Duration,
    pub p99: Duration,
    /// Faults the double or the harness saw hit, and what they were.
    pub faults_hit: u64,
    pub faults: String,
    pub wall: Duration,
    /// The scenario panicked (its message is in `faults`).
    pub panicked: bool,
    /// Where the worker's log was kept, when the row failed.
    pub log: Option<std::path::PathBuf>,
}

impl Row {
    pub const HEADER: &str = "| scenario | trials | missed | not to text | texted once | lost | doubled | wrongly texted | end → text p50 | p99 | faults hit | wall |\n|---|---|---|---|---|---|---|---|---|---|---|---|";

    /// The row of a scenario that panicked before it could check its calls.
    pub fn panicked(scenario: &str, trials: usize, panic: tokio::task::JoinError) -> Row {
        let message = panic.into_panic();
        let text = message
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| message.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Row {
            scenario: scenario.to_string(),
            trials,
            faults: format!("panicked: {text}"),
            panicked: true,
            ..Row::default()
        }
    }

    /// A row that breaks the promise, or whose scenario injected nothing.
    pub fn failed(&self) -> bool {
        !(self.lost.is_empty() && self.doubled.is_empty() && self.wrong.is_empty())
            || self.faults_hit == 0
            || self.panicked
    }

    pub fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} ms | {} ms | {} | {:.0} s |",
            self.scenario,
            self.trials,
            self.missed,
            self.trials - self.missed,
            self.texted_once,
            self.lost.len(),
            self.doubled.len(),
            self.wrong.len(),
            self.p50.as_millis(),
            self.p99.as_millis(),
            self.faults,
            self.wall.as_secs_f64(),
        )
    }

    /// The calls behind a failure, for replaying them (`SEED=`) and reading the worker's log.
    pub fn failures(&self) -> String {
        let list = |name: &str, sids: &[String]| {
            (!sids.is_empty()).then(|| format!("{name}:\n  {}", sids.join("\n  ")))
        };
        [
            list("lost", &self.lost),
            list("doubled", &self.doubled),
            list("wrongly texted", &self.wrong),
            (self.faults_hit == 0 && !self.panicked).then(|| "no fault was hit".to_string()),
            self.panicked.then(|| self.faults.clone()),
            self.log
                .as_ref()
                .map(|path| format!("the worker's log: {}", path.display())),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
    }
}

/// The seed of a run: `SEED=`, or the clock.
pub fn seed() -> u64 {
    std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}
