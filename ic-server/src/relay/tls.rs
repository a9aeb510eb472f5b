//! The relay's TLS identity: a self-signed certificate whose key is the relay's Ed25519 key.
//! Clients pin that key instead of trusting a CA, so the certificate's other fields do not matter.

use std::sync::Arc;

use quinn::crypto::rustls::QuicServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use scr::KeyPair;

/// Why the relay's TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate could not be generated.
    #[error("relay certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("relay TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// quinn refused the rustls configuration (no TLS 1.3 cipher suite).
    #[error("relay QUIC crypto: {0}")]
    Quic(String),
}

/// PKCS#8 v2 (RFC 5958) of an Ed25519 key: the fixed DER around the seed and the public key.
/// Written by hand because it is two constant byte strings; ring and rcgen both read it.
fn ed25519_pkcs8(keys: &KeyPair) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x53, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&keys.seed());
    der.extend_from_slice(&[0xa1, 0x23, 0x03, 0x21, 0x00]);
    der.extend_from_slice(keys.public_key().as_bytes());
    der
}

/// The relay's self-signed certificate and its private key, both from `relay`.
pub fn relay_certificate(
    relay: &KeyPair,
) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let pkcs8 = PrivatePkcs8KeyDer::from(ed25519_pkcs8(relay));
    let signing = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_ED25519)?;
    let mut params = rcgen::CertificateParams::new(vec!["ic-relay".to_owned()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, relay.public_key().to_string());
    let cert = params.self_signed(&signing)?;
    Ok((cert.der().clone(), PrivateKeyDer::Pkcs8(pkcs8)))
}

/// The QUIC server configuration: TLS 1.3 only, ALPN `ic-relay/1`, the relay's certificate.
pub fn server_config(relay: &KeyPair) -> Result<quinn::ServerConfig, TlsError> {
    let (cert, key) = relay_certificate(relay)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)?;
    tls.alpn_protocols = vec![relay_core::connection::ALPN.to_vec()];
    let crypto =
        QuicServerConfig::try_from(tls).map_err(|error| TlsError::Quic(error.to_string()))?;
    Ok(quinn::ServerConfig::with_crypto(Arc::new(crypto)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_carries_the_relay_key() {
        let relay = KeyPair::from_seed([5; 32]);
        let (cert, _) = relay_certificate(&relay).unwrap();
        // The Ed25519 SubjectPublicKeyInfo: algorithm 1.3.101.112 and the raw key.
        let mut spki = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        spki.extend_from_slice(relay.public_key().as_bytes());
        assert!(cert.windows(spki.len()).any(|w| w == spki.as_slice()));
        assert!(server_config(&relay).is_ok());
    }
}
