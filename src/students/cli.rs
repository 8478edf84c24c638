//! `registrar demo`, `registrar export`, `registrar import`.

use std::io::Write;
use std::path::Path;

use futures_util::StreamExt;
use sea_orm::DatabaseConnection;

use super::list::query::{ListQuery, Sort};
use super::{demo, export, import};

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
    let mut chunks = std::pin::pin!(export::stream(db.clone(), query));
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
) -> Result<(), StudentsCommandError> {
    let bytes = std::fs::read(file)?;
    let rows = import::parse(&bytes).map_err(|rejected| {
        let mut message = format!(
            "nothing was imported: {} problem{} in {}",
            rejected.total,
            if rejected.total == 1 { "" } else { "s" },
            file.display()
        );
        for problem in &rejected.problems {
            message.push_str(&format!(
                "\n  line {}, {}: {}",
                problem.line,
                problem.at.name(),
                problem.message
            ));
        }
        if rejected.total > rejected.problems.len() {
            message.push_str(&format!(
                "\n  … and {} more",
                rejected.total - rejected.problems.len()
            ));
        }
        StudentsCommandError::Refused(message)
    })?;
    let started = std::time::Instant::now();
    let created = import::import(db, &rows, registrar).await?;
    println!(
        "Imported {created} students from {} in {:.1} s",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
