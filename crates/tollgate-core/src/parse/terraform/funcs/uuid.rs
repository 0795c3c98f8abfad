//! UUID functions.

use super::hashes::hex;
use super::*;

/// `uuidv5(namespace, name)`: RFC 4122 section 4.3 with SHA-1. The
/// namespace is `dns`, `url`, `oid`, `x500` or a UUID in any of the forms
/// Terraform accepts (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, braced,
/// `urn:uuid:` prefixed, or 32 hex digits).
fn uuidv5(namespace: &str, name: &str) -> Result<String, String> {
    use sha2::Digest as _;
    let ns = match namespace {
        "dns" => "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "url" => "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
        "oid" => "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
        "x500" => "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
        other => other,
    };
    let ns = parse_uuid(ns).ok_or_else(|| format!("uuidv5() doesn't support namespace {namespace}"))?;
    let mut h = sha1::Sha1::new();
    h.update(ns);
    h.update(name.as_bytes());
    let digest = h.finalize();
    let mut u = [0u8; 16];
    for (o, d) in u.iter_mut().zip(digest.iter()) {
        *o = *d;
    }
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    let x = hex(&u);
    Ok(format!("{}-{}-{}-{}-{}", &x[0..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32]))
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let body = match s.len() {
        36 => s,
        38 => s.strip_prefix('{')?.strip_suffix('}')?,
        45 => {
            let (urn, rest) = s.split_at_checked(9)?;
            if !urn.eq_ignore_ascii_case("urn:uuid:") {
                return None;
            }
            rest
        }
        32 => s,
        _ => return None,
    };
    let digits: String = if body.len() == 36 {
        let b = body.as_bytes();
        if [8, 13, 18, 23].iter().any(|i| b.get(*i) != Some(&b'-')) {
            return None;
        }
        body.chars().filter(|c| *c != '-').collect()
    } else {
        body.to_string()
    };
    if digits.len() != 32 || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(digits.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

pub(super) fn uuidv5_fn(args: &[Value]) -> CallResult {
    two_str(args).and_then(|(ns, n)| uuidv5(ns, n)).map(Value::String)
}

/// A random UUID: not knowable before apply.
pub(super) fn uuid(_: &[Value]) -> CallResult {
    Ok(Value::unknown("uuid()"))
}
