//! Headers every request to a target carries: auth tokens, tenant ids, API keys, from
//! `--header 'NAME: VALUE'` or the target profile's `headers` (whose values can come from the
//! environment). Secret values never reach any output: [`Secrets`] scrubs them from text.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::Deserialize;

/// One header sent with every request.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct TargetHeader {
    /// The name, as given.
    pub name: String,
    /// The value.
    pub value: String,
    /// Whether the value must never be shown.
    pub secret: bool,
    /// Whether the target profile marks it as a credential (`"credential": true`): security
    /// probes then send requests without it and with a wrong value, on every contract that
    /// declares `credentials`.
    pub credential: bool,
}

impl fmt::Debug for TargetHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.shown())
    }
}

impl TargetHeader {
    /// A header; secret when its name says it carries credentials (see [`is_secret_name`]).
    pub(crate) fn new(name: &str, value: &str) -> Result<Self, HeaderError> {
        let header = TargetHeader {
            name: name.trim().to_string(),
            value: value.trim().to_string(),
            secret: is_secret_name(name.trim()),
            credential: false,
        };
        header.check()?;
        Ok(header)
    }

    /// The value as reports may show it: `***` when secret.
    pub(crate) fn shown(&self) -> &str {
        if self.secret { "***" } else { &self.value }
    }

    fn check(&self) -> Result<(), HeaderError> {
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if self.name.is_empty() || !self.name.chars().all(token) {
            return Err(HeaderError::Name(self.name.clone()));
        }
        if self.value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(HeaderError::Value(self.name.clone()));
        }
        Ok(())
    }
}

/// `NAME: VALUE`, as `--header` takes it.
impl FromStr for TargetHeader {
    type Err = HeaderError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, value) = text.split_once(':').ok_or(HeaderError::Syntax)?;
        TargetHeader::new(name, value)
    }
}

/// Whether a header of this name carries credentials by convention: `Authorization`,
/// `Proxy-Authorization`, `Cookie`, and names containing `token`, `secret`, `key`, `auth`,
/// `password` or `signature` (`X-Api-Key`, `X-Auth-Token`).
pub(crate) fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "cookie"
        || ["auth", "token", "secret", "key", "password", "signature"]
            .iter()
            .any(|word| lower.contains(word))
}

/// A header that cannot be sent (a usage error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HeaderError {
    /// No colon.
    #[error("expected `NAME: VALUE`, e.g. `Authorization: Bearer $TOKEN`")]
    Syntax,
    /// Not a header name.
    #[error("`{0}` is not a header name (letters, digits and !#$%&'*+-.^_`|~)")]
    Name(String),
    /// A control character (a newline, say) in the value.
    #[error("the value of `{0}` holds a control character")]
    Value(String),
    /// The environment variable meant to hold a value is not set.
    #[error("header `{name}`: environment variable `{variable}` is not set (or not UTF-8)")]
    Env {
        /// The header.
        name: String,
        /// The variable.
        variable: String,
    },
}

/// A header value in a target profile: the text itself, or where to read it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum HeaderSource {
    /// The value itself (secret when the name says so).
    Text(String),
    /// The value of an environment variable (secret unless `secret` is `false`).
    Env {
        /// The variable's name.
        env: String,
        /// Whether the value must never be shown (default: true).
        #[serde(default)]
        secret: Option<bool>,
        /// Whether the header carries credentials, to be probed on every contract that
        /// declares `credentials` (default: only when the contract names it).
        #[serde(default)]
        credential: bool,
    },
    /// The value itself, with its secrecy stated.
    Value {
        /// The value.
        value: String,
        /// Whether the value must never be shown (default: by the header's name).
        #[serde(default)]
        secret: Option<bool>,
        /// Whether the header carries credentials, to be probed on every contract that
        /// declares `credentials` (default: only when the contract names it).
        #[serde(default)]
        credential: bool,
    },
}

impl HeaderSource {
    /// The header this source gives `name`.
    pub(crate) fn resolve(&self, name: &str) -> Result<TargetHeader, HeaderError> {
        let mut header = match self {
            HeaderSource::Text(value) => TargetHeader::new(name, value)?,
            HeaderSource::Env {
                env,
                secret,
                credential,
            } => {
                let value = std::env::var(env).map_err(|_| HeaderError::Env {
                    name: name.to_string(),
                    variable: env.clone(),
                })?;
                let mut header = TargetHeader::new(name, &value)?;
                // A credential is never shown, whatever `secret` says.
                header.secret = secret.unwrap_or(true) || *credential;
                header.credential = *credential;
                header
            }
            HeaderSource::Value {
                value,
                secret,
                credential,
            } => {
                let mut header = TargetHeader::new(name, value)?;
                header.secret = secret.unwrap_or(header.secret) || *credential;
                header.credential = *credential;
                header
            }
        };
        header.name = name.to_string();
        Ok(header)
    }
}

/// Values that must never appear in any output, and the scrubbing that keeps them out.
#[derive(Debug, Clone, Default)]
pub(crate) struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// The secret values of `headers` (and, for `Authorization: Bearer x`, the token alone,
    /// which targets like to echo in error messages).
    pub(crate) fn of(headers: &[TargetHeader]) -> Self {
        let mut values = Vec::new();
        for header in headers.iter().filter(|h| h.secret) {
            values.push(header.value.clone());
            if let Some((_, credential)) = header.value.split_once(' ') {
                values.push(credential.trim().to_string());
            }
        }
        // Too short to scrub without mangling ordinary text; never sent as real credentials.
        values.retain(|v| v.len() >= 4);
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Secrets { values }
    }

    /// Adds one more secret value.
    pub(crate) fn add(&mut self, value: &str) {
        if value.len() >= 4 && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_string());
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// The secret values, longest first.
    pub(crate) fn values(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(String::as_str)
    }

    /// `text` with every secret value replaced by `***`, and every start of one that ends where
    /// the text was cut short (`…`, as messages quoting a long answer are) replaced too: a
    /// token the target echoed may be cut anywhere, and its first 28 of 36 characters give
    /// most of it away.
    pub(crate) fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let whole = self.values.iter().any(|v| text.contains(v.as_str()));
        if !(whole || text.contains(CUT) && self.cut_in(text)) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for value in &self.values {
            out = out.replace(value.as_str(), "***");
        }
        Cow::Owned(self.scrub_cut(&out).unwrap_or(out))
    }

    /// Whether a secret's start ends right before a cut in `text`.
    fn cut_in(&self, text: &str) -> bool {
        text.match_indices(CUT)
            .any(|(at, _)| self.cut_start(&text[..at]).is_some())
    }

    /// `text` with each secret's start that ends right before a cut replaced by `***`;
    /// `None` when there is none.
    fn scrub_cut(&self, text: &str) -> Option<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut changed = false;
        while let Some(at) = rest.find(CUT) {
            let before = &rest[..at];
            match self.cut_start(before) {
                Some(len) => {
                    out.push_str(&before[..before.len() - len]);
                    out.push_str("***");
                    changed = true;
                }
                None => out.push_str(before),
            }
            out.push(CUT);
            rest = &rest[at + CUT.len_utf8()..];
        }
        out.push_str(rest);
        changed.then_some(out)
    }

    /// The length of the longest start of a secret that `before` ends with: short of the
    /// whole value (which `scrub` replaced already), and longer than what a message may show
    /// of it ([`crate::json::secret_shown`]: `2810… (35 characters, secret)`).
    fn cut_start(&self, before: &str) -> Option<usize> {
        self.values
            .iter()
            .filter_map(|value| {
                let long = value.chars().count() >= crate::json::text::SECRET_HEAD_FROM;
                let shown = if long {
                    crate::json::text::SECRET_HEAD
                } else {
                    0
                };
                (CUT_SHORTEST.max(shown + 1)..value.len())
                    .rev()
                    .filter(|&len| value.is_char_boundary(len))
                    .filter(|&len| value[..len].chars().count() > shown)
                    .find(|&len| before.ends_with(&value[..len]))
            })
            .max()
    }
}

/// How messages mark a value cut short.
const CUT: char = '…';

/// The shortest start of a secret scrubbed before a cut: the shortest secret scrubbed whole.
const CUT_SHORTEST: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_name_and_value_and_credentials_are_secret_by_name() {
        let auth: TargetHeader = "Authorization: Bearer abc.def".parse().unwrap();
        assert_eq!(
            (auth.name.as_str(), auth.value.as_str()),
            ("Authorization", "Bearer abc.def")
        );
        assert!(auth.secret);
        assert_eq!(format!("{auth:?}"), "Authorization: ***");
        let tenant: TargetHeader = "X-Tenant-Id:  t-42 ".parse().unwrap();
        assert!(!tenant.secret);
        assert_eq!(tenant.value, "t-42");
        assert!(TargetHeader::from_str("X-Api-Key: k").unwrap().secret);
        assert_eq!("no colon".parse::<TargetHeader>(), Err(HeaderError::Syntax));
        assert!(matches!(
            "Bad Name: x".parse::<TargetHeader>(),
            Err(HeaderError::Name(_))
        ));
        assert!(matches!(
            "X-A: a\nb".parse::<TargetHeader>(),
            Err(HeaderError::Value(_))
        ));
    }

    #[test]
    fn environment_values_are_secret_unless_the_profile_says_otherwise() {
        // SAFETY: no other test reads or writes this variable.
        unsafe { std::env::set_var("CONFORM_TEST_TENANT_7731", "tenant-9") };
        let secret = HeaderSource::Env {
            env: "CONFORM_TEST_TENANT_7731".into(),
            secret: None,
            credential: false,
        };
        assert!(secret.resolve("X-Tenant").unwrap().secret);
        let open = HeaderSource::Env {
            env: "CONFORM_TEST_TENANT_7731".into(),
            secret: Some(false),
            credential: false,
        };
        assert!(!open.resolve("X-Tenant").unwrap().secret);
        let missing = HeaderSource::Env {
            env: "CONFORM_TEST_UNSET_7731".into(),
            secret: None,
            credential: false,
        };
        assert!(
            missing
                .resolve("X-Tenant")
                .unwrap_err()
                .to_string()
                .contains("not set")
        );
    }

    #[test]
    fn secrets_are_scrubbed_whole_and_bearer_tokens_alone() {
        let headers = ["Authorization: Bearer tok-123456", "X-Tenant: acme"]
            .map(|h| h.parse::<TargetHeader>().unwrap());
        let secrets = Secrets::of(&headers);
        assert_eq!(
            secrets.scrub("sent Bearer tok-123456; the server said: bad token tok-123456 for acme"),
            "sent ***; the server said: bad token *** for acme"
        );
        assert!(matches!(secrets.scrub("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_secret_cut_short_in_a_message_is_scrubbed_up_to_the_cut() {
        let header = "Authorization: Bearer sk_live_9fQ2xLr7Vb3mKp8ZtW4nHc6YdJ1sGe5A";
        let secrets = Secrets::of(&[header.parse::<TargetHeader>().unwrap()]);
        // The header's value and the token alone, each cut where a message was shortened.
        assert_eq!(
            secrets.scrub(r#"400 "the credential sent was Bearer sk_live_9fQ2xLr7Vb3mKp8ZtW4nH…""#),
            r#"400 "the credential sent was ***…""#
        );
        assert_eq!(
            secrets.scrub("token sk_live_9fQ2… (36 characters), and again sk_live_9f…"),
            "token ***… (36 characters), and again ***…"
        );
        // Text before a cut that is not a secret's start stays, and so do a start too short
        // to tell from ordinary text and the head a masked secret shows.
        for kept in [
            "a long answer, cut here…",
            "the sk_…",
            "token = sk_l… (36 characters, secret)",
        ] {
            assert!(matches!(secrets.scrub(kept), Cow::Borrowed(_)), "{kept}");
        }
    }
}
