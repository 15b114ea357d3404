//! The `Signature` header format (`algorithm=RSA256,keyVersion=1,signature=...`): parsing the
//! spellings seen in the wild and rendering the canonical one, separately from any cryptography.

/// The only algorithm name this protocol defines.
pub(crate) const ALGORITHM: &str = "RSA256";
/// The key version assumed when a `Signature` header omits `keyVersion`.
pub(crate) const DEFAULT_KEY_VERSION: &str = "1";

/// The parts of a `Signature` header value such as
/// `algorithm=RSA256,keyVersion=1,signature=<url-encoded base64>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignatureHeader {
    /// The `algorithm` part, e.g. `RSA256`; not checked here so callers can report it.
    pub algorithm: String,
    /// The `keyVersion` part; [`DEFAULT_KEY_VERSION`] when the header omits it.
    pub key_version: String,
    /// The `signature` part exactly as it appeared (normally URL-encoded base64).
    pub signature: String,
}

/// Why a `Signature` header value could not be split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The header value was empty or only whitespace.
    #[error("signature header is empty")]
    Empty,
    /// Two commas with nothing between them.
    #[error("signature header has an empty part between commas")]
    EmptyPart,
    /// A part has no `=`; the number is its 1-based position.
    #[error("signature header part {0} is not name=value")]
    NotNameValue(usize),
    /// A part name other than `algorithm`, `keyVersion` or `signature`.
    #[error("signature header has unknown part {0:?}; expected algorithm, keyVersion, signature")]
    UnknownPart(String),
    /// The same part appeared twice.
    #[error("signature header has {0} more than once")]
    DuplicatePart(&'static str),
    /// A required part (`algorithm` or `signature`) is absent.
    #[error("signature header has no {0} part")]
    MissingPart(&'static str),
    /// A part is present with nothing after the `=`.
    #[error("signature header {0} part is empty")]
    EmptyValue(&'static str),
}

impl SignatureHeader {
    /// Splits a header value into its parts. Parts may come in any order, separated by `,`
    /// with optional spaces (the published examples use `, `); `keyVersion` may be absent.
    pub(crate) fn parse(value: &str) -> Result<Self, HeaderError> {
        if value.trim().is_empty() {
            return Err(HeaderError::Empty);
        }
        let mut parts: [Option<String>; 3] = [None, None, None];
        for (index, part) in value.split(',').enumerate() {
            let (name, part_value) = split_part(part, index + 1)?;
            let slot = slot_of(name)?;
            if parts[slot].replace(part_value.to_owned()).is_some() {
                return Err(HeaderError::DuplicatePart(PART_NAMES[slot]));
            }
        }
        let [algorithm, key_version, signature] = parts;
        Ok(Self {
            algorithm: required(algorithm, "algorithm")?,
            key_version: match key_version {
                Some(v) if v.is_empty() => return Err(HeaderError::EmptyValue("keyVersion")),
                Some(v) => v,
                None => DEFAULT_KEY_VERSION.to_owned(),
            },
            signature: required(signature, "signature")?,
        })
    }

    /// Renders the canonical form `algorithm=RSA256,keyVersion=1,signature=...`
    /// (no spaces, the order the SDKs emit).
    pub(crate) fn render(&self) -> String {
        let Self {
            algorithm,
            key_version,
            signature,
        } = self;
        format!("algorithm={algorithm},keyVersion={key_version},signature={signature}")
    }
}

/// Part names in slot order; the wire spelling is case-sensitive as in the published docs.
const PART_NAMES: [&str; 3] = ["algorithm", "keyVersion", "signature"];

/// Splits one `name=value` part on its first `=`, so base64 padding stays in the value.
fn split_part(part: &str, position: usize) -> Result<(&str, &str), HeaderError> {
    let part = part.trim();
    if part.is_empty() {
        return Err(HeaderError::EmptyPart);
    }
    let (name, value) = part
        .split_once('=')
        .ok_or(HeaderError::NotNameValue(position))?;
    Ok((name.trim(), value.trim()))
}

fn slot_of(name: &str) -> Result<usize, HeaderError> {
    PART_NAMES
        .iter()
        .position(|&known| known == name)
        .ok_or_else(|| {
            // Cap the echo: a mangled header could put the whole signature where the name goes.
            HeaderError::UnknownPart(name.chars().take(32).collect())
        })
}

fn required(value: Option<String>, name: &'static str) -> Result<String, HeaderError> {
    match value {
        None => Err(HeaderError::MissingPart(name)),
        Some(v) if v.is_empty() => Err(HeaderError::EmptyValue(name)),
        Some(v) => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::test_support::vector;

    #[test]
    fn parses_the_vector_header_and_renders_it_back() {
        let v = vector();
        let header = SignatureHeader::parse(&v.header).unwrap();
        assert_eq!(header.algorithm, "RSA256");
        assert_eq!(header.key_version, "1");
        assert_eq!(header.signature, v.signature_urlencoded);
        assert_eq!(header.render(), v.header);
    }

    #[test]
    fn parses_spaced_reordered_header_without_key_version() {
        let header = SignatureHeader::parse(" signature=ab%2Bc==, algorithm=RSA256 ").unwrap();
        assert_eq!(header.signature, "ab%2Bc==");
        assert_eq!(header.key_version, DEFAULT_KEY_VERSION);
        assert_eq!(
            header.render(),
            "algorithm=RSA256,keyVersion=1,signature=ab%2Bc=="
        );
    }

    #[test]
    fn rejects_malformed_headers_with_specific_reasons() {
        let cases = [
            ("", HeaderError::Empty),
            ("algorithm=RSA256,,signature=x", HeaderError::EmptyPart),
            ("algorithm=RSA256,signature", HeaderError::NotNameValue(2)),
            (
                "algorithm=RSA256,sig=x",
                HeaderError::UnknownPart("sig".into()),
            ),
            (
                "algorithm=RSA256,algorithm=RSA256,signature=x",
                HeaderError::DuplicatePart("algorithm"),
            ),
            ("algorithm=RSA256", HeaderError::MissingPart("signature")),
            (
                "keyVersion=1,signature=x",
                HeaderError::MissingPart("algorithm"),
            ),
            (
                "algorithm=RSA256,signature=",
                HeaderError::EmptyValue("signature"),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(SignatureHeader::parse(value), Err(expected), "{value:?}");
        }
    }
}
