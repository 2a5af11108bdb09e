//! HTTPS for the mock server: a private certificate authority made at start,
//! and a server certificate it signs for the names asked for.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};

/// The names the server certificate is for by default: what clients on this
/// machine use to reach it.
pub(crate) const DEFAULT_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// What a server needs to speak TLS, and what a client needs to trust it.
pub(crate) struct Tls {
    /// Accepts TLS connections with the server certificate.
    pub(crate) acceptor: TlsAcceptor,
    /// The certificate authority's certificate, PEM: clients trust it.
    pub(crate) ca_pem: String,
}

/// Makes a new certificate authority and a server certificate it signs for
/// `names` (host names or IP addresses). Each server gets its own: trusting
/// one mock's CA trusts nothing else.
pub(crate) fn make(names: &[String]) -> Result<Tls, String> {
    let failed = |what: &str, e: &dyn std::fmt::Display| format!("cannot {what}: {e}");

    let mut ca_params = CertificateParams::new(Vec::<String>::new())
        .map_err(|e| failed("make the CA's parameters", &e))?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "voxys-connect-mock test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(|e| failed("make the CA's key", &e))?;
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key)
        .map_err(|e| failed("sign the CA's certificate", &e))?;

    let mut params = CertificateParams::new(names.to_vec())
        .map_err(|e| failed("make the server certificate's parameters", &e))?;
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().map(String::as_str).unwrap_or("voxys-mock"),
    );
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(|e| failed("make the server key", &e))?;
    let cert = params
        .signed_by(&key, &ca)
        .map_err(|e| failed("sign the server certificate", &e))?;

    // The provider is named, not taken from the process default, so that a
    // build where another one is compiled in cannot make this fail.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed("choose TLS versions", &e))?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone(), ca.der().clone()],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .map_err(|e| failed("use the server certificate", &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca.pem(),
    })
}
