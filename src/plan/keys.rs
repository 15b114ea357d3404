//! Fresh idempotency keys (and single-use values) for every run, and the edits that turn a key
//! into an invalid one.
//!
//! A live platform keeps keys forever, so a second run must never reuse the first run's keys:
//! each run draws a nonce (time plus randomness) and numbers its keys after it. Keys are digits
//! only, which fits the ID rules of the APIs seen so far (no forbidden punctuation, any pattern
//! of digits).

use std::sync::atomic::{AtomicU64, Ordering};

/// Mints unique keys for one run.
#[derive(Debug)]
pub(crate) struct KeyMint {
    nonce: String,
    next: AtomicU64,
}

impl KeyMint {
    /// A mint with a nonce made from the current time and randomness.
    pub(crate) fn new() -> Self {
        // Milliseconds and seven random digits: runs started together (CI shards, a benchmark's
        // back-to-back runs) must never draw the same keys, or the second would see the first's
        // answers to different payloads.
        let now = jiff::Timestamp::now()
            .strftime("%y%m%d%H%M%S%3f")
            .to_string();
        Self::with_nonce(format!("{now}{:07}", fastrand::u32(..10_000_000)))
    }

    /// A mint with a given nonce (tests use this for reproducible keys).
    pub(crate) fn with_nonce(nonce: String) -> Self {
        KeyMint {
            nonce,
            next: AtomicU64::new(1),
        }
    }

    /// The run nonce.
    pub(crate) fn nonce(&self) -> &str {
        &self.nonce
    }

    /// A key never minted before in this run.
    pub(crate) fn fresh(&self) -> String {
        self.fresh_within(None)
    }

    /// A fresh key of at most `max` characters (the key field's `maxLength`): the front of the
    /// nonce gives way, the random digits and the sequence number at the end are kept.
    pub(crate) fn fresh_within(&self, max: Option<usize>) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let key = format!("{}{n:06}", self.nonce);
        let cut = key.len().saturating_sub(max.unwrap_or(usize::MAX));
        key[cut..].to_string()
    }

    /// A fresh key for `contract`'s key field.
    pub(crate) fn key_for(&self, contract: &crate::contract::Contract) -> String {
        self.fresh_within(contract.idempotency.as_ref().and_then(|i| i.key_max_len))
    }

    /// A fresh value for the place `pointer` of `contract`'s request document: its key, or one
    /// of its single-use fields (cut to that field's `maxLength`).
    pub(crate) fn fresh_for(
        &self,
        contract: &crate::contract::Contract,
        pointer: &crate::json::Pointer,
    ) -> String {
        match contract.single_use.iter().find(|s| &s.pointer == pointer) {
            Some(single) => self.fresh_within(single.max_len),
            None => self.key_for(contract),
        }
    }
}

impl Default for KeyMint {
    fn default() -> Self {
        Self::new()
    }
}

/// A change applied to a freshly minted key (or to any string) by a generated case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StringEdit {
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
    pub(crate) fn apply(&self, text: &str) -> String {
        match self {
            StringEdit::Length { len, fill } => {
                // Byte-wise: these strings run to thousands of characters (extendInfo).
                let (kept, have) = match text.char_indices().nth(*len) {
                    Some((cut, _)) => (&text[..cut], *len),
                    None => (text, text.chars().count()),
                };
                let mut buffer = [0u8; 4];
                let unit = fill.encode_utf8(&mut buffer);
                let mut out = String::with_capacity(kept.len() + unit.len() * (len - have));
                out.push_str(kept);
                out.push_str(&unit.repeat(len - have));
                out
            }
            StringEdit::Inject(c) => {
                let mut out = text.to_string();
                out.pop();
                out.push(*c);
                out
            }
        }
    }

    /// The edit of a freshly minted value. A length edit that cuts keeps the value's end, as
    /// [`KeyMint::fresh_within`] does: the random digits and the sequence number keep it
    /// fresh, where the front (the nonce's date and hour) is the same for every run within the
    /// hour, and a live target would take a second run's key for the first run's.
    pub(crate) fn apply_to_minted(&self, minted: &str) -> String {
        match self {
            StringEdit::Length { len, .. } => match minted.char_indices().rev().nth(*len) {
                Some((at, c)) => minted[at + c.len_utf8()..].to_string(),
                None => self.apply(minted),
            },
            StringEdit::Inject(_) => self.apply(minted),
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
        let mint = KeyMint::with_nonce("999988887777".into());
        assert_eq!(mint.fresh_within(Some(8)), "77000001");
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

    #[test]
    fn a_minted_key_cut_to_a_minimum_length_keeps_its_fresh_end() {
        let (first, second) = (
            KeyMint::with_nonce("26120202000000011".into()),
            KeyMint::with_nonce("26120202000000022".into()),
        );
        let shortest = StringEdit::Length { len: 8, fill: '*' };
        let cut = |mint: &KeyMint| shortest.apply_to_minted(&mint.fresh());
        // Two runs in the same hour: the date and hour in front are alike, the ends are not.
        assert_eq!(cut(&first), "11000001");
        assert_eq!(cut(&second), "22000001");
        // A longer edit pads as for any value.
        let longest = StringEdit::Length { len: 30, fill: '*' };
        assert_eq!(
            longest.apply_to_minted("123"),
            format!("123{}", "*".repeat(27))
        );
    }
}
