//! `GET /students.csv`: the list's matching rows as CSV (RFC 4180),
//! streamed a batch at a time so memory stays flat however many match.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::import::parse::cells::{NEUTRALISED, SEPARATORS};
use super::list::db as listing;
use super::list::query::{Cursor, ListQuery};
use super::values::HasValues;
use crate::access::{ExportTally, ViewKind, Witness};
use crate::auth::SignedIn;
use crate::db::entities::student::Listed;
use crate::domain::{Disclosure, Field};
use crate::http::query::QueryPairs;
use crate::state::AppState;
use sea_orm::DatabaseConnection;

const BATCH: u64 = 1_000;

/// The export's first line: `id`, the first release's fields by their form
/// names, `version`, `updated_at`, then the fields added since
/// (`student_number`, `confidential`), so a reader of older exports finds its columns
/// where they were (the import reads columns by name).
pub fn header() -> String {
    let names = |fields: Vec<Field>| fields.into_iter().map(Field::name).collect::<Vec<_>>();
    let (first, added) = columns();
    format!(
        "id,{},version,updated_at,{}\r\n",
        names(first).join(","),
        names(added).join(",")
    )
}

/// The fields of the first release, and those added since, in form order:
/// every CSV registrar writes puts the second after its first release's
/// columns.
pub fn columns() -> (Vec<Field>, Vec<Field>) {
    Field::ALL
        .into_iter()
        .partition(|field| !field.is_optional_column())
}

/// UTF-8's byte-order mark: the first bytes of an export for Excel, which
/// without it reads the file in the machine's legacy code page (`FernÃ¡ndez`).
/// The import accepts files with and without it.
pub const BYTE_ORDER_MARK: &str = "\u{FEFF}";

/// Who the file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavour {
    /// Plain UTF-8, for scripts and every other tool.
    #[default]
    Plain,
    /// With a byte-order mark, for Excel (`?excel=1`, `export --excel`).
    Excel,
}

impl Flavour {
    /// `excel=1` in the query asks for the Excel flavour.
    pub fn from_pairs(pairs: &QueryPairs) -> Flavour {
        match pairs.get("excel") {
            Some("1") => Flavour::Excel,
            _ => Flavour::Plain,
        }
    }

    fn header(self) -> String {
        match self {
            Flavour::Plain => header(),
            Flavour::Excel => format!("{BYTE_ORDER_MARK}{}", header()),
        }
    }
}

/// `GET /students.csv` (`?excel=1`: with a byte-order mark); recorded in
/// the access log with its query and the rows sent.
pub async fn export(
    State(state): State<AppState>,
    registrar: SignedIn,
    witness: Witness,
    pairs: QueryPairs,
) -> Response {
    let flavour = Flavour::from_pairs(&pairs);
    let body = Body::from_stream(stream(
        state.db.clone(),
        ListQuery::from_pairs(&pairs),
        flavour,
        registrar.disclosure(),
        Some(witness.export(ViewKind::Export)),
    ));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"students.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

/// The CSV of every student `query` matches, in its order, a batch at a
/// time: each batch starts after the last row of the one before, so memory
/// and the cost of a batch stay flat however many rows there are. A reader
/// whose `disclosure` withholds a confidential student's address gets its
/// cell empty (the `confidential` column says why), and their search does
/// not match on it. The rows sent are counted in `tally`, when given.
pub fn stream(
    db: DatabaseConnection,
    query: ListQuery,
    flavour: Flavour,
    disclosure: Disclosure,
    tally: Option<Arc<ExportTally>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let first = ListQuery {
        page: 1,
        per_page: BATCH,
        cursor: None,
        ..query
    };
    let header = stream::iter([Ok(Bytes::from(flavour.header()))]);
    let batches = stream::unfold(Some(first), move |next| {
        let (db, tally) = (db.clone(), tally.clone());
        async move {
            let query = next?;
            match listing::rows(&db, &query, disclosure).await {
                Ok((rows, _, _)) if rows.is_empty() => None,
                Ok((rows, _, has_next)) => {
                    if let Some(tally) = tally {
                        tally.add(rows.len());
                    }
                    let mut chunk = String::with_capacity(rows.len() * 64);
                    for row in &rows {
                        write_row(&mut chunk, row, disclosure);
                    }
                    let next = rows.last().filter(|_| has_next).map(|last| ListQuery {
                        cursor: Some(Cursor::After(last.id)),
                        ..query.clone()
                    });
                    Some((Ok(Bytes::from(chunk)), next))
                }
                Err(err) => {
                    tracing::error!(error = %err, "CSV export stopped");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    stream::StreamExt::chain(header, batches)
}

pub(crate) fn write_row(out: &mut String, student: &Listed, disclosure: Disclosure) {
    let updated_at = student
        .updated_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (first, added) = columns();
    let value = |field: Field| match disclosure.withholds(field, student.confidential) {
        true => String::new(),
        false => cell(&student.text(field)),
    };
    let cells: Vec<String> = std::iter::once(student.id.to_string())
        .chain(first.into_iter().map(value))
        .chain([student.version.to_string(), updated_at])
        .chain(added.into_iter().map(value))
        .collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// One text cell: a formula character where a spreadsheet could start a
/// cell (the value's start, or after any of [`SEPARATORS`], since some
/// locales separate with `;`) is neutralised with `'` so a spreadsheet
/// shows the text instead of running it (and a `'` there is doubled, so
/// the import's undoing of it is exact), and the cell is quoted when it
/// holds a separator of any dialect, a quote or a line break.
pub fn cell(value: &str) -> String {
    let mut neutralised = String::with_capacity(value.len() + 2);
    let mut at_start = true;
    for c in value.chars() {
        if at_start && NEUTRALISED.contains(&c) {
            neutralised.push('\'');
        }
        neutralised.push(c);
        at_start = SEPARATORS.contains(&c);
    }
    if neutralised.contains(SEPARATORS) {
        format!("\"{}\"", neutralised.replace('"', "\"\""))
    } else {
        neutralised
    }
}

#[cfg(test)]
mod tests {
    use super::{cell, header, write_row};
    use crate::domain::{Address, Disclosure, Name};
    use crate::students::import::parse;
    use crate::students::store::Student;
    use proptest::prelude::*;

    /// The characters the domain's rules care about: formula starters, the
    /// export's own `'`, separators, quotes, spaces, letters of several
    /// scripts and a combining mark.
    fn text() -> impl Strategy<Value = String> {
        let alphabet: Vec<char> = "'=+-@,;\" aZé字ا0\u{301}9.".chars().collect();
        proptest::collection::vec(proptest::sample::select(alphabet), 1..12)
            .prop_map(|chars| chars.into_iter().collect())
    }

    fn student(name: String, address: String, gpa: i16, number: Option<String>) -> Student {
        let at = chrono::Utc::now();
        Student {
            id: 7,
            name,
            address,
            gpa_hundredths: gpa,
            search_key: String::new(),
            student_number: number,
            confidential: false,
            version: 3,
            chain_head: String::new(),
            created_at: at,
            updated_at: at,
            updated_by: "ada".into(),
            deleted_at: None,
            deleted_by: None,
        }
    }

    proptest! {
        /// Export and import are exact inverses for every value the form
        /// accepts.
        #[test]
        fn export_then_import_gives_back_every_value(
            name in text(),
            address in text(),
            gpa in 0_i16..=400,
            number in proptest::option::of("[A-Z0-9-]{1,20}"),
        ) {
            let (Ok(name), Ok(address)) = (Name::parse(&name), Address::parse(&address)) else {
                return Ok(());
            };
            let stored = student(name.to_string(), address.to_string(), gpa, number.clone());
            let mut file = header();
            write_row(&mut file, &(&stored).into(), Disclosure::Full);
            let rows: Vec<_> = parse::open(file.as_bytes()).unwrap().collect();
            prop_assert_eq!(rows.len(), 1);
            let fields = rows[0].checked.as_ref().unwrap();
            prop_assert_eq!(fields.name.as_str(), stored.name.as_str());
            prop_assert_eq!(fields.address.as_str(), stored.address.as_str());
            prop_assert_eq!(i32::from(fields.gpa.hundredths()), i32::from(gpa));
            prop_assert_eq!(fields.number.as_ref().map(ToString::to_string), number);
            prop_assert_eq!((rows[0].id, rows[0].version), (Some(7), Some(3)));
        }
    }

    #[test]
    fn a_value_that_starts_with_a_quote_round_trips() {
        assert_eq!(cell("'=RoundTrip"), "''=RoundTrip");
        assert_eq!(parse::unneutralise(&cell("'=RoundTrip")), "'=RoundTrip");
        assert_eq!(parse::unneutralise(&cell("'plain")), "'plain");
    }

    #[test]
    fn cells_are_quoted_per_rfc_4180() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(cell("=1+2"), "'=1+2");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("=HYPERLINK(\"x\",1)"), "\"'=HYPERLINK(\"\"x\"\",1)\"");
    }

    #[test]
    fn formulas_behind_any_separator_are_quoted_and_neutralised() {
        let exported = cell("a;=cmd|' /C calc'!A0;b");
        assert_eq!(exported, "\"a;'=cmd|' /C calc'!A0;b\"");
        assert_eq!(cell("x\ty"), "\"x\ty\"");
        assert_eq!(cell("a;b"), "\"a;b\"");
        assert_eq!(cell("1 Main St, Springfield"), "\"1 Main St, Springfield\"");
        for value in ["a;=cmd|' /C calc'!A0;b", "a,-1", "x;'=y", "p\"@q"] {
            let cell = cell(value);
            let inner = &cell[1..cell.len() - 1].replace("\"\"", "\"");
            assert_eq!(parse::unneutralise(inner), value, "{cell}");
        }
    }
}
