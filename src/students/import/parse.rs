//! Reading a CSV file a row at a time, by the form's rules: the header
//! names the columns, each row is checked on its own, and nothing about a
//! row is guessed. What a spreadsheet does when it saves the file again
//! (a byte-order mark, CRLF, `;` between fields, quotes, the export's `'`
//! before a formula-looking cell, a GPA written `3,5`) is either read
//! exactly or refused with the line and field.

use std::borrow::Cow;

use crate::domain::{Field, FieldErrors, StudentValues};

/// How many problems are listed; the rest are counted.
pub const LISTED_PROBLEMS: usize = 100;

/// Longest text kept of a value that did not pass its check.
const KEPT_CHARS: usize = 200;

/// Longest header line read (a header is a few column names).
const MAX_HEADER_BYTES: u64 = 64 * 1024;

/// What a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemAt {
    /// One value of a row.
    Field(Field),
    /// The `id` column.
    Id,
    /// The `version` column.
    Version,
    /// The file as a whole, or a line that is not CSV.
    File,
}

impl ProblemAt {
    /// The word of the problem table's "Field" column.
    pub fn label(self) -> &'static str {
        match self {
            ProblemAt::Field(field) => field.label(),
            ProblemAt::Id => "Id",
            ProblemAt::Version => "Version",
            ProblemAt::File => "File",
        }
    }

    /// The column's name, as the CLI and stored rows say it: `name`, …,
    /// `id`, `version` or `file`.
    pub fn name(self) -> &'static str {
        match self {
            ProblemAt::Field(field) => field.name(),
            ProblemAt::Id => "id",
            ProblemAt::Version => "version",
            ProblemAt::File => "file",
        }
    }

    /// The inverse of [`ProblemAt::name`].
    pub fn from_name(name: &str) -> Self {
        match name {
            "id" => ProblemAt::Id,
            "version" => ProblemAt::Version,
            other => Field::parse(other).map_or(ProblemAt::File, ProblemAt::Field),
        }
    }
}

/// One thing wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the file.
    pub line: u64,
    pub at: ProblemAt,
    pub message: String,
}

impl Problem {
    /// A problem of the file as a whole.
    pub fn of_file(message: &str) -> Self {
        Problem {
            line: 1,
            at: ProblemAt::File,
            message: message.to_owned(),
        }
    }
}

/// Why a file cannot be read at all: the first [`LISTED_PROBLEMS`]
/// problems and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub problems: Vec<Problem>,
    pub total: usize,
}

impl Rejected {
    pub fn whole_file(message: &str) -> Self {
        Rejected {
            problems: vec![Problem::of_file(message)],
            total: 1,
        }
    }
}

/// One row of the file, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line it starts on, from 1 (the header).
    pub line: u64,
    pub id: Option<i64>,
    pub version: Option<i64>,
    /// The values by the form's rules, or every problem of the row.
    pub checked: Result<StudentValues, Vec<Problem>>,
    /// The values as read (name, address, gpa), cut to a few hundred
    /// characters, NUL shown as ␀: what an invalid row shows.
    pub raw: [String; 3],
}

/// Where the columns are.
#[derive(Debug, Clone, Copy)]
struct Columns {
    width: usize,
    name: usize,
    address: usize,
    gpa: usize,
    id: Option<usize>,
    version: Option<usize>,
}

/// The rows of a CSV file, read one at a time: memory holds one row (and
/// the reader's buffer) besides the file, however long the file is.
pub struct Rows<'a> {
    file: &'a [u8],
    records: csv::ByteRecordsIntoIter<&'a [u8]>,
    columns: Columns,
    /// Lines before byte `counted_to` of the file (for each row's line).
    lines: u64,
    counted_to: usize,
}

/// Opens `file`: reads the header (after a byte-order mark), decides the
/// separator (`;` only when the header names the columns with `;` and not
/// with `,`) and finds the columns. A file without the three columns is
/// refused whole.
pub fn open(file: &[u8]) -> Result<Rows<'_>, Rejected> {
    let file = file.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(file);
    if file.is_empty() {
        return Err(Rejected::whole_file("The file is empty."));
    }
    let header_end = file
        .iter()
        .position(|&b| b == b'\n')
        .map_or(file.len(), |at| at + 1);
    if header_end as u64 > MAX_HEADER_BYTES {
        return Err(Rejected::whole_file(
            "The first line is too long to be a header naming the columns.",
        ));
    }
    let header = &file[..header_end];
    let (separator, names, columns) = [b',', b';']
        .into_iter()
        .find_map(|sep| {
            let names = header_names(header, sep)?;
            let columns = columns(&names)?;
            Some((sep, names, columns))
        })
        .ok_or_else(|| {
            Rejected::whole_file(
                "The first line must name the columns, including name, address and gpa.",
            )
        })?;
    if let Some(twice) = named_twice(&names) {
        return Err(Rejected::whole_file(&format!(
            "The first line names the column “{twice}” more than once: keep one, so that \
             it is clear which values to import."
        )));
    }
    let reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(separator)
        // Rows of another width are refused by `check`, with their line.
        .flexible(true)
        .from_reader(file);
    Ok(Rows {
        file,
        records: reader.into_byte_records(),
        columns,
        lines: 0,
        counted_to: 0,
    })
}

impl Rows<'_> {
    /// The line (from 1) of a record that starts at byte `at` of the file
    /// (the reader may place it on the line break before it, after a CR).
    fn line_at(&mut self, at: usize) -> u64 {
        let mut at = at.min(self.file.len()).max(self.counted_to);
        while self
            .file
            .get(at)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            at += 1;
        }
        self.lines += self.file[self.counted_to..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.counted_to = at;
        self.lines + 1
    }
}

/// The columns this import reads.
const KNOWN_COLUMNS: [&str; 5] = ["id", "name", "address", "gpa", "version"];

/// The names in `header` read with `separator`.
fn header_names(header: &[u8], separator: u8) -> Option<csv::ByteRecord> {
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
fn named_twice(names: &csv::ByteRecord) -> Option<&'static str> {
    KNOWN_COLUMNS
        .into_iter()
        .find(|wanted| names.iter().filter(|name| is_named(name, wanted)).count() > 1)
}

/// Where the columns are among the header's `names`.
fn columns(names: &csv::ByteRecord) -> Option<Columns> {
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

impl Iterator for Rows<'_> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        loop {
            let record = match self.records.next()? {
                Ok(record) => record,
                Err(err) => {
                    let at = err
                        .position()
                        .map_or(self.counted_to, |p| p.byte() as usize);
                    let line = self.line_at(at);
                    return Some(unreadable(line, "This line is not valid CSV."));
                }
            };
            let at = record
                .position()
                .map_or(self.counted_to, |p| p.byte() as usize);
            let line = self.line_at(at);
            if record
                .iter()
                .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            return Some(check(&record, line, self.columns));
        }
    }
}

fn unreadable(line: u64, message: &str) -> Row {
    Row {
        line,
        id: None,
        version: None,
        checked: Err(vec![Problem {
            line,
            at: ProblemAt::File,
            message: message.to_owned(),
        }]),
        raw: Default::default(),
    }
}

/// Checks one record.
fn check(record: &csv::ByteRecord, line: u64, columns: Columns) -> Row {
    let cell = |at: usize| record.get(at).unwrap_or_default();
    let text = |at: usize| String::from_utf8_lossy(cell(at)).into_owned();
    let raw = [columns.name, columns.address, columns.gpa].map(|at| keep(&text(at)));
    let mut problems = Vec::new();
    let mut note = |at: ProblemAt, message: String| {
        problems.push(Problem { line, at, message });
    };
    if record.len() != columns.width {
        let more = record.len() > columns.width;
        note(
            ProblemAt::File,
            format!(
                "This line has {} fields but the header names {}{}. Nothing was guessed: \
                 quote a value that holds the separator, and write a GPA like 3.5.",
                record.len(),
                columns.width,
                if more { "" } else { " (some are missing)" },
            ),
        );
    }
    let number = |at: Option<usize>| -> Result<Option<i64>, ()> {
        let Some(at) = at else { return Ok(None) };
        let cell = std::str::from_utf8(cell(at)).map_err(|_| ())?.trim();
        if cell.is_empty() {
            return Ok(None);
        }
        match cell.parse::<i64>() {
            Ok(n) if n >= 1 && cell.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err(()),
        }
    };
    let id = number(columns.id).unwrap_or_else(|()| {
        note(
            ProblemAt::Id,
            "The id must be a student's number, as the export wrote it.".to_owned(),
        );
        None
    });
    let id_given = columns
        .id
        .is_some_and(|at| !cell(at).iter().all(u8::is_ascii_whitespace));
    let version = number(columns.version).unwrap_or_else(|()| {
        note(
            ProblemAt::Version,
            "The version must be a whole number from 1, as the export wrote it.".to_owned(),
        );
        None
    });
    let version_given = columns
        .version
        .is_some_and(|at| !cell(at).iter().all(u8::is_ascii_whitespace));
    if !id_given && version_given {
        note(
            ProblemAt::Version,
            "A row without an id creates a student, so it must not have a version.".to_owned(),
        );
    }
    if id.is_some() && !version_given {
        note(
            ProblemAt::Version,
            "A row with an id updates that student and needs the version it was exported at."
                .to_owned(),
        );
    }
    let value = |field: Field| -> Result<Cow<'_, str>, String> {
        let at = match field {
            Field::Name => columns.name,
            Field::Address => columns.address,
            Field::Gpa => columns.gpa,
        };
        std::str::from_utf8(cell(at))
            .map(unneutralise)
            .map_err(|err| {
                format!(
                    "This value is not valid UTF-8 text (byte {} of the value). \
                     Save the file as “CSV UTF-8”.",
                    err.valid_up_to() + 1
                )
            })
    };
    // A GPA with a decimal comma is unambiguous once it is one cell.
    let gpa_text = value(Field::Gpa).map(|gpa| decimal_point(&gpa).into_owned());
    let (name, address) = (value(Field::Name), value(Field::Address));
    let parsed = StudentValues::parse(|field| match field {
        Field::Gpa => gpa_text.as_deref().map_err(Clone::clone),
        Field::Name => name.as_deref().map_err(Clone::clone),
        Field::Address => address.as_deref().map_err(Clone::clone),
    });
    let fields = match parsed {
        Ok(fields) => Some(fields),
        Err(errors) => {
            add_field_errors(&errors, &mut note);
            None
        }
    };
    let checked = match fields {
        Some(fields) if problems.is_empty() => Ok(fields),
        _ => Err(problems),
    };
    Row {
        line,
        id,
        version,
        checked,
        raw,
    }
}

fn add_field_errors(errors: &FieldErrors, note: &mut impl FnMut(ProblemAt, String)) {
    for (field, message) in errors.in_form_order() {
        note(ProblemAt::Field(field), message.to_owned());
    }
}

/// `3,5` as `3.5`: one comma, no point, digits around it. Anything else
/// stays as written, for the GPA's rule to judge.
fn decimal_point(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    match trimmed.split_once(',') {
        Some((whole, fraction))
            if !whole.is_empty()
                && !fraction.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{whole}.{fraction}").into()
        }
        _ => text.into(),
    }
}

/// A value kept for showing: cut to [`KEPT_CHARS`], NUL as the visible ␀
/// (PostgreSQL text cannot hold U+0000).
pub fn keep(value: &str) -> String {
    value
        .chars()
        .take(KEPT_CHARS)
        .map(|c| if c == '\0' { '\u{2400}' } else { c })
        .collect()
}

/// The characters before which the export puts a `'` where a spreadsheet
/// could start a cell ([`SEPARATORS`]): those it would run as a formula,
/// and `'` itself (so that a value with `'` there survives the round-trip).
pub const NEUTRALISED: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// The characters after which a spreadsheet may start a new cell, in some
/// locale or dialect (`;` where the decimal separator is a comma), besides
/// the start of the value: a formula could start after each.
pub const SEPARATORS: [char; 6] = [';', ',', '"', '\t', '\r', '\n'];

/// Undoes the export's formula neutralising: at the start of the value
/// and after each of [`SEPARATORS`], `'=x` reads as `=x` and `''x` as
/// `'x`; any other `'` is part of the value.
pub fn unneutralise(text: &str) -> Cow<'_, str> {
    let mut at_start = true;
    let mut chars = text.chars().peekable();
    if !text.contains('\'') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    while let Some(c) = chars.next() {
        let exported_quote =
            at_start && c == '\'' && chars.peek().is_some_and(|next| NEUTRALISED.contains(next));
        if !exported_quote {
            out.push(c);
        }
        at_start = !exported_quote && SEPARATORS.contains(&c);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(file: &[u8]) -> Vec<Row> {
        open(file).unwrap().collect()
    }

    fn valid(row: &Row) -> &StudentValues {
        row.checked.as_ref().unwrap_or_else(|p| panic!("{p:?}"))
    }

    fn problems(row: &Row) -> Vec<(u64, &'static str)> {
        row.checked
            .as_ref()
            .unwrap_err()
            .iter()
            .map(|p| (p.line, p.at.name()))
            .collect()
    }

    #[test]
    fn a_file_with_the_three_columns_is_read_in_any_order() {
        let rows = rows(b"\xEF\xBB\xBFGPA,Name,Address,extra\r\n3.5,Ada,\"1 Main St, Apt 2\",x\n4,'=Bob,'-2 Elm St,\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(valid(&rows[0]).address.as_str(), "1 Main St, Apt 2");
        assert_eq!(valid(&rows[1]).name.as_str(), "=Bob");
        assert_eq!(valid(&rows[1]).address.as_str(), "-2 Elm St");
        assert_eq!(valid(&rows[1]).gpa.hundredths(), 400);
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
    }

    #[test]
    fn every_bad_value_is_reported_with_its_line_and_field() {
        let rows = rows(b"name,address,gpa\nAda,1 Main St,3\n,2 Elm St,9\nBob,,x\n");
        assert!(rows[0].checked.is_ok());
        assert_eq!(problems(&rows[1]), [(3, "name"), (3, "gpa")]);
        assert_eq!(problems(&rows[2]), [(4, "address"), (4, "gpa")]);
    }

    #[test]
    fn a_semicolon_file_with_decimal_commas_is_read_exactly() {
        let rows = rows(
            b"id;name;address;gpa;version\r\n7;Ada;1 Main St, Apt 2;3,5;2\r\n;\"Bo;b\";x;4;\r\n",
        );
        assert_eq!(valid(&rows[0]).gpa.hundredths(), 350);
        assert_eq!(valid(&rows[0]).address.as_str(), "1 Main St, Apt 2");
        assert_eq!((rows[0].id, rows[0].version), (Some(7), Some(2)));
        assert_eq!(valid(&rows[1]).name.as_str(), "Bo;b");
    }

    #[test]
    fn an_unquoted_decimal_comma_is_refused_never_misread() {
        let rows = rows(b"name,address,gpa\nAda,1 Main St,3,5\nBob,2 Elm St,\"3,5\"\n");
        assert_eq!(problems(&rows[0]), [(2, "file")]);
        assert_eq!(valid(&rows[1]).gpa.hundredths(), 350);
        let short = super::tests::rows(b"name,address,gpa,extra\nAda,1 Main St,3\n");
        assert_eq!(problems(&short[0]), [(2, "file")]);
    }

    #[test]
    fn ids_and_versions_go_together() {
        let rows = rows(b"id,version,name,address,gpa\n,3,Ada,1 Main St,3\n4,,Ada,1 Main St,3\nx,1,Ada,1 Main St,3\n5,0,Ada,1 Main St,3\n6,2,Ada,1 Main St,3\n");
        assert_eq!(problems(&rows[0]), [(2, "version")]);
        assert_eq!(problems(&rows[1]), [(3, "version")]);
        assert_eq!(problems(&rows[2])[0], (4, "id"));
        assert_eq!(problems(&rows[3]), [(5, "version")]);
        assert_eq!((rows[4].id, rows[4].version), (Some(6), Some(2)));
    }

    #[test]
    fn any_byte_is_handled_with_a_line_and_field() {
        let rows = rows(b"name,address,gpa,notes\n\xff,1 Main St,3,\x00\nA\x00,1 Main St,3,x\n");
        assert_eq!(problems(&rows[0]), [(2, "name")]);
        assert_eq!(problems(&rows[1]), [(3, "name")]);
        assert_eq!(rows[1].raw[0], "A\u{2400}");
        for byte in 0..=255_u8 {
            let file = [b"name,address,gpa\nA".as_slice(), &[byte], b",B,3\n"].concat();
            let _ = open(&file).map(Iterator::count);
        }
    }

    #[test]
    fn files_without_the_columns_are_refused() {
        assert!(open(b"first,last\nAda,L\n").is_err());
        let twice = open(b"name,address,gpa,Name\nAda,x,3,Eve\n").err().unwrap();
        assert!(
            twice.problems[0].message.contains("“name”"),
            "{:?}",
            twice.problems
        );
        assert!(open(b"id,name,address,gpa,version,id\n").is_err());
        assert!(open(b"name,address,gpa,notes,notes\nAda,x,3,a,b\n").is_ok());
        assert!(open(b"").is_err());
        assert!(rows(b"name,address,gpa\n").is_empty());
    }

    #[test]
    fn a_quote_that_is_not_the_exports_stays() {
        assert_eq!(unneutralise("'=x"), "=x");
        assert_eq!(unneutralise("''=x"), "'=x");
        assert_eq!(unneutralise("'abc"), "'abc");
        assert_eq!(unneutralise("''"), "'");
        assert_eq!(
            unneutralise("a;'=cmd|' /C calc'!A0;b"),
            "a;=cmd|' /C calc'!A0;b"
        );
        assert_eq!(unneutralise("a,'-b;c'=d"), "a,-b;c'=d");
    }
}
