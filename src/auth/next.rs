//! Where a sign-in goes next: the `next` a form or query carries, kept
//! only when it is a path on this site.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Bytes re-escaped in a `next` path so it is a valid `Location`.
const LOCATION_UNSAFE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');

/// `next` if it is a path on this site: it starts with one `/` and nothing
/// a browser could read as another host (`//host`, `/\host`, tabs or line
/// breaks that browsers drop, a scheme).
pub fn safe_next(next: &str) -> Option<String> {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
        && next.len() <= 2000;
    local.then(|| utf8_percent_encode(next, LOCATION_UNSAFE).to_string())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next("/students/3/edit").as_deref(),
            Some("/students/3/edit")
        );
        assert_eq!(
            safe_next("/students?q=a%20b").as_deref(),
            Some("/students?q=a%20b")
        );
        assert_eq!(
            safe_next("/students?q=é").as_deref(),
            Some("/students?q=%C3%A9")
        );
        for bad in [
            "",
            "students",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            " /students",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
