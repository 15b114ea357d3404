//! Values parsed from text, kept by that text: a run sends the same few paths hundreds of
//! times, and parsing a URL (its host above all) costs a thousand instructions or more.

use std::collections::HashMap;
use std::sync::Mutex;

/// Texts whose parsed value is kept at most; past that the cache starts over.
const KEPT: usize = 1024;

/// Parsed values by the text they were parsed from.
#[derive(Debug)]
pub(super) struct Parsed<T> {
    values: Mutex<HashMap<Box<str>, T, foldhash::fast::RandomState>>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed {
            values: Mutex::default(),
        }
    }
}

impl<T: Clone> Parsed<T> {
    /// The value `parse` makes of `text`, parsed the first time only; an error is not kept.
    pub(super) fn get_or<E>(
        &self,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut values = self
            .values
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(value) = values.get(text) {
            return Ok(value.clone());
        }
        let value = parse(text)?;
        if values.len() >= KEPT {
            values.clear();
        }
        values.insert(text.into(), value.clone());
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_text_once_and_keeps_no_error() {
        let parsed = Parsed::default();
        let mut calls = 0;
        let mut parse = |text: &str| {
            calls += 1;
            text.parse::<u32>()
        };
        assert_eq!(parsed.get_or("7", &mut parse), Ok(7));
        assert_eq!(parsed.get_or("7", &mut parse), Ok(7));
        assert!(parsed.get_or("x", &mut parse).is_err());
        assert!(parsed.get_or("x", &mut parse).is_err());
        assert_eq!(calls, 3, "7 parsed once, x each time");
    }
}
