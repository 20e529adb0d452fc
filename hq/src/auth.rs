//! Device tokens: 256 random bits, shown once at enrolment as 64 hex digits, stored only as
//! their SHA-256. A stolen database therefore holds no usable token, and revoking a device
//! is one flag.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh token as the device will send it: 64 lowercase hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The stored form of a token; `None` when the text cannot be a token at all.
pub fn token_hash(token: &str) -> Option<[u8; 32]> {
    let raw = unhex(token.trim())?;
    if raw.len() != 32 {
        return None;
    }
    Some(Sha256::digest(&raw).into())
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Lowercase hex digits of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_hash_and_garbage_does_not() {
        let token = new_token();
        assert_eq!(token.len(), 64);
        assert_ne!(new_token(), token);
        assert_eq!(token_hash(&token), token_hash(&token.to_uppercase()));
        assert!(token_hash("abc").is_none());
        assert!(token_hash(&"zz".repeat(32)).is_none());
        assert!(token_hash(&"ab".repeat(31)).is_none());
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
    }
}
