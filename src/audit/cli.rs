//! `registrar audit verify` and `registrar audit digest`: one line per
//! break on standard output, the counts when all holds, and a non-zero
//! exit (through [`AuditError`]) when anything does not.

use sea_orm::{DatabaseConnection, DbErr};

use super::check::Break;
use super::cursors::Scope;
use super::{digest, verify};
use crate::config::AuditCommand;
use crate::db::{begin_snapshot, connect_and_migrate};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the history was altered: {breaks} finding(s) in {students} record(s)")]
    Altered { breaks: u64, students: u64 },
    #[error("no digest {0} is stored: it was never taken on this database, or its cut was removed")]
    NoSuchDigest(String),
    #[error("digest {0} does not hold: its cut or a revision up to it was altered")]
    DigestAltered(String),
    #[error("cannot use the database: {0}")]
    Database(#[from] DbErr),
}

/// Connects, runs the command, closes.
pub async fn run(command: AuditCommand) -> Result<(), AuditError> {
    let db = connect_and_migrate(command.database()).await?;
    let result = match command {
        AuditCommand::Verify {
            student, digest, ..
        } => run_verify(&db, student, digest.as_deref()).await,
        AuditCommand::Digest { .. } => run_digest(&db).await,
    };
    db.close().await?;
    result
}

/// The line of a break: `student 7 version 3: changed (why)`.
pub fn line(found: &Break) -> String {
    format!(
        "student {} version {}: {} ({})",
        found.student_id, found.version, found.finding, found.detail
    )
}

async fn run_verify(
    db: &DatabaseConnection,
    student: Option<i64>,
    digest_hash: Option<&str>,
) -> Result<(), AuditError> {
    // One moment throughout, while registrars go on saving.
    let snapshot = begin_snapshot(db).await?;
    let taken = match digest_hash {
        Some(hash) => Some(
            digest::find(&snapshot, hash)
                .await?
                .ok_or_else(|| AuditError::NoSuchDigest(hash.to_owned()))?,
        ),
        None => None,
    };
    let scope = student.map_or(Scope::All, Scope::Student);
    let tally = verify::verify(&snapshot, scope, taken.as_ref().map(|d| d.id), |found| {
        println!("{}", line(&found));
    })
    .await?;
    snapshot.commit().await?;
    let digest_holds = taken
        .as_ref()
        .is_none_or(|taken| tally.digest.as_deref() == Some(taken.hash.as_str()));
    if let Some(taken) = taken.as_ref().filter(|_| !digest_holds) {
        println!(
            "digest {}: altered (its cut and the revisions up to it give {})",
            taken.hash,
            tally.digest.as_deref().unwrap_or_default()
        );
    }
    if tally.breaks > 0 {
        return Err(AuditError::Altered {
            breaks: tally.breaks,
            students: tally.broken_students,
        });
    }
    println!(
        "every chain holds: {} students, {} revisions",
        tally.students, tally.revisions
    );
    if let Some(taken) = taken {
        if !digest_holds {
            return Err(AuditError::DigestAltered(taken.hash));
        }
        println!(
            "digest {} holds: {} chains, {} revisions up to it, taken {}",
            taken.hash,
            taken.students,
            taken.revisions,
            taken.taken_at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
        );
    }
    Ok(())
}

async fn run_digest(db: &DatabaseConnection) -> Result<(), AuditError> {
    let taken = digest::take(db).await?;
    println!("{}", taken.hash);
    eprintln!(
        "digest of {} chains, {} revisions, taken {}; keep it where this database's users cannot write",
        taken.students,
        taken.revisions,
        taken.taken_at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
    );
    Ok(())
}
