//! `conform serve` exposed to misbehaving clients: each bound tripped by a raw-socket client,
//! each refusal an HTTP answer that says why.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::util::serve;

const PATH: &str = "/v2/pds/memberships/issueCard";

/// A raw connection to a served URL, for requests no HTTP client library would send.
async fn connect(url: &str) -> TcpStream {
    TcpStream::connect(url.trim_start_matches("http://"))
        .await
        .expect("serve accepts connections")
}

/// Everything the server sends until it closes the connection (or 5 s pass).
async fn read_all(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let reading = stream.read_to_end(&mut received);
    let _ = tokio::time::timeout(Duration::from_secs(5), reading).await;
    String::from_utf8_lossy(&received).into_owned()
}

/// Sends `head` (request line and headers, without the blank line), then `body`.
async fn send(stream: &mut TcpStream, head: &str, body: &[u8]) {
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"\r\n\r\n").await.unwrap();
    stream.write_all(body).await.unwrap();
}

#[tokio::test]
async fn refuses_a_body_over_the_limit_with_413_whether_declared_or_chunked() {
    let served = serve(&["--max-body-size", "1KiB"]).await;
    let mut declared = connect(&served.url).await;
    let head = format!("POST {PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: 2048");
    send(&mut declared, &head, &[b'x'; 2048]).await;
    let answer = read_all(&mut declared).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        answer.ends_with("request body larger than 1024 bytes (--max-body-size)\n"),
        "{answer}"
    );

    let mut chunked = connect(&served.url).await;
    let head = format!("POST {PATH} HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked");
    let chunk = format!("400\r\n{}\r\n", "y".repeat(1024));
    send(
        &mut chunked,
        &head,
        format!("{chunk}{chunk}0\r\n\r\n").as_bytes(),
    )
    .await;
    let answer = read_all(&mut chunked).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
}

#[tokio::test]
async fn refuses_headers_too_large_or_too_many_with_431() {
    let served = serve(&["--max-header-size", "8KiB", "--max-headers", "20"]).await;
    let mut large = connect(&served.url).await;
    let head = format!(
        "POST {PATH} HTTP/1.1\r\nhost: x\r\nx-big: {}",
        "a".repeat(20_000)
    );
    send(&mut large, &head, b"").await;
    let answer = read_all(&mut large).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");

    let mut many = connect(&served.url).await;
    let fields: String = (0..30).map(|i| format!("\r\nx-field-{i}: {i}")).collect();
    send(
        &mut many,
        &format!("POST {PATH} HTTP/1.1\r\nhost: x{fields}"),
        b"",
    )
    .await;
    let answer = read_all(&mut many).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
}

#[tokio::test]
async fn answers_a_client_too_slow_with_its_headers_with_408_and_closes_idle_ones_quietly() {
    let served = serve(&["--read-timeout", "300ms"]).await;
    let mut slow = connect(&served.url).await;
    let partial = format!("POST {PATH} HTTP/1.1\r\nhost: x\r\n");
    slow.write_all(partial.as_bytes()).await.unwrap();
    let answer = read_all(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        answer.ends_with("request headers not received within 300ms (--read-timeout)\n"),
        "{answer}"
    );

    let mut idle = connect(&served.url).await;
    assert_eq!(
        read_all(&mut idle).await,
        "",
        "an idle connection is closed without an answer"
    );
}

#[tokio::test]
async fn answers_a_body_that_does_not_arrive_in_time_with_408() {
    let served = serve(&["--read-timeout", "300ms"]).await;
    let mut slow = connect(&served.url).await;
    let head = format!("POST {PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: 100");
    send(&mut slow, &head, b"{\"requestId\":").await;
    let answer = read_all(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        answer.contains("request body not received within 300ms"),
        "{answer}"
    );
}

#[tokio::test]
async fn answers_a_body_that_never_starts_with_408_and_one_sent_with_its_head_at_once() {
    // The body's time limit is armed only when the body is not there with the head: both a
    // body that never comes and one that came with its head must still be answered.
    let served = serve(&["--read-timeout", "300ms"]).await;
    let mut silent = connect(&served.url).await;
    let head = format!("POST {PATH} HTTP/1.1\r\nhost: x\r\ncontent-length: 100");
    send(&mut silent, &head, b"").await;
    let answer = read_all(&mut silent).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");

    let mut prompt = connect(&served.url).await;
    let body = b"{}";
    let head = format!(
        "POST {PATH} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}",
        body.len()
    );
    send(&mut prompt, &head, body).await;
    let answer = read_all(&mut prompt).await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.contains("PARAM_ILLEGAL"), "{answer}");
}

#[tokio::test]
async fn answers_connections_over_the_cap_with_503_and_serves_again_once_one_closes() {
    let served = serve(&["--max-connections", "2"]).await;
    let request = "GET /nowhere HTTP/1.1\r\nhost: x\r\n\r\n";
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&served.url).await;
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut buffer = [0u8; 512];
        let n = stream.read(&mut buffer).await.unwrap();
        assert!(
            buffer[..n].starts_with(b"HTTP/1.1 404 "),
            "served within the cap"
        );
        open.push(stream);
    }
    let mut third = connect(&served.url).await;
    third.write_all(request.as_bytes()).await.unwrap();
    let answer = read_all(&mut third).await;
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("retry-after: 1"), "{answer}");
    assert!(answer.contains("too many connections: this server serves at most 2 at once"));

    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = connect(&served.url).await;
    again.write_all(request.as_bytes()).await.unwrap();
    let mut buffer = [0u8; 512];
    let n = again.read(&mut buffer).await.unwrap();
    assert!(
        buffer[..n].starts_with(b"HTTP/1.1 404 "),
        "a freed slot is served"
    );
}

#[tokio::test]
async fn answers_another_method_on_a_known_path_with_405_naming_the_allowed_one() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let served = serve(&[]).await;
    for url in [
        format!("{}{PATH}", served.url),
        format!("{}/api/open{PATH}", served.url),
    ] {
        let answer = reqwest::get(&url).await.unwrap();
        assert_eq!(answer.status().as_u16(), 405, "{url}");
        assert_eq!(answer.headers()["allow"], "POST");
        let text = answer.text().await.unwrap();
        assert!(text.starts_with("GET is not allowed on "), "{text}");
        assert!(text.ends_with(": allowed POST\n"), "{text}");
    }
    let unknown = reqwest::get(format!("{}/v2/other", served.url))
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
}

#[tokio::test]
async fn rejects_bounds_that_make_no_sense_before_serving() {
    let run = crate::util::conform(&["serve", "--port", "0", "--max-body-size", "1 lot"]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "error: --max-body-size: `1 lot` is not a size (examples: 4MiB, 512KiB, 1048576)"
        ),
        "{}",
        run.stderr
    );
    let run = crate::util::conform(&["serve", "--port", "0", "--key-ttl", "0s"]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--key-ttl: `0s` is not a positive duration")
    );
}
