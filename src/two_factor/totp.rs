//! Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 6 digits, 30 s),
//! by `totp-rs`; the enrolment's `otpauth://` URI and its QR code.

use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Seconds of a step.
pub const STEP_SECONDS: u64 = 30;
/// Steps before and after the current one whose codes are accepted (a
/// phone's clock a little off, a code typed as it changed).
const SKEW: u16 = 1;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;
/// Shown in authenticator apps beside the username.
const ISSUER: &str = "Registrar";

/// An account's shared secret, as the pages show it: base32, unpadded.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedSecret(String);

impl std::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedSecret(…)")
    }
}

impl SharedSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        let mut bytes = [0_u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
        SharedSecret(Secret::from(bytes.to_vec()).to_base32())
    }

    /// A secret as a form sent it back: base32 of exactly 160 bits.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = Secret::try_from_base32(text.trim()).ok()?;
        (bytes.len() == SECRET_BYTES).then(|| SharedSecret(text.trim().to_owned()))
    }

    /// As stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Shown in groups of four, easier to type into an app.
    pub fn grouped(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn totp(&self, account: &str) -> Option<Totp> {
        let bytes = Secret::try_from_base32(&self.0).ok()?;
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW)
            .with_step_duration(STEP_SECONDS)
            .with_secret(bytes.to_vec())
            .with_issuer(Some(ISSUER))
            .with_account_name(account.replace(':', "_"))
            .build()
            .ok()
    }

    /// The step whose code `code` is, at Unix time `now` (the step before
    /// and after included), or `None`.
    pub fn step_of(&self, code: &str, now: u64) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != usize::from(DIGITS) || !code.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        self.totp("")?.check(&code, now)
    }

    /// `otpauth://totp/Registrar:USERNAME?secret=…&issuer=Registrar`.
    pub fn uri(&self, username: &str) -> Option<String> {
        self.totp(username)?.to_url().ok()
    }

    /// The URI as a QR code: an `<svg>` element to put in a page as it is
    /// (it holds only numbers and fixed words), described for screen
    /// readers.
    pub fn qr_svg(&self, username: &str) -> Option<String> {
        let uri = self.uri(username)?;
        let image = QrCode::new(uri.as_bytes())
            .ok()?
            .render::<svg::Color>()
            .min_dimensions(200, 200)
            .build();
        let start = image.find("<svg ")?;
        Some(image[start..].replacen(
            "<svg ",
            "<svg role=\"img\" aria-label=\"QR code of the secret, for an authenticator app\" ",
            1,
        ))
    }
}

/// Unix time now, in seconds.
pub fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 rows (8 digits, the ASCII secret
    /// "12345678901234567890").
    #[test]
    fn the_rfc_6238_test_vectors_hold() {
        let rfc = Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(8)
            .with_step_duration(30)
            .with_secret(b"12345678901234567890".to_vec())
            .build()
            .unwrap();
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        let ours = SharedSecret(Secret::from(b"12345678901234567890".to_vec()).to_base32());
        for (time, expected) in vectors {
            assert_eq!(rfc.generate(time).to_string(), expected, "T = {time}");
            // Six digits are the last six of the eight (the same truncation).
            let six = &expected[2..];
            assert_eq!(ours.step_of(six, time), Some(time / 30), "T = {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let secret = SharedSecret(Secret::from(b"12345678901234567890".to_vec()).to_base32());
        let totp = secret.totp("x").unwrap();
        let now = 1_800_000_000;
        let step = now / 30;
        for (offset, accepted) in [
            (-2_i64, false),
            (-1, true),
            (0, true),
            (1, true),
            (2, false),
        ] {
            let at = (now as i64 + offset * 30) as u64;
            let code = totp.generate(at).to_string();
            let expected = accepted.then(|| (step as i64 + offset) as u64);
            assert_eq!(secret.step_of(&code, now), expected, "offset {offset}");
        }
        assert_eq!(secret.step_of("12345", now), None);
        assert_eq!(secret.step_of("abcdef", now), None);
    }

    #[test]
    fn the_uri_and_qr_code_carry_the_secret() {
        let secret = SharedSecret::generate();
        assert_eq!(secret.as_str().len(), 32);
        assert_eq!(SharedSecret::parse(secret.as_str()), Some(secret.clone()));
        assert_eq!(SharedSecret::parse("NOTBASE32!"), None);
        assert_eq!(SharedSecret::parse("MFRGG"), None);
        let uri = secret.uri("ada").unwrap();
        assert_eq!(
            uri,
            format!(
                "otpauth://totp/Registrar:ada?secret={}&issuer=Registrar",
                secret.as_str()
            )
        );
        let svg = secret.qr_svg("ada").unwrap();
        assert!(svg.starts_with("<svg role=\"img\""), "{svg:.60}");
        assert!(svg.ends_with("</svg>"));
    }
}
