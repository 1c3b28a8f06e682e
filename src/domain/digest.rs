//! SHA-256 as lower-case hex: what is kept of a secret (API tokens,
//! sign-in codes), and keys that must fit an index whatever their length.

use sha2::{Digest, Sha256};

/// The SHA-256 of `text`, in lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
