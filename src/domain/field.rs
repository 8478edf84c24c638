//! The editable fields of a student, named once: every form, CSV column,
//! error message and comparison is keyed on [`Field`], never on a string.

use std::collections::BTreeMap;

use super::{Address, Gpa, Name, StudentNumber, confidential};

/// One editable field of a student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Name,
    /// The institution's student number (optional).
    Number,
    Address,
    Gpa,
    /// A directory-information hold: viewers never see the address.
    Confidential,
}

impl Field {
    /// Every field, in the order forms show them.
    pub const ALL: [Field; 5] = [
        Field::Name,
        Field::Number,
        Field::Address,
        Field::Gpa,
        Field::Confidential,
    ];

    /// The name forms and CSV files use: `name`, `student_number`,
    /// `address`, `gpa`, `confidential`.
    pub fn name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Number => "student_number",
            Field::Address => "address",
            Field::Gpa => "gpa",
            Field::Confidential => "confidential",
        }
    }

    /// The field named `name`, exactly.
    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }

    /// How pages label it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "Name",
            Field::Number => "Student number",
            Field::Address => "Address",
            Field::Gpa => "GPA",
            Field::Confidential => "Confidential",
        }
    }

    /// Its place in [`Field::ALL`] (and in every array kept in that order).
    pub fn index(self) -> usize {
        Field::ALL
            .iter()
            .position(|field| *field == self)
            .unwrap_or_default()
    }

    /// Whether its input takes a decimal number (the GPA's does).
    pub fn is_decimal(self) -> bool {
        match self {
            Field::Gpa => true,
            Field::Name | Field::Number | Field::Address | Field::Confidential => false,
        }
    }

    /// Whether it is a flag (a checkbox on forms, `true`/`false` in files).
    pub fn is_flag(self) -> bool {
        self == Field::Confidential
    }

    /// Whether `text` (as [`Field::check`] writes it) is the field's blank
    /// value: empty, or `false` for a flag.
    pub fn is_blank(self, text: &str) -> bool {
        text.is_empty() || (self.is_flag() && text == "false")
    }

    /// Whether a confidential student's value is withheld from those who do
    /// not see confidential records (contract §15): the address.
    pub fn is_withheld_by_hold(self) -> bool {
        self == Field::Address
    }

    /// Whether a file may leave its column out: a field added after the
    /// CSV's first release (an older export has no such column, and
    /// importing it leaves the field as it is). The export writes these
    /// after `updated_at`; they are optional on forms too.
    pub fn is_optional_column(self) -> bool {
        match self {
            Field::Number | Field::Confidential => true,
            Field::Name | Field::Address | Field::Gpa => false,
        }
    }

    /// Checks `input` by the field's rule: the value as it would be stored,
    /// in its canonical spelling (trimmed; a GPA with two decimals), or the
    /// message that says why not.
    pub fn check(self, input: &str) -> Result<String, String> {
        match self {
            Field::Name => Name::parse(input).map(|v| v.to_string()),
            Field::Address => Address::parse(input).map(|v| v.to_string()),
            Field::Gpa => Gpa::parse(input).map(|v| v.to_string()),
            Field::Number => {
                StudentNumber::parse(input).map(|v| v.map(|n| n.to_string()).unwrap_or_default())
            }
            Field::Confidential => confidential::parse(input).map(|v| confidential::text(v).into()),
        }
    }
}

/// A set of fields: say, the optional columns a file leaves out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldSet(u8);

impl FieldSet {
    /// `self` with `field` in it.
    pub fn with(self, field: Field) -> FieldSet {
        FieldSet(self.0 | 1 << field.index())
    }

    pub fn contains(self, field: Field) -> bool {
        self.0 & 1 << field.index() != 0
    }

    /// Its fields, in form order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL
            .into_iter()
            .filter(move |field| self.contains(*field))
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(fields: I) -> Self {
        fields.into_iter().fold(FieldSet::default(), FieldSet::with)
    }
}

/// One message per field that failed its rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<Field, String>);

impl FieldErrors {
    pub fn get(&self, field: Field) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps `message` as the field's message (the first one wins).
    pub fn add(&mut self, field: Field, message: String) {
        self.0.entry(field).or_insert(message);
    }

    /// In the order forms show their fields.
    pub fn in_form_order(&self) -> impl Iterator<Item = (Field, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (*field, message.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::Field;

    #[test]
    fn every_field_is_found_by_its_name() {
        for field in Field::ALL {
            assert_eq!(Field::parse(field.name()), Some(field));
        }
        assert_eq!(Field::parse("Name"), None);
        assert_eq!(Field::parse("file"), None);
    }

    #[test]
    fn a_set_holds_what_was_put_in() {
        let set: super::FieldSet = [Field::Number, Field::Confidential].into_iter().collect();
        assert!(set.contains(Field::Confidential) && !set.contains(Field::Name));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Field::Number, Field::Confidential]
        );
        assert_eq!(super::FieldSet::default().iter().count(), 0);
    }

    #[test]
    fn checking_gives_the_canonical_spelling() {
        assert_eq!(Field::Gpa.check(" 3.5 ").unwrap(), "3.50");
        assert_eq!(Field::Name.check(" Ada ").unwrap(), "Ada");
        assert!(Field::Address.check("").is_err());
    }
}
