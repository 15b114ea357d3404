//! The baseline: the same requests conform sends, sent by a bare reqwest loop with the same
//! concurrency and no checks at all. Run as its own process so that both sides pay for process
//! start-up alike.

use std::path::Path;

use futures::{StreamExt, future::join_all};
use serde::{Deserialize, Serialize};

/// One case's requests: sent one after another, or all at once.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Group {
    pub path: String,
    pub bodies: Vec<String>,
    pub parallel: bool,
}

/// `perf --bare URL FILE JOBS`: sends every group of FILE to URL, `JOBS` groups at a time.
pub(crate) fn main(args: &[String]) {
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
    runtime.block_on(send_all(url, groups, jobs));
}

async fn send_all(url: &str, groups: Vec<Group>, jobs: usize) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The same client set-up as conform's for a plain-HTTP target (pooled connections, no
    // system root certificates loaded), so only the checks differ.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .tls_certs_only(Vec::new())
        .build()
        .expect("client");
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

async fn send_group(client: &reqwest::Client, url: &str, group: Group) {
    let send = |body: String| async move {
        let response = client
            .post(url)
            .header("content-type", "application/json; charset=UTF-8")
            .body(body)
            .send()
            .await
            .expect("a response");
        response.bytes().await.expect("a body");
    };
    if group.parallel {
        join_all(group.bodies.into_iter().map(send)).await;
    } else {
        for body in group.bodies {
            send(body).await;
        }
    }
}
