//! Skipped tests that say so: a line on the terminal when a test skips,
//! and one line per missing server (or browser) when the run ends.
//!
//! libtest captures what `print!` and `eprint!` write from a test and shows
//! it only when the test fails, so a skipped test would pass in silence. The
//! lines here are written straight to the process's standard error, past
//! the capture.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Mutex, Once};

/// What is missing (`PostgreSQL`, `MySQL/MariaDB`, `Chromium`) → how many
/// tests skipped for it and why.
static SKIPS: Mutex<BTreeMap<String, Skipped>> = Mutex::new(BTreeMap::new());

struct Skipped {
    tests: u64,
    reason: String,
}

/// Records that the running test skips because `what` is unavailable
/// (`reason`), and says so on the terminal. The first skip for `what`
/// gives the reason and how to fail instead (`require`, e.g.
/// `REGISTRAR_REQUIRE_SERVERS=1`); later ones are one short line each. At
/// the end of the run one summary line per `what` counts them.
///
/// ```
/// registrar::testing::report_skip("Chromium", "not installed", "REGISTRAR_REQUIRE_BROWSER=1");
/// ```
pub fn report_skip(what: &str, reason: &str, require: &str) {
    let test = std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .map_or_else(|| "a test".to_owned(), str::to_owned);
    let first = {
        let mut skips = SKIPS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = skips.entry(what.to_owned()).or_insert_with(|| Skipped {
            tests: 0,
            reason: reason.to_owned(),
        });
        entry.tests += 1;
        entry.tests == 1
    };
    let line = if first {
        format!(
            "\nSKIPPED {test}: {what} is unavailable ({reason}). Every test that needs it skips; set {require} to fail instead.\n"
        )
    } else {
        format!("SKIPPED {test}: {what} is unavailable\n")
    };
    write_past_capture(&line);
    summary_at_exit();
}

/// How many tests of this run skipped for `what` so far.
pub fn skipped_for(what: &str) -> u64 {
    SKIPS
        .lock()
        .map_or(0, |skips| skips.get(what).map_or(0, |s| s.tests))
}

fn write_past_capture(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// The summary lines: one per missing server or browser.
fn summary() -> String {
    let Ok(skips) = SKIPS.lock() else {
        return String::new();
    };
    skips
        .iter()
        .map(|(what, skipped)| {
            format!(
                "registrar: {} test{} SKIPPED on {what}: {}\n",
                skipped.tests,
                if skipped.tests == 1 { "" } else { "s" },
                skipped.reason
            )
        })
        .collect()
}

/// Prints [`summary`] when the process exits (after libtest's own result
/// line), once.
fn summary_at_exit() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            extern "C" fn print_summary() {
                // Never unwind out of an atexit handler.
                let _ = std::panic::catch_unwind(|| {
                    write_past_capture(&format!("\n{}", summary()));
                });
            }
            // SAFETY: `print_summary` is a plain function that lives as
            // long as the program; it only writes to standard error.
            unsafe {
                libc::atexit(print_summary);
            }
        }
    });
}
