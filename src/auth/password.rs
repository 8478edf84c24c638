//! Argon2id password hashes (RustCrypto's `password-auth`), computed off
//! the async threads: a hash takes tens of milliseconds and ~19 MiB by
//! design, so at most one per core runs at a time, however many sign-in
//! attempts arrive at once.

use std::sync::OnceLock;

use tokio::sync::Semaphore;

use crate::domain::NewPassword;

/// Hashing could not run: the machinery around it failed, never the
/// password itself.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("the hashing permits are closed")]
    Closed,
    #[error("the password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS
        .get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// Runs one hashing job when a core is free.
async fn on_a_free_core<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashError> {
    let _permit = permits().acquire().await.map_err(|_| HashError::Closed)?;
    tokio::task::spawn_blocking(move || {
        let result = job();
        release_freed_memory();
        result
    })
    .await
    .map_err(HashError::from)
}

pub async fn hash(password: &NewPassword) -> Result<String, HashError> {
    let password = password.expose().to_owned();
    on_a_free_core(move || password_auth::generate_hash(password)).await
}

/// Whether `password` matches `hash`. Without a hash (no such account) a
/// dummy hash is checked all the same, so that the answer takes as long
/// whether or not the username exists.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    let known = hash.is_some();
    let matches = on_a_free_core(move || {
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        password_auth::verify_password(password, &hash).is_ok()
    })
    .await
    .unwrap_or(false);
    known && matches
}

/// Computes the dummy hash ahead of the first sign-in.
pub async fn warm_up() {
    let _ = on_a_free_core(|| dummy_hash().len()).await;
}

/// A hash allocates ~19 MiB and frees it; glibc keeps freed memory in the
/// thread's arena, so a burst of sign-ins would leave the process that much
/// bigger for good. Handing it back keeps the server's footprint flat.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| password_auth::generate_hash("registrar dummy password"))
}
