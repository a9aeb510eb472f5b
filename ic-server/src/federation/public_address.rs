//! Fetching only from the public internet where players choose the URL: an address is public
//! unless it is loopback, private, link-local, shared, reserved or otherwise not routable.
//!
//! Without this, a player could make the server fetch from its own host or network and learn,
//! from why a fetch failed, which internal ports answer. Hand-written because the standard
//! library's `IpAddr::is_global` is not stable yet; the ranges are IANA's special-purpose
//! registries (RFC 6890 and its updates).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Whether `ip` is a public (globally routable) address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (b & 0xc0) == 64)
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b & 0xfe) == 18)
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // Discard-only, 100::/64.
        || (first == 0x0100 && ip.segments()[1..4] == [0, 0, 0])
        // IPv4-compatible and other addresses under ::/96 (deprecated, or loopback-like).
        || ip.segments()[..6] == [0, 0, 0, 0, 0, 0])
}

/// Why `url` names a host that is not public, when it names it by address (names are checked
/// when they resolve). `None` for a public address or a name.
pub fn literal_not_public(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    let ip: IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    (!is_public(ip)).then(|| format!("{ip} is not a public address"))
}

/// Resolves names to their public addresses only; a name with none fails to resolve.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| is_public(address.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A client like [`super::document::client`] that connects to public addresses only.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(super::document::FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(PublicOnly))
        .build()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().unwrap_or_else(|_| panic!("{text}")))
    }

    #[test]
    fn local_private_and_reserved_addresses_are_not_public() {
        for text in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
        ] {
            assert!(!public(text), "{text}");
        }
        for text in [
            "1.1.1.1",
            "8.8.8.8",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(public(text), "{text}");
        }
    }

    #[test]
    fn urls_naming_a_local_address_are_caught_before_any_connection() {
        for url in [
            "http://127.0.0.1:19710",
            "http://[::1]/",
            "https://10.0.0.5",
            "http://169.254.169.254/latest",
        ] {
            assert!(literal_not_public(url).is_some(), "{url}");
        }
        for url in ["https://northern.example", "http://1.1.1.1:8080"] {
            assert_eq!(literal_not_public(url), None, "{url}");
        }
    }

    #[tokio::test]
    async fn names_that_resolve_only_to_local_addresses_are_refused() {
        let refused = client()
            .get("http://localhost:9/.well-known/ic-community")
            .send()
            .await
            .unwrap_err();
        let chain = format!("{refused:?}");
        assert!(chain.contains("no public address"), "{chain}");
    }
}
