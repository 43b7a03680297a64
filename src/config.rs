//! The worker's settings, read once per invocation. A missing or malformed value is reported by name
//! so the operator sees exactly what to `wrangler secret put`.
use crate::domain::business::DIAL_TIMEOUT_RANGE;
use crate::routes::MESSAGE_STATUS_PATH;
use std::fmt;

pub const DEFAULT_TWILIO_API_BASE_URL: &str = "https://api.twilio.com";
/// Lookup v2 lives on a host of its own.
pub const DEFAULT_TWILIO_LOOKUP_BASE_URL: &str = "https://lookups.twilio.com";

#[derive(Debug, Clone)]
pub struct Config {
    /// Public base URL, no trailing slash: Twilio signs the URL it was given, so signatures are
    /// checked against this and never against the request line (which a proxy may rewrite).
    pub app_url: String,
    pub twilio: TwilioConfig,
    /// Bearer token of the cron endpoints; only they need it (the cron triggers do not).
    pub cron_secret: Option<Secret>,
    /// Bearer token of the admin API; only it needs it.
    pub admin_token: Option<Secret>,
    pub poll: PollSettings,
    pub monitoring: MonitoringSettings,
    /// Quick rollback: Phase 2 records the dial result but only the poll sends texts.
    pub polling_only: bool,
    /// Settings that are missing or malformed but that the voice path can do without: their
    /// defaults stand in, the edge logs them, and `/api/health` answers 503 until they are fixed.
    pub problems: Vec<ConfigError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSettings {
    /// Twilio requests (lookups and texts) one run may make; the Free plan allows 50 subrequests.
    pub twilio_budget: u32,
    /// Added to a call's dial timeout before the poll looks at it: Twilio's ~5 s on top of the
    /// timeout plus its 15 s webhook window, so the callback gets its chance first.
    pub callback_grace_secs: u32,
    /// Older calls are expired without a text: hours later, a text does more harm than good.
    pub max_call_age_secs: u32,
    /// Processed calls older than this are deleted by the weekly cleanup.
    pub cleanup_after_days: u32,
    /// Calls one run works at once (Twilio requests in flight): at most 5, since Workers allow six
    /// simultaneous open connections per invocation and the database's socket is one of them.
    pub concurrency: u32,
}

/// The most calls a poll run works at once.
pub const MAX_POLL_CONCURRENCY: u32 = 5;

impl Default for PollSettings {
    fn default() -> Self {
        PollSettings {
            twilio_budget: 45,
            callback_grace_secs: 20,
            max_call_age_secs: 2 * 60 * 60,
            cleanup_after_days: 7,
            concurrency: MAX_POLL_CONCURRENCY,
        }
    }
}

/// The cron alarm and the alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringSettings {
    /// Health answers 503, and the cron alert goes out, when no poll run has finished for this
    /// long while the deployment has calls: the design document's "missing cron executions for 5+
    /// minutes".
    pub cron_alarm_secs: u32,
    /// Where alerts are POSTed as `{"text": …}` (Slack, Discord-compatible and Teams-style incoming
    /// webhooks); without it they are log lines only. A secret: such URLs carry their token.
    pub alert_webhook_url: Option<Secret>,
    /// Final send failures plus undelivered texts within an hour that raise the delivery alert.
    pub failure_alert_threshold: u32,
}

impl Default for MonitoringSettings {
    fn default() -> Self {
        MonitoringSettings {
            cron_alarm_secs: 300,
            alert_webhook_url: None,
            failure_alert_threshold: 3,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: Secret,
    pub api_base_url: String,
    /// Lookup v2's origin (`TWILIO_LOOKUP_BASE_URL`): the line type of a caller, for numbers that
    /// skip landlines. Tests and local runs point it at the double, like `api_base_url`.
    pub lookup_base_url: String,
    /// The `StatusCallback` of every text: `{APP_URL}/api/webhooks/twilio/message-status`.
    pub message_status_url: String,
}

/// A token or secret: usable where it is needed (`expose`), never printed. `Debug` and `Display`
/// show only that it is there, so no log line or debug dump of a config can leak one.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "setting {}: {}", self.setting, self.problem)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// `lookup` returns a variable or secret by name; empty values count as missing. Only what
    /// the voice webhook cannot work without (APP_URL, the Twilio account SID and auth token) is
    /// an error; anything else that is wrong becomes a default plus an entry in `problems`, so a
    /// typo in an unrelated setting never stops calls being forwarded.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let missing = |setting: &'static str| ConfigError {
            setting,
            problem: "is not set".to_string(),
        };

        // The seed system called it NEXT_PUBLIC_APP_URL; existing deployments keep working.
        let app_url = get("APP_URL")
            .or_else(|| get("NEXT_PUBLIC_APP_URL"))
            .ok_or_else(|| ConfigError {
                setting: "APP_URL",
                problem: "is not set (NEXT_PUBLIC_APP_URL is accepted too)".to_string(),
            })?;
        let app_url = parse_origin("APP_URL", &app_url)?;
        let account_sid = get("TWILIO_ACCOUNT_SID").ok_or(missing("TWILIO_ACCOUNT_SID"))?;
        if !is_sid(&account_sid, "AC") {
            return Err(ConfigError {
                setting: "TWILIO_ACCOUNT_SID",
                problem: "must be AC followed by 32 hex digits".to_string(),
            });
        }
        let auth_token = Secret(get("TWILIO_AUTH_TOKEN").ok_or(missing("TWILIO_AUTH_TOKEN"))?);

        let mut problems = Vec::new();
        let api_base_url = or_default(
            &mut problems,
            get("TWILIO_API_BASE_URL").map_or(Ok(DEFAULT_TWILIO_API_BASE_URL.to_string()), |url| {
                parse_origin("TWILIO_API_BASE_URL", &url)
            }),
            DEFAULT_TWILIO_API_BASE_URL.to_string(),
        );
        let lookup_base_url = or_default(
            &mut problems,
            get("TWILIO_LOOKUP_BASE_URL")
                .map_or(Ok(DEFAULT_TWILIO_LOOKUP_BASE_URL.to_string()), |url| {
                    parse_origin("TWILIO_LOOKUP_BASE_URL", &url)
                }),
            DEFAULT_TWILIO_LOOKUP_BASE_URL.to_string(),
        );
        let defaults = PollSettings::default();
        let number = |name: &'static str, default: u32, range: std::ops::RangeInclusive<u32>| {
            let Some(raw) = get(name) else {
                return Ok(default);
            };
            raw.parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| ConfigError {
                    setting: name,
                    problem: format!(
                        "{raw:?} is not a whole number in {}..={}",
                        range.start(),
                        range.end()
                    ),
                })
        };
        let mut poll = PollSettings {
            twilio_budget: or_default(
                &mut problems,
                number("POLL_TWILIO_BUDGET", defaults.twilio_budget, 4..=10_000),
                defaults.twilio_budget,
            ),
            concurrency: or_default(
                &mut problems,
                number(
                    "POLL_CONCURRENCY",
                    defaults.concurrency,
                    1..=MAX_POLL_CONCURRENCY,
                ),
                defaults.concurrency,
            ),
            callback_grace_secs: or_default(
                &mut problems,
                number(
                    "CALLBACK_GRACE_SECS",
                    defaults.callback_grace_secs,
                    0..=3600,
                ),
                defaults.callback_grace_secs,
            ),
            max_call_age_secs: or_default(
                &mut problems,
                number(
                    "MAX_CALL_AGE_SECS",
                    defaults.max_call_age_secs,
                    60..=7 * 86_400,
                ),
                defaults.max_call_age_secs,
            ),
            cleanup_after_days: or_default(
                &mut problems,
                number("CLEANUP_AFTER_DAYS", defaults.cleanup_after_days, 1..=3650),
                defaults.cleanup_after_days,
            ),
        };
        let shortest_age = poll.shortest_max_call_age_secs();
        if poll.max_call_age_secs < shortest_age {
            problems.push(ConfigError {
                setting: "MAX_CALL_AGE_SECS",
                problem: format!(
                    "{} s would expire calls before the poll may look at them: it must be at least \
                     {shortest_age} s (the longest dial timeout, {} s, plus CALLBACK_GRACE_SECS, \
                     plus a minute for the poll's next tick)",
                    poll.max_call_age_secs,
                    DIAL_TIMEOUT_RANGE.end()
                ),
            });
            poll.max_call_age_secs = defaults.max_call_age_secs.max(shortest_age);
        }
        // Reconciliation looks back MAX_CALL_AGE_SECS at Twilio's list; a call the cleanup already
        // deleted would look unknown there and be recorded, and texted, a second time.
        let cleanup_window = u64::from(poll.cleanup_after_days) * 86_400;
        if u64::from(poll.max_call_age_secs) >= cleanup_window {
            problems.push(ConfigError {
                setting: "MAX_CALL_AGE_SECS",
                problem: format!(
                    "{} s reaches past CLEANUP_AFTER_DAYS ({} days), so a call the cleanup deleted \
                     could be recovered from Twilio and texted again: it must be shorter",
                    poll.max_call_age_secs, poll.cleanup_after_days
                ),
            });
            poll.max_call_age_secs = defaults.max_call_age_secs;
        }
        let monitoring_defaults = MonitoringSettings::default();
        let monitoring = MonitoringSettings {
            cron_alarm_secs: or_default(
                &mut problems,
                number(
                    "CRON_ALARM_SECS",
                    monitoring_defaults.cron_alarm_secs,
                    120..=86_400,
                ),
                monitoring_defaults.cron_alarm_secs,
            ),
            alert_webhook_url: get("ALERT_WEBHOOK_URL").and_then(|url| {
                or_default(
                    &mut problems,
                    parse_webhook_url("ALERT_WEBHOOK_URL", &url).map(Some),
                    None,
                )
            }),
            failure_alert_threshold: or_default(
                &mut problems,
                number(
                    "ALERT_FAILURE_THRESHOLD",
                    monitoring_defaults.failure_alert_threshold,
                    1..=10_000,
                ),
                monitoring_defaults.failure_alert_threshold,
            ),
        };
        let polling_only = match get("POLLING_ONLY").as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                problems.push(ConfigError {
                    setting: "POLLING_ONLY",
                    problem: format!("{other:?} is not true or false (using false)"),
                });
                false
            }
        };
        let mut secret = |name: &'static str| {
            let value = get(name).map(Secret);
            if value.is_none() {
                problems.push(missing(name));
            }
            value
        };
        let cron_secret = secret("CRON_SECRET");
        let admin_token = secret("ADMIN_TOKEN");

        Ok(Config {
            twilio: TwilioConfig {
                account_sid,
                auth_token,
                api_base_url,
                lookup_base_url,
                message_status_url: format!("{app_url}{MESSAGE_STATUS_PATH}"),
            },
            app_url,
            cron_secret,
            admin_token,
            poll,
            monitoring,
            polling_only,
            problems,
        })
    }
}

/// A setting's parsed value, or its default with the problem noted.
fn or_default<T>(problems: &mut Vec<ConfigError>, parsed: Result<T, ConfigError>, default: T) -> T {
    parsed.unwrap_or_else(|problem| {
        problems.push(problem);
        default
    })
}

impl PollSettings {
    /// The least `MAX_CALL_AGE_SECS` that lets the poll look at every call at least once: the
    /// longest dial timeout a number may have, the callback's grace, and one tick of the cron.
    pub fn shortest_max_call_age_secs(&self) -> u32 {
        DIAL_TIMEOUT_RANGE.end() + self.callback_grace_secs + 60
    }
}

/// A required bearer token, or the error naming the setting that is missing.
pub fn required_secret<'a>(
    secret: &'a Option<Secret>,
    setting: &'static str,
) -> Result<&'a Secret, ConfigError> {
    secret.as_ref().ok_or(ConfigError {
        setting,
        problem: "is not set".to_string(),
    })
}

/// An http(s) origin: scheme and host (and port), nothing after it but an optional `/`. Webhook
/// routes are matched from the root, so a base with a path would make every callback a 404.
fn parse_origin(setting: &'static str, raw: &str) -> Result<String, ConfigError> {
    let trimmed = raw.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if host.contains('/') => Err(ConfigError {
            setting,
            problem: format!(
                "{raw:?} has a path; give the origin only, such as https://example.com (the worker \
                 serves its routes from the root)"
            ),
        }),
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ', '@']) => {
            Ok(trimmed.to_string())
        }
        _ => Err(ConfigError {
            setting,
            problem: format!("{raw:?} is not an http(s) origin such as https://example.com"),
        }),
    }
}

/// An http(s) URL to POST to, path and query allowed (incoming-webhook URLs carry their token in
/// them), so the value is kept as a `Secret` and the problem never quotes it.
fn parse_webhook_url(setting: &'static str, raw: &str) -> Result<Secret, ConfigError> {
    let host = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .unwrap_or("");
    if host.is_empty() || raw.contains(char::is_whitespace) {
        return Err(ConfigError {
            setting,
            problem: "is not an http(s) URL (alerts go to the log only)".to_string(),
        });
    }
    Ok(Secret(raw.to_string()))
}

/// Whether the worker is served from this machine only (`make dev`, the tests): the one case in
/// which unsigned webhooks are accepted. Decided from `APP_URL`, never from the request.
pub fn is_loopback(app_url: &str) -> bool {
    let authority = app_url
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Twilio SIDs are a two-letter prefix and 32 hex digits.
pub fn is_sid(raw: &str, prefix: &str) -> bool {
    raw.len() == 34 && raw.starts_with(prefix) && raw[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn full() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("APP_URL", "https://calls.example.com/"),
            ("CRON_SECRET", "cron"),
            ("ADMIN_TOKEN", "admin"),
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("TWILIO_AUTH_TOKEN", "token"),
        ])
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| vars.get(name).map(|v| v.to_string()))
    }

    #[test]
    fn reads_a_complete_environment() {
        let config = load(&full()).unwrap();
        assert_eq!(config.app_url, "https://calls.example.com");
        assert_eq!(config.twilio.api_base_url, "https://api.twilio.com");
        assert_eq!(config.twilio.lookup_base_url, "https://lookups.twilio.com");
        assert_eq!(
            config.cron_secret.as_ref().map(Secret::expose),
            Some("cron")
        );
    }

    #[test]
    fn secrets_never_print() {
        let config = load(&full()).unwrap();
        let dump = format!("{config:?} {}", config.twilio.auth_token);
        for secret in ["cron", "admin", "token"] {
            assert!(!dump.contains(&format!("\"{secret}\"")), "{dump}");
        }
        assert!(dump.contains("Secret(***)"), "{dump}");
        assert_eq!(config.twilio.auth_token.expose(), "token");
    }

    #[test]
    fn loopback_is_decided_by_the_host_alone() {
        for local in [
            "http://127.0.0.1:8787",
            "http://127.8.0.1",
            "http://localhost:8787",
            "http://LOCALHOST",
            "http://[::1]:8787",
        ] {
            assert!(is_loopback(local), "{local}");
        }
        for public in [
            "https://calls.example.com",
            "https://127.0.0.1.example.com",
            "https://127.example.com",
            "https://127.0.0.1@example.com",
            "https://user@127.0.0.1.example.com",
            "https://localhost.example.com",
            "https://example.com/127.0.0.1",
            "https://example.com?x=localhost",
            "http://128.0.0.1",
            "https://[2001:db8::1]",
        ] {
            assert!(!is_loopback(public), "{public}");
        }
    }

    #[test]
    fn accepts_the_seed_alias_for_app_url() {
        let mut vars = full();
        vars.remove("APP_URL");
        vars.insert("NEXT_PUBLIC_APP_URL", "http://127.0.0.1:8787");
        assert_eq!(load(&vars).unwrap().app_url, "http://127.0.0.1:8787");
    }

    #[test]
    fn only_what_the_voice_path_needs_is_required() {
        for name in ["APP_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"] {
            let mut vars = full();
            vars.remove(name);
            let err = load(&vars).unwrap_err();
            assert_eq!(err.setting, name);
        }
    }

    fn settings_with_problems(config: &Config) -> Vec<&'static str> {
        config.problems.iter().map(|p| p.setting).collect()
    }

    #[test]
    fn a_missing_bearer_token_is_a_problem_not_an_error() {
        for name in ["CRON_SECRET", "ADMIN_TOKEN"] {
            let mut vars = full();
            vars.insert(name, "   ");
            let config = load(&vars).unwrap();
            let token = match name {
                "CRON_SECRET" => &config.cron_secret,
                _ => &config.admin_token,
            };
            assert_eq!(token, &None);
            assert_eq!(settings_with_problems(&config), vec![name]);
            let error = required_secret(token, name).unwrap_err();
            assert_eq!(error.to_string(), format!("setting {name}: is not set"));
        }
    }

    #[test]
    fn monitoring_settings_default_and_validate() {
        let config = load(&full()).unwrap();
        assert_eq!(config.monitoring, MonitoringSettings::default());
        assert_eq!(config.monitoring.cron_alarm_secs, 300);
        assert_eq!(
            config.twilio.message_status_url,
            "https://calls.example.com/api/webhooks/twilio/message-status"
        );

        let mut vars = full();
        vars.insert("CRON_ALARM_SECS", "600");
        vars.insert("ALERT_FAILURE_THRESHOLD", "10");
        vars.insert(
            "ALERT_WEBHOOK_URL",
            "https://hooks.example.com/services/T0/B0/s3cr3t",
        );
        let config = load(&vars).unwrap();
        assert_eq!(config.monitoring.cron_alarm_secs, 600);
        assert_eq!(config.monitoring.failure_alert_threshold, 10);
        let url = config.monitoring.alert_webhook_url.as_ref().unwrap();
        assert_eq!(
            url.expose(),
            "https://hooks.example.com/services/T0/B0/s3cr3t"
        );
        assert!(!format!("{config:?}").contains("s3cr3t"));
        assert!(config.problems.is_empty());

        let mut vars = full();
        vars.insert("CRON_ALARM_SECS", "30");
        vars.insert("ALERT_FAILURE_THRESHOLD", "0");
        vars.insert("ALERT_WEBHOOK_URL", "hooks.example.com/s3cr3t");
        let config = load(&vars).unwrap();
        assert_eq!(config.monitoring, MonitoringSettings::default());
        let mut wrong = settings_with_problems(&config);
        wrong.sort_unstable();
        assert_eq!(
            wrong,
            [
                "ALERT_FAILURE_THRESHOLD",
                "ALERT_WEBHOOK_URL",
                "CRON_ALARM_SECS"
            ]
        );
        let problems = format!("{:?}", config.problems);
        assert!(!problems.contains("s3cr3t"), "{problems}");
    }

    #[test]
    fn a_typo_in_a_setting_falls_back_to_its_default() {
        let config = load(&full()).unwrap();
        assert_eq!(config.poll, PollSettings::default());
        assert!(!config.polling_only);
        assert!(config.problems.is_empty());
        let mut vars = full();
        vars.insert("POLL_TWILIO_BUDGET", "900");
        vars.insert("POLL_CONCURRENCY", "1");
        vars.insert("POLLING_ONLY", "true");
        let config = load(&vars).unwrap();
        assert_eq!(config.poll.twilio_budget, 900);
        assert_eq!(config.poll.concurrency, 1);
        assert!(config.polling_only);
        for (name, bad) in [
            ("POLL_TWILIO_BUDGET", "2"),
            ("POLL_CONCURRENCY", "6"),
            ("POLL_CONCURRENCY", "0"),
            ("MAX_CALL_AGE_SECS", "soon"),
            ("POLLING_ONLY", "ture"),
            ("CLEANUP_AFTER_DAYS", "0"),
            ("CALLBACK_GRACE_SECS", "-1"),
            ("TWILIO_API_BASE_URL", "api.twilio.com"),
            ("TWILIO_LOOKUP_BASE_URL", "lookups.twilio.com"),
            ("TWILIO_LOOKUP_BASE_URL", "https://lookups.twilio.com/v2"),
        ] {
            let mut vars = full();
            vars.insert(name, bad);
            let config = load(&vars).unwrap();
            assert_eq!(settings_with_problems(&config), vec![name], "{name}={bad}");
            assert_eq!(config.poll, PollSettings::default(), "{name}={bad}");
            assert!(!config.polling_only);
            assert_eq!(config.twilio.api_base_url, DEFAULT_TWILIO_API_BASE_URL);
            assert_eq!(
                config.twilio.lookup_base_url,
                DEFAULT_TWILIO_LOOKUP_BASE_URL
            );
            assert!(
                config.problems[0].problem.contains(bad),
                "{:?}",
                config.problems[0]
            );
        }
    }

    /// Lookup has a host of its own: the double (or a proxy) stands in for it separately, and an
    /// origin is all it takes, as for `TWILIO_API_BASE_URL`.
    #[test]
    fn the_lookup_origin_can_be_pointed_elsewhere() {
        let mut vars = full();
        vars.insert("TWILIO_API_BASE_URL", "http://127.0.0.1:4010");
        vars.insert("TWILIO_LOOKUP_BASE_URL", "http://127.0.0.1:4010/");
        let config = load(&vars).unwrap();
        assert!(config.problems.is_empty(), "{:?}", config.problems);
        assert_eq!(config.twilio.api_base_url, "http://127.0.0.1:4010");
        assert_eq!(config.twilio.lookup_base_url, "http://127.0.0.1:4010");
        vars.remove("TWILIO_API_BASE_URL");
        let config = load(&vars).unwrap();
        assert_eq!(config.twilio.api_base_url, DEFAULT_TWILIO_API_BASE_URL);
        assert_eq!(config.twilio.lookup_base_url, "http://127.0.0.1:4010");
    }

    #[test]
    fn a_max_call_age_shorter_than_a_dial_is_refused() {
        let mut vars = full();
        vars.insert("MAX_CALL_AGE_SECS", "300");
        let config = load(&vars).unwrap();
        assert_eq!(settings_with_problems(&config), vec!["MAX_CALL_AGE_SECS"]);
        assert!(
            config.problems[0].problem.contains("at least 680 s"),
            "{:?}",
            config.problems[0]
        );
        assert_eq!(config.poll.max_call_age_secs, 7200);
        vars.insert("MAX_CALL_AGE_SECS", "680");
        let config = load(&vars).unwrap();
        assert!(config.problems.is_empty());
        assert_eq!(config.poll.max_call_age_secs, 680);
        // The grace counts too.
        vars.insert("CALLBACK_GRACE_SECS", "120");
        let config = load(&vars).unwrap();
        assert_eq!(settings_with_problems(&config), vec!["MAX_CALL_AGE_SECS"]);
    }

    #[test]
    fn a_max_call_age_reaching_past_the_cleanup_is_refused() {
        let mut vars = full();
        vars.insert("MAX_CALL_AGE_SECS", "172800");
        vars.insert("CLEANUP_AFTER_DAYS", "2");
        let config = load(&vars).unwrap();
        assert_eq!(settings_with_problems(&config), vec!["MAX_CALL_AGE_SECS"]);
        assert!(
            config.problems[0].problem.contains("CLEANUP_AFTER_DAYS"),
            "{:?}",
            config.problems[0]
        );
        assert_eq!(config.poll.max_call_age_secs, 7200);
        vars.insert("CLEANUP_AFTER_DAYS", "3");
        let config = load(&vars).unwrap();
        assert!(config.problems.is_empty(), "{:?}", config.problems);
        assert_eq!(config.poll.max_call_age_secs, 172_800);
    }

    #[test]
    fn an_app_url_with_a_path_is_refused() {
        for with_path in [
            "https://example.com/textback",
            "https://example.com/textback/",
            "https://example.com/api/webhooks/twilio/voice",
        ] {
            let mut vars = full();
            vars.insert("APP_URL", with_path);
            let error = load(&vars).unwrap_err();
            assert_eq!(error.setting, "APP_URL");
            assert!(error.problem.contains("has a path"), "{error}");
        }
        let mut vars = full();
        vars.insert("APP_URL", "https://user@example.com");
        assert_eq!(load(&vars).unwrap_err().setting, "APP_URL");
    }

    #[test]
    fn rejects_malformed_values() {
        let mut vars = full();
        vars.insert("TWILIO_ACCOUNT_SID", "AC123");
        assert_eq!(load(&vars).unwrap_err().setting, "TWILIO_ACCOUNT_SID");
        let mut vars = full();
        vars.insert("APP_URL", "ftp://x");
        assert_eq!(load(&vars).unwrap_err().setting, "APP_URL");
    }
}
