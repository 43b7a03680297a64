//! A PostgreSQL cluster serving TLS with a certificate from a CA the test made, and a second CA that
//! issued nothing, so the native client's `sslmode` handling meets a real TLS server.
use crate::database::{OwnCluster, TempDir};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::path::{Path, PathBuf};

pub struct TlsCluster {
    pub cluster: OwnCluster,
    /// PEM of the CA that issued the server's certificate: what `sslrootcert=` trusts.
    pub ca: PathBuf,
    /// PEM of a CA that issued nothing the server has.
    pub other_ca: PathBuf,
    // Dropped after the cluster, which is stopped first.
    _workdir: TempDir,
}

/// Starts a cluster whose certificate is valid for `names` (DNS names or IP addresses).
pub fn start_tls_cluster(names: &[&str]) -> TlsCluster {
    let workdir = TempDir::new("mctb-tls-");
    let (ca, issuer) = new_ca(workdir.path(), "test-ca");
    let (other_ca, _) = new_ca(workdir.path(), "other-ca");

    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &issuer).unwrap();
    let cert_file = workdir.path().join("server.crt");
    let key_file = workdir.path().join("server.key");
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();

    let cluster = OwnCluster::new(workdir.path().join("pg")).with_tls(cert_file, key_file);
    cluster.start();
    TlsCluster {
        cluster,
        ca,
        other_ca,
        _workdir: workdir,
    }
}

/// A self-signed CA: its certificate written to `dir/NAME.pem`, and what signs with it.
fn new_ca(dir: &Path, name: &str) -> (PathBuf, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).unwrap();
    let path = dir.join(format!("{name}.pem"));
    std::fs::write(&path, cert.pem()).unwrap();
    (path, Issuer::new(params, key))
}
