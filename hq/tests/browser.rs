//! The console in a real browser: Debian's chromium, driven over W3C WebDriver by chromedriver,
//! against a real HQ on loopback. A person of customer service signs in, finds an overdue
//! case, opens it and sees its photo's thumbnail load, approves the return waiting for them,
//! issues the month's quality report and downloads its workbook, and signs out. Screenshots
//! of the pages go to $FIELDHQ_SCREENSHOTS (default
//! target/console-screenshots).
//!
//! The WebDriver client is a handful of JSON requests over the reqwest the tests already use,
//! rather than a client crate and its dependency tree. Without chromedriver the test says
//! why and passes, unless FIELDHQ_REQUIRE_BROWSER is set (tests/run.sh sets it, so CI fails).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use fieldcore::testing::t0;
use fieldcore::{Command, Freight, ReturnItem, ReturnKind, ReturnRequestInput};
use fieldhq::Role;
use serde_json::{Value, json};

use common::{Backend, TestHq};

const PASSWORD: &str = "correct horse battery";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A photo as a phone stores it: pixels (a housing with a dark crack across it) through the
/// core's photo pipeline, giving the normalised JPEG and its thumbnail.
fn photo() -> fieldcore::ProcessedPhoto {
    let (width, height) = (640u32, 480u32);
    let mut rgba = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let crack = (i64::from(y) - i64::from(x) * 3 / 4 - 20).abs() < 6;
            let shade = (90 + (x + y) / 12) as u8;
            let (r, g, b) = if crack {
                (30, 30, 35)
            } else {
                (shade, shade + 20, 140)
            };
            rgba.extend_from_slice(&[r, g, b, 255]);
        }
    }
    fieldcore::process_pixels(
        fieldcore::PlatformPixels {
            rgba,
            width,
            height,
            orientation: 1,
            taken_at: None,
            location: None,
        },
        &fieldcore::PhotoPolicy::default(),
    )
    .unwrap()
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join(name))
        .find(|p| p.is_file())
}

struct Driver {
    process: Child,
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Driver {
    async fn start(chromedriver: &PathBuf) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = std::process::Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        // Ready when its status says so (it takes a moment to listen).
        let mut ready = false;
        for _ in 0..200 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && let Ok(text) = r.text().await
                && let Ok(v) = serde_json::from_str::<Value>(&text)
                && v["value"]["ready"] == json!(true)
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "chromedriver did not become ready");
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1366,768",
        ];
        args.push("--lang=zh-CN");
        let mut options = json!({ "args": args });
        if let Some(chromium) = find_on_path("chromium") {
            options["binary"] = json!(chromium);
        }
        let created: Value = http
            .post(format!("{base}/session"))
            .header("content-type", "application/json")
            .body(
                json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome", "goog:chromeOptions": options}}})
                .to_string(),
            )
            .send()
            .await
            .unwrap()
            .text()
            .await
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Driver {
            process,
            http,
            base,
            session,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method.clone(), url);
        if method == reqwest::Method::POST {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let text = request.send().await.unwrap().text().await.unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        if value["value"].get("error").is_some() {
            panic!("webdriver {path}: {value}");
        }
        value["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn script(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The page's address once it satisfies `wanted`: a click that submits a form returns
    /// before the answer has loaded, so the test waits for the navigation, up to 20 s.
    async fn url_when(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let url = self.url().await;
            if wanted(&url) || std::time::Instant::now() > deadline {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn text(&self) -> String {
        self.script("return document.body.innerText;")
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn screenshot(&self, dir: &std::path::Path, name: &str) {
        let png = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let bytes = base64_decode(png.as_str().unwrap());
        assert!(bytes.starts_with(&[137, 80, 78, 71]), "a PNG screenshot");
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }
}

/// Standard base64 (the screenshot's encoding).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, c)| {
            acc | (u32::from(value(*c)) << (18 - 6 * i))
        });
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_finds_an_overdue_case_sees_its_photo_approves_issues_the_report_and_signs_out()
 {
    let Some(chromedriver) = find_on_path("chromedriver") else {
        if std::env::var_os("FIELDHQ_REQUIRE_BROWSER").is_some() {
            panic!("chromedriver is not installed and FIELDHQ_REQUIRE_BROWSER is set");
        }
        eprintln!(
            "skipped: chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let dir = std::env::var_os("FIELDHQ_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots")
        });
    std::fs::create_dir_all(&dir).unwrap();

    let offset = Arc::new(AtomicI64::new(0));
    let clock = offset.clone();
    let hq = TestHq::start_configured(Backend::Sqlite, move |config| {
        config.clock = Some(Arc::new(move || {
            t0() + chrono::Duration::seconds(clock.load(Ordering::SeqCst))
        }));
    })
    .await;
    hq.user("wu", Role::CsManager, None).await;
    fieldhq::console::auth::set_password(hq.storage(), "wu", PASSWORD, 0)
        .await
        .unwrap();
    // An engineer's phone: a case with a photo and a return request waiting for wu.
    let mut wang = hq.person("wang", Role::Engineer, None).await;
    let case = wang.register();
    let processed = photo();
    wang.execute(
        case,
        &Command::AttachPhoto(fieldcore::PhotoAttachment {
            hash: processed.sha256.clone(),
            kind: fieldcore::PhotoKind::Defect,
            caption: "裂开的机壳".into(),
            taken_at: None,
            size: processed.jpeg.len() as u64,
            width: processed.width,
            height: processed.height,
            thumbnail_hash: processed.thumbnail_sha256.clone(),
            thumbnail_size: processed.thumbnail.len() as u64,
            gps: None,
        }),
    );
    wang.execute(
        case,
        &Command::RequestReturn(ReturnRequestInput {
            kind: ReturnKind::Return,
            items: vec![ReturnItem {
                model: "YE3-160M-4".into(),
                serial: None,
                quantity: 1,
                reason: "bearing seized".into(),
                fault: "noise and heat at full load".into(),
            }],
            freight: Freight::Company,
            why_not_on_site: "the stator must be rewound at the factory".into(),
            window_override: None,
        }),
    );
    for _ in 0..3 {
        wang.register();
    }
    wang.sync(&hq).await;
    for bytes in [&processed.jpeg[..], &processed.thumbnail[..]] {
        let path = format!("/v1/blobs/{}", fieldcore::sha256_hex(bytes));
        let (status, _) = hq
            .send(
                reqwest::Method::PUT,
                &path,
                Some(&wang.token),
                bytes.to_vec(),
            )
            .await;
        assert!(status.is_success());
    }
    let number = wang.view(case).number.unwrap();
    // Two days on, the 24-hour reply deadline has passed.
    offset.store(2 * 24 * 3600, Ordering::SeqCst);

    let driver = Driver::start(&chromedriver).await;
    let url = hq.url();
    driver.go(&format!("{url}/console/login")).await;
    driver.screenshot(&dir, "login").await;
    driver.type_into("#name", "wu").await;
    driver.type_into("#password", PASSWORD).await;
    driver.click("#sign-in").await;
    let at = driver.url_when(|u| u.ends_with("/console/cases")).await;
    assert!(at.ends_with("/console/cases"), "{at}");

    driver.click("#overdue").await;
    driver.click("#filter").await;
    let at = driver.url_when(|u| u.contains("overdue=1")).await;
    assert!(at.contains("overdue=1"), "{at}");
    let text = driver.text().await;
    assert!(text.contains(&number) && text.contains("已逾期"), "{text}");
    driver.screenshot(&dir, "cases").await;

    driver
        .click(&format!("a.case-link[href='/console/cases/{case}']"))
        .await;
    let at = driver
        .url_when(|u| u.ends_with(&format!("/console/cases/{case}")))
        .await;
    assert!(at.ends_with(&format!("/console/cases/{case}")), "{at}");
    let width = driver
        .script(
            "const img = document.querySelector('img.thumb'); \
             return img.complete ? img.naturalWidth : \
             new Promise(r => img.onload = () => r(img.naturalWidth));",
        )
        .await;
    assert!(
        width.as_u64().unwrap_or(0) > 0,
        "the thumbnail loaded: {width}"
    );
    assert!(driver.text().await.contains(&number));
    driver.screenshot(&dir, "case").await;

    driver.go(&format!("{url}/console/approvals")).await;
    driver.screenshot(&dir, "approvals").await;
    driver.click("button.approve").await;
    // The click submits a form: its answer (a redirect) arrives after the click returns.
    let at = driver
        .url_when(|u| u.ends_with("/console/approvals?ok=approved"))
        .await;
    assert!(at.ends_with("/console/approvals?ok=approved"), "{at}");
    assert!(driver.text().await.contains("已批准"));
    let waiting_for_vp = fieldhq::returns::list(
        hq.storage(),
        fieldhq::returns::ReturnFilter {
            waiting_for: Some("vp".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(waiting_for_vp.len(), 1, "approved through the browser");

    // The month's quality report: issued from the console, its workbook downloaded with the
    // session (the file's bytes fetched by the page, as the link's download would).
    let month = t0().format("%Y-%m").to_string();
    driver
        .go(&format!("{url}/console/report?month={month}"))
        .await;
    driver.screenshot(&dir, "report").await;
    driver.click("#report-issue").await;
    let at = driver.url_when(|u| u.contains("ok=issued")).await;
    assert!(at.contains("ok=issued"), "{at}");
    assert!(driver.text().await.contains("月报已签发"));
    let view = fieldhq::report::view(hq.storage(), &month).await.unwrap();
    assert!(
        matches!(view.state, fieldhq::report::ReportState::Issued { ref by, .. } if by == "wu"),
        "issued through the browser"
    );
    let download = driver
        .script(
            "return fetch(document.querySelector('#report-xlsx').href).then(r => \
             r.arrayBuffer().then(b => { const u = new Uint8Array(b); \
             return [r.status, r.headers.get('content-type'), b.byteLength, u[0], u[1]]; }));",
        )
        .await;
    assert_eq!(download[0], json!(200), "{download}");
    assert!(
        download[1].as_str().unwrap_or("").contains("spreadsheetml"),
        "{download}"
    );
    assert!(download[2].as_u64().unwrap_or(0) > 1000, "{download}");
    assert_eq!(
        (download[3].clone(), download[4].clone()),
        (json!(80), json!(75)),
        "PK: a zip"
    );

    driver.go(&format!("{url}/console/parts?lang=en")).await;
    driver.screenshot(&dir, "parts-en").await;
    driver.click("#sign-out").await;
    let at = driver.url_when(|u| u.ends_with("/console/login")).await;
    assert!(at.ends_with("/console/login"), "{at}");
    driver.go(&format!("{url}/console/cases")).await;
    assert!(driver.url().await.ends_with("/console/login"), "signed out");
    driver.call(reqwest::Method::DELETE, "", Value::Null).await;
}
