//! The header of a CSV file: the names it gives the columns, read with
//! `,` or `;`, and where the columns this import reads are.

use crate::domain::Field;

/// Where the columns are.
#[derive(Debug, Clone, Copy)]
pub(super) struct Columns {
    pub(super) width: usize,
    /// Each field's column, in the order of [`Field::ALL`] (`None`: an
    /// optional column the file does not have).
    fields: [Option<usize>; Field::ALL.len()],
    pub(super) id: Option<usize>,
    pub(super) version: Option<usize>,
}

impl Columns {
    /// The column of `field`, if the file has it.
    pub(super) fn at(&self, field: Field) -> Option<usize> {
        self.fields[field.index()]
    }
}

/// The columns this import reads: `id`, `version` and every field's.
fn known_columns() -> impl Iterator<Item = &'static str> {
    ["id", "version"]
        .into_iter()
        .chain(Field::ALL.map(Field::name))
}

/// The names in `header` read with `separator`.
pub(super) fn header_names(header: &[u8], separator: u8) -> Option<csv::ByteRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(separator)
        .from_reader(header);
    reader.byte_records().next()?.ok()
}

/// Whether the header's `name` is the column `wanted` (any case, spaces
/// around it ignored).
fn is_named(name: &[u8], wanted: &str) -> bool {
    std::str::from_utf8(name).is_ok_and(|name| name.trim().eq_ignore_ascii_case(wanted))
}

/// The first of the columns this import reads that `names` holds twice.
pub(super) fn named_twice(names: &csv::ByteRecord) -> Option<&'static str> {
    known_columns().find(|wanted| names.iter().filter(|name| is_named(name, wanted)).count() > 1)
}

/// Where the columns are among the header's `names`.
pub(super) fn columns(names: &csv::ByteRecord) -> Option<Columns> {
    let find = |wanted: &str| names.iter().position(|name| is_named(name, wanted));
    let mut fields = [None; Field::ALL.len()];
    for field in Field::ALL {
        let at = find(field.name());
        if at.is_none() && !field.is_optional_column() {
            return None;
        }
        fields[field.index()] = at;
    }
    Some(Columns {
        width: names.len(),
        fields,
        id: find("id"),
        version: find("version"),
    })
}
