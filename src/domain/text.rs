//! The rule shared by single-line text fields (contract §1): trimmed, in NFC,
//! one line, no control characters, and no spoofing characters.
//!
//! Spoofing characters are the Unicode format characters (general category
//! Cf: bidi embeddings, overrides and isolates, zero-width spaces, word
//! joiners, the byte-order mark…), which make text read or sort otherwise
//! than it looks, except ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER, which
//! Persian, Indic and other names need; and runs of more than
//! [`MAX_MARKS_IN_A_ROW`] combining marks, which stack into unreadable or
//! look-alike glyphs. Right-to-left letters are ordinary letters and
//! welcome: pages isolate user text so they never reorder ours.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// The most combining marks (accents, vowel signs…) accepted in a row.
pub const MAX_MARKS_IN_A_ROW: usize = 4;

const ZERO_WIDTH_NON_JOINER: char = '\u{200C}';
const ZERO_WIDTH_JOINER: char = '\u{200D}';

/// Why a piece of single-line text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong {
        max: usize,
    },
    ControlCharacter,
    /// An invisible or direction-changing character (the first one found).
    FormatCharacter(char),
    TooManyMarks,
}

/// Trims `input` (of white space and of the bidi isolates pages wrap user
/// text in, which come along when a name is copied from a page),
/// normalises it to NFC and checks it is 1..=`max` Unicode scalar values
/// with no control characters (so it is also a single line) and no
/// spoofing characters.
pub fn single_line(input: &str, max: usize) -> Result<String, TextError> {
    let text: String = trimmed(input).nfc().collect();
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return Err(TextError::ControlCharacter);
    }
    if let Some(c) = text.chars().find(|&c| is_spoofing_format(c)) {
        return Err(TextError::FormatCharacter(c));
    }
    if longest_run_of_marks(&text) > MAX_MARKS_IN_A_ROW {
        return Err(TextError::TooManyMarks);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    Ok(text)
}

/// Whether `input`, as [`single_line`] would read it, is `stored` (which
/// may predate the rule, or be in another normalisation): then an edit
/// leaves it as it is.
pub fn is_unchanged(input: &str, stored: &str) -> bool {
    // The same text is the same in every normalisation: most saves send
    // back most fields as they were, and need not normalise them.
    let input = trimmed(input);
    input == stored || input.nfc().eq(stored.nfc())
}

/// `input` without white space or bidi isolates (U+2066–U+2069) at either
/// end: a page isolates every name it shows, and a name copied from it
/// carries them.
pub fn trimmed(input: &str) -> &str {
    input.trim_matches(|c: char| c.is_whitespace() || ('\u{2066}'..='\u{2069}').contains(&c))
}

fn is_spoofing_format(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
        && c != ZERO_WIDTH_NON_JOINER
        && c != ZERO_WIDTH_JOINER
}

fn longest_run_of_marks(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c.general_category_group() == GeneralCategoryGroup::Mark {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

impl TextError {
    /// A message for the registrar, naming the field.
    pub fn message(self, field: &str) -> String {
        match self {
            TextError::Empty => format!("Enter the student's {field}"),
            TextError::TooLong { max } => {
                format!("The {field} must be {max} characters or fewer")
            }
            TextError::ControlCharacter => format!(
                "The {field} must be a single line without tabs or other control characters"
            ),
            TextError::FormatCharacter(c) => format!(
                "The {field} must not contain invisible or direction-changing characters \
                 (it contains U+{:04X})",
                u32::from(c)
            ),
            TextError::TooManyMarks => format!(
                "The {field} must not stack more than {MAX_MARKS_IN_A_ROW} accents or other \
                 combining marks on one letter"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{TextError, is_unchanged, single_line};

    fn accepted(text: &str) -> String {
        single_line(text, 60).unwrap_or_else(|e| panic!("{text:?} was refused: {e:?}"))
    }

    #[test]
    fn isolates_copied_from_a_page_are_trimmed() {
        assert_eq!(accepted("\u{2068}Ada Lovelace\u{2069}"), "Ada Lovelace");
        assert_eq!(accepted(" \u{2066}\u{2068}Ada\u{2069} "), "Ada");
        assert!(is_unchanged("\u{2068}Ada\u{2069}", "Ada"));
        // Inside the text they still change its reading order: refused.
        assert_eq!(
            single_line("Ada\u{2068}x\u{2069}y", 60),
            Err(TextError::FormatCharacter('\u{2068}'))
        );
    }

    #[test]
    fn real_names_in_many_scripts_are_kept() {
        for name in [
            "محمد بن سلمان",  // Arabic
            "مهدی‌زاده",       // Persian, with ZERO WIDTH NON-JOINER
            "נועה כהן",       // Hebrew
            "שָׁלוֹם לֵוִי",       // Hebrew with points (two marks in a row)
            "क्षत्रिय",         // Devanagari conjunct
            "श्‍री",            // Devanagari with ZERO WIDTH JOINER
            "ന്‍",              // Malayalam chillu written with ZWJ
            "അനിൽ കുമാർ",       // Malayalam
            "Nguyễn Thị Ánh", // Vietnamese
            "王小明",         // Chinese
            "山田 太郎",      // Japanese
            "김민준",         // Korean
            "Zoë O'Brien-Łukasiewicz",
        ] {
            assert_eq!(accepted(name), name, "{name} changed");
        }
    }

    #[test]
    fn text_is_normalised_to_nfc() {
        // Vietnamese typed with combining marks: e + circumflex + dot below.
        let decomposed = "Nguye\u{302}\u{323}n";
        let composed = accepted(decomposed);
        assert_eq!(composed, "Nguyện");
        assert_eq!(composed.chars().count(), 6);
        // The length is counted after normalising.
        assert!(single_line(&"e\u{301}".repeat(30), 30).is_ok());
    }

    #[test]
    fn each_spoofing_character_is_refused() {
        for c in [
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}', // embeddings, overrides
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}', // isolates
            '\u{200B}',
            '\u{200E}',
            '\u{200F}', // zero width space, LRM, RLM
            '\u{2060}',
            '\u{2061}',
            '\u{2062}',
            '\u{2063}',
            '\u{2064}', // word joiner…
            '\u{FEFF}',
            '\u{061C}',
            '\u{00AD}',
            '\u{180E}',
            '\u{E0001}',
        ] {
            let text = format!("Ada{c} Lovelace");
            assert_eq!(
                single_line(&text, 60),
                Err(TextError::FormatCharacter(c)),
                "U+{:04X} was accepted",
                u32::from(c)
            );
            // Even where trimming would leave it at an end, except the
            // isolates pages wrap names in: trimmed off, never stored.
            match c {
                '\u{2066}'..='\u{2069}' => assert_eq!(accepted(&format!("{c}Ada")), "Ada"),
                _ => assert!(single_line(&format!("{c}Ada"), 60).is_err()),
            }
        }
        let message = TextError::FormatCharacter('\u{202E}').message("name");
        assert!(message.contains("U+202E"), "{message}");
    }

    #[test]
    fn joiners_are_kept() {
        assert_eq!(accepted("a\u{200C}b\u{200D}c"), "a\u{200C}b\u{200D}c");
    }

    #[test]
    fn long_runs_of_combining_marks_are_refused() {
        // Four marks on one letter pass (none of these compose in NFC)…
        assert!(single_line("Zq\u{300}\u{316}\u{301}\u{317}lgo", 60).is_ok());
        // …five do not.
        assert_eq!(
            single_line("Zq\u{300}\u{316}\u{301}\u{317}\u{302}lgo", 60),
            Err(TextError::TooManyMarks)
        );
        assert!(single_line(&format!("Z{}", "\u{36B}".repeat(40)), 60).is_err());
    }

    #[test]
    fn an_unchanged_value_is_recognised_across_normalisations() {
        assert!(is_unchanged(" Nguyện ", "Nguye\u{302}\u{323}n"));
        assert!(is_unchanged("Ada\u{202E}x", "Ada\u{202E}x"));
        assert!(!is_unchanged("Ada", "Ada\u{200B}"));
    }
}
