//! clap definitions of every subcommand and flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub(super) use super::proxy_args::{ProxyArgs, ProxyBounds, ProxyKeys};

/// Contract testing for HTTP APIs: field rules, idempotency, result-status semantics, snapshots.
#[derive(Debug, Parser)]
#[command(name = "conform", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Only the subcommand run has its arguments built (`defer`): building those of every
// subcommand took a third of a millisecond of each run's start. Argument groups flattened into
// a subcommand carry plain comments, not doc comments: their arguments are added after the
// subcommand's own description, and a doc comment would take its place.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub(crate) enum Command {
    /// Check an implementation against contracts (the embedded reference when no --target).
    Verify(Box<VerifyArgs>),
    /// Validate contract files without sending anything.
    Lint(PathsArgs),
    /// Write a starting contract to edit (and the contract JSON Schema beside it).
    New(NewArgs),
    /// Serve the reference implementation of contracts until Ctrl-C.
    Serve(ServeArgs),
    /// Forward real traffic to an implementation and check every exchange against the
    /// contracts, until Ctrl-C, SIGTERM, --duration or --max-exchanges.
    Proxy(Box<ProxyArgs>),
    /// Print the JSON Schema of the contract format (or, with --target, of target profiles;
    /// with --scenario, of scenario files).
    Schema(SchemaArgs),
    /// List the planned cases with counts per kind.
    Cases(CasesArgs),
    /// Review, accept, reject or prune recorded response snapshots.
    #[command(subcommand)]
    Snapshots(SnapshotsCommand),
    /// Print the string to sign and the Signature header of a message, or check a signature.
    Sign(SignArgs),
    /// Check a certification bundle (verify --certify DIR): its signature and every file.
    #[command(subcommand)]
    Certify(CertifyCommand),
    /// Combine the JSON reports of a run's shards (verify --partition K/N) into one run and
    /// render it: one verdict, one certificate, one JUnit file.
    Merge(MergeArgs),
    /// Turn an API description into contracts.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write contracts as an API description.
    #[command(subcommand)]
    Export(ExportCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum CertifyCommand {
    /// Check a bundle's signature and every file's digest, and print its verdict and scope.
    Verify(CertifyVerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CertifyVerifyArgs {
    /// The bundle folder written by `verify --certify DIR`.
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// The certifier's RSA public key (SubjectPublicKeyInfo, PEM or bare base64 DER).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "public_key_env",
        conflicts_with = "public_key_env"
    )]
    pub public_key: Option<PathBuf>,
    /// Environment variable holding the public key instead of a file.
    #[arg(long, value_name = "NAME")]
    pub public_key_env: Option<String>,
}

// A certification of the run: where the bundle goes and the key that signs it. (A plain
// comment: a doc comment would become the about text of the subcommands it is flattened
// into, since their arguments are added after their own about, when they are used.)
#[derive(Debug, Args)]
#[command(next_help_heading = "Certification")]
pub(crate) struct CertifyArgs {
    /// Write the run's evidence as a signed certification bundle in DIR (new or empty):
    /// contracts, exchanges, verdicts, coverage, certificates and a signed manifest.
    #[arg(long, value_name = "DIR")]
    pub certify: Option<PathBuf>,
    /// The certifier's RSA private key that signs the bundle's manifest (PKCS#8 or PKCS#1, PEM
    /// or bare base64 DER); never written into the bundle.
    #[arg(
        long,
        value_name = "FILE",
        requires = "certify",
        conflicts_with = "certifier_key_env"
    )]
    pub certifier_key: Option<PathBuf>,
    /// Environment variable holding the certifier's private key instead of a file.
    #[arg(long, value_name = "NAME", requires = "certify")]
    pub certifier_key_env: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// One contract per operation of an OpenAPI 3.0 or 3.1 document (JSON or YAML), with a
    /// report of everything not mapped or guessed.
    Openapi(ImportOpenApiArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ImportOpenApiArgs {
    /// The OpenAPI document; `$ref`s to relative files are followed.
    pub file: PathBuf,
    /// Folder the contracts and the import report are written to.
    #[arg(long, default_value = "contracts", value_name = "DIR")]
    pub out: PathBuf,
    /// Refuse the import (exit 2, nothing written) when anything is not mapped or guessed.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// An OpenAPI 3.1 document of the contracts, conform-only rules in `x-conform-*`.
    Openapi(ExportOpenApiArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExportOpenApiArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Write the document to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SnapshotsCommand {
    /// Walk the pending snapshots, showing each diff and asking to accept, reject or skip.
    Review(SnapshotDirArgs),
    /// Accept pending snapshots whose case matches FILTER (all when omitted).
    Accept(SnapshotFilterArgs),
    /// Reject (delete) pending snapshots whose case matches FILTER (all when omitted).
    Reject(SnapshotFilterArgs),
    /// List snapshots whose case no longer exists in the contracts; --delete removes them.
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SnapshotDirArgs {
    /// Folder holding snapshots.
    #[arg(long, default_value = "snapshots", value_name = "DIR")]
    pub snapshot_dir: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct SnapshotFilterArgs {
    /// Glob over case names, e.g. 'issueCard/negative/*'.
    pub filter: Option<String>,
    #[command(flatten)]
    pub dir: SnapshotDirArgs,
}

#[derive(Debug, Args)]
pub(crate) struct PruneArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Remove the orphaned snapshots instead of only listing them.
    #[arg(long)]
    pub delete: bool,
    #[command(flatten)]
    pub dir: SnapshotDirArgs,
}

#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// The operation's name; it starts every case name (`createOrder`).
    pub name: String,
    /// HTTP method of the operation.
    #[arg(long, default_value = "POST")]
    pub method: String,
    /// Path of the operation, `{name}` for path parameters (default `/v1/<name>`).
    #[arg(long)]
    pub path: Option<String>,
    /// The API's style: `rest` (the result is the HTTP status) or `body` (a result status,
    /// code and message inside the JSON body, as the Mini Program Platform's APIs).
    #[arg(long, value_enum, default_value = "rest")]
    pub style: NewStyle,
    /// Folder the contract is written to.
    #[arg(long, default_value = "contracts", value_name = "DIR")]
    pub out: PathBuf,
}

/// The API style of a new contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum NewStyle {
    /// Results carried by the HTTP status.
    Rest,
    /// Results carried inside the JSON body.
    Body,
}

#[derive(Debug, Args)]
pub(crate) struct PathsArgs {
    /// Contract files or folders (searched for *.json).
    #[arg(default_value = "contracts")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Base URL of the implementation (the contract path is appended; a gateway prefix such as
    /// /api/open may be part of it). Without it, the embedded reference implementation runs.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Cases in flight at once.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// Per-request time-out, e.g. 10s or 500ms.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
    /// Largest response body read, e.g. 4MiB or 512KiB; a longer one is cut off and fails the
    /// transport check.
    #[arg(long, default_value = "4MiB", value_name = "SIZE")]
    pub max_response_size: String,
    /// Stop sending when the first N requests all time out or are refused (the rest of the
    /// cases are skipped: target not answering); 0 never stops.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub give_up_after: u32,
    /// Write a report file: FORMAT=PATH, FORMAT one of json, junit, markdown (a compatibility
    /// certificate), html (one self-contained page). Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<String>,
    /// Run only cases whose names match this glob (`*` matches across `/`); a leading `!`
    /// leaves matching cases out instead. Repeatable.
    #[arg(long = "filter", value_name = "GLOB")]
    pub filters: Vec<String>,
    /// Leave out cases whose names match this glob. Repeatable.
    #[arg(long = "exclude", value_name = "GLOB")]
    pub excludes: Vec<String>,
    /// Inject a fault into the embedded target: unknown-first=P, latency=DURATION, http-503=P.
    #[arg(long = "fault", value_name = "NAME=VALUE")]
    pub faults: Vec<String>,
    /// Stop after the first failed case.
    #[arg(long)]
    pub fail_fast: bool,
    /// Run shard K of N (1-based); the N shards together run every case exactly once.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<crate::plan::Partition>,
    /// Compile at most about N contracts at once: a larger suite runs in batches (contracts
    /// acting on one resource or sharing a credential stay together), each compiled, run and
    /// let go before the next, so memory stays that of one batch.
    #[arg(long, default_value_t = crate::contract::suite::DEFAULT_BATCH, value_name = "N", value_parser = parse_batch)]
    pub batch: usize,
    /// Known failures: applied when FILE exists (only new failures fail the run), recorded
    /// from this run's failures when it does not.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Rewrite the --baseline file with this run's failures.
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
    /// Fail the run unless the answers showed every declared item of an aspect: statuses,
    /// codes, fields, http-statuses, headers, or all; or only the listed ones
    /// (codes=CARD_NOT_EXIST,ACCESS_DENIED). Repeatable.
    #[arg(long = "require-coverage", value_name = "ASPECT[=ITEM,...]")]
    pub require_coverage: Vec<crate::results::Requirement>,
    /// Replays of each successful case (default: the contract's, 2).
    #[arg(long, value_name = "N")]
    pub replays: Option<u32>,
    /// Identical requests the concurrency check sends at once (default: the contract's, 8).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(i64::from(crate::contract::MIN_CONCURRENCY)..))]
    pub concurrency: Option<u32>,
    /// Most tries while an unknown (U) status settles (default: the contract's, 5).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(i64::from(crate::contract::MIN_SETTLE_TRIES)..))]
    pub settle_tries: Option<u32>,
    /// Keys of each operation replayed after all other traffic (half the first sent, half spread
    /// over the run); 0 turns late replays off.
    #[arg(long, default_value_t = crate::run::DEFAULT_LATE_REPLAYS, value_name = "N")]
    pub late_replays: u32,
    /// The least age of a key replayed late, e.g. 5s or 2m; the run waits only as long as
    /// needed [default: 5s for a --target, 0s for the embedded reference implementation].
    #[arg(long, value_name = "DURATION", env = "CONFORM_LATE_REPLAY_AFTER")]
    pub late_replay_after: Option<String>,
    /// The fewest successful requests with other keys between a key's first use and its late
    /// replay; valid requests with fresh keys are sent to make up the difference [default: 128
    /// for a --target, 0 for the embedded reference implementation].
    #[arg(long, value_name = "N")]
    pub late_replay_gap: Option<u64>,
    /// Snapshot mode: check (compare, never write; default when CI is set), new (record missing,
    /// compare the rest; default otherwise), update (rewrite), off (default for the embedded
    /// reference implementation).
    #[arg(long, value_name = "MODE", env = "CONFORM_SNAPSHOTS")]
    pub snapshots: Option<String>,
    /// Folder holding snapshots.
    #[arg(long, default_value = "snapshots", value_name = "DIR")]
    pub snapshot_dir: PathBuf,
    /// Which implementation the target runs, shown at the top of every report next to the
    /// target (the target profile's `implementation`).
    #[arg(long, value_name = "NAME")]
    pub implementation: Option<String>,
    /// The implementation's version or build, shown next to its name (the target profile's
    /// `implementationVersion`).
    #[arg(long, value_name = "VERSION")]
    pub implementation_version: Option<String>,
    /// A header sent with every request, e.g. 'Authorization: Bearer $TOKEN' (repeatable;
    /// overrides the target profile's header of the same name). Credentials are never shown.
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    pub headers: Vec<crate::target::TargetHeader>,
    /// A target profile (JSON): baseUrl, implementation, implementationVersion, headers,
    /// clientId, keyVersion, privateKey, publicKey, caCert, clientCert, clientKey. Flags
    /// override its keys.
    #[arg(long, value_name = "FILE")]
    pub target_config: Option<PathBuf>,
    /// Sent as Client-Id on every request; needed to sign.
    #[arg(long, value_name = "ID", help_heading = "Signing")]
    pub client_id: Option<String>,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub certification: CertifyArgs,
}

// TLS to an https:// target: authorities to trust, a client certificate, or no verification.
// (A plain comment, as for `CertifyArgs`.)
#[derive(Debug, Args)]
#[command(next_help_heading = "TLS")]
pub(crate) struct TlsArgs {
    /// Also trust the certificate authorities in this PEM file (one or more certificates), on
    /// top of the platform's roots (the target profile's `caCert`). Repeatable.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,
    /// Client certificate for mutual TLS (PEM, leaf first, then intermediates; the target
    /// profile's `clientCert`).
    #[arg(long, value_name = "FILE", conflicts_with = "client_cert_env")]
    pub client_cert: Option<PathBuf>,
    /// Environment variable holding the client certificate instead of a file.
    #[arg(long, value_name = "NAME")]
    pub client_cert_env: Option<String>,
    /// The client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1, unencrypted; the
    /// target profile's `clientKey`). Not needed when the certificate file holds it.
    #[arg(long, value_name = "FILE", conflicts_with = "client_key_env")]
    pub client_key: Option<PathBuf>,
    /// Environment variable holding the client key instead of a file.
    #[arg(long, value_name = "NAME")]
    pub client_key_env: Option<String>,
    /// Do not verify the target's TLS certificate (throwaway environments only). Every report
    /// says so, and the verdict is at best PARTIAL.
    #[arg(long, conflicts_with = "ca_certs")]
    pub insecure: bool,
}

// Keys for message signing: what this side signs with, and the counterpart's public key
// (a plain comment, as for `CertifyArgs`).
#[derive(Debug, Args)]
#[command(next_help_heading = "Signing")]
pub(crate) struct KeyArgs {
    /// RSA private key file that signs what this side sends (PKCS#8 or PKCS#1, PEM or bare
    /// base64 DER).
    #[arg(long, value_name = "FILE", conflicts_with = "private_key_env")]
    pub private_key: Option<PathBuf>,
    /// Environment variable holding the private key instead of a file.
    #[arg(long, value_name = "NAME")]
    pub private_key_env: Option<String>,
    /// The counterpart's RSA public key file (SubjectPublicKeyInfo, PEM or bare base64 DER)
    /// that checks what it sends.
    #[arg(long, value_name = "FILE", conflicts_with = "public_key_env")]
    pub public_key: Option<PathBuf>,
    /// Environment variable holding the public key instead of a file.
    #[arg(long, value_name = "NAME")]
    pub public_key_env: Option<String>,
    /// keyVersion announced in the Signature header [default: 1].
    #[arg(long, value_name = "N")]
    pub key_version: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Inject a fault: unknown-first=P, latency=DURATION, http-503=P. Repeatable.
    #[arg(long = "fault", value_name = "NAME=VALUE")]
    pub faults: Vec<String>,
    #[command(flatten)]
    pub bounds: ServeBounds,
    /// --private-key signs the answers; --public-key (the client's) checks the requests.
    #[command(flatten)]
    pub keys: KeyArgs,
    /// A credential requests must carry, e.g. 'Authorization: Bearer $TOKEN', on operations
    /// whose contract lists the header in `credentials` (others get its rejection). Repeatable;
    /// never shown.
    #[arg(long = "credential", value_name = "'NAME: VALUE'")]
    pub credentials: Vec<crate::target::TargetHeader>,
    #[command(flatten)]
    pub tls: ServeTlsArgs,
    /// Judge every request clients send and write a report of their conformance when stopped
    /// (Ctrl-C or SIGTERM): FORMAT=PATH, FORMAT one of json, junit, markdown, html. Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<String>,
    /// The client whose traffic is judged, named in every report (with --report).
    #[arg(long, value_name = "NAME", requires = "reports")]
    pub client: Option<String>,
}

// HTTPS for `serve`, and optionally mutual TLS (a plain comment, as for `CertifyArgs`).
#[derive(Debug, Args)]
#[command(next_help_heading = "TLS")]
pub(crate) struct ServeTlsArgs {
    /// Serve HTTPS (HTTP/2 and HTTP/1.1) with this certificate (PEM, leaf first, then
    /// intermediates).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1, unencrypted).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require a client certificate issued by a certificate authority in this PEM file (mutual
    /// TLS).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,
}

// What `serve` accepts from clients and how much it remembers.
// (A plain comment, as for `CertifyArgs`.)
#[derive(Debug, Args)]
#[command(next_help_heading = "Limits")]
pub(crate) struct ServeBounds {
    /// Largest request body (413 beyond), e.g. 1MiB, 64KiB, 4096.
    #[arg(long, default_value = "1MiB", value_name = "SIZE")]
    pub max_body_size: String,
    /// Largest request head: request line and headers (431 beyond).
    #[arg(long, default_value = "16KiB", value_name = "SIZE")]
    pub max_header_size: String,
    /// Most header fields in a request (431 beyond).
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_headers: u16,
    /// Time a client has to send a request's headers, and again its body (408 beyond); idle
    /// keep-alive connections are closed after it.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub read_timeout: String,
    /// Connections served at once; more are answered 503.
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Idempotency keys remembered per operation; the least recently used is forgotten first.
    /// At most 4,294,967,294 (entries are linked by 32-bit indexes).
    #[arg(long, default_value_t = 100_000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=u64::from(u32::MAX - 1)))]
    pub key_capacity: u64,
    /// How long after its first use a key is remembered.
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub key_ttl: String,
}

#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// Print the schema of target profiles (verify --target-config) instead.
    #[arg(long, conflicts_with = "scenario")]
    pub target: bool,
    /// Print the schema of scenario files (`*.scenario.json`) instead.
    #[arg(long)]
    pub scenario: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The request's HTTP method.
    #[arg(long, default_value = "POST")]
    pub method: String,
    /// The request path as sent, gateway prefix included (/api/open/v2/...).
    #[arg(long)]
    pub path: String,
    /// The Client-Id.
    #[arg(long, value_name = "ID")]
    pub client_id: String,
    /// The Request-Time header value verbatim (to check an answer: its Response-Time).
    #[arg(long, value_name = "TIME", visible_aliases = ["request-time", "response-time"])]
    pub time: String,
    /// The body: this argument byte for byte (nothing added or stripped).
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,
    /// The body: this file byte for byte (`-`: standard input). Without --body or --body-file
    /// the body is read from standard input.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Check this signature (a Signature header value, or the bare signature) with
    /// --public-key instead of signing.
    #[arg(long, value_name = "SIGNATURE", conflicts_with = "print")]
    pub verify: Option<String>,
    /// Print only this, byte for byte.
    #[arg(long, value_enum, value_name = "PART")]
    pub print: Option<SignPart>,
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// One part of `conform sign`'s output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SignPart {
    /// The Signature header value and a newline.
    Header,
    /// The URL-encoded signature and a newline.
    Signature,
    /// The string to sign, exactly (no newline added).
    Content,
}

#[derive(Debug, Args)]
pub(crate) struct CasesArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Only cases whose names match this glob; a leading `!` leaves them out. Repeatable.
    #[arg(long = "filter", value_name = "GLOB")]
    pub filters: Vec<String>,
    /// Leave out cases whose names match this glob. Repeatable.
    #[arg(long = "exclude", value_name = "GLOB")]
    pub excludes: Vec<String>,
    /// Only shard K of N, as `verify --partition K/N` would run it.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<crate::plan::Partition>,
    /// Batches of about N contracts, as `verify --batch N` would run them (the order of a
    /// batched suite's cases, and so its shards, follow its batches).
    #[arg(long, default_value_t = crate::contract::suite::DEFAULT_BATCH, value_name = "N", value_parser = parse_batch)]
    pub batch: usize,
    /// Also list the security probes, as a signed run carrying every credential the contracts
    /// declare would plan them.
    #[arg(long)]
    pub security: bool,
    /// Write the requests the selected cases send, one JSON line per case, to FILE instead of
    /// listing them (for timing another client sending the same requests).
    #[arg(long, value_name = "FILE", hide = true)]
    pub write_requests: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The JSON reports of every shard of one run (`verify --partition K/N --report
    /// json=PATH`), each once.
    #[arg(required = true, value_name = "REPORT.json")]
    pub inputs: Vec<PathBuf>,
    /// Write a report file of the merged run: FORMAT=PATH, FORMAT one of json, junit, markdown
    /// (a compatibility certificate), html. Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<String>,
    /// Known failures, applied to the merged run (only new failures fail it); recorded from
    /// its failures when FILE does not exist. Replaces any baseline the shards applied.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Rewrite the --baseline file with the merged run's failures.
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
}

/// `--batch N`: at least one contract.
fn parse_batch(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) | Err(_) => Err(format!(
            "expected a number of contracts, 1 or more, got `{text}`"
        )),
        Ok(n) => Ok(n),
    }
}
