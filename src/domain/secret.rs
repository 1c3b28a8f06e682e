//! Secrets: values that must never reach a log line or a page once entered
//! (client secrets, bind passwords, bearer tokens, signing keys). The
//! domain holds them in its objects; settings read them in.

use std::fmt;

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
