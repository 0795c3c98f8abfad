//! Hash functions, over strings and (for the evaluator's `file*` hashes)
//! over file contents.

use super::*;
use crate::parse::codec::base64;

/// The hash functions over a file's contents (`filemd5`, `filesha1`,
/// `filesha256`, `filesha512`, `filebase64sha256`, `filebase64sha512`).
/// The evaluator reads the file with the guarded access `file()` uses and
/// hands the contents to [`file_digest`].
pub(crate) fn is_file_digest(name: &str) -> bool {
    name.strip_prefix("file").is_some_and(|rest| digest_text(rest, b"").is_some())
}

/// The digest a `file*` hash function gives for a file's contents.
pub(crate) fn file_digest(name: &str, contents: &[u8]) -> Value {
    match name.strip_prefix("file").and_then(|rest| digest_text(rest, contents)) {
        Some(s) => Value::String(s),
        None => Value::unknown(format!("{name}(...)")),
    }
}

/// `md5`, `sha1`, `sha256`, `sha512` (lowercase hex of the digest) and
/// `base64sha256`, `base64sha512` (standard base64 of the raw digest), as
/// Terraform computes them over the UTF-8 bytes of a string.
fn digest_text(name: &str, bytes: &[u8]) -> Option<String> {
    use sha2::Digest as _;
    Some(match name {
        "md5" => hex(&md5::Md5::digest(bytes)),
        "sha1" => hex(&sha1::Sha1::digest(bytes)),
        "sha256" => hex(&sha2::Sha256::digest(bytes)),
        "sha512" => hex(&sha2::Sha512::digest(bytes)),
        "base64sha256" => base64::encode(&sha2::Sha256::digest(bytes)),
        "base64sha512" => base64::encode(&sha2::Sha512::digest(bytes)),
        _ => return None,
    })
}

pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// A digest of a string argument ([`digest_text`]).
fn digest_of(name: &str, args: &[Value]) -> CallResult {
    str_arg(args, 0).map(|s| Value::String(digest_text(name, s.as_bytes()).unwrap_or_default()))
}

pub(super) fn md5(args: &[Value]) -> CallResult {
    digest_of("md5", args)
}

pub(super) fn sha1(args: &[Value]) -> CallResult {
    digest_of("sha1", args)
}

pub(super) fn sha256(args: &[Value]) -> CallResult {
    digest_of("sha256", args)
}

pub(super) fn sha512(args: &[Value]) -> CallResult {
    digest_of("sha512", args)
}

pub(super) fn base64sha256(args: &[Value]) -> CallResult {
    digest_of("base64sha256", args)
}

pub(super) fn base64sha512(args: &[Value]) -> CallResult {
    digest_of("base64sha512", args)
}

/// `bcrypt` salts at random: not knowable before apply.
pub(super) fn bcrypt(_: &[Value]) -> CallResult {
    Ok(Value::unknown("bcrypt()"))
}
