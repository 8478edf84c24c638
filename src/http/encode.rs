//! Values written into the query of an address the pages link to.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Kept as they are: letters, digits and RFC 3986's other unreserved
/// characters (usernames and import ids are mostly made of them).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `value`, percent-encoded for a query string (`grace@uni` →
/// `grace%40uni`).
pub fn query_value(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::query_value;

    #[test]
    fn unreserved_characters_stay_and_the_rest_is_encoded() {
        assert_eq!(query_value("a.b_c-d~e"), "a.b_c-d~e");
        assert_eq!(query_value("grace@uni &x=1"), "grace%40uni%20%26x%3D1");
    }
}
