//! Headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`), for the tests that need a real browser.
//!
//! Without Chromium the browser tests say so loudly and skip, unless
//! `REGISTRAR_REQUIRE_BROWSER=1`, where that is a failure.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

const CHROMIUM: &[&str] = &[
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
];
const CHROMEDRIVER: &[&str] = &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];

fn browser_required() -> bool {
    std::env::var("REGISTRAR_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

fn first_existing(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Says why a browser test cannot run: a failure when browsers are
/// required, else a skip said on the terminal and counted at the end.
pub fn unavailable(missing: &str, why: &str) {
    if browser_required() {
        panic!("{missing}: {why}, and REGISTRAR_REQUIRE_BROWSER=1");
    }
    registrar::testing::report_skip(missing, why, "REGISTRAR_REQUIRE_BROWSER=1");
}

/// A running chromedriver; each [`Chrome::session`] is a browser of its own.
pub struct Chrome {
    driver: Child,
    url: String,
    chromium: PathBuf,
    profiles: Vec<PathBuf>,
}

impl Chrome {
    pub async fn start() -> Option<Chrome> {
        let (Some(chromium), Some(chromedriver)) =
            (first_existing(CHROMIUM), first_existing(CHROMEDRIVER))
        else {
            unavailable(
                "Chromium",
                "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)",
            );
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, which the browsers it starts join: a
            // session a test never closed dies with it (see Drop).
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let chrome = Chrome {
            driver,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
            profiles: Vec::new(),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(chrome);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not start listening on port {port}");
    }

    /// A new browser window of `width` × `height` with an empty profile.
    pub async fn session(&mut self, width: u32, height: u32) -> Client {
        static PROFILE: AtomicU64 = AtomicU64::new(0);
        let profile = std::env::temp_dir().join(format!(
            "registrar-chromium-{}-{}",
            std::process::id(),
            PROFILE.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&profile);
        self.profiles.push(profile.clone());
        // Headless windows are at least 500 px wide: narrower screens are
        // emulated as a phone's.
        let mobile = (width < 500).then(|| {
            json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": true } })
        });
        let capabilities = json!({
            "goog:chromeOptions": {
                "mobileEmulation": mobile.unwrap_or(json!({})),
                "binary": self.chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        // The whole group: chromedriver and every browser it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        for profile in &self.profiles {
            let _ = std::fs::remove_dir_all(profile);
        }
    }
}

/// Saves a screenshot of the whole page under `target/screenshots/NAME.png`
/// (the window grows to the page's height for it, then shrinks back).
pub async fn screenshot(client: &Client, name: &str) {
    let (width, height) = client.get_window_size().await.expect("window size");
    let (width, height) = (
        u32::try_from(width).unwrap_or(1280),
        u32::try_from(height).unwrap_or(900),
    );
    let page_height = client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .and_then(|h| u32::try_from(h).ok())
        .unwrap_or(height);
    let grow = page_height > height && width >= 500;
    if grow {
        client
            .set_window_size(width, page_height)
            .await
            .expect("resizing");
    }
    let png = client.screenshot().await.expect("a screenshot");
    if grow {
        client
            .set_window_size(width, height)
            .await
            .expect("resizing back");
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("target/screenshots");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("writing the screenshot");
}

/// The value property of the element `css` selects.
pub async fn value_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

/// Replaces the text of the input `css` selects.
pub async fn fill(client: &Client, css: &str, text: &str) {
    let input = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    input.clear().await.expect("clear");
    input.send_keys(text).await.expect("typing");
}

/// Clicks what submits a form or follows a link, and waits until the next
/// page has loaded (the old document is marked, so even a page at the
/// same address is told apart).
pub async fn click_and_wait(client: &Client, css: &str) {
    client
        .execute("window.__registrarOldPage = true;", vec![])
        .await
        .expect("marking the page");
    click(client, css).await;
    wait_for_new_page(client).await;
}

/// Sends `keys` to the focused element and waits for the page they submit.
pub async fn keys_and_wait(client: &Client, keys: &str) {
    client
        .execute("window.__registrarOldPage = true;", vec![])
        .await
        .expect("marking the page");
    client
        .active_element()
        .await
        .expect("a focused element")
        .send_keys(keys)
        .await
        .expect("keys");
    wait_for_new_page(client).await;
}

async fn wait_for_new_page(client: &Client) {
    for _ in 0..200 {
        let loaded = client
            .execute(
                "return !window.__registrarOldPage && document.readyState === 'complete';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if loaded {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the next page did not load within 5 s");
}

pub async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .expect("click");
}

/// The id of the focused element.
pub async fn focused_id(client: &Client) -> String {
    client
        .execute(
            "return document.activeElement ? document.activeElement.id : '';",
            vec![],
        )
        .await
        .expect("script")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Text of the first element `css` selects.
pub async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// Text of the first element `css` selects, or `None` when there is none
/// or the page was replaced while it was read (a page that reloads itself).
pub async fn text_if_any(client: &Client, css: &str) -> Option<String> {
    client.find(Locator::Css(css)).await.ok()?.text().await.ok()
}

/// The path of the current page.
pub async fn path(client: &Client) -> String {
    client.current_url().await.expect("url").path().to_owned()
}

/// axe-core's `axe.min.js`: from `REGISTRAR_AXE_JS`, or installed by npm
/// under `target/browser-deps` (as `.ci/run` does) or `node_modules`.
pub fn axe_source() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("REGISTRAR_AXE_JS").map(PathBuf::from),
        Some(root.join("target/browser-deps/node_modules/axe-core/axe.min.js")),
        Some(root.join("node_modules/axe-core/axe.min.js")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.exists())
        .and_then(|p| std::fs::read_to_string(p).ok())
}

/// One axe-core violation.
#[derive(Debug)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub nodes: u64,
}

/// Runs axe-core on the current page.
pub async fn axe(client: &Client, source: &str) -> Vec<Violation> {
    client
        .execute(source, vec![])
        .await
        .expect("injecting axe-core");
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.length }))))
               .catch(e => done({ error: String(e) }));",
            vec![],
        )
        .await
        .expect("running axe-core");
    let Value::Array(violations) = result else {
        panic!("axe-core failed: {result}");
    };
    violations
        .into_iter()
        .map(|v| Violation {
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            impact: v["impact"].as_str().unwrap_or_default().to_owned(),
            help: v["help"].as_str().unwrap_or_default().to_owned(),
            nodes: v["nodes"].as_u64().unwrap_or(0),
        })
        .collect()
}
