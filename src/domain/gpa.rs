use std::fmt;

/// A grade point average from 0.00 to 4.00, kept exactly as hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gpa(u16);

const MESSAGE: &str = "Enter a GPA from 0 to 4.00 with at most two decimal places, like 3.67";

impl Gpa {
    pub const MAX_HUNDREDTHS: u16 = 400;

    /// Accepts `3`, `3.5`, `3.67` (surrounding spaces ignored); refuses
    /// signs, exponents, more than two decimals and anything above 4.00.
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.trim();
        if input.is_empty() {
            return Err("Enter the student's GPA".to_owned());
        }
        let (whole, fraction) = input.split_once('.').unwrap_or((input, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let well_formed = !whole.is_empty()
            && whole.len() <= 3
            && digits(whole)
            && fraction.len() <= 2
            && digits(fraction)
            && !(input.contains('.') && fraction.is_empty());
        if !well_formed {
            return Err(MESSAGE.to_owned());
        }
        // At most three digits each side of the point: no overflow in u32.
        let whole: u32 = whole.parse().map_err(|_| MESSAGE.to_owned())?;
        let fraction: u32 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<u32>().map_err(|_| MESSAGE.to_owned())? * 10,
            _ => fraction.parse().map_err(|_| MESSAGE.to_owned())?,
        };
        u16::try_from(whole * 100 + fraction)
            .ok()
            .and_then(Self::from_hundredths)
            .ok_or_else(|| MESSAGE.to_owned())
    }

    pub fn from_hundredths(hundredths: u16) -> Option<Self> {
        (hundredths <= Self::MAX_HUNDREDTHS).then_some(Gpa(hundredths))
    }

    pub fn hundredths(self) -> u16 {
        self.0
    }
}

/// Always two decimals: `3.50`.
impl fmt::Display for Gpa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // At most 4.00 (the type holds no more): one digit, a point, two
        // digits, written without `format!` (fifty a list page).
        let digit = |value: u16| char::from_digit(u32::from(value % 10), 10).unwrap_or('0');
        [digit(self.0 / 100), '.', digit(self.0 / 10), digit(self.0)]
            .into_iter()
            .try_for_each(|c| fmt::Write::write_char(f, c))
    }
}

#[cfg(test)]
mod tests {
    use super::Gpa;

    #[test]
    fn the_documented_inputs_are_accepted_exactly() {
        for (input, hundredths) in [
            ("3", 300),
            ("3.5", 350),
            ("3.67", 367),
            (" 3.67 ", 367),
            ("0", 0),
            ("0.00", 0),
            ("4", 400),
            ("4.00", 400),
            ("004.0", 400),
        ] {
            assert_eq!(
                Gpa::parse(input).unwrap().hundredths(),
                hundredths,
                "{input:?}"
            );
        }
    }

    #[test]
    fn the_documented_rejections_are_refused() {
        for input in [
            "3.675", "4.01", "-0.5", "abc", "NaN", "inf", "1e0", "", "   ", "+3", "3.", ".5",
            "3,5", "5", "1000", "3.5.1", "٣", "0x1", "3 .5", "656", "655.36", "659", "700",
            "999.99", "4.1",
        ] {
            assert!(Gpa::parse(input).is_err(), "{input:?} was accepted");
        }
    }

    #[test]
    fn display_has_two_decimals() {
        assert_eq!(Gpa::parse("3.5").unwrap().to_string(), "3.50");
        assert_eq!(Gpa::parse("0").unwrap().to_string(), "0.00");
        assert_eq!(Gpa::parse("3.07").unwrap().to_string(), "3.07");
        for hundredths in 0..=400 {
            let gpa = Gpa::from_hundredths(hundredths).unwrap();
            let written = format!("{}.{:02}", hundredths / 100, hundredths % 100);
            assert_eq!(gpa.to_string(), written);
        }
    }
}
