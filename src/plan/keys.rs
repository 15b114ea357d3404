//! Fresh idempotency keys for every run, and the edits that turn a key into an invalid one.
//!
//! A live platform keeps keys forever, so a second run must never reuse the first run's keys:
//! each run draws a nonce (time plus randomness) and numbers its keys after it. Keys are digits
//! only, which fits the ID rules of the APIs seen so far (no forbidden punctuation, any pattern
//! of digits).

use std::sync::atomic::{AtomicU64, Ordering};

/// Mints unique keys for one run.
#[derive(Debug)]
pub struct KeyMint {
    nonce: String,
    next: AtomicU64,
    max_len: usize,
}

impl KeyMint {
    /// A mint with a nonce made from the current time and randomness.
    pub fn new() -> Self {
        let now = jiff::Timestamp::now().strftime("%y%m%d%H%M%S").to_string();
        Self::with_nonce(format!("{now}{:04}", fastrand::u16(..10_000)))
    }

    /// A mint with a given nonce (tests use this for reproducible keys).
    pub fn with_nonce(nonce: String) -> Self {
        KeyMint {
            nonce,
            next: AtomicU64::new(1),
            max_len: 64,
        }
    }

    /// Caps key length (the key field's `maxLength`); the sequence number at the end is kept.
    pub fn max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }

    /// The run nonce.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// A key never minted before in this run.
    pub fn fresh(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let key = format!("{}{n:06}", self.nonce);
        let cut = key.len().saturating_sub(self.max_len);
        key[cut..].to_string()
    }
}

impl Default for KeyMint {
    fn default() -> Self {
        Self::new()
    }
}

/// A change applied to a freshly minted key (or to any string) by a generated case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StringEdit {
    /// Pad (or cut) to exactly `len` characters with `fill`.
    Length {
        /// Target length in characters.
        len: usize,
        /// Padding character.
        fill: char,
    },
    /// Put `c` in place of the last character (or append it to an empty string).
    Inject(char),
}

impl StringEdit {
    /// Applies the edit.
    pub fn apply(&self, text: &str) -> String {
        match self {
            StringEdit::Length { len, fill } => {
                let mut out: String = text.chars().take(*len).collect();
                let have = out.chars().count();
                out.extend(std::iter::repeat_n(*fill, len - have));
                out
            }
            StringEdit::Inject(c) => {
                let mut out: String = text.chars().collect();
                out.pop();
                out.push(*c);
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_carry_the_nonce() {
        let mint = KeyMint::with_nonce("2611281913091234".into());
        assert_eq!(mint.fresh(), "2611281913091234000001");
        assert_eq!(mint.fresh(), "2611281913091234000002");
    }

    #[test]
    fn capped_keys_keep_their_sequence_number() {
        let mint = KeyMint::with_nonce("999988887777".into()).max_len(8);
        assert_eq!(mint.fresh(), "77000001");
    }

    #[test]
    fn edits_pad_cut_and_inject() {
        assert_eq!(
            StringEdit::Length { len: 5, fill: 'é' }.apply("ab"),
            "abééé"
        );
        assert_eq!(StringEdit::Length { len: 2, fill: 'x' }.apply("abcd"), "ab");
        assert_eq!(StringEdit::Inject('@').apply("abc"), "ab@");
    }
}
