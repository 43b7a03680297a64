//! What a native connection URL asks of TLS, read the way libpq reads it: `sslmode` (disable,
//! prefer, require, verify-ca, verify-full), `sslrootcert` and `channel_binding`. tokio-postgres's own
//! parser knows only disable/prefer/require and no `sslrootcert`, so these parameters are taken out
//! here and the rest of the URL is left for it. Pure: no file is read and no socket opened.
use super::DbError;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelBinding {
    Disable,
    Prefer,
    Require,
}

/// The CAs a server's certificate must lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    /// `sslrootcert=FILE`: the PEM certificates in that file.
    File(PathBuf),
    /// Mozilla's root store (built in): verify-ca/verify-full without `sslrootcert`, or
    /// `sslrootcert=system`, which is what a hosted database such as Neon needs.
    Mozilla,
}

/// What the client checks of the server's certificate once TLS is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Encrypted, but anyone's certificate is accepted (libpq's prefer/require without a root cert).
    Nothing,
    /// The chain must lead to one of these roots; the host name is not compared (verify-ca, or
    /// prefer/require given `sslrootcert`, as in libpq).
    Chain(Roots),
    /// The chain and the host name (verify-full).
    ChainAndName(Roots),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub ssl_mode: SslMode,
    pub root_cert: Option<Roots>,
    pub channel_binding: ChannelBinding,
}

/// A connection URL split into the part tokio-postgres reads and the TLS settings read here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL without `sslmode`, `sslrootcert` and `channel_binding`.
    pub url: String,
    pub tls: TlsSettings,
}

impl Target {
    /// Reads `url` (`postgres://` or `postgresql://`). Errors name the parameter, never the URL,
    /// which holds the password.
    pub fn parse(url: &str) -> Result<Target, DbError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(DbError(
                "the connection string must be a postgres:// or postgresql:// URL".into(),
            ));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut tls = TlsSettings {
            ssl_mode: SslMode::Prefer,
            root_cert: None,
            channel_binding: ChannelBinding::Prefer,
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map_err(|_| DbError(format!("{key}: not UTF-8 once percent-decoded")))?;
            match key {
                "sslmode" => tls.ssl_mode = ssl_mode(&value)?,
                "sslrootcert" => tls.root_cert = Some(roots(&value)),
                "channel_binding" => tls.channel_binding = channel_binding(&value)?,
                _ => kept.push(pair),
            }
        }
        if tls.channel_binding == ChannelBinding::Require && tls.ssl_mode == SslMode::Disable {
            return Err(DbError(
                "channel_binding=require needs TLS, but sslmode=disable turns it off".into(),
            ));
        }
        let url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(Target { url, tls })
    }
}

fn ssl_mode(value: &str) -> Result<SslMode, DbError> {
    Ok(match value {
        "disable" => SslMode::Disable,
        "prefer" => SslMode::Prefer,
        "require" => SslMode::Require,
        "verify-ca" => SslMode::VerifyCa,
        "verify-full" => SslMode::VerifyFull,
        other => {
            return Err(DbError(format!(
                "sslmode={other} is not supported: use disable, prefer, require, verify-ca or verify-full"
            )))
        }
    })
}

fn channel_binding(value: &str) -> Result<ChannelBinding, DbError> {
    Ok(match value {
        "disable" => ChannelBinding::Disable,
        "prefer" => ChannelBinding::Prefer,
        "require" => ChannelBinding::Require,
        other => {
            return Err(DbError(format!(
                "channel_binding={other} is not supported: use disable, prefer or require"
            )))
        }
    })
}

fn roots(value: &str) -> Roots {
    match value {
        "system" => Roots::Mozilla,
        file => Roots::File(PathBuf::from(file)),
    }
}

impl TlsSettings {
    /// tokio-postgres's mode: every mode from require up insists on TLS, and so does
    /// `channel_binding=require` (it binds to the TLS channel, so without TLS it can only fail).
    pub fn tokio_ssl_mode(&self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as Tokio;
        match self.ssl_mode {
            SslMode::Disable => Tokio::Disable,
            SslMode::Prefer if self.channel_binding != ChannelBinding::Require => Tokio::Prefer,
            _ => Tokio::Require,
        }
    }

    pub fn tokio_channel_binding(&self) -> tokio_postgres::config::ChannelBinding {
        use tokio_postgres::config::ChannelBinding as Tokio;
        match self.channel_binding {
            ChannelBinding::Disable => Tokio::Disable,
            ChannelBinding::Prefer => Tokio::Prefer,
            ChannelBinding::Require => Tokio::Require,
        }
    }

    /// libpq's rule: verify-full checks chain and name, verify-ca the chain; below that a given root
    /// certificate still makes the chain checked, and without one nothing is.
    pub fn check(&self) -> Check {
        let given = self.root_cert.clone();
        match self.ssl_mode {
            SslMode::VerifyFull => Check::ChainAndName(given.unwrap_or(Roots::Mozilla)),
            SslMode::VerifyCa => Check::Chain(given.unwrap_or(Roots::Mozilla)),
            _ => given.map_or(Check::Nothing, Check::Chain),
        }
    }
}

impl Check {
    /// The roots the chain is checked against, if it is checked.
    pub fn roots(&self) -> Option<&Roots> {
        match self {
            Check::Nothing => None,
            Check::Chain(roots) | Check::ChainAndName(roots) => Some(roots),
        }
    }
}

/// `sslmode=require, channel_binding=require`: the settings an error message reports.
impl fmt::Display for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.ssl_mode {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        };
        let binding = match self.channel_binding {
            ChannelBinding::Disable => "disable",
            ChannelBinding::Prefer => "prefer",
            ChannelBinding::Require => "require",
        };
        write!(f, "sslmode={mode}, channel_binding={binding}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::config::SslMode as Tokio;

    const BASE: &str = "postgresql://app:s3cret@db.example.com:5432/db";

    fn parse(query: &str) -> Result<Target, DbError> {
        Target::parse(&format!("{BASE}{query}"))
    }

    #[test]
    fn neons_default_string_requires_tls_and_channel_binding_without_checking_the_certificate() {
        let target = parse("?sslmode=require&channel_binding=require").unwrap();
        assert_eq!(target.url, BASE);
        assert_eq!(target.tls.ssl_mode, SslMode::Require);
        assert_eq!(target.tls.channel_binding, ChannelBinding::Require);
        assert_eq!(target.tls.tokio_ssl_mode(), Tokio::Require);
        assert_eq!(target.tls.check(), Check::Nothing);
        assert_eq!(
            target.tls.to_string(),
            "sslmode=require, channel_binding=require"
        );
    }

    #[test]
    fn without_parameters_tls_is_tried_and_nothing_checked() {
        let target = Target::parse(BASE).unwrap();
        assert_eq!(target.url, BASE);
        assert_eq!(target.tls.tokio_ssl_mode(), Tokio::Prefer);
        assert_eq!(target.tls.check(), Check::Nothing);
        assert_eq!(
            target.tls.tokio_channel_binding(),
            tokio_postgres::config::ChannelBinding::Prefer
        );
    }

    #[test]
    fn verify_full_checks_chain_and_name_against_the_given_file_and_keeps_other_parameters() {
        let target = parse(
            "?application_name=migrate&sslmode=verify-full&sslrootcert=%2Ftmp%2Fmy%20ca.pem&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(
            target.url,
            format!("{BASE}?application_name=migrate&connect_timeout=5")
        );
        assert_eq!(target.tls.tokio_ssl_mode(), Tokio::Require);
        assert_eq!(
            target.tls.check(),
            Check::ChainAndName(Roots::File("/tmp/my ca.pem".into()))
        );
    }

    #[test]
    fn verify_modes_without_a_root_cert_trust_mozillas_roots() {
        assert_eq!(
            parse("?sslmode=verify-ca").unwrap().tls.check(),
            Check::Chain(Roots::Mozilla)
        );
        assert_eq!(
            parse("?sslmode=verify-full&sslrootcert=system")
                .unwrap()
                .tls
                .check(),
            Check::ChainAndName(Roots::Mozilla)
        );
    }

    #[test]
    fn a_root_cert_makes_require_and_prefer_check_the_chain_as_in_libpq() {
        for mode in ["require", "prefer"] {
            let target = parse(&format!("?sslmode={mode}&sslrootcert=ca.pem")).unwrap();
            assert_eq!(
                target.tls.check(),
                Check::Chain(Roots::File("ca.pem".into()))
            );
        }
    }

    #[test]
    fn channel_binding_require_insists_on_tls_even_under_prefer() {
        let target = parse("?channel_binding=require").unwrap();
        assert_eq!(target.tls.tokio_ssl_mode(), Tokio::Require);
        assert_eq!(
            target.tls.tokio_channel_binding(),
            tokio_postgres::config::ChannelBinding::Require
        );
    }

    #[test]
    fn channel_binding_require_with_tls_disabled_is_refused_before_connecting() {
        let error = parse("?sslmode=disable&channel_binding=require").unwrap_err();
        assert_eq!(
            error.0,
            "channel_binding=require needs TLS, but sslmode=disable turns it off"
        );
    }

    #[test]
    fn disable_keeps_tls_off() {
        let target = parse("?sslmode=disable").unwrap();
        assert_eq!(target.tls.tokio_ssl_mode(), Tokio::Disable);
    }

    #[test]
    fn unknown_values_are_named_and_the_password_is_not() {
        for (query, needle) in [
            ("?sslmode=allow", "sslmode=allow is not supported"),
            (
                "?sslmode=verify_full",
                "sslmode=verify_full is not supported",
            ),
            (
                "?channel_binding=yes",
                "channel_binding=yes is not supported",
            ),
        ] {
            let error = parse(query).unwrap_err().0;
            assert!(error.contains(needle), "{error}");
            assert!(!error.contains("s3cret"), "{error}");
        }
    }

    #[test]
    fn only_urls_are_read() {
        let error = Target::parse("host=db.example.com password=s3cret sslmode=require")
            .unwrap_err()
            .0;
        assert!(error.contains("postgresql:// URL"), "{error}");
        assert!(!error.contains("s3cret"), "{error}");
    }
}
