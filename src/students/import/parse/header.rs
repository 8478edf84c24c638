//! The header of a CSV file: the names it gives the columns, read with
//! `,` or `;`, and where the columns this import reads are.

/// Where the columns are.
#[derive(Debug, Clone, Copy)]
pub(super) struct Columns {
    pub(super) width: usize,
    pub(super) name: usize,
    pub(super) address: usize,
    pub(super) gpa: usize,
    pub(super) id: Option<usize>,
    pub(super) version: Option<usize>,
}

/// The columns this import reads.
const KNOWN_COLUMNS: [&str; 5] = ["id", "name", "address", "gpa", "version"];

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
    KNOWN_COLUMNS
        .into_iter()
        .find(|wanted| names.iter().filter(|name| is_named(name, wanted)).count() > 1)
}

/// Where the columns are among the header's `names`.
pub(super) fn columns(names: &csv::ByteRecord) -> Option<Columns> {
    let find = |wanted: &str| names.iter().position(|name| is_named(name, wanted));
    Some(Columns {
        width: names.len(),
        name: find("name")?,
        address: find("address")?,
        gpa: find("gpa")?,
        id: find("id"),
        version: find("version"),
    })
}
