//! `conform serve` under sustained load from many clients: memory stays flat once its
//! idempotency memory is full, keys beyond it are forgotten least recently used first, and
//! concurrent duplicates of one key still get exactly one card.

use futures::future::join_all;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::util::serve;

const PATH: &str = "/v2/pds/memberships/issueCard";
const CONNECTIONS: usize = 64;
/// Keys the server under test remembers: small, so the load passes it many times over.
const CAPACITY: &str = "2000";

/// One keep-alive connection speaking just enough HTTP/1.1.
struct Client {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    async fn connect(url: &str) -> Client {
        let stream = TcpStream::connect(url.trim_start_matches("http://"))
            .await
            .unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buffer: Vec::new(),
        }
    }

    /// Posts `body` and returns the answer's body as JSON.
    async fn post(&mut self, body: &[u8]) -> Value {
        let head = format!(
            "POST {PATH} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        self.stream.write_all(head.as_bytes()).await.unwrap();
        self.stream.write_all(body).await.unwrap();
        let (head_end, length) = loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).to_ascii_lowercase();
                assert!(head.starts_with("http/1.1 200"), "{head}");
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .expect("content-length");
                break (end + 4, length);
            }
            self.fill().await;
        };
        while self.buffer.len() < head_end + length {
            self.fill().await;
        }
        let answer = serde_json::from_slice(&self.buffer[head_end..head_end + length]).unwrap();
        self.buffer.drain(..head_end + length);
        answer
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "serve closed a keep-alive connection");
        self.buffer.extend_from_slice(&chunk[..n]);
    }
}

fn request(key: &str) -> Vec<u8> {
    let contract: Value =
        serde_json::from_str(include_str!("../../contracts/platform/issue-card.json")).unwrap();
    let mut body = contract["examples"][0]["request"].clone();
    body["requestId"] = json!(key);
    serde_json::to_vec(&body).unwrap()
}

/// Sends `count` requests with distinct keys (`prefix-N`) over the clients, all at once.
async fn load(clients: &mut [Client], prefix: &str, count: usize) {
    let per_client = count / clients.len();
    let template = request("KEY");
    let text = String::from_utf8(template).unwrap();
    join_all(clients.iter_mut().enumerate().map(|(c, client)| {
        let text = text.clone();
        async move {
            for i in 0..per_client {
                let body = text.replace("\"KEY\"", &format!("\"{prefix}-{c}-{i}\""));
                let answer = client.post(body.as_bytes()).await;
                assert_eq!(answer["result"]["resultStatus"], "S", "{answer}");
            }
        }
    }))
    .await;
}

/// Peak resident memory of a process, in kB.
fn peak_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[tokio::test]
async fn memory_stays_flat_under_load_and_concurrent_duplicates_get_one_card() {
    let served = serve(&["--key-capacity", CAPACITY]).await;
    let mut clients = join_all((0..CONNECTIONS).map(|_| Client::connect(&served.url))).await;
    let first_key = request("first-key");
    let first = clients[0].post(&first_key).await;

    // Fill the memory several times over, then keep going: the peak must not move.
    load(&mut clients, "fill", 8_000).await;
    let full = peak_kb(served.pid());
    load(&mut clients, "more", 32_000).await;
    let after = peak_kb(served.pid());
    // Kept keys would take about 14 MB more (some 450 bytes each); allow allocator slack.
    assert!(
        after < full + 4 * 1024,
        "peak memory grew from {full} kB to {after} kB after 32000 more keys"
    );

    // Concurrent duplicates, spread over distinct connections: one card per key.
    let mut cards = std::collections::HashSet::new();
    for key in 0..50 {
        let body = request(&format!("dup-{key}"));
        let answers = join_all(clients.iter_mut().take(8).map(|c| c.post(&body))).await;
        assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
        assert!(
            cards.insert(answers[0]["cardNo"].to_string()),
            "a new key, a new card"
        );
    }

    // The first key was used least recently: it is forgotten, so the same key with another
    // payload is a new request (a new card), not a conflict.
    let mut changed: Value = serde_json::from_slice(&first_key).unwrap();
    changed["externalCustomerId"] = json!("someone-else");
    let again = clients[0]
        .post(&serde_json::to_vec(&changed).unwrap())
        .await;
    assert_eq!(again["result"]["resultStatus"], "S", "{again}");
    assert_ne!(again["cardNo"], first["cardNo"]);
}
