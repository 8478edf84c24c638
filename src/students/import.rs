//! CSV import: every row checked by the same rules as the form, and all of
//! it created in one transaction, or none of it.

use sea_orm::{DatabaseConnection, DbErr};

use super::bulk;
use super::store::Action;
use crate::db::begin_write;
use crate::domain::{Address, Gpa, Name, StudentFields};

/// How many problems are listed; the rest are counted.
pub const LISTED_PROBLEMS: usize = 100;

/// One thing wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the file.
    pub line: u64,
    /// `name`, `address`, `gpa`, or `file` for the file as a whole.
    pub field: &'static str,
    pub message: String,
}

/// Why a file cannot be imported: the first [`LISTED_PROBLEMS`] problems
/// and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub problems: Vec<Problem>,
    pub total: usize,
}

impl Rejected {
    fn whole_file(message: &str) -> Self {
        Rejected {
            problems: vec![Problem {
                line: 1,
                field: "file",
                message: message.to_owned(),
            }],
            total: 1,
        }
    }
}

/// Reads a CSV file with a header row naming (in any order, any case) the
/// columns `name`, `address` and `gpa`; other columns (such as those of
/// registrar's own export) are ignored. A leading `'` that the export put
/// before a formula character is removed again.
pub fn parse(bytes: &[u8]) -> Result<Vec<StudentFields>, Rejected> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers = match reader.byte_headers() {
        Ok(headers) => headers.clone(),
        Err(_) => return Err(Rejected::whole_file("The file is not a CSV file.")),
    };
    let column = |wanted: &str| {
        headers.iter().position(|h| {
            std::str::from_utf8(h).is_ok_and(|h| h.trim().eq_ignore_ascii_case(wanted))
        })
    };
    let (Some(name_at), Some(address_at), Some(gpa_at)) =
        (column("name"), column("address"), column("gpa"))
    else {
        return Err(Rejected::whole_file(
            "The first line must name the columns, including name, address and gpa.",
        ));
    };

    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut total = 0_usize;
    let mut note = |problem: Problem| {
        total += 1;
        if problems.len() < LISTED_PROBLEMS {
            problems.push(problem);
        }
    };
    for record in reader.byte_records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, csv::Position::line);
                note(Problem {
                    line,
                    field: "file",
                    message: "This line is not valid CSV.".to_owned(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if record
            .iter()
            .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
        {
            continue;
        }
        let mut cell = |at: usize, field: &'static str| -> Option<String> {
            match std::str::from_utf8(record.get(at).unwrap_or_default()) {
                Ok(text) => Some(unneutralise(text).to_owned()),
                Err(_) => {
                    note(Problem {
                        line,
                        field,
                        message: "This value is not valid UTF-8 text.".to_owned(),
                    });
                    None
                }
            }
        };
        let (name, address, gpa) = (
            cell(name_at, "name"),
            cell(address_at, "address"),
            cell(gpa_at, "gpa"),
        );
        let name = name.map(|v| Name::parse(&v).map_err(|m| (line, "name", m)));
        let address = address.map(|v| Address::parse(&v).map_err(|m| (line, "address", m)));
        let gpa = gpa.map(|v| Gpa::parse(&v).map_err(|m| (line, "gpa", m)));
        match (name, address, gpa) {
            (Some(Ok(name)), Some(Ok(address)), Some(Ok(gpa))) => {
                rows.push(StudentFields { name, address, gpa })
            }
            (name, address, gpa) => {
                for (line, field, message) in [
                    name.and_then(Result::err),
                    address.and_then(Result::err),
                    gpa.and_then(Result::err),
                ]
                .into_iter()
                .flatten()
                {
                    note(Problem {
                        line,
                        field,
                        message,
                    });
                }
            }
        }
    }
    if total > 0 {
        return Err(Rejected { problems, total });
    }
    if rows.is_empty() {
        return Err(Rejected::whole_file("The file has no students in it."));
    }
    Ok(rows)
}

/// Undoes the export's formula neutralising: `'=x` reads as `=x`.
fn unneutralise(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => text,
    }
}

/// Creates every row as a student with an "imported" revision by
/// `registrar`, in one transaction. Returns how many were created.
pub async fn import(
    db: &DatabaseConnection,
    rows: &[StudentFields],
    registrar: &str,
) -> Result<usize, DbErr> {
    let txn = begin_write(db).await?;
    let ids = bulk::insert(&txn, rows, registrar, Action::Imported, crate::db::now()).await?;
    txn.commit().await?;
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_the_three_columns_is_read_in_any_order() {
        let rows = parse(b"\xEF\xBB\xBFGPA,Name,Address,extra\r\n3.5,Ada,\"1 Main St, Apt 2\",x\n4,'=Bob,'-2 Elm St,\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].address.as_str(), "1 Main St, Apt 2");
        assert_eq!(rows[1].name.as_str(), "=Bob");
        assert_eq!(rows[1].address.as_str(), "-2 Elm St");
        assert_eq!(rows[1].gpa.hundredths(), 400);
    }

    #[test]
    fn every_bad_value_is_reported_with_its_line_and_field() {
        let rejected =
            parse(b"name,address,gpa\nAda,1 Main St,3\n,2 Elm St,9\nBob,,x\n").unwrap_err();
        let found: Vec<_> = rejected
            .problems
            .iter()
            .map(|p| (p.line, p.field))
            .collect();
        assert_eq!(found, [(3, "name"), (3, "gpa"), (4, "address"), (4, "gpa")]);
        assert_eq!(rejected.total, 4);
    }

    #[test]
    fn problems_beyond_the_first_hundred_are_counted() {
        let mut file = String::from("name,address,gpa\n");
        for _ in 0..250 {
            file.push_str("Ada,1 Main St,nope\n");
        }
        let rejected = parse(file.as_bytes()).unwrap_err();
        assert_eq!(rejected.problems.len(), LISTED_PROBLEMS);
        assert_eq!(rejected.total, 250);
    }

    #[test]
    fn files_without_the_columns_or_rows_are_refused() {
        assert_eq!(
            parse(b"first,last\nAda,L\n").unwrap_err().problems[0].field,
            "file"
        );
        assert!(parse(b"name,address,gpa\n").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"name,address,gpa\n\xff,1 Main St,3\n").is_err());
    }
}
