//! `registrar demo`, `registrar export`, `registrar import`.

use std::io::Write;
use std::path::Path;

use futures_util::StreamExt;
use sea_orm::DatabaseConnection;

use super::import::check::{self, CheckError};
use super::import::job::{self, StartError};
use super::import::refused::NotImported;
use super::import::{LISTED_PROBLEMS, Problem, store};
use super::list::query::{ListQuery, Sort};
use super::store as students;
use super::{demo, export};
use crate::auth::writer::{self, WriteRefused};
use crate::db::entities::import_row::{RowOutcome, RowResult};
use crate::domain::{Disclosure, Role};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum StudentsCommandError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

pub async fn demo(
    db: &DatabaseConnection,
    students: u64,
    seed: u64,
    append: bool,
) -> Result<(), StudentsCommandError> {
    let step = (students / 10).max(1);
    let report = demo::fill(db, students, seed, append, |done| {
        if done % step == 0 || done == students {
            eprintln!("  {done} of {students} students");
        }
    })
    .await
    .map_err(|err| match err {
        demo::DemoError::Database(err) => StudentsCommandError::Database(err),
        other => StudentsCommandError::Refused(other.to_string()),
    })?;
    println!(
        "Created {} demo students (seed {seed}) in {:.1} s",
        report.students,
        report.elapsed.as_secs_f64()
    );
    Ok(())
}

pub async fn export(
    db: &DatabaseConnection,
    q: &str,
    sort: &str,
    output: Option<&Path>,
    flavour: export::Flavour,
) -> Result<(), StudentsCommandError> {
    let sort = Sort::parse(sort).ok_or_else(|| {
        StudentsCommandError::Refused(format!(
            "unknown sort {sort:?}: use name, -name, gpa, -gpa, updated or -updated"
        ))
    })?;
    let query = ListQuery {
        q: q.trim().to_owned(),
        sort,
        ..ListQuery::default()
    };
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut chunks = std::pin::pin!(export::stream(
        db.clone(),
        query,
        flavour,
        Disclosure::Full,
        None
    ));
    while let Some(chunk) = chunks.next().await {
        out.write_all(&chunk?)?;
    }
    out.flush()?;
    Ok(())
}

pub async fn import(
    db: &DatabaseConnection,
    file: &Path,
    registrar: &str,
    all_or_nothing: bool,
) -> Result<(), StudentsCommandError> {
    let refused = |message: String| StudentsCommandError::Refused(message);
    writer::recheck_named(db, registrar, Role::Registrar)
        .await
        .map_err(|err| match err {
            WriteRefused::Database(err) => StudentsCommandError::Database(err),
            other => refused(format!(
                "nothing was imported: --as {registrar:?} must name an enabled account that may change records ({other})"
            )),
        })?;
    let bytes = std::fs::read(file)?;
    let started = std::time::Instant::now();
    let filename = file
        .file_name()
        .map_or_else(|| "import.csv".into(), |n| n.to_string_lossy());
    let id = match check::check_and_store(db, registrar, &filename, bytes.into()).await {
        Ok(id) => id,
        Err(CheckError::Database(err)) => return Err(err.into()),
        Err(CheckError::TooMany) => {
            return Err(refused(format!(
                "nothing was imported: {registrar} has {} imports waiting for a confirm in the \
                 browser; confirm or wait out one of them first",
                crate::students::import::store::PENDING_PER_REGISTRAR
            )));
        }
        Err(CheckError::Interrupted) => {
            return Err(refused(
                "nothing was imported: the check of the file was interrupted".to_owned(),
            ));
        }
        Err(CheckError::Refused(rejected)) => {
            let mut message = format!(
                "nothing was imported: {} problem{} in {}",
                rejected.total,
                if rejected.total == 1 { "" } else { "s" },
                file.display()
            );
            for problem in &rejected.problems {
                message.push_str(&problem_line(problem));
            }
            return Err(refused(message));
        }
    };
    let counts = store::counts(db, &id).await?;
    let count = |o: RowOutcome| counts.get(&o).copied().unwrap_or(0);
    println!(
        "{}: {} to create, {} to update, {} unchanged, {} conflict, {} deleted, {} unknown, {} invalid",
        file.display(),
        count(RowOutcome::Create),
        count(RowOutcome::Update),
        count(RowOutcome::Unchanged),
        count(RowOutcome::Conflict),
        count(RowOutcome::Deleted),
        count(RowOutcome::Unknown),
        count(RowOutcome::Invalid),
    );
    // Invalid and unknown rows are refused like stale ones (contract §12),
    // except by all or nothing, which could then only write nothing.
    let dirty = count(RowOutcome::Invalid) + count(RowOutcome::Unknown);
    if all_or_nothing && dirty > 0 {
        let mut message = format!(
            "nothing was imported: all or nothing, and {dirty} row{} invalid or unknown",
            if dirty == 1 { " is" } else { "s are" }
        );
        let rows = store::rows_with(
            db,
            &id,
            &[RowOutcome::Invalid, RowOutcome::Unknown],
            LISTED_PROBLEMS as u64,
        )
        .await?;
        for row in &rows {
            if row.outcome == RowOutcome::Unknown {
                message.push_str(&format!(
                    "\n  line {}, id: there is no student {}",
                    row.line,
                    row.student_id.unwrap_or_default()
                ));
            }
            for problem in store::problems(row) {
                message.push_str(&problem_line(&problem));
            }
        }
        store::discard(db, &id).await?;
        return Err(refused(message));
    }
    let import = store::get(db, &id)
        .await?
        .ok_or(DbErr::RecordNotFound(id.clone()))?;
    let lease = job::start(db, &import, all_or_nothing)
        .await
        .map_err(|err| match err {
            StartError::Database(err) => StudentsCommandError::Database(err),
            other => refused(format!("nothing was imported: {other}")),
        })?;
    job::run(db.clone(), id.clone(), lease).await;
    let done = store::get(db, &id)
        .await?
        .ok_or(DbErr::RecordNotFound(id.clone()))?;
    println!(
        "Imported {}: {} written, {} refused, in {:.1} s",
        file.display(),
        done.written,
        done.refused,
        started.elapsed().as_secs_f64()
    );
    let listed = refused_rows(db, &id).await?;
    if let Some(failure) = done.failure {
        return Err(refused(format!("the import failed: {failure}{listed}")));
    }
    if done.refused > 0 {
        return Err(refused(format!(
            "{} row{} refused{listed}",
            done.refused,
            if done.refused == 1 { " was" } else { "s were" }
        )));
    }
    Ok(())
}

/// Each refused row of import `id` on a line of its own, with why (as the
/// result page says it).
async fn refused_rows(db: &DatabaseConnection, id: &str) -> Result<String, DbErr> {
    let mut after = -1;
    let mut listed = String::new();
    loop {
        let rows = store::rows_resulting(db, id, RowResult::Refused, after, 500).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        let ids: Vec<i64> = rows.iter().filter_map(|row| row.student_id).collect();
        let records = students::find_many(db, &ids).await?;
        for row in &rows {
            let current = row.student_id.and_then(|id| records.get(&id));
            listed.push_str(&format!("\n  refused: line {}", row.line));
            if let Some(student) = row.student_id {
                listed.push_str(&format!(", id {student}"));
            }
            if let Some(version) = row.version {
                listed.push_str(&format!(", version {version}"));
            }
            let why = NotImported::refused(row, current);
            listed.push_str(&format!(": {}", why.text()));
        }
    }
    Ok(listed)
}

fn problem_line(problem: &Problem) -> String {
    format!(
        "\n  line {}, {}: {}",
        problem.line,
        problem.at.name(),
        problem.message
    )
}
