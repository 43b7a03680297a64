//! The native TLS edge: a rustls connector (ring provider) that checks of the server's certificate
//! what `url::Check` says, with the CA file `sslrootcert` names or Mozilla's roots; and the message
//! a failed connection becomes. tokio-postgres-rustls supplies the `tls-server-end-point` binding
//! SCRAM-SHA-256-PLUS needs (`channel_binding=require`).
use super::url::{Check, Roots, TlsSettings};
use super::DbError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

pub fn connector(check: &Check) -> Result<MakeRustlsConnect, DbError> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError(format!("TLS: {e}")))?;
    let config = match check {
        // The full check is rustls's own verifier.
        Check::ChainAndName(roots) => builder.with_root_certificates(root_store(roots)?),
        Check::Chain(roots) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Lenient {
                roots: Some(root_store(roots)?),
                provider,
            })),
        Check::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Lenient {
                roots: None,
                provider,
            })),
    };
    Ok(MakeRustlsConnect::new(config.with_no_client_auth()))
}

fn root_store(roots: &Roots) -> Result<RootCertStore, DbError> {
    let path = match roots {
        Roots::Mozilla => {
            return Ok(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
        }
        Roots::File(path) => path,
    };
    let unreadable =
        |e: &dyn std::fmt::Display| DbError(format!("sslrootcert={}: {e}", path.display()));
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
        store
            .add(cert.map_err(|e| unreadable(&e))?)
            .map_err(|e| unreadable(&e))?;
    }
    if store.is_empty() {
        return Err(unreadable(&"no certificate in it"));
    }
    Ok(store)
}

/// Below verify-full: the chain is checked against `roots` when there are any, the host name never.
/// The handshake's own signatures are always checked, so the session belongs to the certificate's key.
#[derive(Debug)]
struct Lenient {
    roots: Option<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &rustls::server::ParsedCertificate::try_from(end_entity)?,
                roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A failed connection as the operator should read it: the TLS settings in force, the error with
/// its cause (tokio-postgres's own message leaves it out), and for a rejected certificate what to
/// change.
pub fn explain(error: tokio_postgres::Error, tls: &TlsSettings) -> DbError {
    let cause = match (error.as_db_error(), std::error::Error::source(&error)) {
        (None, Some(cause)) => format!(": {cause}"),
        _ => String::new(),
    };
    let hint = rejected_certificate(&error)
        .map(|rejected| format!(" ({})", certificate_hint(rejected, &tls.check())))
        .unwrap_or_default();
    DbError(format!(
        "connecting with {tls}: {}{cause}{hint}",
        DbError::from(error)
    ))
}

/// The certificate error inside a failed handshake: tokio-postgres wraps the connector's
/// `io::Error`, which wraps rustls's error.
fn rejected_certificate(error: &tokio_postgres::Error) -> Option<&CertificateError> {
    let io = std::error::Error::source(error)?.downcast_ref::<std::io::Error>()?;
    match io.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(rejected) => Some(rejected),
        _ => None,
    }
}

fn certificate_hint(rejected: &CertificateError, check: &Check) -> String {
    use CertificateError::{NotValidForName, NotValidForNameContext, UnknownIssuer};
    match (rejected, check.roots()) {
        (NotValidForName | NotValidForNameContext { .. }, _) => {
            "sslmode=verify-full needs the URL's host name among the certificate's names; \
             verify-ca checks the chain only"
                .into()
        }
        (UnknownIssuer, Some(Roots::File(path))) => format!(
            "the certificate is not issued by a CA in sslrootcert={}",
            path.display()
        ),
        (UnknownIssuer, Some(Roots::Mozilla)) => {
            "the certificate is not issued by a CA in Mozilla's root store: name the server's CA \
             with sslrootcert=FILE"
                .into()
        }
        _ => "the certificate was rejected".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_issuer_names_the_roots_it_was_checked_against() {
        let hint = certificate_hint(
            &CertificateError::UnknownIssuer,
            &Check::ChainAndName(Roots::File("/etc/ca.pem".into())),
        );
        assert_eq!(
            hint,
            "the certificate is not issued by a CA in sslrootcert=/etc/ca.pem"
        );
        let hint = certificate_hint(
            &CertificateError::UnknownIssuer,
            &Check::Chain(Roots::Mozilla),
        );
        assert!(hint.contains("sslrootcert=FILE"), "{hint}");
    }

    #[test]
    fn a_wrong_host_name_points_at_verify_ca() {
        let hint = certificate_hint(
            &CertificateError::NotValidForName,
            &Check::ChainAndName(Roots::Mozilla),
        );
        assert!(hint.contains("verify-ca checks the chain only"), "{hint}");
    }

    #[test]
    fn an_unreadable_root_cert_file_is_named() {
        let error = connector(&Check::Chain(Roots::File("/nonexistent/ca.pem".into())))
            .err()
            .unwrap();
        assert!(
            error.0.starts_with("sslrootcert=/nonexistent/ca.pem: "),
            "{error}"
        );
    }
}
