//! The change feed's migration (`m20261207_000018_change_feed`) upgrades
//! a populated database of the previous release on every backend without
//! writing a row: the existing revisions stay unstamped and are the feed's
//! first changes, at the positions of their ids; later ones are stamped
//! above them; every chain still holds (the position is no part of a
//! revision's hash); down and up again starts a new epoch. An ignored test
//! times it at a million revisions.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use migrations::{Migrator, MigratorTrait};
use registrar::audit::Scope;
use registrar::audit::verify::verify;
use registrar::db::entities::{feed_sequencer, revision, student};
use registrar::feed::{self, Gone, ReadError, Sequencer, Tip};
use registrar::students::store;
use registrar::testing::{Backend, TestDatabase};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::feed::{Reader, assert_every_revision_once, assert_positions_dense, fields};
use crate::on_every_backend;
use crate::upgrades::{database_before, down_past};
use crate::upgrades_chain::{STUDENTS, VERSIONS, fill_old_schema, insert_old_history};

on_every_backend!(the_change_feed_migration_upgrades_a_populated_database);

const MIGRATION: &str = "m20261207_000018_change_feed";

fn position_of(name: &str) -> usize {
    Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"))
}

async fn stamped(db: &DatabaseConnection) -> u64 {
    revision::Entity::find()
        .filter(Expr::col(Alias::new(feed::store::FEED_POSITION)).is_not_null())
        .count(db)
        .await
        .expect("count")
}

async fn the_change_feed_migration_upgrades_a_populated_database(backend: Backend) {
    // The previous release's database: the chain's fixture, hashed by the
    // chain's migration, and every migration up to this one applied.
    const CHAIN: &str = "m20261207_000015_revision_chain";
    let Some((_database, db)) = database_before(backend, CHAIN).await else {
        return;
    };
    insert_old_history(&db).await;
    let pending = position_of(MIGRATION) - position_of(CHAIN);
    Migrator::up(&db, Some(u32::try_from(pending).expect("few")))
        .await
        .expect("the previous release");
    let old_revisions = (STUDENTS * VERSIONS) as u64;
    let highest = old_revisions as i64;

    let started = Instant::now();
    Migrator::up(&db, None).await.expect("the upgrade");
    let took = started.elapsed();
    println!(
        "{}: the feed's migration over {old_revisions} revisions took {:.2} s",
        backend.name(),
        took.as_secs_f64()
    );

    let head = feed::head::read(&db).await.expect("the feed's row");
    assert_eq!((head.baseline, head.last_position), (highest, highest));
    assert_eq!(head.epoch.len(), 32);
    assert!(head.epoch.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!((head.holder, head.lease_until), (None, None));
    assert_eq!(stamped(&db).await, 0, "no row written");
    assert_eq!(
        revision::Entity::find().count(&db).await.expect("count"),
        old_revisions
    );

    // The previous release's revisions are the feed's first, in id order,
    // each record's versions in order; a sequencer stamps the new ones.
    let sequencer = Sequencer::start(db.clone(), Tip::default());
    let at = Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap();
    let author = store::Author {
        registrar: "grace",
        at,
        reason: None,
        submission: None,
        import: None,
    };
    // (Explicit ids in the fixture left PostgreSQL's student sequence at
    // 1: no student is created here.)
    for id in [2_i64, 700, 2, 5] {
        let txn = registrar::db::begin_write(&db).await.expect("begin");
        let current = store::lock_for_update(&txn, id)
            .await
            .expect("lock")
            .expect("the student");
        let name = format!("Renamed {}", current.version);
        store::update_guarded(
            &txn,
            &current,
            &fields(&name),
            store::Action::Updated,
            &author,
        )
        .await
        .expect("the write")
        .expect("written");
        txn.commit().await.expect("commit");
    }

    let mut reader = Reader::new(200);
    reader
        .until(&db, old_revisions as usize + 4, Duration::from_secs(20))
        .await;
    assert_eq!(reader.page(&db).await, 0);
    let (students, revisions) = assert_every_revision_once(&db, &reader.seen).await;
    assert_eq!(
        (students, revisions),
        (STUDENTS as usize, old_revisions as usize + 4)
    );
    let by_id: Vec<(i64, i64)> = revision::Entity::find()
        .select_only()
        .column(revision::Column::StudentId)
        .column(revision::Column::Version)
        .filter(revision::Column::Id.lte(highest))
        .order_by_asc(revision::Column::Id)
        .into_tuple()
        .all(&db)
        .await
        .expect("the old revisions");
    assert_eq!(
        reader.seen_versions()[..old_revisions as usize],
        by_id,
        "the old ones by id"
    );
    assert_eq!(
        reader.seen_versions()[old_revisions as usize..],
        [(2, 4), (700, 4), (2, 5), (5, 4)]
    );
    assert_eq!(assert_positions_dense(&db).await, 4);
    sequencer.stop().await;
    let holder = feed::head::read(&db).await.expect("row").holder;
    assert_eq!(holder, None, "the lease let go at the sequencer's stop");

    // Every chain holds: stamping wrote no part of any hash.
    let mut breaks = Vec::new();
    let tally = verify(&db, Scope::All, None, |b| breaks.push(b))
        .await
        .expect("verify");
    assert_eq!(breaks, []);
    assert_eq!(tally.revisions, old_revisions + 4);

    // Down takes the column and the row away; up again is a new epoch,
    // whose baseline is everything there is.
    let last_cursor = feed::read(&db, None, 1).await.expect("a page").next;
    down_past(&db, MIGRATION).await;
    assert!(
        db.execute_unprepared("SELECT feed_position FROM revisions")
            .await
            .is_err(),
        "feed_position outlived its migration"
    );
    assert_eq!(
        student::Entity::find().count(&db).await.expect("count"),
        STUDENTS as u64
    );
    Migrator::up(&db, None).await.expect("up again");
    let again = feed_sequencer::Entity::find_by_id(1)
        .one(&db)
        .await
        .expect("query")
        .expect("the row");
    assert_ne!(again.epoch, head.epoch);
    assert_eq!(again.baseline, highest + 4);
    assert!(matches!(
        feed::read(&db, Some(&last_cursor), 5).await,
        Err(ReadError::Gone(Gone::OtherEpoch))
    ));
    db.close().await.expect("close");
}

async fn the_feed_migration_at_scale(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    // One connection: the session settings of MariaDB's fill hold.
    let db = registrar::db::connect(&database.url, 1, Duration::from_secs(60))
        .await
        .expect("connect");
    let before = u32::try_from(position_of(MIGRATION)).expect("few");
    Migrator::up(&db, Some(before))
        .await
        .expect("the previous release");
    let revisions = std::env::var("FEED_REVISIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    if backend == Backend::MySql {
        fill_mysql(&db, revisions).await;
    } else {
        fill_old_schema(&db, revisions).await;
    }
    let started = Instant::now();
    Migrator::up(&db, None).await.expect("the upgrade");
    println!(
        "{}: the feed's migration over {revisions} revisions took {:.1} s",
        backend.name(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let page = feed::read(&db, None, 50).await.expect("the first page");
    assert_eq!(page.changes.len(), 50);
    let middle = feed::read(&db, Some(&page.next), 50).await.expect("a page");
    println!(
        "{}: two feed pages read in {:.1} ms",
        backend.name(),
        started.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(middle.changes.len(), 50);

    // Some changes after the upgrade, stamped, and some not yet: the
    // plans of the sequencer's query and of a page of stamped changes.
    let baseline = feed::head::read(&db).await.expect("row").baseline;
    let sequencer = Sequencer::start(db.clone(), Tip::default());
    db.execute_unprepared(
        "INSERT INTO revisions (student_id, version, action, name, address, gpa_hundredths, registrar, at) \
         SELECT student_id, version + 100, action, name, address, gpa_hundredths, registrar, at \
         FROM revisions WHERE id <= 1000",
    )
    .await
    .expect("new revisions");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    while stamped(&db).await < 1000 {
        assert!(Instant::now() < deadline, "the sequencer stamps them");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!(
        "{}: 1,000 new revisions stamped {:.0} ms after their commit (one batch, and the poll)",
        backend.name(),
        started.elapsed().as_secs_f64() * 1e3
    );
    sequencer.stop().await;
    // As the sequencer asks it (on MariaDB, naming the index).
    let hint = match backend {
        Backend::MySql => "FORCE INDEX (revisions_feed_idx)",
        _ => "",
    };
    let explain = match backend {
        Backend::Postgres => "EXPLAIN",
        Backend::MySql => "EXPLAIN FORMAT=JSON",
        Backend::Sqlite => "EXPLAIN QUERY PLAN",
    };
    for (what, query) in [
        (
            "the sequencer's unstamped revisions",
            format!(
                "SELECT id, student_id, version FROM revisions {hint} WHERE feed_position IS NULL \
                 AND id > {baseline} ORDER BY id LIMIT 1000"
            ),
        ),
        (
            "a page of stamped changes",
            format!(
                "SELECT * FROM revisions WHERE feed_position > {} ORDER BY feed_position LIMIT 50",
                baseline + 500
            ),
        ),
    ] {
        let plan = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("{explain} {query}"),
            ))
            .await
            .expect("a plan");
        let lines: Vec<String> = plan
            .iter()
            .map(|row| {
                (0..12)
                    .filter_map(|i| row.try_get_by_index::<Option<String>>(i).ok().flatten())
                    .chain((0..12).filter_map(|i| {
                        row.try_get_by_index::<Option<i64>>(i)
                            .ok()
                            .flatten()
                            .map(|n| n.to_string())
                    }))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect();
        println!("{}: {what}:\n  {}", backend.name(), lines.join("\n  "));
    }
}

/// [`fill_old_schema`] for MariaDB (its recursion bound raised, `CONCAT`
/// for `||`, a DATETIME literal): `revisions / 10` students, ten
/// revisions each.
async fn fill_mysql(db: &DatabaseConnection, revisions: i64) {
    let students = revisions / 10;
    let numbers = format!(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {students})"
    );
    let at = "'2026-12-06 09:30:00.123456'";
    for sql in [
        "SET SESSION max_recursive_iterations = 100000000".to_owned(),
        format!(
            "INSERT INTO students (id, name, address, gpa_hundredths, search_key, version, created_at, updated_at, updated_by) \
             {numbers} SELECT i, CONCAT('Student ', i), CONCAT(i, ' Main St'), 300, CONCAT('student ', i), 10, {at}, {at}, 'ada' FROM s"
        ),
        format!(
            "INSERT INTO revisions (student_id, version, action, name, address, gpa_hundredths, registrar, at) \
             {numbers} SELECT i, v, IF(v = 1, 'created', 'updated'), CONCAT('Student ', i), CONCAT(i, ' Main St'), 290 + v, 'ada', {at} \
             FROM s CROSS JOIN (SELECT 1 AS v UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 \
             UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10) AS versions ORDER BY i, v"
        ),
    ] {
        db.execute_unprepared(&sql).await.expect("the fill");
    }
}

/// `FEED_REVISIONS=1000000 cargo test --test app the_feed_migration_at_scale
/// -- --ignored --nocapture --test-threads 1`: the previous release filled
/// by bulk SQL, the migration timed.
mod the_feed_migration_at_scale {
    use registrar::testing::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a timing: run it by name"]
    async fn sqlite() {
        super::the_feed_migration_at_scale(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a timing: run it by name"]
    async fn postgres() {
        super::the_feed_migration_at_scale(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a timing: run it by name"]
    async fn mysql() {
        super::the_feed_migration_at_scale(Backend::MySql).await;
    }
}
