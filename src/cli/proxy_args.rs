//! clap definitions of `proxy`: where it listens and forwards, when it stops, the keys that
//! check signatures, and the bounds on clients.

use std::path::PathBuf;

use clap::Args;

use super::args::{PathsArgs, ServeTlsArgs, TlsArgs};

#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    #[command(flatten)]
    pub paths: PathsArgs,
    /// Base URL of the implementation: a request for /path?query is forwarded to
    /// URL/path?query.
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Write a report file when the run ends: FORMAT=PATH, FORMAT one of json, junit, markdown,
    /// html. Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<String>,
    /// End the run after this long, e.g. 10m (besides Ctrl-C and SIGTERM).
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// End the run after N exchanges; later requests get 503 and are not forwarded.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_exchanges: Option<u64>,
    /// How long the target has to answer a forwarded request, body included (504 beyond).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub timeout: String,
    /// Largest answer body checked; a longer one is forwarded whole and fails transport.
    #[arg(long, default_value = "4MiB", value_name = "SIZE")]
    pub max_response_size: String,
    /// Which implementation the target runs, shown in every report.
    #[arg(long, value_name = "NAME")]
    pub implementation: Option<String>,
    /// The implementation's version or build, shown next to its name.
    #[arg(long, value_name = "VERSION")]
    pub implementation_version: Option<String>,
    /// The client whose traffic is judged, named in every report.
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
    #[command(flatten)]
    pub bounds: ProxyBounds,
    #[command(flatten)]
    pub keys: ProxyKeys,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// HTTPS towards clients (`--tls-cert`, `--tls-key`, `--client-ca`), as `serve` offers it.
    #[command(flatten)]
    pub listen_tls: ServeTlsArgs,
}

// Keys that check real traffic's signatures (a plain comment, as for `CertifyArgs`).
#[derive(Debug, Args)]
#[command(next_help_heading = "Signing")]
pub(crate) struct ProxyKeys {
    /// The client's RSA public key: every request must carry a Signature that verifies with it
    /// (a client-side finding otherwise).
    #[arg(long, value_name = "FILE", conflicts_with = "client_public_key_env")]
    pub client_public_key: Option<PathBuf>,
    /// Environment variable holding the client's public key instead of a file.
    #[arg(long, value_name = "NAME")]
    pub client_public_key_env: Option<String>,
    /// The implementation's RSA public key: every answer must be signed (the signature check).
    #[arg(long, value_name = "FILE", conflicts_with = "public_key_env")]
    pub public_key: Option<PathBuf>,
    /// Environment variable holding the implementation's public key instead of a file.
    #[arg(long, value_name = "NAME")]
    pub public_key_env: Option<String>,
}

// What `proxy` accepts from clients and how much it remembers.
// (A plain comment, as for `CertifyArgs`.)
#[derive(Debug, Args)]
#[command(next_help_heading = "Limits")]
pub(crate) struct ProxyBounds {
    /// Largest request body checked, e.g. 1MiB; a longer one is forwarded whole, not checked.
    #[arg(long, default_value = "1MiB", value_name = "SIZE")]
    pub max_body_size: String,
    /// Largest request head: request line and headers (431 beyond).
    #[arg(long, default_value = "16KiB", value_name = "SIZE")]
    pub max_header_size: String,
    /// Most header fields in a request (431 beyond).
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_headers: u16,
    /// Time a client has to send a request's headers (408 beyond); idle keep-alive
    /// connections are closed after it.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub read_timeout: String,
    /// Connections taken at once; more are answered 503.
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
