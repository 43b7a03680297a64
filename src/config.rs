//! The worker's settings, read once per invocation. A missing or malformed value is reported by name
//! so the operator sees exactly what to `wrangler secret put`.
use std::fmt;

pub const DEFAULT_TWILIO_API_BASE_URL: &str = "https://api.twilio.com";

#[derive(Debug, Clone)]
pub struct Config {
    /// Public base URL, no trailing slash: Twilio signs the URL it was given, so signatures are
    /// checked against this and never against the request line (which a proxy may rewrite).
    pub app_url: String,
    pub cron_secret: Secret,
    pub admin_token: Secret,
    pub twilio: TwilioConfig,
    pub poll: PollSettings,
    /// Quick rollback: Phase 2 records the dial result but only the poll sends texts.
    pub polling_only: bool,
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
}

impl Default for PollSettings {
    fn default() -> Self {
        PollSettings {
            twilio_budget: 45,
            callback_grace_secs: 20,
            max_call_age_secs: 2 * 60 * 60,
            cleanup_after_days: 7,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: Secret,
    pub api_base_url: String,
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
    /// `lookup` returns a variable or secret by name; empty values count as missing.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &'static str| {
            get(name).ok_or_else(|| ConfigError {
                setting: name,
                problem: "is not set".to_string(),
            })
        };

        // The seed system called it NEXT_PUBLIC_APP_URL; existing deployments keep working.
        let app_url = get("APP_URL")
            .or_else(|| get("NEXT_PUBLIC_APP_URL"))
            .ok_or_else(|| ConfigError {
                setting: "APP_URL",
                problem: "is not set (NEXT_PUBLIC_APP_URL is accepted too)".to_string(),
            })?;
        let app_url = parse_base_url("APP_URL", &app_url)?;

        let account_sid = required("TWILIO_ACCOUNT_SID")?;
        if !is_sid(&account_sid, "AC") {
            return Err(ConfigError {
                setting: "TWILIO_ACCOUNT_SID",
                problem: "must be AC followed by 32 hex digits".to_string(),
            });
        }

        let api_base_url = match get("TWILIO_API_BASE_URL") {
            Some(url) => parse_base_url("TWILIO_API_BASE_URL", &url)?,
            None => DEFAULT_TWILIO_API_BASE_URL.to_string(),
        };

        let defaults = PollSettings::default();
        let number = |name: &'static str, default: u32, range: std::ops::RangeInclusive<u32>| {
            match get(name) {
                None => Ok(default),
                Some(raw) => raw
                    .parse::<u32>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| ConfigError {
                        setting: name,
                        problem: format!(
                            "{raw:?} is not a whole number in {}..={}",
                            range.start(),
                            range.end()
                        ),
                    }),
            }
        };
        let poll = PollSettings {
            twilio_budget: number("POLL_TWILIO_BUDGET", defaults.twilio_budget, 3..=10_000)?,
            callback_grace_secs: number(
                "CALLBACK_GRACE_SECS",
                defaults.callback_grace_secs,
                0..=3600,
            )?,
            max_call_age_secs: number(
                "MAX_CALL_AGE_SECS",
                defaults.max_call_age_secs,
                60..=7 * 86_400,
            )?,
            cleanup_after_days: number(
                "CLEANUP_AFTER_DAYS",
                defaults.cleanup_after_days,
                1..=3650,
            )?,
        };
        let polling_only = match get("POLLING_ONLY").as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                return Err(ConfigError {
                    setting: "POLLING_ONLY",
                    problem: format!("{other:?} is not true or false"),
                })
            }
        };

        Ok(Config {
            app_url,
            poll,
            polling_only,
            cron_secret: Secret(required("CRON_SECRET")?),
            admin_token: Secret(required("ADMIN_TOKEN")?),
            twilio: TwilioConfig {
                account_sid,
                auth_token: Secret(required("TWILIO_AUTH_TOKEN")?),
                api_base_url,
            },
        })
    }
}

fn parse_base_url(setting: &'static str, raw: &str) -> Result<String, ConfigError> {
    let trimmed = raw.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => {
            Ok(trimmed.to_string())
        }
        _ => Err(ConfigError {
            setting,
            problem: format!("{raw:?} is not an http(s) base URL such as https://example.com"),
        }),
    }
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
        assert_eq!(config.cron_secret.expose(), "cron");
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
    fn names_the_missing_setting() {
        for name in [
            "APP_URL",
            "CRON_SECRET",
            "ADMIN_TOKEN",
            "TWILIO_ACCOUNT_SID",
            "TWILIO_AUTH_TOKEN",
        ] {
            let mut vars = full();
            vars.remove(name);
            let err = load(&vars).unwrap_err();
            assert_eq!(err.setting, name);
        }
        let mut vars = full();
        vars.insert("CRON_SECRET", "   ");
        assert_eq!(load(&vars).unwrap_err().setting, "CRON_SECRET");
    }

    #[test]
    fn poll_settings_default_and_validate() {
        let config = load(&full()).unwrap();
        assert_eq!(config.poll, PollSettings::default());
        assert!(!config.polling_only);
        let mut vars = full();
        vars.insert("POLL_TWILIO_BUDGET", "900");
        vars.insert("POLLING_ONLY", "true");
        let config = load(&vars).unwrap();
        assert_eq!(config.poll.twilio_budget, 900);
        assert!(config.polling_only);
        for (name, bad) in [
            ("POLL_TWILIO_BUDGET", "2"),
            ("MAX_CALL_AGE_SECS", "soon"),
            ("POLLING_ONLY", "maybe"),
        ] {
            let mut vars = full();
            vars.insert(name, bad);
            assert_eq!(load(&vars).unwrap_err().setting, name);
        }
    }

    #[test]
    fn rejects_malformed_values() {
        let mut vars = full();
        vars.insert("TWILIO_ACCOUNT_SID", "AC123");
        assert_eq!(load(&vars).unwrap_err().setting, "TWILIO_ACCOUNT_SID");
        let mut vars = full();
        vars.insert("TWILIO_API_BASE_URL", "api.twilio.com");
        assert_eq!(load(&vars).unwrap_err().setting, "TWILIO_API_BASE_URL");
        let mut vars = full();
        vars.insert("APP_URL", "ftp://x");
        assert_eq!(load(&vars).unwrap_err().setting, "APP_URL");
    }
}
