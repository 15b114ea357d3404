//! Target profiles: one small JSON file (`verify --target-config FILE`) or the equivalent flags
//! describing a target: its base URL, which implementation (and version) it runs, the
//! `Client-Id`, the key that signs requests, the counterpart's public key that checks answers,
//! and the TLS set-up (extra CAs, a client certificate). Keys and certificates are named by
//! file or environment variable, never written in the profile, and never echoed in errors.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use super::headers::{HeaderError, HeaderSource, TargetHeader};
use super::signer::{InvalidClientId, Signing};
use super::tls::TlsOptions;
use crate::signing::{KeyError, PrivateKey, PublicKey};

/// A target profile as written on disk. Every key is optional; flags override them.
#[derive(Debug, Default, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "conform target profile")]
pub(crate) struct ProfileFile {
    /// Editors use this to find the JSON Schema; conform ignores it.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// The implementation's base URL, gateway prefix included
    /// (`https://gw.example.com/api/open`); the contract's path is appended. `--target`
    /// overrides it; without either, the embedded reference implementation is checked.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Which implementation the target runs (`acme-cards`), shown at the top of every report
    /// next to the target. `--implementation` overrides it.
    #[serde(default)]
    pub implementation: Option<String>,
    /// The implementation's version or build (`2.3.1`), shown next to its name.
    /// `--implementation-version` overrides it.
    #[serde(default)]
    pub implementation_version: Option<String>,
    /// Sent as `Client-Id` on every request and part of every string to sign. Needed when a
    /// key is given.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The `keyVersion` announced in the `Signature` header (default 1).
    #[serde(default)]
    pub key_version: Option<u32>,
    /// The RSA private key that signs requests: PKCS#8 or PKCS#1, PEM or bare base64 DER.
    #[serde(default)]
    pub private_key: Option<KeySource>,
    /// The counterpart's RSA public key (SubjectPublicKeyInfo, PEM or bare base64 DER); with
    /// it, every answer must carry a valid signature (the `signature` check).
    #[serde(default)]
    pub public_key: Option<KeySource>,
    /// Headers sent with every request (auth tokens, tenant ids): a value, `{"env": "NAME"}`
    /// to read it from the environment (secret unless `"secret": false`), or
    /// `{"value": "...", "secret": true}`. Secret values are never shown; `Authorization`,
    /// `Cookie` and names containing `token`, `key`, `secret`, `auth`, `password` or
    /// `signature` are secret whatever their source. `--header` overrides a header of the
    /// same name.
    #[serde(default)]
    pub headers: indexmap::IndexMap<String, HeaderSource>,
    /// Certificate authorities (PEM, one or more certificates each) trusted on top of the
    /// platform's roots for an `https://` target: one source or a list. `--ca-cert` replaces it.
    #[serde(default)]
    pub ca_cert: Option<OneOrMore>,
    /// The client certificate presented for mutual TLS (PEM, leaf first, then intermediates).
    #[serde(default)]
    pub client_cert: Option<KeySource>,
    /// The client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1, unencrypted); may be
    /// left out when the `clientCert` text holds it.
    #[serde(default)]
    pub client_key: Option<KeySource>,
}

/// One source, or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[serde(untagged)]
pub(crate) enum OneOrMore {
    /// A single source.
    One(KeySource),
    /// Several sources, in order.
    More(Vec<KeySource>),
}

impl OneOrMore {
    /// Every source, in order.
    pub(crate) fn sources(&self) -> &[KeySource] {
        match self {
            OneOrMore::One(source) => std::slice::from_ref(source),
            OneOrMore::More(sources) => sources,
        }
    }

    fn sources_mut(&mut self) -> &mut [KeySource] {
        match self {
            OneOrMore::One(source) => std::slice::from_mut(source),
            OneOrMore::More(sources) => sources,
        }
    }
}

// By hand rather than `untagged`: an untagged enum's error ("did not match any variant") would
// hide the real one, such as an unknown key inside a source.
impl<'de> Deserialize<'de> for OneOrMore {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};

        struct Sources;
        impl<'de> serde::de::Visitor<'de> for Sources {
            type Value = OneOrMore;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(r#"a source ({"file": PATH} or {"env": NAME}) or a list of them"#)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<OneOrMore, A::Error> {
                KeySource::deserialize(MapAccessDeserializer::new(map)).map(OneOrMore::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<OneOrMore, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMore::More)
            }
        }
        deserializer.deserialize_any(Sources)
    }
}

/// Where a key's or certificate's text is read from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum KeySource {
    /// A file; a relative path is relative to the profile file (to the working folder for
    /// flags).
    File(PathBuf),
    /// An environment variable holding the key text.
    Env(String),
}

/// A profile that cannot be used (a usage error: nothing is sent). Messages never contain
/// key material.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProfileError {
    /// The profile file cannot be read.
    #[error("cannot read target config `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The profile file is not a valid profile (bad JSON, unknown key, wrong type).
    #[error("target config `{}`: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// serde's message, with line and column.
        message: String,
    },
    /// A key file cannot be read.
    #[error("cannot read {what} file `{}`: {source}", path.display())]
    KeyFile {
        /// `private key` or `public key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The environment variable meant to hold a key is not set.
    #[error("{what}: environment variable `{name}` is not set (or not UTF-8)")]
    KeyEnv {
        /// `private key` or `public key`.
        what: &'static str,
        /// The variable.
        name: String,
    },
    /// The key text is not a usable key.
    #[error("{what} from {origin}: {source}")]
    Key {
        /// `private key` or `public key`.
        what: &'static str,
        /// `file `...`` or `environment variable `...``.
        origin: String,
        /// Why (never the key text).
        source: KeyError,
    },
    /// A key was given without the Client-Id that every string to sign contains.
    #[error("signing needs a Client-Id: set `clientId` in the target config or pass --client-id")]
    NoClientId,
    /// The Client-Id cannot be sent.
    #[error(transparent)]
    ClientId(#[from] InvalidClientId),
    /// A header cannot be sent.
    #[error("target header: {0}")]
    Header(#[from] HeaderError),
}

impl ProfileFile {
    /// Reads a profile file; relative key paths become relative to the file's folder.
    pub(crate) fn load(path: &Path) -> Result<Self, ProfileError> {
        let text = crate::input::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut profile: ProfileFile =
            serde_json::from_str(&text).map_err(|e| ProfileError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let folder = path.parent().unwrap_or(Path::new(""));
        let single = [
            &mut profile.private_key,
            &mut profile.public_key,
            &mut profile.client_cert,
            &mut profile.client_key,
        ];
        let cas = profile.ca_cert.as_mut().map(OneOrMore::sources_mut);
        for source in single
            .into_iter()
            .flatten()
            .chain(cas.into_iter().flatten())
        {
            if let KeySource::File(file) = source
                && file.is_relative()
            {
                *file = folder.join(&*file);
            }
        }
        Ok(profile)
    }

    /// This profile with every key `flags` sets taken from `flags`.
    pub(crate) fn overridden_by(self, flags: ProfileFile) -> ProfileFile {
        ProfileFile {
            schema: self.schema,
            base_url: flags.base_url.or(self.base_url),
            implementation: flags.implementation.or(self.implementation),
            implementation_version: flags.implementation_version.or(self.implementation_version),
            client_id: flags.client_id.or(self.client_id),
            key_version: flags.key_version.or(self.key_version),
            private_key: flags.private_key.or(self.private_key),
            public_key: flags.public_key.or(self.public_key),
            headers: self.headers,
            ca_cert: flags.ca_cert.or(self.ca_cert),
            client_cert: flags.client_cert.or(self.client_cert),
            client_key: flags.client_key.or(self.client_key),
        }
    }

    /// The TLS options this profile names (`--insecure` is a flag only, never a profile key:
    /// skipping verification is always visible on the command line).
    pub(crate) fn tls_options(&self, insecure: bool) -> TlsOptions {
        TlsOptions {
            ca_certs: self
                .ca_cert
                .as_ref()
                .map_or_else(Vec::new, |c| c.sources().to_vec()),
            client_cert: self.client_cert.clone(),
            client_key: self.client_key.clone(),
            insecure,
        }
    }

    /// The headers every request carries: the profile's, each replaced by a flag's header of
    /// the same name (names compared case-insensitively), then the flags' other headers.
    pub(crate) fn target_headers(
        &self,
        flags: &[TargetHeader],
    ) -> Result<Vec<TargetHeader>, ProfileError> {
        let overridden = |name: &str| flags.iter().any(|f| f.name.eq_ignore_ascii_case(name));
        let mut headers = Vec::new();
        for (name, source) in self.headers.iter().filter(|(n, _)| !overridden(n)) {
            headers.push(source.resolve(name)?);
        }
        headers.extend(flags.iter().cloned());
        Ok(headers)
    }

    /// Reads the keys and builds the signing set-up; `None` when the profile names neither a
    /// Client-Id nor a key.
    pub(crate) fn signing(&self) -> Result<Option<Signing>, ProfileError> {
        let has_key = self.private_key.is_some() || self.public_key.is_some();
        let Some(client_id) = &self.client_id else {
            return if has_key {
                Err(ProfileError::NoClientId)
            } else {
                Ok(None)
            };
        };
        let mut signing = Signing::new(client_id)?;
        if let Some(source) = &self.private_key {
            let version = self.key_version.unwrap_or(1);
            signing = signing.signing_with(load_private_key(source)?, version);
        }
        if let Some(source) = &self.public_key {
            signing = signing.checking_with(load_public_key(source)?);
        }
        Ok(Some(signing))
    }
}

/// Loads a private key from a file or an environment variable.
pub(crate) fn load_private_key(source: &KeySource) -> Result<PrivateKey, ProfileError> {
    let what = "private key";
    let text = key_text(what, source)?;
    PrivateKey::from_text(&text).map_err(|e| key_error(what, source, e))
}

/// Loads a public key from a file or an environment variable.
pub(crate) fn load_public_key(source: &KeySource) -> Result<PublicKey, ProfileError> {
    let what = "public key";
    let text = key_text(what, source)?;
    PublicKey::from_text(&text).map_err(|e| key_error(what, source, e))
}

fn key_text(what: &'static str, source: &KeySource) -> Result<String, ProfileError> {
    match source {
        KeySource::File(path) => {
            std::fs::read_to_string(path).map_err(|source| ProfileError::KeyFile {
                what,
                path: path.clone(),
                source,
            })
        }
        KeySource::Env(name) => std::env::var(name).map_err(|_| ProfileError::KeyEnv {
            what,
            name: name.clone(),
        }),
    }
}

fn key_error(what: &'static str, source: &KeySource, error: KeyError) -> ProfileError {
    let origin = match source {
        KeySource::File(path) => format!("file `{}`", path.display()),
        KeySource::Env(name) => format!("environment variable `{name}`"),
    };
    ProfileError::Key {
        what,
        origin,
        source: error,
    }
}

/// The JSON Schema of the profile file, pretty-printed, for editors and
/// `conform schema --target`.
pub(crate) fn json_schema() -> String {
    let schema = schemars::schema_for!(ProfileFile);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/signing")
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn resolves_key_paths_relative_to_the_profile_file() {
        let dir = tempfile::tempdir().unwrap();
        let key = fixtures().join("test_rsa2048_pkcs1.pem");
        std::fs::create_dir(dir.path().join("keys")).unwrap();
        std::fs::copy(&key, dir.path().join("keys/client.pem")).unwrap();
        let text = r#"{"clientId": "C1", "privateKey": {"file": "keys/client.pem"}}"#;
        let profile = ProfileFile::load(&write(dir.path(), "target.json", text)).unwrap();
        let expected = KeySource::File(dir.path().join("keys/client.pem"));
        assert_eq!(profile.private_key, Some(expected));
        let signing = profile.signing().unwrap().unwrap();
        assert_eq!(signing.private_key().unwrap().bits(), 2048);
        assert_eq!(signing.key_version(), 1);
    }

    #[test]
    fn flags_override_the_file_key_by_key() {
        let file = ProfileFile {
            base_url: Some("http://file".into()),
            client_id: Some("FILE".into()),
            key_version: Some(2),
            ..ProfileFile::default()
        };
        let flags = ProfileFile {
            client_id: Some("FLAG".into()),
            implementation_version: Some("2.3.1-rc1".into()),
            ..ProfileFile::default()
        };
        let file = ProfileFile {
            implementation: Some("acme-cards".into()),
            implementation_version: Some("2.3.0".into()),
            ..file
        };
        let merged = file.overridden_by(flags);
        assert_eq!(merged.base_url.as_deref(), Some("http://file"));
        assert_eq!(merged.implementation.as_deref(), Some("acme-cards"));
        assert_eq!(merged.implementation_version.as_deref(), Some("2.3.1-rc1"));
        assert_eq!(merged.client_id.as_deref(), Some("FLAG"));
        assert_eq!(merged.key_version, Some(2));
    }

    #[test]
    fn names_an_unknown_key_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "t.json",
            "{\n  \"privatKey\": {\"file\": \"k.pem\"}\n}",
        );
        let message = ProfileFile::load(&path).unwrap_err().to_string();
        assert!(message.contains("unknown field `privatKey`"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn tls_sources_are_one_or_a_list_and_relative_to_the_profile_file() {
        let dir = tempfile::tempdir().unwrap();
        let text = r#"{"caCert": {"file": "ca.pem"}, "clientCert": {"file": "certs/client.pem"}, "clientKey": {"env": "CLIENT_KEY"}}"#;
        let profile = ProfileFile::load(&write(dir.path(), "one.json", text)).unwrap();
        let tls = profile.tls_options(false);
        assert_eq!(tls.ca_certs, [KeySource::File(dir.path().join("ca.pem"))]);
        let client = KeySource::File(dir.path().join("certs/client.pem"));
        assert_eq!(tls.client_cert, Some(client));
        assert_eq!(tls.client_key, Some(KeySource::Env("CLIENT_KEY".into())));
        let text = r#"{"caCert": [{"file": "a.pem"}, {"env": "EXTRA_CA"}]}"#;
        let profile = ProfileFile::load(&write(dir.path(), "list.json", text)).unwrap();
        let expected = [
            KeySource::File(dir.path().join("a.pem")),
            KeySource::Env("EXTRA_CA".into()),
        ];
        assert_eq!(profile.tls_options(true).ca_certs, expected);
        let typo = write(dir.path(), "typo.json", r#"{"caCert": [{"fle": "a.pem"}]}"#);
        let message = ProfileFile::load(&typo).unwrap_err().to_string();
        assert!(message.contains("unknown variant `fle`"), "{message}");
        assert!(message.contains("line 1"), "{message}");
    }

    #[test]
    fn a_key_needs_a_client_id() {
        let profile = ProfileFile {
            public_key: Some(KeySource::File(
                fixtures().join("test_rsa2048_pub_spki.pem"),
            )),
            ..ProfileFile::default()
        };
        let message = profile.signing().unwrap_err().to_string();
        assert!(
            message.starts_with("signing needs a Client-Id"),
            "{message}"
        );
        assert!(ProfileFile::default().signing().unwrap().is_none());
    }

    #[test]
    fn key_errors_name_the_origin_but_never_the_key_text() {
        let public_pem = std::fs::read_to_string(fixtures().join("test_rsa2048_pub_spki.pem"));
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "swapped.pem", &public_pem.unwrap());
        let message = load_private_key(&KeySource::File(path.clone()))
            .unwrap_err()
            .to_string();
        let expected = format!(
            "private key from file `{}`: found a public key where a private key is needed",
            path.display()
        );
        assert_eq!(message, expected);
        let missing = KeySource::Env("CONFORM_TEST_SURELY_UNSET_KEY".into());
        let message = load_public_key(&missing).unwrap_err().to_string();
        assert_eq!(
            message,
            "public key: environment variable `CONFORM_TEST_SURELY_UNSET_KEY` is not set (or not UTF-8)"
        );
    }
}
