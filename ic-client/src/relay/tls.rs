//! The client's TLS side: no CA roots; the relay is accepted only if its handshake signature
//! verifies under the relay key the player pinned (from the community document or hand-off).

use std::sync::Arc;

use quinn::crypto::rustls::QuicClientConfig;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use scr::PublicKey;

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw key follows it.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Accepts exactly the relay holding the pinned Ed25519 key.
///
/// Hand-written because no maintained crate pins a raw Ed25519 key: the proof is the TLS 1.3
/// CertificateVerify signature, checked against the pinned key itself, so a certificate that
/// merely contains the key is not enough. Names, dates and issuers are deliberately ignored.
#[derive(Debug)]
pub struct PinnedRelayKey {
    key: PublicKey,
}

impl PinnedRelayKey {
    /// Pins `key`.
    pub fn new(key: PublicKey) -> Self {
        Self { key }
    }
}

impl ServerCertVerifier for PinnedRelayKey {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut spki = ED25519_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(self.key.as_bytes());
        if end_entity.windows(spki.len()).any(|w| w == spki.as_slice()) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // The client offers TLS 1.3 only; a TLS 1.2 signature can never be legitimate here.
        Err(rustls::Error::InvalidCertificate(
            CertificateError::BadSignature,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        _cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let bad = || rustls::Error::InvalidCertificate(CertificateError::BadSignature);
        if dss.scheme != SignatureScheme::ED25519 {
            return Err(bad());
        }
        let signature: [u8; 64] = dss.signature().try_into().map_err(|_| bad())?;
        scr::signature::verify_signature(&self.key, message, &signature).map_err(|_| bad())?;
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

/// Why the client's QUIC configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[error("relay client TLS configuration: {0}")]
pub struct ClientTlsError(String);

/// QUIC client configuration pinning `relay_key`: TLS 1.3, ALPN `ic-relay/1`, keep-alives.
pub fn client_config(relay_key: PublicKey) -> Result<quinn::ClientConfig, ClientTlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| ClientTlsError(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedRelayKey::new(relay_key)))
        .with_no_client_auth();
    tls.alpn_protocols = vec![relay_core::connection::ALPN.to_vec()];
    let crypto = QuicClientConfig::try_from(tls).map_err(|e| ClientTlsError(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    // Keeps the relay's idle timer from firing while a game is quiet.
    transport.keep_alive_interval(Some(std::time::Duration::from_secs(2)));
    config.transport_config(Arc::new(transport));
    Ok(config)
}
