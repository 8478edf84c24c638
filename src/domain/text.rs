//! The rule shared by single-line text fields.

/// Why a piece of single-line text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong { max: usize },
    ControlCharacter,
}

/// Trims `input` and checks it is 1..=`max` Unicode scalar values with no
/// control characters (so it is also a single line).
pub fn single_line(input: &str, max: usize) -> Result<String, TextError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return Err(TextError::ControlCharacter);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    Ok(trimmed.to_owned())
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
        }
    }
}
