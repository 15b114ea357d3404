//! The `serve` benchmark's two helpers, each run as its own process so that neither shares a
//! runtime (or a scheduler's favour) with the server under test:
//!
//! - `perf --load ADDR PATH CONNECTIONS LIMIT PREFIX TEMPLATE`: a load generator in the manner
//!   of wrk. CONNECTIONS keep-alive connections each send requests back to back (the next one
//!   as soon as the previous answer is read) until LIMIT (`5s`, or a request count such as
//!   `300000`) is reached. Every request is TEMPLATE's body with `{KEY}` replaced by a distinct
//!   fixed-width key starting with PREFIX. Prints `requests seconds` when done; any answer other
//!   than HTTP 200, or a closed connection, stops it with exit code 1.
//! - `perf --hyper-server`: the bare hyper server `serve` is compared with: HTTP/1.1 keep-alive,
//!   reads each request body, answers a fixed JSON body. Prints its URL, then serves until
//!   killed.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Digits of the per-request sequence number in a key (keys keep one width, so every request
/// has the same Content-Length).
pub(crate) const SEQ_DIGITS: usize = 12;

/// What the generator is told to send.
struct Plan {
    address: String,
    head: Vec<u8>,
    body_before: Vec<u8>,
    body_after: Vec<u8>,
    prefix: String,
    limit: Limit,
}

enum Limit {
    For(Duration),
    Requests(u64),
}

/// `perf --load ...`.
pub(crate) fn main(args: &[String]) {
    let [address, path, connections, limit, prefix, template] = args else {
        eprintln!("usage: perf --load ADDR PATH CONNECTIONS LIMIT PREFIX TEMPLATE");
        std::process::exit(2);
    };
    let template = std::fs::read_to_string(template).expect("template file");
    let (before, after) = template.split_once("{KEY}").expect("{KEY} in the template");
    let body_len = before.len() + prefix.len() + SEQ_DIGITS + after.len();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {body_len}\r\n\r\n"
    );
    let limit = match limit.strip_suffix('s') {
        Some(secs) => Limit::For(Duration::from_secs_f64(secs.parse().expect("seconds"))),
        None => Limit::Requests(limit.parse().expect("request count")),
    };
    let plan = Arc::new(Plan {
        address: address.clone(),
        head: head.into_bytes(),
        body_before: before.as_bytes().to_vec(),
        body_after: after.as_bytes().to_vec(),
        prefix: prefix.clone(),
        limit,
    });
    let connections: usize = connections.parse().expect("connections");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (sent, elapsed) = runtime.block_on(generate(plan, connections));
    println!("{sent} {:.6}", elapsed.as_secs_f64());
}

async fn generate(plan: Arc<Plan>, connections: usize) -> (u64, Duration) {
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let counters = Counters {
                next: Arc::clone(&next),
                done: Arc::clone(&done),
                failed: Arc::clone(&failed),
            };
            let plan = Arc::clone(&plan);
            tokio::spawn(async move {
                if let Err(e) = connection(&plan, &counters, started).await {
                    counters.failed.store(true, Ordering::Relaxed);
                    eprintln!("load: {e}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("connection task");
    }
    if failed.load(Ordering::Relaxed) {
        std::process::exit(1);
    }
    (done.load(Ordering::Relaxed), started.elapsed())
}

/// Shared by the connections: the next key's sequence number, the answers read, and whether
/// any connection failed (the others then stop).
struct Counters {
    next: Arc<AtomicU64>,
    done: Arc<AtomicU64>,
    failed: Arc<AtomicBool>,
}

/// One keep-alive connection sending requests back to back.
async fn connection(plan: &Plan, counters: &Counters, started: Instant) -> Result<(), String> {
    let mut stream = TcpStream::connect(&plan.address)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut request = Vec::with_capacity(plan.head.len() + 1024);
    let mut buffer = Vec::with_capacity(8192);
    loop {
        if counters.failed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let seq = counters.next.fetch_add(1, Ordering::Relaxed);
        let more = match plan.limit {
            Limit::Requests(n) => seq < n,
            Limit::For(d) => started.elapsed() < d,
        };
        if !more {
            return Ok(());
        }
        request.clear();
        request.extend_from_slice(&plan.head);
        request.extend_from_slice(&plan.body_before);
        request.extend_from_slice(plan.prefix.as_bytes());
        request.extend_from_slice(format!("{seq:0SEQ_DIGITS$}").as_bytes());
        request.extend_from_slice(&plan.body_after);
        stream
            .write_all(&request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        read_answer(&mut stream, &mut buffer).await?;
        counters.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// Reads one HTTP/1.1 answer with a Content-Length; fails on anything but 200.
pub(crate) async fn read_answer(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Result<(), String> {
    let (head_end, body_len) = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            let head = &buffer[..end];
            if !head.starts_with(b"HTTP/1.1 200") {
                let line = String::from_utf8_lossy(&head[..head.len().min(60)]).into_owned();
                return Err(format!("answer was not 200: {line}"));
            }
            break (end + 4, content_length(head).ok_or("no content-length")?);
        }
        fill(stream, buffer).await?;
    };
    while buffer.len() < head_end + body_len {
        fill(stream, buffer).await?;
    }
    buffer.drain(..head_end + body_len);
    Ok(())
}

async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = [0u8; 8192];
    let n = stream
        .read(&mut chunk)
        .await
        .map_err(|e| format!("read: {e}"))?;
    if n == 0 {
        return Err("the server closed the connection".into());
    }
    buffer.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(head).ok()?;
    text.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    })
}

/// The fixed answer of the bare server: the size of a typical issueCard success.
const FIXED: &[u8] = br#"{"result":{"resultStatus":"S","resultCode":"SUCCESS","resultMessage":"Success"},"cardNo":"176923456700000001"}"#;

/// `perf --hyper-server`.
pub(crate) fn hyper_server() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("http://{}", listener.local_addr().expect("address"));
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|request: Request<hyper::body::Incoming>| async move {
                    let _ = request.into_body().collect().await;
                    let mut response = Response::new(Full::new(Bytes::from_static(FIXED)));
                    response.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}
