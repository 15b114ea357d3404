//! The HTML report as a person sees it: rendered by headless Chromium (Debian's `chromium`),
//! with the DOM after its script ran and a screenshot of the first screen. These need a
//! browser, so they are ignored by a plain `cargo test`; `.ci/run` installs Chromium and runs
//! them with `--include-ignored`.

use std::path::Path;
use std::process::Command;

use crate::issue_card::{self, Defects};
use crate::reports::{APP_ID_CASES, Reports, console_numbers, run_with_known_failures};

const CHROMIUM: &str = "/usr/bin/chromium";
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;
/// The failures table's header colour (`#b3261e`), used nowhere else in the report.
const FAILURES_HEADER: [u8; 3] = [0xb3, 0x26, 0x1e];

/// Runs headless Chromium on the page with `extra` arguments; returns its stdout.
fn chromium(page: &Path, extra: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            // Without these Chromium keeps trying to reach Google, which a closed network refuses.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            // Exact colours in screenshots, so the test can look for one.
            "--force-color-profile=srgb",
            "--hide-scrollbars",
            &format!("--window-size={WIDTH},{HEIGHT}"),
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs (Debian package chromium; .ci/run installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The page's DOM after its script ran.
fn rendered_dom(page: &Path) -> String {
    chromium(page, &["--dump-dom".to_string()])
}

/// Screenshot pixels as RGB rows of `WIDTH`.
fn screenshot(page: &Path) -> Vec<[u8; 3]> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shot.png");
    chromium(page, &[format!("--screenshot={}", file.display())]);
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&file).expect("a screenshot was written"),
    ));
    let mut reader = decoder.read_info().expect("the screenshot is a PNG");
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buffer).unwrap();
    assert_eq!((frame.width, frame.height), (WIDTH, HEIGHT));
    let channels = frame.color_type.samples();
    buffer[..frame.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}

/// The bounding box (left, top, right, bottom) of the pixels of `colour`, if any.
fn area_of(pixels: &[[u8; 3]], colour: [u8; 3]) -> Option<(u32, u32, u32, u32)> {
    let mut area: Option<(u32, u32, u32, u32)> = None;
    for (i, _) in pixels.iter().enumerate().filter(|(_, p)| **p == colour) {
        let (x, y) = (i as u32 % WIDTH, i as u32 / WIDTH);
        area = Some(match area {
            None => (x, y, x, y),
            Some((l, t, r, b)) => (l.min(x), t.min(y), r.max(x), b.max(y)),
        });
    }
    area
}

fn failure_rows(dom: &str) -> usize {
    let table = dom
        .split("<table id=\"failures-table\"")
        .nth(1)
        .expect("the failures table is in the rendered page");
    let body = table.split("</table>").next().unwrap();
    body.matches("<tr class=\"failure\">").count()
}

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs them"]
async fn failures_table_is_on_the_first_screen_with_one_row_per_failed_check() {
    let reports = Reports::new();
    let (_server, run) = run_with_known_failures(&reports).await;
    let [cases, _, _, failed, _] = console_numbers(&run.stdout);
    let page = reports.path("html");

    let dom = rendered_dom(&page);
    assert_eq!(failure_rows(&dom) as u64, failed);
    assert!(dom.contains("<h1>NOT COMPATIBLE</h1>"));
    // The filter script ran: it counts what it shows.
    assert!(
        dom.contains(&format!("{cases} of {cases} cases shown")),
        "{dom}"
    );

    let (left, top, right, bottom) = area_of(&screenshot(&page), FAILURES_HEADER)
        .expect("the failures table header is on the first screen");
    assert!(top < HEIGHT / 2, "the table starts near the top: y={top}");
    assert!(
        right - left > WIDTH / 2,
        "the table spans the page: {left}..{right}"
    );
    assert!(
        bottom - top >= 15,
        "a header row is visible: {top}..{bottom}"
    );
}

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs them"]
async fn passing_run_shows_no_failures_table() {
    let server = issue_card::serve(Defects::default()).await;
    let reports = Reports::new();
    let run = reports
        .verify(&["--target", &server.uri(), "--filter", APP_ID_CASES])
        .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let page = reports.path("html");

    let dom = rendered_dom(&page);
    assert!(!dom.contains("failures-table"));
    assert!(dom.contains("No check failed."));
    // Filtered, and the tests turn snapshots off: a pass, but not a plain COMPATIBLE.
    assert!(dom.contains("<h1>PARTIAL</h1>"), "{dom}");
    assert_eq!(area_of(&screenshot(&page), FAILURES_HEADER), None);
}

/// The background of a qualified verdict's header (`#fff4e0`), used nowhere else.
const PARTIAL_HEADER: [u8; 3] = [0xff, 0xf4, 0xe0];

#[tokio::test]
#[ignore = "needs chromium; .ci/run runs them"]
async fn a_partial_run_says_so_and_why_at_the_top_with_its_scope() {
    let reports = Reports::new();
    let args = [
        "--filter",
        "issueCard/example/*",
        "--replays",
        "0",
        "--implementation",
        "acme-cards",
    ];
    let run = reports.verify(&args).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let page = reports.path("html");

    let dom = rendered_dom(&page);
    assert!(
        dom.contains("<title>conform report: PARTIAL</title>"),
        "{dom}"
    );
    let why =
        "<h1>PARTIAL</h1>\n<p class=\"why\">Not complete: --filter issueCard/example/* kept 1 of ";
    assert!(dom.contains(why), "{dom}");
    assert!(dom.contains("replays turned off (--replays 0; the contract asks for 2)"));
    assert!(
        dom.contains("<dt>Implementation</dt><dd>acme-cards</dd>"),
        "{dom}"
    );
    assert!(dom.contains("<dt>Signing</dt><dd>requests unsigned; answers not verified</dd>"));

    let (_, top, right, _) = area_of(&screenshot(&page), PARTIAL_HEADER)
        .expect("the qualified verdict's header is on the first screen");
    assert_eq!(top, 0, "the verdict heads the page");
    assert!(right > WIDTH / 2, "it spans the page: ..{right}");
}

#[tokio::test]
async fn html_report_is_one_file_that_fetches_nothing() {
    let reports = Reports::new();
    let (_server, _run) = run_with_known_failures(&reports).await;
    let html = reports.read("html");
    for fetch in ["<link", "src=", "url(", "@import", "http://", "https://"] {
        let found: Vec<&str> = html
            .lines()
            .filter(|l| l.contains(fetch))
            .filter(|l| !l.contains("127.0.0.1"))
            .collect();
        assert!(found.is_empty(), "`{fetch}` in {found:?}");
    }
    assert!(html.contains("<style>") && html.contains("<script>"));
    assert!(html.contains("<details class=\"case fail\""));
}
