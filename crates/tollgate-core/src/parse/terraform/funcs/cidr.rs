//! Network functions: `cidrsubnet`, `cidrsubnets`, `cidrhost`, `cidrnetmask`.

use ipnet::IpNet;

use super::*;
use crate::parse::codec::cidr::{self, SubnetError, addr_to_u128, u128_to_addr};

fn parse_net(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>().map_err(|_| format!("invalid CIDR \"{s}\""))
}

fn subnet(net: IpNet, newbits: u32, netnum: u128) -> Result<IpNet, String> {
    cidr::subnet(net, newbits, netnum).map_err(|e| match e {
        SubnetError::NoSpace => {
            format!("insufficient address space to extend prefix of {} by {newbits}", net.prefix_len())
        }
        SubnetError::NumberTooBig => {
            format!("prefix extension of {newbits} does not accommodate a subnet numbered {netnum}")
        }
        SubnetError::Invalid(e) => e,
    })
}

pub(super) fn cidrsubnet(args: &[Value]) -> CallResult {
    let net = parse_net(str_arg(args, 0)?)?;
    let newbits = u32::try_from(num_arg(args, 1)? as i64).map_err(|_| "negative newbits".to_string())?;
    let netnum = u128::try_from(num_arg(args, 2)? as i64).map_err(|_| "negative netnum".to_string())?;
    subnet(net, newbits, netnum).map(|n| Value::String(n.to_string()))
}

pub(super) fn cidrsubnets(args: &[Value]) -> CallResult {
    let net = parse_net(str_arg(args, 0)?)?;
    let bits = cidr::width(&net);
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
    match cidr::host(net, host) {
        Some(a) => Ok(Value::String(a.to_string())),
        None => Err(format!("host number {host} does not fit in {net}")),
    }
}

pub(super) fn cidrnetmask(args: &[Value]) -> CallResult {
    match parse_net(str_arg(args, 0)?)? {
        IpNet::V4(n) => Ok(Value::String(n.netmask().to_string())),
        IpNet::V6(_) => Err("cidrnetmask() only supports IPv4".into()),
    }
}
