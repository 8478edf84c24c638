//! Reading a CSV file a row at a time, by the form's rules: the header
//! names the columns, each row is checked on its own, and nothing about a
//! row is guessed. What a spreadsheet does when it saves the file again
//! (a byte-order mark, CRLF, `;` between fields, quotes, the export's `'`
//! before a formula-looking cell, a GPA written `3,5`) is either read
//! exactly or refused with the line and field.
//!
//! - this file: opening a file and reading its records, with their lines;
//! - [`header`]: the header's dialect (`,` or `;`) and where the columns are;
//! - [`row`]: one record checked by the form's rules;
//! - [`cells`]: a cell's text: the export's `'` undone, what is kept of it;
//! - [`problems`]: what is wrong with a file, a row or a value.

pub mod cells;
pub mod header;
pub mod problems;
pub mod row;

use self::header::{Columns, columns, header_names, named_twice};
use self::problems::Rejected;
use self::row::{Row, check, unreadable};
use crate::domain::Field;

// The path the export's round-trip tests name (`parse::unneutralise`).
pub use self::cells::unneutralise;

/// Longest header line read (a header is a few column names).
const MAX_HEADER_BYTES: u64 = 64 * 1024;

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
            let required: Vec<&str> = Field::ALL
                .into_iter()
                .filter(|field| !field.is_optional_column())
                .map(Field::name)
                .collect();
            let (last, fields) = required.split_last().unwrap_or((&"", &[]));
            Rejected::whole_file(&format!(
                "The first line must name the columns, including {} and {last}.",
                fields.join(", ")
            ))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StudentValues;

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
