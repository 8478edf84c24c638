//! What is wrong with a file: each problem with its line and what it is
//! about (a value, the id, the version, the file), and a file refused whole.

use crate::domain::Field;

/// How many problems are listed; the rest are counted.
pub const LISTED_PROBLEMS: usize = 100;

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
