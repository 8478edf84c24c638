//! `GET /changes.csv`: the log's entries as CSV, the same as its pages
//! show them, streamed a batch at a time (each batch starts below the last
//! entry of the one before), so memory stays flat however long the log.
//!
//! Columns, by name: `at` (UTC, RFC 3339), `by`, `action`, `student_id`,
//! `student_name` and `student_number` (the record's now), `version`, `import_id`, `rows`
//! (an import's entry: the rows it wrote), `reason`, then for every field
//! `<field>_old` and `<field>_new` (empty both when the change left it;
//! `_old` empty for a record's first version). Text cells are quoted and
//! made formula-safe as the export's are ([`cell`]).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use sea_orm::DatabaseConnection;

use super::db::{self, Position, Scope};
use super::entries::{self, Entry};
use crate::access::ExportTally;
use crate::domain::{Disclosure, Field};
use crate::students::export::cell;
use crate::students::store::Action;

/// Both cells of a change whose values are withheld from the reader (a
/// confidential student's address, contract §15): it changed, to what is
/// not said.
pub const WITHHELD: &str = "(withheld)";

/// Entries a batch reads.
const BATCH: u64 = 500;

/// The file's first line.
pub fn header() -> String {
    let fields: Vec<String> = Field::ALL
        .into_iter()
        .flat_map(|f| [format!("{}_old", f.name()), format!("{}_new", f.name())])
        .collect();
    format!(
        "at,by,action,student_id,student_name,student_number,version,import_id,rows,reason,{}\r\n",
        fields.join(",")
    )
}

/// The CSV of every entry in `scope`, as a reader with `disclosure` sees
/// them, as a response; the entries sent are counted in `tally`.
pub fn response(
    db: DatabaseConnection,
    scope: Scope,
    disclosure: Disclosure,
    tally: Arc<ExportTally>,
) -> Response {
    let header = stream::iter([Ok::<_, std::io::Error>(Bytes::from(header()))]);
    let batches = stream::unfold(Some(None::<Position>), move |next| {
        let (db, scope, tally) = (db.clone(), scope.clone(), Arc::clone(&tally));
        async move {
            let before = next?;
            match batch(&db, &scope, before, disclosure).await {
                Ok((chunk, _)) if chunk.is_empty() => None,
                Ok((chunk, last)) => {
                    tally.add(chunk.entries);
                    Some((Ok(Bytes::from(chunk.text)), last.map(Some)))
                }
                Err(err) => {
                    tracing::error!(error = %err, "change log CSV stopped");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"changes.csv\"",
            ),
        ],
        Body::from_stream(stream::StreamExt::chain(header, batches)),
    )
        .into_response()
}

/// Lines of the file, and how many entries they hold.
struct Chunk {
    text: String,
    entries: usize,
}

impl Chunk {
    fn is_empty(&self) -> bool {
        self.entries == 0
    }
}

/// The lines of the entries below `before`, and the position of the last
/// when more may follow.
async fn batch(
    db: &DatabaseConnection,
    scope: &Scope,
    before: Option<Position>,
    disclosure: Disclosure,
) -> Result<(Chunk, Option<Position>), sea_orm::DbErr> {
    let rows = db::rows(db, scope, before, BATCH).await?;
    let last = rows
        .last()
        .filter(|_| rows.len() as u64 == BATCH)
        .map(db::Row::position);
    let mut text = String::with_capacity(rows.len() * 96);
    let entries = entries::entries(db, rows, disclosure).await?;
    for entry in &entries {
        write_entry(&mut text, entry);
    }
    let entries = entries.len();
    Ok((Chunk { text, entries }, last))
}

fn write_entry(out: &mut String, entry: &Entry) {
    let iso = |at: &chrono::DateTime<chrono::Utc>| {
        at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    let cells: Vec<String> = match entry {
        Entry::Change(c) => {
            let mut cells = vec![
                iso(&c.at),
                cell(&c.registrar),
                c.action.to_string(),
                c.student.id.to_string(),
                cell(&c.student.name),
                c.student.number.as_deref().map(cell).unwrap_or_default(),
                c.version.to_string(),
                c.import_id.as_deref().map(cell).unwrap_or_default(),
                String::new(),
                c.reason.as_deref().map(cell).unwrap_or_default(),
            ];
            for field in Field::ALL {
                match c.changes.iter().find(|change| change.field == field) {
                    Some(change) if change.withheld => {
                        cells.extend([WITHHELD.to_owned(), WITHHELD.to_owned()]);
                    }
                    Some(change) => {
                        cells.push(change.old.as_deref().map(cell).unwrap_or_default());
                        cells.push(cell(&change.new));
                    }
                    None => cells.extend([String::new(), String::new()]),
                }
            }
            cells
        }
        Entry::Import(i) => {
            let mut cells = vec![
                iso(&i.at),
                cell(&i.registrar),
                Action::Imported.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                cell(&i.import_id),
                i.rows.to_string(),
                String::new(),
            ];
            cells.extend(
                Field::ALL
                    .into_iter()
                    .flat_map(|_| [String::new(), String::new()]),
            );
            cells
        }
    };
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::header;

    #[test]
    fn the_header_names_every_field_old_and_new() {
        assert_eq!(
            header(),
            "at,by,action,student_id,student_name,student_number,version,import_id,rows,reason,\
             name_old,name_new,student_number_old,student_number_new,address_old,address_new,\
             gpa_old,gpa_new,confidential_old,confidential_new\r\n"
        );
    }
}
