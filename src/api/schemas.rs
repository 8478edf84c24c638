//! How the OpenAPI document describes the values the API takes: JSON
//! Schema patterns that say, as exactly as a pattern can, which text the
//! rules of §1 accept (the domain types in [`crate::domain`] decide; these
//! only describe them to clients and to generative testers, and nothing on
//! the request path reads them). A unit test holds each pattern to its
//! domain parser over every Unicode scalar value.
//!
//! The patterns are ECMA-262 as JSON Schema wants, written in the common
//! part of that, Python's `re` and Rust's `regex`: `\uHHHH` escapes for the
//! Basic Multilingual Plane, characters above it as themselves.
//!
//! What a pattern cannot say: the server counts characters and combining
//! marks after NFC normalisation, so text whose length or run of marks
//! NFC changes (a base letter and an accent composed into one, a character
//! NFC splits in two) can be judged otherwise than its raw form suggests.

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// White space as Rust's `char::is_whitespace` knows it (Unicode
/// `White_Space`): what `str::trim` removes.
const WHITE_SPACE: &str =
    r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The bidi isolates pages wrap user text in, which the domain trims
/// with white space.
const ISOLATES: &str = r"\u2066-\u2069";

/// What single-line text may not hold anywhere: control characters, the
/// line and paragraph separators, and the Unicode format characters
/// (general category Cf) except ZERO WIDTH NON-JOINER and JOINER (U+200C,
/// U+200D).
fn forbidden() -> String {
    let bmp = concat!(
        r"\u0000-\u001F\u007F-\u009F\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890\u0891",
        r"\u08E2\u180E\u200B\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF",
        r"\uFFF9-\uFFFB",
    );
    let astral = "\u{110BD}\u{110CD}\u{13430}-\u{1343F}\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}";
    format!("{bmp}{astral}")
}

/// Single-line text of 1–`max` characters once trimmed; `blank_ok`: empty
/// or white space alone is taken too (as no value).
fn single_line_pattern(max: usize, blank_ok: bool) -> String {
    let forbidden = forbidden();
    let inner = format!("[^{forbidden}]");
    let edge = format!("[^{forbidden}{WHITE_SPACE}{ISOLATES}]");
    let trim = format!("[{WHITE_SPACE}{ISOLATES}]*");
    let core = format!("{edge}(?:{inner}{{0,{}}}{edge})?", max - 2);
    if blank_ok {
        format!("^{trim}(?:{core}{trim})?$")
    } else {
        format!("^{trim}{core}{trim}$")
    }
}

/// A name: 1–30 characters.
pub fn name_pattern() -> String {
    single_line_pattern(crate::domain::Name::MAX_CHARS, false)
}

/// An address: 1–60 characters.
pub fn address_pattern() -> String {
    single_line_pattern(crate::domain::Address::MAX_CHARS, false)
}

/// A reason: at most 200 characters; blank is none.
pub fn reason_pattern() -> String {
    single_line_pattern(crate::domain::Reason::MAX_CHARS, true)
}

/// A GPA: 0 to 4.00, at most two decimals, at most three digits before
/// the point (`004.0` is 4.00), white space around ignored.
pub fn gpa_pattern() -> String {
    format!(
        r"^[{WHITE_SPACE}]*(?:0{{0,2}}[0-3](?:\.[0-9]{{1,2}})?|0{{0,2}}4(?:\.00?)?)[{WHITE_SPACE}]*$"
    )
}

/// A student number: 1–20 ASCII letters, digits and `-`; blank is none.
pub fn student_number_pattern() -> String {
    format!("^[{WHITE_SPACE}{ISOLATES}]*(?:[A-Za-z0-9-]{{1,20}}[{WHITE_SPACE}{ISOLATES}]*)?$")
}

/// A cursor of the change feed as [`crate::feed::Cursor`] writes and
/// reads one: 29 bytes in URL-safe base64 without padding (39
/// characters) — the format `1`, a 12-byte epoch, a non-negative 8-byte
/// position and an 8-byte mark, the mark zero exactly when the position is
/// (the start). Spelled out character by character (each carries 6 bits):
/// `A` and one of `Q`–`f` carry the format byte and the epoch's first
/// bits; 15 free characters the epoch; the 18th its last 2 bits, the
/// position's sign (0) and 3 of its bits; 10 more the position; 10 the
/// mark; the last the mark's last 4 bits and 2 zero bits.
pub fn feed_cursor_pattern() -> String {
    const ANY: &str = "[A-Za-z0-9_-]";
    const NOT_A: &str = "[B-Za-z0-9_-]";
    // 10 characters, not all `A` (not all zero bits).
    let some_bits = (0..10)
        .map(|k| format!("A{{{k}}}{NOT_A}{ANY}{{{}}}", 9 - k))
        .collect::<Vec<_>>()
        .join("|");
    let head = format!("A[Q-Za-f]{ANY}{{15}}");
    let start = "[AQgw]A{21}";
    let position = format!("(?:[B-HR-Xh-nx-z0-3]{ANY}{{10}}|[AQgw](?:{some_bits}))");
    let mark = format!("(?:(?:{some_bits})[AEIMQUYcgkosw048]|A{{10}}[EIMQUYcgkosw048])");
    format!("^{head}(?:{start}|{position}{mark})$")
}

fn text(pattern: String, nullable: bool, description: &str, example: &str) -> Schema {
    let kind = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([example])
        .into()
}

const SINGLE_LINE: &str = "once trimmed of white space at either end, in NFC; one line, without control characters, invisible or direction-changing characters (Unicode format characters other than U+200C and U+200D), or more than 4 combining marks in a row";

/// A student's name.
pub fn name() -> Schema {
    text(
        name_pattern(),
        false,
        &format!("1–30 characters {SINGLE_LINE}."),
        "Ada Lovelace",
    )
}

/// A student's address.
pub fn address() -> Schema {
    text(
        address_pattern(),
        false,
        &format!("1–60 characters {SINGLE_LINE}."),
        "12 St James's Square, London",
    )
}

/// A GPA, sent as a string.
pub fn gpa() -> Schema {
    text(
        gpa_pattern(),
        false,
        "0 to 4.00 with at most two decimals, as a string (`\"3.5\"`, `\"3.50\"`); answered with two decimals.",
        "3.50",
    )
}

/// A student number in a body: `null` (or blank) for none.
pub fn student_number() -> Schema {
    text(
        student_number_pattern(),
        true,
        "1–20 ASCII letters, digits and `-`, unique among all students regardless of case (stored upper-cased); `null`, empty or absent for none.",
        "S-2026-0042",
    )
}

/// Where the change feed goes on from.
pub fn feed_cursor() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(feed_cursor_pattern()))
        .description(Some(
            "Where to go on from: the `next` of the page before (or a change's `cursor`), unchanged. Without it, the feed starts at its beginning. A cursor of another epoch, or of a database restored from before it, is `410`.",
        ))
        .into()
}

/// A student number to look up.
pub fn student_number_query() -> Schema {
    text(
        student_number_pattern(),
        false,
        "Exactly this student number (any case): at most one item. Empty: no filter.",
        "S-2026-0042",
    )
}

/// Why a change was made, in a body (`null` or blank: no reason).
pub fn reason() -> Schema {
    text(
        reason_pattern(),
        true,
        &format!(
            "Why, for the history: at most 200 characters {SINGLE_LINE}; blank or `null` for none."
        ),
        "grade appeal",
    )
}

/// Why, as a query parameter.
pub fn reason_query() -> Schema {
    text(
        reason_pattern(),
        false,
        &format!("Why, for the history: at most 200 characters {SINGLE_LINE}; blank for none."),
        "left the university",
    )
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    use super::{
        address_pattern, feed_cursor_pattern, gpa_pattern, name_pattern, reason_pattern,
        student_number_pattern,
    };
    use crate::domain::{Address, Gpa, Name, Reason, StudentNumber};
    use crate::feed::Cursor;

    /// Every assigned plane's scalar values (planes 0–3, and the tags and
    /// variation selectors of plane 14; the others hold no character any
    /// rule names).
    fn every_char() -> impl Iterator<Item = char> {
        (0..=0x3FFFFu32)
            .chain(0xE0000..=0xE01FF)
            .filter_map(char::from_u32)
    }

    /// Each character inside a value and at its edges: the pattern matches
    /// exactly what the parser takes.
    fn agrees(pattern: &str, parses: impl Fn(&str) -> bool, around: &[(&str, &str)]) {
        let re = Regex::new(pattern).unwrap();
        let mut disagreements = Vec::new();
        for c in every_char() {
            for (before, after) in around {
                let probe = format!("{before}{c}{after}");
                if re.is_match(&probe) != parses(&probe) {
                    disagreements.push(probe);
                }
            }
        }
        assert!(
            disagreements.is_empty(),
            "{} disagreements, e.g. {:?}",
            disagreements.len(),
            &disagreements[..disagreements.len().min(10)]
        );
    }

    #[test]
    fn the_text_patterns_take_exactly_what_the_domain_takes() {
        // Name, address and reason share one pattern but for the length
        // and whether blank is taken: inside and at either edge for the
        // name, alone for the others.
        agrees(
            &name_pattern(),
            |s| Name::parse(s).is_ok(),
            &[("a", "b"), (" ", "x"), ("x", "")],
        );
        agrees(
            &address_pattern(),
            |s| Address::parse(s).is_ok(),
            &[("", "")],
        );
        agrees(
            &reason_pattern(),
            |s| Reason::parse(Some(s)).is_ok(),
            &[("", "")],
        );
        agrees(
            &student_number_pattern(),
            |s| StudentNumber::parse(s).is_ok(),
            &[("S-", "1"), (" ", "")],
        );
        agrees(
            &gpa_pattern(),
            |s| Gpa::parse(s).is_ok(),
            &[("3", ""), ("", "3")],
        );
    }

    #[test]
    fn the_text_patterns_count_as_the_domain_counts() {
        let name = Regex::new(&name_pattern()).unwrap();
        let reason = Regex::new(&reason_pattern()).unwrap();
        let number = Regex::new(&student_number_pattern()).unwrap();
        let gpa = Regex::new(&gpa_pattern()).unwrap();
        let cases: Vec<(&Regex, String, bool)> = vec![
            (&name, "x".repeat(30), true),
            (&name, "x".repeat(31), false),
            (&name, format!("  {}\u{2067} ", "é".repeat(30)), true),
            (&name, format!("a{}b", " ".repeat(28)), true),
            (&name, format!("a{}b", " ".repeat(29)), false),
            (&name, String::new(), false),
            (&name, " \u{2066} ".to_owned(), false),
            (&reason, String::new(), true),
            (&reason, "  ".to_owned(), true),
            (&reason, "r".repeat(200), true),
            (&reason, "r".repeat(201), false),
            (&number, "s-0042".to_owned(), true),
            (&number, "A".repeat(20), true),
            (&number, "A".repeat(21), false),
            (&number, " ".to_owned(), true),
            (&number, "S_1".to_owned(), false),
            (&gpa, "4".to_owned(), true),
            (&gpa, "004.00".to_owned(), true),
            (&gpa, "4.01".to_owned(), false),
            (&gpa, "0004".to_owned(), false),
            (&gpa, "3.".to_owned(), false),
            (&gpa, ".5".to_owned(), false),
            (&gpa, " 3.67\u{3000}".to_owned(), true),
            (&gpa, "3.675".to_owned(), false),
            (&gpa, "+3".to_owned(), false),
        ];
        for (re, text, expected) in cases {
            assert_eq!(re.is_match(&text), expected, "{text:?}");
        }
        for text in ["x".repeat(30), "x".repeat(31), String::new(), "  ".into()] {
            assert_eq!(name.is_match(&text), Name::parse(&text).is_ok(), "{text:?}");
        }
        for text in ["S-1", "0042", "A".repeat(21).as_str(), "", "é"] {
            assert_eq!(
                number.is_match(text),
                StudentNumber::parse(text).is_ok(),
                "{text:?}"
            );
        }
        for text in [
            "0", "00", "000", "0.5", "4.0", "4.00", "4.000", "3.999", "9",
        ] {
            assert_eq!(gpa.is_match(text), Gpa::parse(text).is_ok(), "{text:?}");
        }
    }

    /// Every cursor the feed writes matches, and so does each one-character
    /// change of one exactly when the feed still reads it.
    #[test]
    fn the_cursor_pattern_takes_exactly_what_the_feed_reads() {
        let re = Regex::new(&feed_cursor_pattern()).unwrap();
        let alphabet: Vec<char> = ('A'..='Z')
            .chain('a'..='z')
            .chain('0'..='9')
            .chain(['-', '_'])
            .collect();
        let written = [
            Cursor::start("epoch"),
            Cursor::start(""),
            Cursor::at("epoch", 1, "hash"),
            Cursor::at("another", 255, ""),
            Cursor::at("epoch", 1 << 40, "0123"),
            Cursor::at("epoch", i64::MAX, "ffff"),
        ];
        for cursor in written {
            let text = cursor.to_string();
            assert!(re.is_match(&text), "{text}");
            let chars: Vec<char> = text.chars().collect();
            for at in 0..chars.len() {
                for &c in &alphabet {
                    let mut changed = chars.clone();
                    changed[at] = c;
                    let changed: String = changed.into_iter().collect();
                    assert_eq!(
                        re.is_match(&changed),
                        Cursor::parse(&changed).is_ok(),
                        "{changed}"
                    );
                }
            }
            for other in [&text[1..], &format!("{text}A"), &format!("{text}=")] {
                assert!(!re.is_match(other) && Cursor::parse(other).is_err());
            }
        }
        let start_with_a_mark = format!("AQ{}A{}E", "A".repeat(15), "A".repeat(20));
        let position_without_mark = format!("AQ{}B{}A", "A".repeat(15), "A".repeat(20));
        for (text, reads) in [
            ("A".repeat(39), false),
            (format!("AQ{}", "A".repeat(37)), true),
            (start_with_a_mark, false),
            (position_without_mark, false),
        ] {
            assert_eq!(re.is_match(&text), reads, "{text}");
            assert_eq!(Cursor::parse(&text).is_ok(), reads, "{text}");
        }
    }
}
