//! A reader's place in the feed: opaque, URL-safe text that names the
//! feed's epoch, a position, and the revision at that position.
//!
//! Naming the revision as well as its position is what lets a restored
//! backup refuse a cursor from after the backup: there the position is
//! missing, or holds another revision (written since the restore), and the
//! reader is told (`410`) instead of silently skipping or replaying. A
//! cursor from before the backup still names what the restored database
//! holds, and goes on. The revision is named by a digest of its chain hash
//! (contract §15), which covers who changed which student, when and to
//! what; the epoch by a digest of its text, so an operator may set any
//! epoch to turn every cursor away.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The layout's version, its first byte.
const FORMAT: u8 = 1;
const EPOCH_BYTES: usize = 12;
const MARK_BYTES: usize = 8;
const BYTES: usize = 1 + EPOCH_BYTES + 8 + MARK_BYTES;

/// A place in the feed: after `position` (0: before everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    epoch: [u8; EPOCH_BYTES],
    position: i64,
    /// Names the revision at `position` (zeros at 0).
    mark: [u8; MARK_BYTES],
}

/// The text is not a cursor this feed gives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`after` is not a cursor of this feed: send the `next` or `cursor` a page gave, unchanged")]
pub struct Malformed;

fn digest<const N: usize>(text: &str) -> [u8; N] {
    let full = Sha256::digest(text.as_bytes());
    let mut out = [0_u8; N];
    out.copy_from_slice(&full[..N]);
    out
}

impl Cursor {
    /// Before the first change of the feed of `epoch`.
    pub fn start(epoch: &str) -> Cursor {
        Cursor {
            epoch: digest(epoch),
            position: 0,
            mark: [0; MARK_BYTES],
        }
    }

    /// Just after the revision whose chain hash is `hash`, at `position`.
    pub fn at(epoch: &str, position: i64, hash: &str) -> Cursor {
        Cursor {
            epoch: digest(epoch),
            position,
            mark: digest(hash),
        }
    }

    /// Reads a cursor this feed gave.
    pub fn parse(text: &str) -> Result<Cursor, Malformed> {
        if text.len() > 64 {
            return Err(Malformed);
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| Malformed)?;
        let bytes: [u8; BYTES] = bytes.try_into().map_err(|_| Malformed)?;
        if bytes[0] != FORMAT {
            return Err(Malformed);
        }
        let (epoch, rest) = bytes[1..].split_at(EPOCH_BYTES);
        let (position, mark) = rest.split_at(8);
        let position = i64::from_be_bytes(position.try_into().map_err(|_| Malformed)?);
        let cursor = Cursor {
            epoch: epoch.try_into().map_err(|_| Malformed)?,
            position,
            mark: mark.try_into().map_err(|_| Malformed)?,
        };
        let at_start = cursor.position == 0;
        if cursor.position < 0 || at_start != (cursor.mark == [0; MARK_BYTES]) {
            return Err(Malformed);
        }
        Ok(cursor)
    }

    /// The position it is after (0: the start).
    pub fn position(&self) -> i64 {
        self.position
    }

    /// Whether it is a cursor of the feed of `epoch`.
    pub fn is_of(&self, epoch: &str) -> bool {
        self.epoch == digest::<EPOCH_BYTES>(epoch)
    }

    /// Whether the revision whose chain hash is `hash` is the one it is
    /// after.
    pub fn names(&self, hash: &str) -> bool {
        self.position > 0 && self.mark == digest::<MARK_BYTES>(hash)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut bytes = [0_u8; BYTES];
        bytes[0] = FORMAT;
        bytes[1..=EPOCH_BYTES].copy_from_slice(&self.epoch);
        bytes[1 + EPOCH_BYTES..1 + EPOCH_BYTES + 8].copy_from_slice(&self.position.to_be_bytes());
        bytes[1 + EPOCH_BYTES + 8..].copy_from_slice(&self.mark);
        f.write_str(&URL_SAFE_NO_PAD.encode(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written() {
        let cursor = Cursor::at("epoch-a", 1_234_567_890_123, "ab12");
        let text = cursor.to_string();
        assert_eq!(text.len(), 39);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        let read = Cursor::parse(&text).expect("a cursor");
        assert_eq!(read, cursor);
        assert_eq!(read.position(), 1_234_567_890_123);
        assert!(read.is_of("epoch-a") && !read.is_of("epoch-b"));
        assert!(read.names("ab12") && !read.names("ab13"));
        let start = Cursor::start("epoch-a");
        assert_eq!(Cursor::parse(&start.to_string()), Ok(start.clone()));
        assert_eq!(start.position(), 0);
        assert!(!start.names(""));
    }

    #[test]
    fn anything_else_is_malformed() {
        let good = Cursor::at("e", 7, "h").to_string();
        let mut bytes = URL_SAFE_NO_PAD.decode(&good).expect("base64");
        let encode = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        bytes[0] = 2;
        let other_format = encode(&bytes);
        bytes[0] = FORMAT;
        bytes[1 + EPOCH_BYTES] = 0x80;
        let negative = encode(&bytes);
        let start_with_mark = encode(&{
            let mut b = URL_SAFE_NO_PAD.decode(&good).expect("base64");
            b[1 + EPOCH_BYTES..1 + EPOCH_BYTES + 8].fill(0);
            b
        });
        for bad in [
            "",
            "abc",
            "!!!!",
            &good[..good.len() - 1],
            &format!("{good}A"),
            &format!("{good}="),
            &other_format,
            &negative,
            &start_with_mark,
            &"A".repeat(400),
        ] {
            assert_eq!(Cursor::parse(bad), Err(Malformed), "{bad:?}");
        }
    }
}
