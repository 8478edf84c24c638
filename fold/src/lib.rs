//! Search folding (docs/contract.md §12): the one function that turns a
//! name, an address, a student number or a search into the form search
//! compares, so `garcia` finds `García`, `MULLER` finds `Müller` and
//! `ada  lovelace` finds `Ada Lovelace` on every backend alike.
//!
//! It is a crate of its own because the migration that rewrites the
//! stored search keys must fold exactly as the app does.
//!
//! Folding, in order:
//! 1. NFKC (compatibility forms: `ﬁ` → `fi`, full-width `Ａ` → `A`);
//! 2. format characters (general category Cf: the bidi isolates a page
//!    wraps names in, zero-width joiners, the byte-order mark) removed;
//! 3. lower case, letter by letter (so a final `Σ` is `σ`, as any other;
//!    `ς` is `σ` too);
//! 4. combining marks removed from Latin, Greek and Cyrillic letters
//!    (`é` → `e`, `ά` → `α`, `ё` → `е`); scripts whose marks carry meaning
//!    (Arabic, Hebrew, the Indic scripts…) keep them;
//! 5. the letters that do not decompose: `ł`→`l`, `ø`→`o`, `ß`→`ss`,
//!    `æ`→`ae`, `œ`→`oe`, `đ`→`d`, `ı`→`i`, `ð`→`d`, `þ`→`th`, `ħ`→`h`;
//! 6. NFC again, and every run of white space one space, trimmed.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// The most characters a search key keeps (the column's width); folding
/// can lengthen text (`ß` → `ss`, `ﷺ` → 18 letters), and what lies beyond
/// is not searchable.
pub const KEY_CHARS: usize = 400;

/// Separates a key's parts: white space, so never inside a search word,
/// and a word never matches across two parts.
const PART_SEPARATOR: char = '\n';

/// `text` folded for search.
pub fn fold(text: &str) -> String {
    // ASCII has nothing to normalise, no format characters and no marks,
    // and its lower case is its own: most names and addresses, and every
    // save that writes them, take this path.
    if text.is_ascii() {
        return one_spaced(&text.to_ascii_lowercase());
    }
    unicode_fold(text)
}

/// [`fold`] of any text, step by step.
fn unicode_fold(text: &str) -> String {
    let lowered: String = text
        .nfkc()
        .filter(|c| c.general_category() != GeneralCategory::Format)
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect();
    let mut unmarked = String::with_capacity(lowered.len());
    let mut base_sheds_marks = false;
    for c in lowered.nfd() {
        if c.general_category_group() == GeneralCategoryGroup::Mark {
            if !base_sheds_marks {
                unmarked.push(c);
            }
            continue;
        }
        base_sheds_marks = sheds_marks(c);
        match undecomposed(c) {
            Some(letters) => unmarked.push_str(letters),
            None => unmarked.push(c),
        }
    }
    one_spaced(&unmarked.nfc().collect::<String>())
}

/// `text` with every run of white space one space, trimmed.
fn one_spaced(text: &str) -> String {
    let mut spaced = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !spaced.is_empty() {
            spaced.push(' ');
        }
        spaced.push_str(word);
    }
    spaced
}

/// A search's words, folded: each must be found in a key.
pub fn words(search: &str) -> Vec<String> {
    fold(search)
        .split(' ')
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The search key of a student: its folded name, address and number, one
/// line each, at most [`KEY_CHARS`] characters. It starts with the folded
/// name, so the list sorts by name on it.
pub fn search_key(name: &str, address: &str, number: Option<&str>) -> String {
    let mut key = fold(name);
    key.push(PART_SEPARATOR);
    key.push_str(&fold(address));
    if let Some(number) = number {
        key.push(PART_SEPARATOR);
        key.push_str(&fold(number));
    }
    match key.char_indices().nth(KEY_CHARS) {
        Some((end, _)) => key[..end].to_owned(),
        None => key,
    }
}

/// The distinct trigrams (three consecutive characters) of `text` that
/// hold no white space, in the order they first appear: what MariaDB's
/// search postings hold of a key (a word of a search has no space, so a
/// trigram across one is never asked for), and what a search looks up of
/// a word. Characters, not bytes, as SQL's `SUBSTRING(key, i, 3)`.
pub fn trigrams(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut seen = std::collections::HashSet::new();
    chars
        .windows(3)
        .filter(|window| !window.iter().any(|c| c.is_whitespace()))
        .map(|window| window.iter().collect::<String>())
        .filter(|gram| seen.insert(gram.clone()))
        .collect()
}

/// Whether marks on `c` are dropped: Latin, Greek and Cyrillic letters.
fn sheds_marks(c: char) -> bool {
    matches!(c,
        'a'..='z' | 'A'..='Z'
        | '\u{00C0}'..='\u{024F}' // Latin-1 letters, Latin Extended-A and -B
        | '\u{0250}'..='\u{02AF}' // IPA
        | '\u{1D00}'..='\u{1DBF}' // phonetic extensions
        | '\u{1E00}'..='\u{1EFF}' // Latin Extended Additional
        | '\u{2C60}'..='\u{2C7F}' // Latin Extended-C
        | '\u{A720}'..='\u{A7FF}' // Latin Extended-D
        | '\u{AB30}'..='\u{AB6F}' // Latin Extended-E
        | '\u{0370}'..='\u{03FF}' // Greek
        | '\u{1F00}'..='\u{1FFF}' // Greek Extended
        | '\u{0400}'..='\u{052F}' // Cyrillic and its supplement
        | '\u{1C80}'..='\u{1C8F}' // Cyrillic Extended-C
        | '\u{2DE0}'..='\u{2DFF}' // Cyrillic Extended-A
        | '\u{A640}'..='\u{A69F}' // Cyrillic Extended-B
    )
}

/// Lower-case letters with no decomposition, and what they fold to.
fn undecomposed(c: char) -> Option<&'static str> {
    Some(match c {
        'ł' => "l",
        'ø' => "o",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'đ' => "d",
        'ı' => "i",
        'ð' => "d",
        'þ' => "th",
        'ħ' => "h",
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
