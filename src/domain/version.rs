//! The version a client saw: every optimistic write (a student's, an
//! account's) sends back the version of the page or document it was made
//! from, and the write compares it with the stored one under the lock.

use std::fmt;

/// A version as a client sent it: a whole number, exactly as written
/// (no spaces, no sign but `-`, no fraction). Any integer is accepted;
/// one that is not the stored version is a stale write, judged by the
/// write, not refused here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(i64);

impl Version {
    pub const fn new(version: i64) -> Version {
        Version(version)
    }

    /// Parses the posted text, or says it is not a version.
    pub fn parse(text: &str) -> Result<Version, NotAVersion> {
        // Rust's integer parse also takes a leading `+`; a version never has one.
        if text.starts_with('+') {
            return Err(NotAVersion);
        }
        text.parse().map(Version).map_err(|_| NotAVersion)
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The posted text is not a whole number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a version number")]
pub struct NotAVersion;

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn versions_are_whole_numbers_as_written() {
        assert_eq!(Version::parse("3").map(Version::get), Ok(3));
        assert_eq!(Version::parse("-1").map(Version::get), Ok(-1));
        for bad in ["", "x", " 3 ", "3 ", "+3", "1.5", "99999999999999999999"] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}
