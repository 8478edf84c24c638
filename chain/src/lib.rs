//! The tamper-evident history (docs/contract.md §15): the canonical
//! encoding of a revision (version 1), its SHA-256 hash over the previous
//! revision's hash of the same student, and the digest over every chain's
//! latest revision.
//!
//! It is a crate of its own because the migration that hashes the
//! revisions of earlier releases must encode exactly as the app does.
//!
//! The encoding is a sequence of fields, each either present,
//! `<byte length in decimal>:<UTF-8 bytes>,` (a netstring), or absent, `-`;
//! a field starts with a digit or `-`, so no two different revisions
//! encode alike. What a revision's fields are, in order, is
//! [`Revision::encode`]'s to say. The form submission and the import that
//! made a revision are not part of it (they say how a change arrived, not
//! what it was), nor is any feed position.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest as _, Sha256};

/// The first field of every encoded revision: which encoding it is.
pub const REVISION_ENCODING: &str = "registrar-revision-v1";

/// The first field of an encoded digest.
pub const DIGEST_ENCODING: &str = "registrar-digest-v1";

/// The previous hash of a student's version 1: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One revision as the database stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision<'a> {
    pub student_id: i64,
    pub version: i64,
    /// The stored word: `created`, `updated`, `deleted`, …
    pub action: &'a str,
    pub name: &'a str,
    pub student_number: Option<&'a str>,
    pub address: &'a str,
    pub gpa_hundredths: i16,
    pub confidential: bool,
    pub registrar: &'a str,
    /// Encoded to the microsecond (what every backend stores); anything
    /// finer is left out, never rounded.
    pub at: DateTime<Utc>,
    pub reason: Option<&'a str>,
}

impl Revision<'_> {
    /// The canonical encoding (v1), `previous` being the previous
    /// revision's hash of the same student ([`GENESIS`] for version 1).
    /// Fields, in order: the encoding's name, student id, version, action,
    /// name, student number (absent: none), address, GPA in hundredths,
    /// confidential (`true`/`false`), registrar, time (RFC 3339 UTC with
    /// exactly six fractional digits and `Z`), reason (absent: none), and
    /// `previous`. Numbers are in decimal with a `-` when negative.
    pub fn encode(&self, previous: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(160 + self.name.len() + self.address.len());
        // `%Y-%m-%dT%H:%M:%S%.6fZ`, without parsing a format string per save.
        let at = self.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        field(&mut out, Some(REVISION_ENCODING));
        field(&mut out, Some(&self.student_id.to_string()));
        field(&mut out, Some(&self.version.to_string()));
        field(&mut out, Some(self.action));
        field(&mut out, Some(self.name));
        field(&mut out, self.student_number);
        field(&mut out, Some(self.address));
        field(&mut out, Some(&self.gpa_hundredths.to_string()));
        field(
            &mut out,
            Some(if self.confidential { "true" } else { "false" }),
        );
        field(&mut out, Some(self.registrar));
        field(&mut out, Some(&at));
        field(&mut out, self.reason);
        field(&mut out, Some(previous));
        out
    }

    /// SHA-256 of [`Revision::encode`], 64 lowercase hex digits.
    pub fn hash(&self, previous: &str) -> String {
        hex(&Sha256::digest(self.encode(previous)))
    }
}

/// The digest over a cut: each chain's latest revision at one moment, fed
/// in ascending student id. Its encoding is the [`DIGEST_ENCODING`] field
/// followed, for each chain, by three fields: student id, version, and
/// that version's hash.
pub struct Digest {
    hasher: Sha256,
    scratch: Vec<u8>,
}

impl Default for Digest {
    fn default() -> Self {
        Self::new()
    }
}

impl Digest {
    pub fn new() -> Digest {
        let mut scratch = Vec::with_capacity(128);
        field(&mut scratch, Some(DIGEST_ENCODING));
        let mut hasher = Sha256::new();
        hasher.update(&scratch);
        Digest {
            hasher,
            scratch: Vec::with_capacity(128),
        }
    }

    /// Adds the chain of `student_id`, whose latest revision in the cut is
    /// `version` with `hash`.
    pub fn add(&mut self, student_id: i64, version: i64, hash: &str) {
        self.scratch.clear();
        field(&mut self.scratch, Some(&student_id.to_string()));
        field(&mut self.scratch, Some(&version.to_string()));
        field(&mut self.scratch, Some(hash));
        self.hasher.update(&self.scratch);
    }

    /// The digest, 64 lowercase hex digits.
    pub fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

/// Appends `value` as a netstring, or `-` when absent.
fn field(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(value) => {
            out.extend_from_slice(value.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(value.as_bytes());
            out.push(b',');
        }
        None => out.push(b'-'),
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests;
