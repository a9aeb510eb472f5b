//! Which address a per-address limit counts a client under: IPv4 by address, IPv6 by its /64
//! (one subscriber's allocation, whose addresses cost nothing to change), so limits hold.

use std::net::{IpAddr, Ipv6Addr};

/// The address a per-address limit counts against: an IPv4 address itself, an IPv6 address by
/// its /64 prefix, and an IPv4-mapped IPv6 address as the IPv4 address it is.
pub fn address_bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_count_by_their_64_prefix_and_ipv4_by_address() {
        assert_eq!(address_bucket(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(address_bucket(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(
            address_bucket(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_ne!(
            address_bucket(ip("2001:db8:1:2::1")),
            address_bucket(ip("2001:db8:1:3::1"))
        );
    }
}
