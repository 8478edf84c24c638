//! A cell's text: what is kept of a value to show it, and the export's
//! formula neutralising (a `'` before a formula-looking cell) undone.

use std::borrow::Cow;

/// Longest text kept of a value that did not pass its check.
const KEPT_CHARS: usize = 200;

/// A value kept for showing: cut to [`KEPT_CHARS`], NUL as the visible ␀
/// (PostgreSQL text cannot hold U+0000).
pub fn keep(value: &str) -> String {
    value
        .chars()
        .take(KEPT_CHARS)
        .map(|c| if c == '\0' { '\u{2400}' } else { c })
        .collect()
}

/// The characters before which the export puts a `'` where a spreadsheet
/// could start a cell ([`SEPARATORS`]): those it would run as a formula,
/// and `'` itself (so that a value with `'` there survives the round-trip).
pub const NEUTRALISED: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// The characters after which a spreadsheet may start a new cell, in some
/// locale or dialect (`;` where the decimal separator is a comma), besides
/// the start of the value: a formula could start after each.
pub const SEPARATORS: [char; 6] = [';', ',', '"', '\t', '\r', '\n'];

/// Undoes the export's formula neutralising: at the start of the value
/// and after each of [`SEPARATORS`], `'=x` reads as `=x` and `''x` as
/// `'x`; any other `'` is part of the value.
pub fn unneutralise(text: &str) -> Cow<'_, str> {
    let mut at_start = true;
    let mut chars = text.chars().peekable();
    if !text.contains('\'') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    while let Some(c) = chars.next() {
        let exported_quote =
            at_start && c == '\'' && chars.peek().is_some_and(|next| NEUTRALISED.contains(next));
        if !exported_quote {
            out.push(c);
        }
        at_start = !exported_quote && SEPARATORS.contains(&c);
    }
    Cow::Owned(out)
}
