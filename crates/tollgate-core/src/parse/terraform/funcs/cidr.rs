//! Network functions: `cidrsubnet`, `cidrsubnets`, `cidrhost`, `cidrnetmask`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::*;

fn parse_net(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>().map_err(|_| format!("invalid CIDR \"{s}\""))
}

fn addr_to_u128(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

fn u128_to_addr(n: u128, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::from(u32::try_from(n & 0xffff_ffff).unwrap_or(0)))
    } else {
        IpAddr::V6(Ipv6Addr::from(n))
    }
}

fn subnet(net: IpNet, newbits: u32, netnum: u128) -> Result<IpNet, String> {
    let bits = if matches!(net, IpNet::V4(_)) { 32 } else { 128 };
    let new_len = u32::from(net.prefix_len()).saturating_add(newbits);
    if new_len > bits {
        return Err(format!("insufficient address space to extend prefix of {} by {newbits}", net.prefix_len()));
    }
    if newbits < 128 && netnum >= (1u128 << newbits) {
        return Err(format!("prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"));
    }
    let base = addr_to_u128(net.network());
    let shift = bits - new_len;
    let addr = base | netnum.checked_shl(shift).unwrap_or(0);
    let ip = u128_to_addr(addr, bits == 32);
    IpNet::new(ip, u8::try_from(new_len).unwrap_or(0)).map_err(|e| e.to_string())
}

pub(super) fn cidrsubnet(args: &[Value]) -> CallResult {
    let net = parse_net(str_arg(args, 0)?)?;
    let newbits = u32::try_from(num_arg(args, 1)? as i64).map_err(|_| "negative newbits".to_string())?;
    let netnum = u128::try_from(num_arg(args, 2)? as i64).map_err(|_| "negative netnum".to_string())?;
    subnet(net, newbits, netnum).map(|n| Value::String(n.to_string()))
}

pub(super) fn cidrsubnets(args: &[Value]) -> CallResult {
    let net = parse_net(str_arg(args, 0)?)?;
    let bits = if matches!(net, IpNet::V4(_)) { 32u32 } else { 128 };
    let mut next = addr_to_u128(net.network());
    let mut out = Vec::new();
    for i in 1..args.len() {
        let nb = u32::try_from(num_arg(args, i)? as i64).map_err(|_| "negative newbits".to_string())?;
        let len = u32::from(net.prefix_len()).saturating_add(nb);
        if len > bits {
            return Err("not enough address space".into());
        }
        let size = 1u128.checked_shl(bits - len).unwrap_or(0);
        if size > 0 && !next.is_multiple_of(size) {
            next = (next / size + 1) * size;
        }
        let n =
            IpNet::new(u128_to_addr(next, bits == 32), u8::try_from(len).unwrap_or(0)).map_err(|e| e.to_string())?;
        if !net.contains(&n.network()) {
            return Err("not enough address space".into());
        }
        out.push(Value::String(n.to_string()));
        next += size;
    }
    Ok(Value::List(out))
}

pub(super) fn cidrhost(args: &[Value]) -> CallResult {
    let net = parse_net(str_arg(args, 0)?)?;
    let host = num_arg(args, 1)? as i64;
    let bits = if matches!(net, IpNet::V4(_)) { 32u32 } else { 128 };
    let size = 1u128.checked_shl(bits - u32::from(net.prefix_len())).unwrap_or(u128::MAX);
    let offset =
        if host < 0 { size.checked_sub(host.unsigned_abs().into()) } else { Some(u128::from(host.unsigned_abs())) };
    match offset {
        Some(o) if o < size => Ok(Value::String(u128_to_addr(addr_to_u128(net.network()) + o, bits == 32).to_string())),
        _ => Err(format!("host number {host} does not fit in {net}")),
    }
}

pub(super) fn cidrnetmask(args: &[Value]) -> CallResult {
    match parse_net(str_arg(args, 0)?)? {
        IpNet::V4(n) => Ok(Value::String(n.netmask().to_string())),
        IpNet::V6(_) => Err("cidrnetmask() only supports IPv4".into()),
    }
}
