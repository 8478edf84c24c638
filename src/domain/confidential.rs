//! The directory-information hold (contract §15): a flag, `true`/`false` in
//! files and forms.

use super::text::trimmed;

const MESSAGE: &str = "Confidential is true or false (a file may leave the cell empty: false)";

/// Reads the flag: `true` or `false` in any case (Excel writes `TRUE`),
/// blank as `false` (an unticked checkbox sends nothing), or why not.
pub fn parse(input: &str) -> Result<bool, String> {
    let input = trimmed(input);
    if input.is_empty() || input.eq_ignore_ascii_case("false") {
        Ok(false)
    } else if input.eq_ignore_ascii_case("true") {
        Ok(true)
    } else {
        Err(MESSAGE.to_owned())
    }
}

/// The flag as files and forms write it.
pub fn text(confidential: bool) -> &'static str {
    if confidential { "true" } else { "false" }
}

#[cfg(test)]
mod tests {
    use super::{parse, text};

    #[test]
    fn true_and_false_in_any_case_and_blank_as_false() {
        for (input, flag) in [
            ("true", true),
            (" TRUE ", true),
            ("True", true),
            ("false", false),
            ("FALSE", false),
            ("", false),
            ("  ", false),
        ] {
            assert_eq!(parse(input), Ok(flag), "{input:?}");
        }
        for input in ["yes", "1", "on", "t", "truee", "true false"] {
            assert!(parse(input).is_err(), "{input:?}");
        }
        assert_eq!(text(true), "true");
        assert_eq!(parse(text(false)), Ok(false));
    }
}
