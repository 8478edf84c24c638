use super::{KEY_CHARS, fold, search_key, trigrams, unicode_fold, words};

#[test]
fn latin_letters_lose_case_and_marks() {
    assert_eq!(fold("García"), "garcia");
    assert_eq!(fold("MÜLLER"), "muller");
    assert_eq!(fold("Müller"), fold("MULLER"));
    assert_eq!(fold("Øystein Łukasiewicz"), "oystein lukasiewicz");
    assert_eq!(fold("Straße"), "strasse");
    assert_eq!(fold("STRASSE"), "strasse");
    assert_eq!(fold("Ærøskøbing"), "aeroskobing");
    assert_eq!(fold("Œuvre Đorđe"), "oeuvre dorde");
    assert_eq!(fold("Işık"), "isik");
    assert_eq!(fold("İstanbul"), "istanbul");
    // Decomposed input folds as composed input does.
    assert_eq!(fold("Garci\u{301}a"), "garcia");
}

#[test]
fn greek_and_cyrillic_lose_marks_and_case() {
    assert_eq!(fold("Ελένη Παπαδοπούλου"), "ελενη παπαδοπουλου");
    assert_eq!(fold("ΟΔΥΣΣΕΥΣ"), "οδυσσευσ");
    assert_eq!(fold("Οδυσσεύς"), "οδυσσευσ");
    assert_eq!(fold("Алёна Ёлкина"), "алена елкина");
    assert_eq!(fold("ЙОРК"), fold("йорк"));
}

#[test]
fn scripts_whose_marks_carry_meaning_keep_them() {
    // Arabic: the vowel marks stay; case does not exist.
    assert_eq!(fold("مُحَمَّد"), "مُحَمَّد");
    assert_ne!(fold("مُحَمَّد"), fold("محمد"));
    // Devanagari: the virama and vowel signs stay; the joiner goes.
    assert_eq!(fold("क्\u{200D}ष"), "क्ष");
    assert_eq!(fold("प्रिया"), "प्रिया");
    // Hebrew points stay.
    assert_eq!(fold("שָׁלוֹם"), "שָׁלוֹם");
}

#[test]
fn format_characters_and_spacing_go() {
    assert_eq!(fold("\u{2068}Ada Lovelace\u{2069}"), "ada lovelace");
    assert_eq!(fold("  Ada \t Lovelace  "), "ada lovelace");
    assert_eq!(fold("\u{FEFF}Ada\u{200B}"), "ada");
    assert_eq!(fold("Ａｄａ ﬁne"), "ada fine");
    assert_eq!(fold("100% _x_"), "100% _x_");
}

#[test]
fn a_search_is_words() {
    assert_eq!(words("  Lovelace   ADA "), ["lovelace", "ada"]);
    assert_eq!(words("\u{2068}García\u{2069}"), ["garcia"]);
    assert!(words(" \u{200B} ").is_empty());
}

#[test]
fn a_key_holds_each_part_on_a_line() {
    assert_eq!(
        search_key("Ada Lovelace", "12 Rue d'Été", Some("S-0042")),
        "ada lovelace\n12 rue d'ete\ns-0042"
    );
    assert_eq!(search_key("Ada", "Paris", None), "ada\nparis");
    let long = search_key(&"ﷺ".repeat(30), "x", None);
    assert_eq!(long.chars().count(), KEY_CHARS);
}

#[test]
fn trigrams_are_distinct_characters_without_white_space() {
    assert_eq!(
        trigrams("ana\nbanana"),
        ["ana", "ban", "nan"].map(str::to_owned)
    );
    assert_eq!(trigrams("łód ź"), ["łód"].map(str::to_owned));
    assert!(trigrams("ab").is_empty());
    assert!(trigrams("a b\nc").is_empty());
}

#[test]
fn ascii_folds_as_the_unicode_steps_fold_it() {
    // Every ASCII character, alone and beside every other one.
    for a in 0_u8..128 {
        for b in 0_u8..128 {
            let text = String::from_utf8(vec![a, b]).unwrap();
            assert_eq!(fold(&text), unicode_fold(&text), "{text:?}");
        }
    }
    // Longer texts, from a fixed sequence: runs of every kind of space,
    // capitals, digits, punctuation and control characters.
    let mut state = 0x2545_f491_u32;
    for _ in 0..2_000 {
        let text: String = (0..40)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                char::from(((state >> 16) % 128) as u8)
            })
            .collect();
        assert_eq!(fold(&text), unicode_fold(&text), "{text:?}");
    }
    assert_eq!(fold(" Ada\t\x0bLOVELACE \r\n"), "ada lovelace");
}
