//! Every migration upgrades a populated database of the release before it,
//! on every backend: the rows stay, and the new code works on them.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::db::entities::import::{self, ImportState};
use registrar::db::entities::import_row::RowOutcome;
use registrar::db::entities::{conflict, registrar as account, revision};
use registrar::domain::Version;
use registrar::domain::{Field, StudentValues};
use registrar::presence;
use registrar::students::import::{check, job, store as imports};
use registrar::students::list::{self, query::ListQuery};
use registrar::students::protocol::{self, Act, Command, Outcome};
use registrar::students::store;
use registrar::testing::{Backend, TestDatabase};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::on_every_backend;

on_every_backend!(
    the_history_migration_upgrades_a_populated_database,
    the_import_rows_migration_upgrades_a_populated_database,
    the_import_rows_room_migration_upgrades_a_populated_database,
    the_search_table_migration_upgrades_a_populated_database,
);

/// Applies the migrations before `name`, the previous release's schema.
/// A fresh database of `backend` migrated up to just before migration
/// `name`: the previous release's schema (`None`: the server is not there).
pub(crate) async fn database_before(
    backend: Backend,
    name: &str,
) -> Option<(TestDatabase, DatabaseConnection)> {
    let database = TestDatabase::create(backend).await?;
    // One SQLite connection: a schema change on one connection while
    // another holds the old schema sometimes failed a later `DROP COLUMN`
    // ("no such column") in these tests; the server migrates before it
    // serves.
    let connections = if backend == Backend::Sqlite { 1 } else { 4 };
    let db = registrar::db::connect(&database.url, connections, Duration::from_secs(5))
        .await
        .expect("connect");
    let position = Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    Migrator::up(&db, Some(u32::try_from(position).expect("few migrations")))
        .await
        .expect("the previous release's migrations");
    Some((database, db))
}

/// Rolls `db` back to just before migration `name` (however many came
/// after it), as a downgrade past it would.
pub(crate) async fn down_past(db: &DatabaseConnection, name: &str) {
    let migrations = Migrator::migrations();
    let position = migrations
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    let steps = u32::try_from(migrations.len() - position).expect("few migrations");
    Migrator::down(db, Some(steps)).await.expect("down");
}

pub(crate) async fn insert(db: &DatabaseConnection, table: &str, row: &[(&str, sea_orm::Value)]) {
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(table))
        .columns(row.iter().map(|(column, _)| Alias::new(*column)))
        .values_panic(row.iter().map(|(_, value)| value.clone().into()));
    db.execute(&insert)
        .await
        .unwrap_or_else(|e| panic!("inserting into {table}: {e}"));
}

async fn the_history_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, "m20261201_000004_history").await else {
        return;
    };

    // The previous release's data: a student at version 2, its two
    // revisions, a refused submission and the account that made them.
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 9, 30, 0).unwrap();
    old_account(&db, at, None).await;
    old_student(&db, "2 High St", 390, 2, at).await;
    let id = crate::db_checks::student_of_any(&db).await;
    for (version, action, address, gpa) in [
        (1i64, "created", "1 Main St", 300i16),
        (2, "updated", "2 High St", 390),
    ] {
        old_revision(&db, id, version, action, address, gpa, at).await;
    }
    insert(
        &db,
        "conflicts",
        &[
            ("student_id", id.into()),
            ("attempted", "update".into()),
            ("submitted_version", 1i64.into()),
            ("current_version", 2i64.into()),
            ("name", "Grace H".into()),
            ("address", "1 Main St".into()),
            ("gpa", "3.00".into()),
            ("registrar", "ada".into()),
            ("at", at.into()),
        ],
    )
    .await;
    db.execute_unprepared("UPDATE student_count SET live = 1")
        .await
        .expect("count");

    Migrator::up(&db, None).await.expect("the upgrade");

    // The rows are all there, with no reason (none was asked for then).
    let revisions = revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .all(&db)
        .await
        .expect("revisions");
    assert_eq!(revisions.len(), 2, "{}", backend.name());
    assert!(revisions.iter().all(|r| r.reason.is_none()));
    let conflicts = conflict::Entity::find().all(&db).await.expect("conflicts");
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].name.as_deref(), Some("Grace H"));
    assert_eq!(conflicts[0].reason, None);

    // The new code runs on the old rows: version 1 restored as version 3
    // with its reason, and presence marks kept and read.
    let command = Command {
        writer: "ada",
        act: Act::Restore {
            id,
            seen: Version::new(2),
            revision: Version::new(1),
        },
        reason: Some("Address was right before"),
        submission: None,
        receipt: None,
    };
    let outcome = protocol::run(&db, &command).await.expect("restore");
    assert!(
        matches!(&outcome, Outcome::Written { student } if student.version == 3),
        "{outcome:?}"
    );
    let student = store::find(&db, id).await.expect("query").expect("student");
    assert_eq!(
        (
            student.version,
            student.address.as_str(),
            student.gpa_hundredths
        ),
        (3, "1 Main St", 300)
    );
    let newest = revision::Entity::find()
        .filter(revision::Column::StudentId.eq(id))
        .filter(revision::Column::Version.eq(3i64))
        .one(&db)
        .await
        .expect("query")
        .expect("the restored revision");
    assert_eq!(newest.reason.as_deref(), Some("Address was right before"));

    let now = registrar::db::now();
    assert_eq!(
        presence::store::mark_open(&db, &presence::Pace::default(), 7, id, now).await,
        presence::store::Marked::Recorded
    );
    let seen = presence::store::others(&db, id, 8, now)
        .await
        .expect("read");
    assert!(seen.is_empty(), "no account 7: nobody to name");
    let ada = account::Entity::find()
        .one(&db)
        .await
        .expect("query")
        .expect("the account")
        .id;
    presence::store::mark_open(&db, &presence::Pace::default(), ada, id, now).await;
    let seen = presence::store::others(&db, id, 8, now)
        .await
        .expect("read");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].username, "ada");
    db.close().await.expect("close");
}

async fn the_import_rows_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, "m20261202_000006_import_rows").await
    else {
        return;
    };

    // The previous release's data: an account, a student at version 1 and
    // an upload waiting for its confirm, kept as the raw file.
    let at = Utc.with_ymd_and_hms(2026, 11, 30, 9, 30, 0).unwrap();
    old_account(&db, at, Some("registrar")).await;
    old_student(&db, "2 High St", 390, 1, at).await;
    old_revision(&db, 1, 1, "created", "2 High St", 390, at).await;
    db.execute_unprepared("UPDATE student_count SET live = 1")
        .await
        .expect("count");
    insert(
        &db,
        "imports",
        &[
            ("id", "a".repeat(43).into()),
            ("registrar", "ada".into()),
            ("filename", "old.csv".into()),
            ("csv", "name,address,gpa\nAda,1 Main St,3\n".into()),
            ("rows", 1i64.into()),
            ("created_at", at.into()),
        ],
    )
    .await;

    Migrator::up(&db, None).await.expect("the upgrade");

    // The student and its history stay; the old upload (a raw file
    // waiting at most a day) is gone with its table.
    let grace = store::find(&db, 1).await.expect("query").expect("student");
    assert_eq!((grace.name.as_str(), grace.version), ("Grace", 1));
    assert!(
        imports::get(&db, &"a".repeat(43))
            .await
            .expect("query")
            .is_none()
    );

    // The new code runs on the upgraded schema: an export-style file that
    // updates the old student and creates one, confirmed as a job.
    let file = "id,name,address,gpa,version\n1,Grace,3 New Rd,3.90,1\n,Ada,1 Main St,3,\n";
    let id = stored(&db, file).await;
    let counts = imports::counts(&db, &id).await.expect("counts");
    assert_eq!(counts.get(&RowOutcome::Update), Some(&1), "{counts:?}");
    assert_eq!(counts.get(&RowOutcome::Create), Some(&1));
    let done = confirmed(&db, &id).await;
    assert_eq!(
        (done.state, done.written, done.refused),
        (ImportState::Done, 2, 0)
    );
    let grace = store::find(&db, 1).await.expect("query").expect("student");
    assert_eq!((grace.address.as_str(), grace.version), ("3 New Rd", 2));
    db.close().await.expect("close");
}

async fn the_import_rows_room_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, "m20261202_000007_import_rows_room").await
    else {
        return;
    };

    // The previous release's data: a student at version 1 and an upload
    // checked and waiting for its confirm.
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap();
    old_account(&db, at, Some("registrar")).await;
    old_student(&db, "2 High St", 390, 1, at).await;
    db.execute_unprepared("UPDATE student_count SET live = 1")
        .await
        .expect("count");
    // Stored as that release stored a checked upload (today's code writes
    // columns of later migrations).
    let waiting = "w".repeat(43);
    insert(
        &db,
        "imports",
        &[
            ("id", waiting.as_str().into()),
            ("registrar", "ada".into()),
            ("filename", "students.csv".into()),
            ("rows", 1_i64.into()),
            ("created_at", at.into()),
            ("state", "pending".into()),
        ],
    )
    .await;
    insert(
        &db,
        "import_rows",
        &[
            ("import_id", waiting.as_str().into()),
            ("seq", 0_i64.into()),
            ("line", 2_i64.into()),
            ("student_id", 1_i64.into()),
            ("version", 1_i64.into()),
            ("name", "Grace".into()),
            ("address", "3 New Rd".into()),
            ("gpa", "3.90".into()),
            ("outcome", "update".into()),
        ],
    )
    .await;
    assert_eq!(fillfactor(&db).await, None, "{}", backend.name());

    Migrator::up(&db, None).await.expect("the upgrade");

    // PostgreSQL leaves room on each page for the results; the others
    // update in place and have nothing to change.
    let expected = (backend == Backend::Postgres).then_some(50);
    assert_eq!(fillfactor(&db).await, expected, "{}", backend.name());

    // The upload stored before the upgrade confirms after it, and a new
    // one stores and confirms on the new pages.
    let done = confirmed(&db, &waiting).await;
    assert_eq!(
        (done.state, done.written, done.refused),
        (ImportState::Done, 1, 0)
    );
    let file = "id,name,address,gpa,version\n1,Grace,3 New Rd,4.00,2\n";
    let fresh = stored(&db, file).await;
    let counts = imports::counts(&db, &fresh).await.expect("counts");
    assert_eq!(counts.get(&RowOutcome::Update), Some(&1), "{counts:?}");
    assert_eq!(confirmed(&db, &fresh).await.written, 1);
    let grace = store::find(&db, 1).await.expect("query").expect("student");
    assert_eq!(
        (grace.address.as_str(), grace.gpa_hundredths, grace.version),
        ("3 New Rd", 400, 3)
    );
    db.close().await.expect("close");
}

async fn the_search_table_migration_upgrades_a_populated_database(backend: Backend) {
    let Some((_database, db)) = database_before(backend, "m20261203_000008_search_table").await
    else {
        return;
    };

    // The previous release's data: Grace at 2 High St, and a second Grace,
    // at 9 Low Rd, deleted.
    let at = Utc.with_ymd_and_hms(2026, 12, 2, 9, 30, 0).unwrap();
    old_account(&db, at, Some("registrar")).await;
    old_student(&db, "2 High St", 390, 1, at).await;
    old_student(&db, "9 Low Rd", 300, 1, at).await;
    db.execute_unprepared(
        "UPDATE students SET deleted_at = updated_at, deleted_by = 'ada' WHERE id = 2",
    )
    .await
    .expect("delete");
    db.execute_unprepared("UPDATE student_count SET live = 1")
        .await
        .expect("count");
    Migrator::up(&db, None).await.expect("the upgrade");

    // The old rows are found as they were: live ones only.
    let name = backend.name();
    assert_eq!(found(&db, "high st").await, (vec![1], 1), "{name}");
    assert_eq!(found(&db, "low rd").await, (vec![], 0), "{name}");
    assert_eq!(found(&db, "grace").await, (vec![1], 1), "{name}");

    // The new code's writes keep the search in step: a new address, a GPA
    // and then an address written as an import writes them, a deletion and
    // its undoing, a create.
    let grace = written(&db, 1, Write::Saved("5 Elm Way", "3.90")).await;
    assert_eq!(found(&db, "high st").await, (vec![], 0), "{name}");
    assert_eq!(found(&db, "elm way").await, (vec![1], 1), "{name}");
    let kept = search_index_state(&db).await;
    written(&db, 1, Write::Imported("5 Elm Way", "4.00")).await;
    assert_eq!(found(&db, "elm way").await, (vec![1], 1), "{name}");
    assert_eq!(
        search_index_state(&db).await,
        kept,
        "{name}: an update that keeps the key leaves the search table alone"
    );
    let now = store::find(&db, 1).await.expect("query").expect("grace");
    assert_eq!((grace.version, now.version), (1, 3), "{name}");
    written(&db, 1, Write::Imported("7 Oak Ln", "4.00")).await;
    assert_eq!(found(&db, "elm way").await, (vec![], 0), "{name}");
    assert_eq!(found(&db, "oak ln").await, (vec![1], 1), "{name}");

    written(&db, 1, Write::Deleted).await;
    assert_eq!(found(&db, "oak ln").await, (vec![], 0), "{name}");
    written(&db, 1, Write::Undeleted).await;
    assert_eq!(found(&db, "oak ln").await, (vec![1], 1), "{name}");

    let txn = registrar::db::begin_write(&db).await.expect("begin");
    let ada = store::insert(
        &txn,
        &fields("Ada Lovelace", "12 St James's Sq", "4.00"),
        "ada",
        at,
        None,
    )
    .await
    .expect("create");
    txn.commit().await.expect("commit");
    assert_eq!(found(&db, "lovelace").await, (vec![ada.id], 1), "{name}");
    assert_eq!(
        found(&db, "e").await.1,
        2,
        "{name}: both live students, and only they"
    );

    // Down and up again: the search still finds what it found.
    down_past(&db, "m20261203_000008_search_table").await;
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(found(&db, "oak ln").await, (vec![1], 1), "{name}");
    assert_eq!(found(&db, "lovelace").await, (vec![ada.id], 1), "{name}");
    db.close().await.expect("close");
}

/// The ids on the first page of a search for `q`, and its total.
async fn found(db: &DatabaseConnection, q: &str) -> (Vec<i64>, u64) {
    let query = ListQuery {
        q: q.to_owned(),
        ..ListQuery::default()
    };
    let rows = list::db::list(db, &query, registrar::domain::Disclosure::Full)
        .await
        .expect("the search");
    (
        rows.students.iter().map(|s| s.id).collect(),
        rows.total.count,
    )
}

/// A write of the new code, through the store's guarded writes.
enum Write<'a> {
    /// A single save of this address and GPA.
    Saved(&'a str, &'a str),
    /// This address and GPA as an import's batch writes them.
    Imported(&'a str, &'a str),
    Deleted,
    Undeleted,
}

/// Student `id` changed by `write`, committed; the student as it was before.
async fn written(db: &DatabaseConnection, id: i64, write: Write<'_>) -> store::Student {
    let txn = registrar::db::begin_write(db).await.expect("begin");
    let current = store::lock_for_update(&txn, id)
        .await
        .expect("lock")
        .expect("the student");
    let author = author(Utc.with_ymd_and_hms(2026, 12, 3, 9, 30, 0).unwrap());
    let done = match write {
        Write::Saved(address, gpa) => {
            let fields = fields(&current.name, address, gpa);
            store::update_guarded(&txn, &current, &fields, store::Action::Updated, &author)
                .await
                .map(|written| written.is_some())
        }
        Write::Imported(address, gpa) => {
            let fields = fields(&current.name, address, gpa);
            store::update_many_guarded(
                &txn,
                &[(&current, &fields)],
                store::Action::Imported,
                &author,
            )
            .await
            .map(|written| written.contains(&id))
        }
        Write::Deleted => store::delete_guarded(&txn, &current, &author)
            .await
            .map(|written| written.is_some()),
        Write::Undeleted => store::undelete_guarded(&txn, &current, &author)
            .await
            .map(|written| written.is_some()),
    };
    assert!(done.expect("the write"));
    txn.commit().await.expect("commit");
    current
}

/// What any write to the search index moves: on PostgreSQL the row version
/// (`xmin`) of student 1's row in the search table; on SQLite the FTS5
/// index's stored segments (`students_search_data`); `None` on MariaDB.
async fn search_index_state(db: &DatabaseConnection) -> Option<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT xmin::text AS state FROM students_search WHERE id = 1"
        }
        sea_orm::DbBackend::Sqlite => {
            "SELECT count(*) || ':' || max(rowid) || ':' || sum(length(block)) AS state \
             FROM students_search_data"
        }
        _ => return None,
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(backend, sql))
        .await
        .expect("the search index")
        .expect("a row");
    Some(row.try_get::<String>("", "state").expect("state"))
}

fn fields(name: &str, address: &str, gpa: &str) -> StudentValues {
    StudentValues::parse(|field| {
        Ok(match field {
            Field::Name => name,
            Field::Address => address,
            Field::Gpa => gpa,
            Field::Number => "",
            Field::Confidential => "",
        })
    })
    .expect("valid fields")
}

fn author(at: DateTime<Utc>) -> store::Author<'static> {
    store::Author {
        registrar: "ada",
        at,
        reason: None,
        submission: None,
        import: None,
    }
}

/// Ada's upload of `file`, checked and stored; its id.
async fn stored(db: &DatabaseConnection, file: &str) -> String {
    check::check_and_store(db, "ada", "students.csv", file.as_bytes().to_vec().into())
        .await
        .expect("checked")
}

/// Import `id` confirmed as a job run to its end, as it is then.
async fn confirmed(db: &DatabaseConnection, id: &str) -> import::Model {
    let get = || async {
        imports::get(db, id)
            .await
            .expect("query")
            .expect("the import")
    };
    let lease = job::start(db, &get().await, false).await.expect("started");
    job::run(db.clone(), id.to_owned(), lease).await;
    get().await
}

/// The fill factor PostgreSQL keeps for `import_rows` (`None`: the
/// default, or another backend).
async fn fillfactor(db: &DatabaseConnection) -> Option<i64> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return None;
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT substring(array_to_string(reloptions, ',') from 'fillfactor=([0-9]+)')::bigint \
             AS fillfactor FROM pg_class WHERE relname = 'import_rows'",
        ))
        .await
        .expect("pg_class")
        .expect("the table");
    row.try_get::<Option<i64>>("", "fillfactor")
        .expect("fillfactor")
}

/// Ada's account as a previous release stored it (`role` exists from the
/// office migration on).
pub async fn old_account(db: &DatabaseConnection, at: DateTime<Utc>, role: Option<&str>) {
    let mut row: Vec<(&str, sea_orm::Value)> = vec![
        ("username", "ada".into()),
        ("username_key", "ada".into()),
        ("password_hash", "$argon2id$v=19$m=19456,t=2,p=1$x$y".into()),
        ("created_at", at.into()),
    ];
    if let Some(role) = role {
        row.push(("role", role.into()));
    }
    insert(db, "registrars", &row).await;
}

/// Grace at `address`, as a previous release stored her, last changed by
/// Ada at `at`.
pub async fn old_student(
    db: &DatabaseConnection,
    address: &str,
    gpa_hundredths: i16,
    version: i64,
    at: DateTime<Utc>,
) {
    insert(
        db,
        "students",
        &[
            ("name", "Grace".into()),
            ("address", address.into()),
            ("gpa_hundredths", gpa_hundredths.into()),
            (
                "search_key",
                format!("grace\n{}", address.to_lowercase()).into(),
            ),
            ("version", version.into()),
            ("created_at", at.into()),
            ("updated_at", at.into()),
            ("updated_by", "ada".into()),
        ],
    )
    .await;
}

/// A revision of Grace (student `id`) as a previous release stored it, by
/// Ada at `at`.
pub async fn old_revision(
    db: &DatabaseConnection,
    id: i64,
    version: i64,
    action: &str,
    address: &str,
    gpa_hundredths: i16,
    at: DateTime<Utc>,
) {
    insert(
        db,
        "revisions",
        &[
            ("student_id", id.into()),
            ("version", version.into()),
            ("action", action.into()),
            ("name", "Grace".into()),
            ("address", address.into()),
            ("gpa_hundredths", gpa_hundredths.into()),
            ("registrar", "ada".into()),
            ("at", at.into()),
        ],
    )
    .await;
}
