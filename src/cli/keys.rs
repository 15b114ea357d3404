//! Signing and TLS flags turned into library options: a target profile for `verify`, the
//! reference implementation's keys for `serve`, and single keys for `sign`.

use std::sync::Arc;

use super::CliError;
use super::args::{KeyArgs, VerifyArgs};
use crate::reference::ServerSigning;
use crate::signing::{PrivateKey, PublicKey};
use crate::target::profile::{self, KeySource, OneOrMore, ProfileFile};

/// The target profile of a `verify`: the `--target-config` file, overridden by the flags.
pub(super) fn target_profile(args: &VerifyArgs) -> Result<ProfileFile, CliError> {
    let file = match &args.target_config {
        Some(path) => ProfileFile::load(path)?,
        None => ProfileFile::default(),
    };
    let flags = ProfileFile {
        base_url: args.target.clone(),
        implementation: args.implementation.clone(),
        implementation_version: args.implementation_version.clone(),
        client_id: args.client_id.clone(),
        key_version: args.keys.key_version,
        private_key: private_source(&args.keys),
        public_key: public_source(&args.keys),
        ca_cert: (!args.tls.ca_certs.is_empty()).then(|| {
            OneOrMore::More(
                args.tls
                    .ca_certs
                    .iter()
                    .cloned()
                    .map(KeySource::File)
                    .collect(),
            )
        }),
        client_cert: source(
            args.tls.client_cert.clone(),
            args.tls.client_cert_env.clone(),
        ),
        client_key: source(args.tls.client_key.clone(), args.tls.client_key_env.clone()),
        ..ProfileFile::default()
    };
    Ok(file.overridden_by(flags))
}

/// The reference implementation's keys: `--private-key` signs answers, `--public-key` (the
/// client's) checks requests.
pub(super) fn server_signing(keys: &KeyArgs) -> Result<ServerSigning, CliError> {
    let private_key = private_source(keys)
        .map(|source| profile::load_private_key(&source))
        .transpose()?;
    let client_public_key = public_source(keys)
        .map(|source| profile::load_public_key(&source))
        .transpose()?;
    Ok(ServerSigning {
        private_key: private_key.map(Arc::new),
        client_public_key: client_public_key.map(Arc::new),
        key_version: keys.key_version.unwrap_or(1),
    })
}

/// The private key `sign` needs.
pub(super) fn required_private_key(keys: &KeyArgs) -> Result<PrivateKey, CliError> {
    let source = private_source(keys).ok_or_else(|| {
        CliError::usage(
            "signing needs the private key: --private-key FILE or --private-key-env NAME",
        )
    })?;
    Ok(profile::load_private_key(&source)?)
}

/// The public key `sign --verify` needs.
pub(super) fn required_public_key(keys: &KeyArgs) -> Result<PublicKey, CliError> {
    let source = public_source(keys).ok_or_else(|| {
        CliError::usage(
            "--verify needs the signer's public key: --public-key FILE or --public-key-env NAME",
        )
    })?;
    Ok(profile::load_public_key(&source)?)
}

fn private_source(keys: &KeyArgs) -> Option<KeySource> {
    source(keys.private_key.clone(), keys.private_key_env.clone())
}

fn public_source(keys: &KeyArgs) -> Option<KeySource> {
    source(keys.public_key.clone(), keys.public_key_env.clone())
}

fn source(file: Option<std::path::PathBuf>, env: Option<String>) -> Option<KeySource> {
    file.map(KeySource::File).or(env.map(KeySource::Env))
}
