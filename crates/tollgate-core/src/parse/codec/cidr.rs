//! CIDR arithmetic: Terraform's `cidrsubnet`, `cidrsubnets`, `cidrhost` and
//! CloudFormation's `Fn::Cidr`. Addresses are computed as `u128` (IPv4 in
//! the low 32 bits).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Address width of a network: 32 or 128 bits.
pub(crate) fn width(net: &IpNet) -> u32 {
    if matches!(net, IpNet::V4(_)) { 32 } else { 128 }
}

pub(crate) fn addr_to_u128(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

/// The address `n` (IPv4 when `v4`: its low 32 bits).
pub(crate) fn u128_to_addr(n: u128, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::from(u32::try_from(n & 0xffff_ffff).unwrap_or(0)))
    } else {
        IpAddr::V6(Ipv6Addr::from(n))
    }
}

/// Why [`subnet`] has no answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SubnetError {
    /// The prefix extended by `newbits` is longer than the address.
    NoSpace,
    /// `netnum` does not fit in `newbits` bits.
    NumberTooBig,
    /// The resulting network is invalid (its text).
    Invalid(String),
}

/// Subnet number `netnum` of `net` with its prefix extended by `newbits`.
pub(crate) fn subnet(net: IpNet, newbits: u32, netnum: u128) -> Result<IpNet, SubnetError> {
    let bits = width(&net);
    let new_len = u32::from(net.prefix_len()).saturating_add(newbits);
    if new_len > bits {
        return Err(SubnetError::NoSpace);
    }
    if newbits < 128 && netnum >= (1u128 << newbits) {
        return Err(SubnetError::NumberTooBig);
    }
    let base = addr_to_u128(net.network());
    let shift = bits - new_len;
    let addr = base | netnum.checked_shl(shift).unwrap_or(0);
    let ip = u128_to_addr(addr, bits == 32);
    IpNet::new(ip, u8::try_from(new_len).unwrap_or(0)).map_err(|e| SubnetError::Invalid(e.to_string()))
}

/// Host number `host` of `net`, counting back from the end when negative;
/// `None` when it is outside the network.
pub(crate) fn host(net: IpNet, host: i64) -> Option<IpAddr> {
    let bits = width(&net);
    let size = 1u128.checked_shl(bits - u32::from(net.prefix_len())).unwrap_or(u128::MAX);
    let offset =
        if host < 0 { size.checked_sub(host.unsigned_abs().into()) } else { Some(u128::from(host.unsigned_abs())) };
    match offset {
        Some(o) if o < size => Some(u128_to_addr(addr_to_u128(net.network()) + o, bits == 32)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| panic!("bad test network {s}"))
    }

    #[test]
    fn subnets_are_numbered_from_the_network_address() {
        assert_eq!(subnet(net("10.0.0.0/16"), 8, 2).map(|n| n.to_string()), Ok("10.0.2.0/24".into()));
        assert_eq!(subnet(net("10.1.2.7/24"), 4, 15).map(|n| n.to_string()), Ok("10.1.2.240/28".into()));
        assert_eq!(subnet(net("2001:db8::/56"), 8, 1).map(|n| n.to_string()), Ok("2001:db8:0:1::/64".into()));
        assert_eq!(subnet(net("10.0.0.0/24"), 0, 0).map(|n| n.to_string()), Ok("10.0.0.0/24".into()));
        assert_eq!(subnet(net("::/0"), 128, 5).map(|n| n.to_string()), Ok("::5/128".into()));
    }

    #[test]
    fn subnets_out_of_range_are_errors() {
        assert_eq!(subnet(net("10.0.0.0/30"), 8, 1), Err(SubnetError::NoSpace));
        assert_eq!(subnet(net("10.0.0.0/24"), 2, 4), Err(SubnetError::NumberTooBig));
        assert_eq!(subnet(net("10.0.0.0/8"), u32::MAX, 1), Err(SubnetError::NoSpace));
    }

    #[test]
    fn hosts_count_from_either_end() {
        assert_eq!(host(net("10.12.112.0/20"), 16), Some("10.12.112.16".parse().unwrap_or(IpAddr::V4(0.into()))));
        assert_eq!(host(net("10.12.112.0/20"), -2).map(|a| a.to_string()), Some("10.12.127.254".into()));
        assert_eq!(host(net("10.0.0.0/30"), 4), None);
        assert_eq!(host(net("10.0.0.0/30"), -5), None);
    }

    #[test]
    fn addresses_round_trip() {
        for a in ["0.0.0.0", "10.1.2.3", "255.255.255.255"] {
            let ip: IpAddr = a.parse().unwrap_or(IpAddr::V4(0.into()));
            assert_eq!(u128_to_addr(addr_to_u128(ip), true), ip);
        }
        let ip: IpAddr = "2001:db8::1".parse().unwrap_or(IpAddr::V4(0.into()));
        assert_eq!(u128_to_addr(addr_to_u128(ip), false), ip);
    }
}
