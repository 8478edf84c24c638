//! Reading a CSV file: every row checked by the same rules as the form,
//! and all of it created in one transaction, or none of it.

use sea_orm::{DatabaseConnection, DbErr};

use crate::cluster::retry;
use crate::db::begin_write;
use crate::domain::{Field, StudentFields};
use crate::students::store::{Action, bulk};

/// How many problems are listed; the rest are counted.
pub const LISTED_PROBLEMS: usize = 100;

/// What a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemAt {
    /// One value of a row.
    Field(Field),
    /// The file as a whole, or a line that is not CSV.
    File,
}

impl ProblemAt {
    /// The word of the problem table's "Field" column (and of the CLI).
    pub fn label(self) -> &'static str {
        match self {
            ProblemAt::Field(field) => field.label(),
            ProblemAt::File => "File",
        }
    }

    /// The column's name, as the CLI reports it: `name`, …, or `file`.
    pub fn name(self) -> &'static str {
        match self {
            ProblemAt::Field(field) => field.name(),
            ProblemAt::File => "file",
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
            problems: vec![Problem::of_file(message)],
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
    let column = |field: Field| {
        headers.iter().position(|h| {
            std::str::from_utf8(h).is_ok_and(|h| h.trim().eq_ignore_ascii_case(field.name()))
        })
    };
    let (Some(name_at), Some(address_at), Some(gpa_at)) = (
        column(Field::Name),
        column(Field::Address),
        column(Field::Gpa),
    ) else {
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
                    at: ProblemAt::File,
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
        let at = |field: Field| match field {
            Field::Name => name_at,
            Field::Address => address_at,
            Field::Gpa => gpa_at,
        };
        let text = |field: Field| {
            std::str::from_utf8(record.get(at(field)).unwrap_or_default())
                .map(unneutralise)
                .map_err(|_| "This value is not valid UTF-8 text.".to_owned())
        };
        match StudentFields::parse(text) {
            Ok(fields) => rows.push(fields),
            Err(errors) => {
                for (field, message) in errors.in_form_order() {
                    note(Problem {
                        line,
                        at: ProblemAt::Field(field),
                        message: message.to_owned(),
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
    retry::write("import", || async {
        let txn = begin_write(db).await?;
        let ids = bulk::insert(&txn, rows, registrar, Action::Imported, crate::db::now()).await?;
        txn.commit().await?;
        Ok(ids.len())
    })
    .await
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
        let found: Vec<_> = rejected.problems.iter().map(|p| (p.line, p.at)).collect();
        let at = ProblemAt::Field;
        assert_eq!(
            found,
            [
                (3, at(Field::Name)),
                (3, at(Field::Gpa)),
                (4, at(Field::Address)),
                (4, at(Field::Gpa))
            ]
        );
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
            parse(b"first,last\nAda,L\n").unwrap_err().problems[0].at,
            ProblemAt::File
        );
        assert!(parse(b"name,address,gpa\n").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"name,address,gpa\n\xff,1 Main St,3\n").is_err());
    }
}
