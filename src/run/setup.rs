//! What a run sets up once and every batch of it shares, and what each batch starts for
//! itself: the embedded target serving its contracts, and the context its cases read.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use super::context::{Context, Overrides};
use super::late::LateOptions;
use super::{Batch, RunError, RunOptions, Target, ledger, resources, scope, security};
use crate::contract::Contract;
use crate::contract::suite::{Entry, Suite};
use crate::plan::{self, KeyMint, Selection};
use crate::reference::{ReferenceServer, ServeOptions, ServerCredentials, ServerSigning};
use crate::report::Reporter;
use crate::results::observed::Tracker;
use crate::results::{BatchScope, ContractInfo, Implementation, RunInfo};
use crate::snapshot::Mode;
use crate::target::{HttpTarget, Limits, Secrets, Signing, TargetHeader};

/// What every batch of a run shares: the target's client (its connections, and whether the
/// target stopped answering, carry over from batch to batch), the signing set-up, the
/// secrets, how the run authenticates and replays late, and what the report says of it.
pub(super) struct Setup {
    /// The client of a live target; `None` for the embedded one, started anew per batch.
    live: Option<HttpTarget>,
    /// A live target's URL as given (reports show it so, trailing slash and all).
    live_url: String,
    limits: Limits,
    signing: Option<Signing>,
    server_signing: ServerSigning,
    secrets: Secrets,
    key_bits: Option<usize>,
    auth: plan::Auth,
    late: LateOptions,
    /// What the contracts tell the scope, until the report starts.
    gathered: Option<scope::Gathered>,
    entries: Vec<Entry>,
    batches: Option<BatchScope>,
}

impl Setup {
    /// The set-up of a run of `suite` against `target`; a batched suite is compiled once more
    /// for its scope (compiling is a few percent of a run).
    pub(super) fn new(
        suite: &Suite,
        target: &Target,
        options: &RunOptions,
    ) -> Result<Self, RunError> {
        let mut signing = options.signing.clone();
        let server_signing = match (target, &mut signing) {
            (Target::Embedded, Some(client)) => embedded_signing(client)?,
            _ => ServerSigning::none(),
        };
        let auth = super::auth(options, signing.as_ref());
        let mut gathered = scope::Gathered::default();
        suite.each_batch(|contracts| {
            gathered.add(contracts, &auth);
            Ok::<_, RunError>(())
        })?;
        let limits = Limits {
            timeout: options.timeout,
            max_response_size: options.max_response_size,
            give_up_after: options.give_up_after,
        };
        let key_bits = signing
            .as_ref()
            .and_then(|s| s.private_key())
            .map(|k| k.bits());
        let mut secrets = Secrets::of(&options.headers);
        security::Probing::new(key_bits, &options.headers)
            .wrong_values()
            .for_each(|v| secrets.add(v));
        let mut setup = Setup {
            live: None,
            live_url: String::new(),
            limits,
            signing,
            server_signing,
            secrets,
            key_bits,
            auth,
            late: super::late_options(options, target),
            gathered: Some(gathered),
            entries: suite.entries(),
            batches: (suite.batching()).map(|(size, count)| BatchScope { size, count }),
        };
        if let Target::Live(url) = target {
            setup.live = Some(setup.client(url, options)?);
            setup.live_url = url.clone();
        }
        Ok(setup)
    }

    /// What the report says of the run, once its first batch's target is up (`server`, the
    /// embedded one).
    pub(super) fn info(
        &mut self,
        options: &RunOptions,
        server: Option<&ReferenceServer>,
    ) -> RunInfo {
        let base = server.map_or_else(|| self.live_url.clone(), ReferenceServer::uri);
        let mut info = run_info(&self.entries, options, &base, server.is_some());
        info.implementation = scope::implementation(options, info.embedded);
        let gathered = self.gathered.take().unwrap_or_default();
        info.scope = scope::scope(
            options,
            gathered,
            self.signing.as_ref(),
            &info.target,
            &self.auth,
            &self.late,
        );
        info.scope.batches = self.batches;
        info
    }

    /// The cases of the batch sharing `context`, as the runner plans them.
    pub(super) fn cases(&self, context: &Arc<Context>, options: &RunOptions) -> Batch {
        Batch {
            context: Arc::clone(context),
            auth: self.auth.clone(),
            selection: Selection {
                filter: options.filter.clone(),
                exclude: options.exclude.clone(),
                partition: options.partition,
            },
        }
    }

    fn client(&self, base: &str, options: &RunOptions) -> Result<HttpTarget, RunError> {
        let mut http =
            HttpTarget::new(base, self.limits, &options.tls)?.with_headers(&options.headers)?;
        if let Some(signing) = &self.signing {
            http = http.with_signing(signing.clone());
        }
        Ok(http)
    }

    /// Starts the embedded target for `contracts`, when the run has one, and the context
    /// their cases share.
    pub(super) async fn batch(
        &self,
        contracts: Arc<[Contract]>,
        options: &RunOptions,
        reporter: &dyn Reporter,
    ) -> Result<(Option<ReferenceServer>, Arc<Context>), RunError> {
        let (server, http) = match &self.live {
            Some(http) => (None, http.clone()),
            None => {
                let serve = ServeOptions {
                    faults: options.faults.clone(),
                    signing: self.server_signing.clone(),
                    credentials: embedded_credentials(&options.headers),
                    limits: crate::reference::Limits::EMBEDDED,
                    ..ServeOptions::default()
                };
                let server = ReferenceServer::serve_shared(Arc::clone(&contracts), serve).await?;
                let http = self.client(&server.uri(), options)?;
                (Some(server), http)
            }
        };
        let context = Arc::new(Context {
            target: http,
            snapshots: options.snapshots.clone().filter(|s| s.mode != Mode::Off),
            mint: KeyMint::new(),
            secrets: self.secrets.clone(),
            probing: security::Probing::new(self.key_bits, &options.headers),
            creators: resources::Creators::of(&contracts),
            overrides: Overrides {
                replays: options.replays,
                concurrency: options.concurrency,
                settle_tries: options.settle_tries,
            },
            coverage: Tracker::new(&contracts),
            evidence: options.evidence.clone(),
            clauses: crate::results::clause::ClauseBook::new(reporter.clauses_shown()),
            ledger: ledger::Ledger::new(
                &contracts,
                options.late_replays as usize,
                options.late_replay_memory,
            ),
            late: self.late,
            contracts,
            scenarios: options.scenarios.clone(),
            not_sent: AtomicUsize::new(0),
        });
        Ok((server, context))
    }
}

/// The embedded target requires the run's own headers as credentials, where contracts declare
/// them, so that the credential probes have something to be refused by.
fn embedded_credentials(headers: &[TargetHeader]) -> ServerCredentials {
    let mut credentials = ServerCredentials::default();
    for header in headers {
        credentials.require(&header.name, &header.value, header.credential);
    }
    credentials
}

/// The embedded target plays the counterpart with the client's own key pair: it checks requests
/// with the public half of the private key and signs its answers with the private key, which
/// the client then checks with that public half.
fn embedded_signing(client: &mut Signing) -> Result<ServerSigning, RunError> {
    let Some(private_key) = client.private_key().cloned() else {
        if client.public_key().is_some() {
            return Err(RunError::EmbeddedSigning(
                "the embedded target signs its answers with the private key: give --private-key (a public key alone only checks a live target)",
            ));
        }
        return Ok(ServerSigning::none());
    };
    let public_half = private_key.public_key();
    match client.public_key() {
        Some(given) if *given != public_half => {
            return Err(RunError::EmbeddedSigning(
                "the embedded target signs its answers with the private key, so the public key must be its public half (or be left out)",
            ));
        }
        Some(_) => {}
        None => *client = client.clone().checking_with(public_half.clone()),
    }
    Ok(ServerSigning {
        private_key: Some(Arc::new(private_key)),
        client_public_key: Some(Arc::new(public_half)),
        key_version: client.key_version(),
    })
}

fn run_info(entries: &[Entry], options: &RunOptions, base: &str, embedded: bool) -> RunInfo {
    let contracts = entries.iter().map(|e| (&e.name, &e.file, &e.sha256));
    let scenarios = (options.scenarios.iter()).map(|s| (&s.name, &s.source.path, &s.source.sha256));
    RunInfo {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        target: base.to_string(),
        embedded,
        implementation: Implementation::default(),
        contracts: contracts
            .chain(scenarios)
            .map(|(name, path, sha256)| ContractInfo {
                name: name.clone(),
                path: path.display().to_string(),
                sha256: sha256.clone(),
            })
            .collect(),
        started: jiff::Timestamp::now().to_string(),
        scope: Default::default(),
    }
}
