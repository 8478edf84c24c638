//! Cookies: reading one from a request, and the one builder of every
//! `Set-Cookie` registrar sends (sessions, form tokens, flash messages).
//!
//! Every cookie is `HttpOnly` with `Path=/`, `SameSite=Lax` unless made
//! `Strict`, and `Secure` when the server is configured for HTTPS
//! (`--secure-cookies`): the flag is an argument of [`SetCookie::header`],
//! so no cookie can be built without deciding it. A name or value that is
//! not allowed in a cookie is an error, never an empty header.

use axum::http::{HeaderMap, HeaderValue, header};

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
}

/// Whether cookies are marked `Secure`: the server's setting, handed to the
/// middleware that sets cookies outside handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecureCookies(pub bool);

/// A `Set-Cookie` header to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    name: &'static str,
    value: String,
    max_age: Option<i64>,
    same_site: SameSite,
}

#[derive(Debug, thiserror::Error)]
#[error("cookie {name}: its name or value holds characters a cookie cannot carry")]
pub struct CookieError {
    name: &'static str,
}

impl SetCookie {
    /// A cookie that lasts until the browser closes (unless given a
    /// [`max_age`](Self::max_age)).
    pub fn new(name: &'static str, value: impl Into<String>) -> Self {
        SetCookie {
            name,
            value: value.into(),
            max_age: None,
            same_site: SameSite::Lax,
        }
    }

    /// Tells the browser to forget cookie `name`.
    pub fn removal(name: &'static str) -> Self {
        SetCookie::new(name, "").max_age(0)
    }

    pub fn max_age(mut self, seconds: i64) -> Self {
        self.max_age = Some(seconds.max(0));
        self
    }

    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The header value; `secure` is the server's `--secure-cookies`.
    pub fn header(&self, secure: bool) -> Result<HeaderValue, CookieError> {
        let error = CookieError { name: self.name };
        if self.name.is_empty() || !self.name.bytes().all(is_token_byte) {
            return Err(error);
        }
        if !self.value.bytes().all(is_cookie_octet) {
            return Err(error);
        }
        let mut text = format!("{}={}; Path=/", self.name, self.value);
        if let Some(seconds) = self.max_age {
            text.push_str(&format!("; Max-Age={seconds}"));
        }
        text.push_str(match self.same_site {
            SameSite::Lax => "; HttpOnly; SameSite=Lax",
            SameSite::Strict => "; HttpOnly; SameSite=Strict",
        });
        if secure {
            text.push_str("; Secure");
        }
        HeaderValue::from_str(&text).map_err(|_| error)
    }

    /// Appends the header to `headers`.
    pub fn append_to(&self, headers: &mut HeaderMap, secure: bool) -> Result<(), CookieError> {
        headers.append(header::SET_COOKIE, self.header(secure)?);
        Ok(())
    }
}

/// RFC 6265 `cookie-octet`: printable ASCII but `"`, `,`, `;`, `\`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// RFC 7230 `tchar`, what a cookie name is made of.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::{SameSite, SetCookie};

    #[test]
    fn every_cookie_is_http_only_and_secure_when_configured() {
        let cookie = SetCookie::new("registrar_session", "abc-_123").max_age(60);
        assert_eq!(
            cookie.header(false).unwrap(),
            "registrar_session=abc-_123; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            cookie.header(true).unwrap(),
            "registrar_session=abc-_123; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(
            SetCookie::removal("registrar_csrf")
                .same_site(SameSite::Strict)
                .header(true)
                .unwrap(),
            "registrar_csrf=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure"
        );
    }

    #[test]
    fn a_value_a_cookie_cannot_carry_is_an_error_not_an_empty_header() {
        for bad in ["a;b", "a b", "a,b", "é", "a\nb", "\"quoted\""] {
            assert!(SetCookie::new("x", bad).header(false).is_err(), "{bad:?}");
        }
        assert!(SetCookie::new("bad name", "v").header(false).is_err());
        assert!(SetCookie::new("", "v").header(false).is_err());
    }
}
