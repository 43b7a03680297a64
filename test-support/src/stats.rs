//! Helpers for the KPIs: `/api/stats` with the test's bearer, the dashboard with HTTP Basic
//! credentials (no redirect followed, headers kept), the dashboard in headless Chromium through
//! scripts/browser/dashboard.mjs, and moving the poll's heartbeat in time in the database.
use crate::app::{read, Reply, TestApp};
use crate::database::root;
use crate::ADMIN_TOKEN;
use std::process::Stdio;

/// A page as the browser receives it: the status, the headers and the body.
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// Where the browser test's screenshots go (git-ignored).
pub fn screenshot_folder() -> std::path::PathBuf {
    root().join(".local/screenshots")
}

impl TestApp {
    /// `GET /api/stats{query}` with `bearer`, whatever it answers.
    pub async fn stats_request(&self, query: &str, bearer: Option<&str>) -> Reply {
        let request = self.http.get(format!("{}/api/stats{query}", self.address));
        read(match bearer {
            Some(token) => request.bearer_auth(token),
            None => request,
        })
        .await
    }

    /// `GET /api/stats?days={days}` with the right bearer: the KPIs.
    pub async fn stats(&self, days: u32) -> serde_json::Value {
        let reply = self
            .stats_request(&format!("?days={days}"), Some(ADMIN_TOKEN))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }

    /// `GET {path}` as a browser with `password` (any user name) would, redirects not followed.
    pub async fn page(&self, path: &str, password: Option<&str>) -> Page {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut request = client.get(format!("{}{path}", self.address));
        if let Some(password) = password {
            request = request.basic_auth("owner", Some(password));
        }
        let response = request.send().await.expect("worker answered");
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    /// `GET /dashboard{query}` with the right password.
    pub async fn dashboard(&self, query: &str) -> Page {
        self.page(&format!("/dashboard{query}"), Some(ADMIN_TOKEN))
            .await
    }

    /// Opens `/dashboard?days={days}` in headless Chromium, on a phone and a desktop, and returns
    /// what scripts/browser/dashboard.mjs read there (`{"phone": …, "desktop": …}`); screenshots
    /// go to `screenshot_folder()`. Fails when the browser cannot run: the test is never skipped.
    pub async fn browse_dashboard(&self, days: u32) -> serde_json::Value {
        let path = format!(
            "{}:{}",
            root().join("node_modules/.bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let output = tokio::process::Command::new("node")
            .arg(root().join("scripts/browser/dashboard.mjs"))
            .arg(format!("{}/dashboard?days={days}", self.address))
            .arg(screenshot_folder())
            .env("PATH", path)
            .env("DASHBOARD_PASSWORD", ADMIN_TOKEN)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .expect("node runs (scripts/setup.sh installs it)");
        assert!(
            output.status.success(),
            "the browser script failed (is chromium installed? scripts/setup.sh installs it): {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "the browser script printed no JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }

    /// Places the finished poll runs `minutes_apart` minutes apart, the newest `minutes_apart`
    /// minutes ago, each in a minute of its own; returns how many there are.
    pub async fn spread_poll_runs(&self, minutes_apart: i32) -> i64 {
        self.db
            .execute(
                "UPDATE poll_runs SET
                     started_at = now() - make_interval(mins => $1::int * n::int),
                     finished_at = now() - make_interval(mins => $1::int * n::int)
                                   + interval '1 second'
                 FROM (SELECT id, row_number() OVER (ORDER BY id DESC) AS n
                       FROM poll_runs WHERE finished_at IS NOT NULL) AS runs
                 WHERE poll_runs.id = runs.id",
                &[&minutes_apart],
            )
            .await
            .unwrap() as i64
    }
}

/// The second business number of the call mix, whose name needs escaping.
pub const OTHER_NUMBER: &str = "+14155559001";
pub const OTHER_BUSINESS: &str = "Ann's <Bakery> & Co";

/// A call of the mix: its Call SID and its caller as Twilio sent it.
pub struct MixedCall {
    pub sid: String,
    pub from: String,
}

impl MixedCall {
    fn new(n: u32) -> MixedCall {
        MixedCall {
            sid: crate::call_sid(n),
            from: crate::caller(n),
        }
    }
}

/// The calls `play_call_mix` made, by what became of them.
pub struct CallMix {
    /// Phase 2 `no-answer`: texted by the callback, then reported delivered, then read.
    pub texted_by_callback: MixedCall,
    /// Phase 2 `completed`: answered.
    pub answered: MixedCall,
    /// Phase 2 lost, the forward's status callback `no-answer`: texted by the status callback.
    pub texted_by_status_callback: MixedCall,
    /// No callback ever came: texted by the poll, then reported undelivered (30007).
    pub texted_by_poll: MixedCall,
    /// A withheld caller ID (`anonymous`): `no_caller_id`.
    pub withheld: MixedCall,
    /// Phase 2 twice: texted once, the second claim lost (`dedup_prevented` 1).
    pub repeated: MixedCall,
    /// To OTHER_NUMBER, Phase 1 only and not yet due: in progress.
    pub in_progress: MixedCall,
    /// Answered 10 days ago: outside a 7-day window, inside a 30-day one.
    pub old_answered: MixedCall,
}

/// Seconds from arrival to text the mix's texted calls are given: the fast path's three (status
/// callback, callback, repeated callback), the poll's.
const CALLBACK_SECS: [i32; 3] = [2, 3, 4];
const POLL_SECS: i32 = 75;

impl TestApp {
    /// Plays a mix of real calls through the worker (Phase 1, Phase 2, the poll, message status
    /// callbacks) to TWILIO_NUMBER (Joe's Plumbing) and OTHER_NUMBER, then moves their timestamps in
    /// the database so that every figure is exact: the texted calls came in 4 h, 3 h, 2 h and 1 h ago
    /// and were texted `CALLBACK_SECS` / `POLL_SECS` later; the one poll run finished 2 minutes ago.
    pub async fn play_call_mix(&self) -> CallMix {
        use crate::call_params_from;
        use missed_call_textback::domain::Outcome;
        self.configure_default_number().await;
        let other = self
            .configure_number(
                OTHER_NUMBER,
                serde_json::json!({"forward_to": "+14155550101", "business_name": OTHER_BUSINESS}),
            )
            .await;
        assert_eq!(other.status, 201, "{}", other.body);
        let mix = CallMix {
            texted_by_callback: MixedCall::new(1),
            answered: MixedCall::new(2),
            texted_by_poll: MixedCall::new(3),
            withheld: MixedCall {
                from: "anonymous".into(),
                ..MixedCall::new(4)
            },
            repeated: MixedCall::new(5),
            in_progress: MixedCall::new(6),
            old_answered: MixedCall::new(7),
            texted_by_status_callback: MixedCall::new(8),
        };
        for (call, dial_status, outcome) in [
            (&mix.texted_by_callback, "no-answer", Outcome::Texted),
            (&mix.answered, "completed", Outcome::Answered),
            (&mix.withheld, "no-answer", Outcome::NoCallerId),
            (&mix.repeated, "no-answer", Outcome::Texted),
            (&mix.old_answered, "completed", Outcome::Answered),
        ] {
            let (sid, from) = (&call.sid, &call.from);
            assert_eq!(self.incoming_call_from(sid, from).await.status, 200);
            let answer = self.dial_result_from(sid, from, dial_status).await;
            assert_eq!(answer.status, 200);
            self.wait_for_outcome(sid, outcome).await;
        }
        let forwarded = &mix.texted_by_status_callback;
        assert_eq!(
            self.incoming_call_from(&forwarded.sid, &forwarded.from)
                .await
                .status,
            200
        );
        let leg = self.forward_leg(&forwarded.sid, &forwarded.from);
        assert_eq!(self.dial_status(&leg, "no-answer", false).await.status, 200);
        self.wait_for_outcome(&forwarded.sid, Outcome::Texted).await;

        let repeated = &mix.repeated;
        let again = self
            .dial_result_from(&repeated.sid, &repeated.from, "no-answer")
            .await;
        assert_eq!(again.status, 200);
        self.wait_for_dedup_prevented(&repeated.sid, 1).await;

        let lost = &mix.texted_by_poll;
        self.lost_callback(&lost.sid, &lost.from, "completed", &["no-answer"])
            .await;
        assert_eq!(self.run_poll().await.texted, 1);
        self.wait_for_outcome(&lost.sid, Outcome::Texted).await;

        let pending = &mix.in_progress;
        let mut params = call_params_from(&pending.sid, "ringing", &pending.from);
        for (name, value) in params.iter_mut() {
            if *name == "To" || *name == "Called" {
                *value = OTHER_NUMBER;
            }
        }
        assert_eq!(self.post_voice("", &params).await.status, 200);

        for (call, status, error_code) in [
            (&mix.texted_by_callback, "delivered", None),
            // Read receipts follow delivery (RCS, WhatsApp): still delivered.
            (&mix.texted_by_callback, "read", None),
            (&mix.texted_by_poll, "undelivered", Some(30007)),
        ] {
            let message = self.call_row(&call.sid).await.unwrap().sms_sid.unwrap();
            let (code, body) = self
                .twilio
                .deliver_status(&message, status, error_code)
                .await;
            assert_eq!(code, 200, "{body}");
            self.wait_for_delivery(&call.sid, status).await;
        }

        for (call, hours_ago, secs_to_text) in [
            (&mix.texted_by_status_callback, 4, Some(CALLBACK_SECS[1])),
            (&mix.texted_by_callback, 3, Some(CALLBACK_SECS[0])),
            (&mix.repeated, 2, Some(CALLBACK_SECS[2])),
            (&mix.texted_by_poll, 1, Some(POLL_SECS)),
            (&mix.old_answered, 240, None),
        ] {
            self.db
                .execute(
                    "UPDATE active_calls SET received_at = now() - make_interval(hours => $2::int),
                         sms_sent_at = now() - make_interval(hours => $2::int)
                                       + make_interval(secs => $3::int)
                     WHERE call_sid = $1",
                    &[&call.sid, &hours_ago, &secs_to_text],
                )
                .await
                .unwrap();
        }
        assert_eq!(self.spread_poll_runs(2).await, 1);
        mix
    }

    /// Waits for the call's count of lost claims to reach `count` (recorded after the answer).
    pub async fn wait_for_dedup_prevented(&self, call_sid: &str, count: i32) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while self.delivery(call_sid).await.dedup_prevented < count {
            assert!(
                std::time::Instant::now() < deadline,
                "dedup_prevented of {call_sid} never reached {count}:\n{}",
                self.worker_log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}
