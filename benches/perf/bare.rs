//! The baseline: the same requests conform sends, sent by a bare reqwest loop with the same
//! concurrency and no checks at all. Run as its own process so that both sides pay for process
//! start-up alike.
//!
//! `--bare-hyper` sends them the same way through hyper's pooled client directly (conform sends
//! to a plain-HTTP target over hyper's connections too, from a pool of its own): not the judged
//! baseline, but shown beside it, so that what conform's checks cost stays visible apart from
//! what its leaner HTTP layer saves, and the bound the Hurl comparison prints.

use std::path::Path;

use bytes::Bytes;
use futures::{StreamExt, future::join_all};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};

/// One case's requests: sent one after another, or all at once.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Group {
    pub path: String,
    pub bodies: Vec<String>,
    pub parallel: bool,
}

/// `perf --bare URL FILE JOBS` (reqwest) or `perf --bare-hyper URL FILE JOBS`: sends every
/// group of FILE to URL, `JOBS` groups at a time.
pub(crate) fn main(args: &[String], hyper: bool) {
    let [url, file, jobs] = args else {
        eprintln!("usage: perf --bare URL FILE JOBS");
        std::process::exit(2);
    };
    let groups: Vec<Group> = std::fs::read_to_string(Path::new(file))
        .expect("request file")
        .lines()
        .map(|line| serde_json::from_str(line).expect("request line"))
        .collect();
    let jobs: usize = jobs.parse().expect("jobs");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = if hyper {
        Client::Hyper(Box::new(
            hyper_util::client::legacy::Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(64)
                .build(connector()),
        ))
    } else {
        let _ = rustls::crypto::ring::default_provider().install_default();
        // A reqwest client as a hand-written test would build one (pooled connections, no
        // system root certificates loaded for a plain-HTTP target).
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .tls_certs_only(Vec::new())
            .build()
            .expect("client");
        Client::Reqwest(client)
    };
    runtime.block_on(send_all(client, url, groups, jobs));
}

fn connector() -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector
}

/// The HTTP client sending the requests.
#[derive(Clone)]
enum Client {
    Reqwest(reqwest::Client),
    Hyper(Box<hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>>),
}

impl Client {
    async fn post(&self, url: &str, body: String) {
        const JSON: &str = "application/json; charset=UTF-8";
        match self {
            Client::Reqwest(client) => {
                let response = client
                    .post(url)
                    .header("content-type", JSON)
                    .body(body)
                    .send()
                    .await
                    .expect("a response");
                response.bytes().await.expect("a body");
            }
            Client::Hyper(client) => {
                let request = hyper::Request::post(url)
                    .header("content-type", JSON)
                    .body(Full::new(Bytes::from(body)))
                    .expect("a request");
                let response = client.request(request).await.expect("a response");
                response.into_body().collect().await.expect("a body");
            }
        }
    }
}

async fn send_all(client: Client, url: &str, groups: Vec<Group>, jobs: usize) {
    futures::stream::iter(groups)
        .map(|group| {
            let client = client.clone();
            let url = format!("{url}{}", group.path);
            tokio::spawn(async move { send_group(&client, &url, group).await })
        })
        .buffered(jobs)
        .for_each(|_| async {})
        .await;
}

async fn send_group(client: &Client, url: &str, group: Group) {
    let send = |body: String| client.post(url, body);
    if group.parallel {
        join_all(group.bodies.into_iter().map(send)).await;
    } else {
        for body in group.bodies {
            send(body).await;
        }
    }
}
