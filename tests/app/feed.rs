//! The change feed (contract §13, `GET /api/v1/changes`): every committed
//! revision exactly once, in each record's version order, to a reader that
//! always asks from the `next` it was given — also when a transaction that
//! took a lower id commits after a higher one was read, when one rolls
//! back, and when the sequencer's lease moves between instances.
//!
//! The readers read over HTTP, or (to see why a cursor is refused, and
//! while instances come and go) through [`registrar::feed::read`] as the
//! route does; the route's own answers are in `feed_http`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use chrono::Utc;
use registrar::db::entities::{feed_sequencer, revision};
use registrar::domain::{Field, StudentValues};
use registrar::feed::{self, Cursor, Gone, ReadError};
use registrar::students::store::{self, Revision};
use registrar::testing::Backend;
use registrar::testing::{ApiClient, REGISTRAR, TestApp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::{on_every_backend, spawn_app};

on_every_backend!(
    a_revision_committed_after_a_higher_one_was_read_is_not_skipped,
    a_rolled_back_revision_leaves_no_gap_in_the_feed,
    a_cursor_of_another_epoch_or_a_restored_database_is_gone,
    the_sequencer_lease_moves_between_instances_without_duplicates_or_gaps,
    saves_go_on_while_the_sequencer_works_through_a_backlog,
);

/// A change as a reader saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    pub student_id: i64,
    pub version: i64,
    pub name: String,
}

/// Where a [`Reader`] reads: the feed's module on a database, or the route.
enum Source {
    Direct,
    Api(ApiClient),
}

/// A reader of the feed that always asks from the `next` it was given.
pub(crate) struct Reader {
    source: Source,
    next: Option<String>,
    limit: u64,
    pub seen: Vec<Seen>,
    pub pages: u64,
}

impl Reader {
    /// Reads through [`feed::read`] on the database each page is asked of.
    pub fn new(limit: u64) -> Reader {
        Reader {
            source: Source::Direct,
            next: None,
            limit,
            seen: Vec::new(),
            pages: 0,
        }
    }

    /// Reads `GET /api/v1/changes` as `client`.
    pub fn api(client: ApiClient, limit: u64) -> Reader {
        Reader {
            source: Source::Api(client),
            ..Reader::new(limit)
        }
    }

    /// Asks for `limit` changes a page from now on.
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// The cursor it asks from next.
    pub fn next(&self) -> Option<&str> {
        self.next.as_deref()
    }

    /// Reads one page; how many changes it had.
    pub async fn page(&mut self, db: &DatabaseConnection) -> usize {
        let (seen, next) = match &self.source {
            Source::Direct => {
                let after = self
                    .next
                    .as_deref()
                    .map(|text| Cursor::parse(text).expect("a cursor"));
                let page = feed::read(db, after.as_ref(), self.limit)
                    .await
                    .expect("a page of the feed");
                let seen: Vec<Seen> = page
                    .changes
                    .into_iter()
                    .map(|change| Seen {
                        student_id: change.revision.student_id,
                        version: change.revision.version,
                        name: change.revision.name,
                    })
                    .collect();
                (seen, page.next.to_string())
            }
            Source::Api(client) => {
                let after = self.next.as_deref().map(|c| format!("&after={c}"));
                let path = format!(
                    "/api/v1/changes?limit={}{}",
                    self.limit,
                    after.unwrap_or_default()
                );
                let answer = client.get(&path).await;
                answer.assert_status(StatusCode::OK);
                let body = answer.json();
                let changes = body["changes"].as_array().expect("changes").clone();
                let seen = changes
                    .iter()
                    .map(|change| Seen {
                        student_id: change["student_id"].as_i64().expect("student_id"),
                        version: change["version"].as_i64().expect("version"),
                        name: change["student"]["name"].as_str().expect("name").to_owned(),
                    })
                    .collect();
                if let Some(last) = changes.last() {
                    assert_eq!(
                        last["cursor"], body["next"],
                        "next is the last change's cursor"
                    );
                }
                (seen, body["next"].as_str().expect("next").to_owned())
            }
        };
        self.pages += 1;
        let count = seen.len();
        if count == 0
            && let Some(before) = &self.next
        {
            assert_eq!(&next, before, "nothing new: the same cursor");
        }
        self.seen.extend(seen);
        self.next = Some(next);
        count
    }

    /// Reads pages until it has seen `count` changes in all; panics after
    /// `within`.
    pub async fn until(&mut self, db: &DatabaseConnection, count: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.seen.len() < count {
            if self.page(db).await == 0 {
                assert!(
                    Instant::now() < deadline,
                    "the feed gave {} of {count} changes in {within:?}",
                    self.seen.len()
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// `(student, version)` of what it saw, in order.
    pub fn seen_versions(&self) -> Vec<(i64, i64)> {
        self.seen
            .iter()
            .map(|r| (r.student_id, r.version))
            .collect()
    }
}

/// A reader of `GET /api/v1/changes` with a registrar's token.
pub(crate) async fn api_reader(app: &TestApp, limit: u64) -> Reader {
    let token = app.api_token(REGISTRAR, None).await;
    Reader::api(ApiClient::new(&app.base_url, Some(&token)), limit)
}

/// Every committed revision in `db` is in `seen` exactly once, and each
/// student's are there in version order, 1 to N; returns (students,
/// revisions).
pub(crate) async fn assert_every_revision_once(
    db: &DatabaseConnection,
    seen: &[Seen],
) -> (usize, usize) {
    let stored: Vec<(i64, i64)> = revision::Entity::find()
        .select_only()
        .column(revision::Column::StudentId)
        .column(revision::Column::Version)
        .into_tuple()
        .all(db)
        .await
        .expect("the revisions");
    let mut given = HashSet::new();
    for change in seen {
        assert!(
            given.insert((change.student_id, change.version)),
            "student {}, version {} was given twice",
            change.student_id,
            change.version
        );
    }
    let stored: HashSet<(i64, i64)> = stored.into_iter().collect();
    let missing: Vec<&(i64, i64)> = stored.difference(&given).collect();
    assert!(missing.is_empty(), "never given: {missing:?}");
    let extra: Vec<&(i64, i64)> = given.difference(&stored).collect();
    assert!(extra.is_empty(), "given but not committed: {extra:?}");
    let mut versions: HashMap<i64, i64> = HashMap::new();
    for change in seen {
        let last = versions.entry(change.student_id).or_default();
        assert_eq!(
            change.version,
            *last + 1,
            "student {}: version {} after version {}",
            change.student_id,
            change.version,
            last
        );
        *last = change.version;
    }
    (versions.len(), seen.len())
}

/// The stamped positions are `baseline + 1 ..= last_position`, each once.
pub(crate) async fn assert_positions_dense(db: &DatabaseConnection) -> i64 {
    let head = feed::head::read(db).await.expect("the feed's row");
    let positions: Vec<i64> = revision::Entity::find()
        .select_only()
        .column_as(Expr::col(Alias::new(feed::store::FEED_POSITION)), "p")
        .filter(Expr::col(Alias::new(feed::store::FEED_POSITION)).is_not_null())
        .order_by_asc(Expr::col(Alias::new(feed::store::FEED_POSITION)))
        .into_tuple()
        .all(db)
        .await
        .expect("the positions");
    let expected: Vec<i64> = (head.baseline + 1..=head.last_position).collect();
    assert_eq!(positions, expected, "positions not dense from the baseline");
    head.last_position - head.baseline
}

pub(crate) fn fields(name: &str) -> StudentValues {
    StudentValues::parse(|field| {
        Ok(match field {
            Field::Name => name,
            Field::Address => "1 Main St",
            Field::Gpa => "3",
            Field::Number | Field::Confidential => "",
        })
    })
    .expect("valid fields")
}

/// Student `id` renamed `name` in a write transaction left open (its
/// revision inserted, so its id taken).
async fn renamed_uncommitted(db: &DatabaseConnection, id: i64, name: &str) -> DatabaseTransaction {
    let txn = registrar::db::begin_write(db).await.expect("begin");
    let current = store::lock_for_update(&txn, id)
        .await
        .expect("lock")
        .expect("the student");
    let author = store::Author {
        registrar: "ada",
        at: registrar::db::now(),
        reason: None,
        submission: None,
        import: None,
    };
    store::update_guarded(
        &txn,
        &current,
        &fields(name),
        store::Action::Updated,
        &author,
    )
    .await
    .expect("the write")
    .expect("written");
    txn
}

/// The revision of student `id` at `version`.
async fn revision_at(db: &DatabaseConnection, id: i64, version: i64) -> Revision {
    store::revisions::at_version(db, id, version)
        .await
        .expect("query")
        .expect("the revision")
}

const SOON: Duration = Duration::from_secs(10);

async fn a_revision_committed_after_a_higher_one_was_read_is_not_skipped(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let bob = app.create_student(&browser, "Bob", "2 High St", "3").await;
    let mut reader = api_reader(&app, 5).await;
    reader.until(&app.db, 2, SOON).await;

    // Ada's change takes its revision id and stays uncommitted.
    let open = renamed_uncommitted(&app.db, ada, "Ada Lovelace").await;
    if backend == Backend::Sqlite {
        // SQLite has one writer at a time: Bob's save waits for Ada's
        // transaction, so commits come in id order there. What must hold:
        // nothing uncommitted is read, and both come once, in order.
        let save = tokio::spawn({
            async move {
                let form_page = browser.get(&format!("/students/{bob}/edit")).await;
                let mut form = form_page.form(&format!("/students/{bob}"));
                form.set("name", "Bob Dylan");
                form.submit(&browser).await.status
            }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(reader.page(&app.db).await, 0, "nothing committed yet");
        open.commit().await.expect("commit");
        assert_eq!(save.await.expect("the save"), StatusCode::SEE_OTHER);
        reader.until(&app.db, 4, SOON).await;
        assert_eq!(reader.seen_versions()[2..], [(ada, 2), (bob, 2)]);
    } else {
        // Bob's change takes a higher id and commits first; the reader
        // reads it, and only then does Ada's commit.
        app.edit_student(&browser, bob, &[("name", "Bob Dylan")])
            .await
            .assert_status(StatusCode::SEE_OTHER);
        reader.until(&app.db, 3, SOON).await;
        assert_eq!(reader.seen_versions()[2], (bob, 2));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            reader.page(&app.db).await,
            0,
            "Ada's change is not committed"
        );
        open.commit().await.expect("commit");
        reader.until(&app.db, 4, SOON).await;
        assert_eq!(reader.seen_versions()[3], (ada, 2));
        let (ada_2, bob_2) = (
            revision_at(&app.db, ada, 2).await,
            revision_at(&app.db, bob, 2).await,
        );
        assert!(
            ada_2.id < bob_2.id,
            "the test's premise: Ada's revision ({}) took a lower id than Bob's ({})",
            ada_2.id,
            bob_2.id
        );
    }
    for _ in 0..3 {
        assert_eq!(reader.page(&app.db).await, 0, "nothing twice");
    }
    assert_every_revision_once(&app.db, &reader.seen).await;
    assert_eq!(assert_positions_dense(&app.db).await, 4);
}

async fn a_rolled_back_revision_leaves_no_gap_in_the_feed(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    let mut reader = api_reader(&app, 3).await;
    reader.until(&app.db, 1, SOON).await;

    let open = renamed_uncommitted(&app.db, ada, "Never").await;
    open.rollback().await.expect("rollback");
    app.edit_student(&browser, ada, &[("name", "Ada Lovelace")])
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let bob = app.create_student(&browser, "Bob", "2 High St", "3").await;
    reader.until(&app.db, 3, SOON).await;
    assert_eq!(reader.seen_versions(), [(ada, 1), (ada, 2), (bob, 1)]);
    assert_eq!(reader.seen[1].name, "Ada Lovelace");
    // The rolled-back id is a gap in ids, never in positions.
    assert_eq!(assert_positions_dense(&app.db).await, 3);
    let mut ids = Vec::new();
    for (student, version) in reader.seen_versions() {
        ids.push(revision_at(&app.db, student, version).await.id);
    }
    if backend != Backend::Sqlite {
        assert!(
            ids[2] - ids[0] > 2,
            "the rolled-back write took an id: {ids:?}"
        );
    }
    assert_eq!(reader.page(&app.db).await, 0);
    assert_every_revision_once(&app.db, &reader.seen).await;
}

async fn a_cursor_of_another_epoch_or_a_restored_database_is_gone(backend: Backend) {
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    for name in ["Ada B", "Ada C"] {
        app.edit_student(&browser, ada, &[("name", name)])
            .await
            .assert_status(StatusCode::SEE_OTHER);
    }
    let mut reader = Reader::new(2);
    reader.until(&app.db, 3, SOON).await;
    let first = feed::read(&app.db, None, 1).await.expect("a page");
    let after_first = first.next.clone();
    let at_end = Cursor::parse(reader.next().expect("a cursor")).expect("a cursor");

    // The database restored from a backup taken after the first change:
    // the later changes are gone, the feed's row is as it was then.
    let kept = after_first.position();
    revision::Entity::delete_many()
        .filter(Expr::col(revision::Column::Version).gt(1))
        .exec(&app.db)
        .await
        .expect("the later revisions gone");
    feed_sequencer::Entity::update_many()
        .col_expr(feed_sequencer::Column::LastPosition, Expr::value(kept))
        .exec(&app.db)
        .await
        .expect("the row as it was");
    // (The student's row, too, goes back to version 1.)
    app.db
        .execute_unprepared(&format!(
            "UPDATE students SET version = 1, name = 'Ada', chain_head = \
             (SELECT hash FROM revisions WHERE student_id = {ada} AND version = 1) WHERE id = {ada}"
        ))
        .await
        .expect("the student as it was");
    assert!(matches!(
        feed::read(&app.db, Some(&at_end), 5).await,
        Err(ReadError::Gone(Gone::Moved))
    ));
    // A cursor from before the backup goes on.
    let page = feed::read(&app.db, Some(&after_first), 5)
        .await
        .expect("still fits");
    assert!(page.changes.is_empty());
    // New changes since the restore take the old positions: the old
    // cursor still names another revision.
    for name in ["Ada X", "Ada Y"] {
        app.edit_student(&browser, ada, &[("name", name)])
            .await
            .assert_status(StatusCode::SEE_OTHER);
    }
    let mut after_restore = Reader::new(5);
    after_restore.until(&app.db, 3, SOON).await;
    assert_eq!(
        feed::head::read(&app.db).await.expect("row").last_position,
        at_end.position(),
        "the new changes took the cursor's position"
    );
    assert!(matches!(
        feed::read(&app.db, Some(&at_end), 5).await,
        Err(ReadError::Gone(Gone::Moved))
    ));
    let page = feed::read(&app.db, Some(&after_first), 5)
        .await
        .expect("fits");
    assert_eq!(page.changes.len(), 2);

    // Another epoch: every cursor but none is refused.
    feed_sequencer::Entity::update_many()
        .col_expr(feed_sequencer::Column::Epoch, Expr::value("renewed"))
        .exec(&app.db)
        .await
        .expect("a new epoch");
    for cursor in [&after_first, &Cursor::start("the old epoch")] {
        assert!(matches!(
            feed::read(&app.db, Some(cursor), 5).await,
            Err(ReadError::Gone(Gone::OtherEpoch))
        ));
    }
    assert_eq!(
        feed::read(&app.db, None, 5)
            .await
            .expect("from the start")
            .changes
            .len(),
        3
    );
}

async fn the_sequencer_lease_moves_between_instances_without_duplicates_or_gaps(backend: Backend) {
    let first = spawn_app!(backend);
    let browser = first.signed_in_browser().await;
    let ada = first
        .create_student(&browser, "Ada", "1 Main St", "3")
        .await;
    let holder = || async { feed::head::read(&first.db).await.expect("the row").holder };
    let mut reader = Reader::new(4);
    reader.until(&first.db, 1, SOON).await;
    let first_holder = holder().await.expect("the first instance holds the lease");
    let second = first.another_instance().await;
    let second_browser = second.signed_in_browser().await;

    // Saves through both while the lease is moved behind their backs
    // (as if its holder had stalled past it) every few hundred ms.
    let mut holders = HashSet::from([first_holder.clone()]);
    let stop = Instant::now() + Duration::from_secs(4);
    let mut round = 0;
    while Instant::now() < stop {
        round += 1;
        let (app, browser) = if round % 2 == 0 {
            (&first, &browser)
        } else {
            (&second, &second_browser)
        };
        app.edit_student(browser, ada, &[("name", &format!("Ada {round}"))])
            .await
            .assert_status(StatusCode::SEE_OTHER);
        if round % 3 == 0 {
            feed_sequencer::Entity::update_many()
                .col_expr(
                    feed_sequencer::Column::LeaseUntil,
                    Expr::value(Some(Utc::now() - chrono::Duration::seconds(1))),
                )
                .exec(&first.db)
                .await
                .expect("the lease run out");
        }
        if let Some(now) = holder().await {
            holders.insert(now);
        }
        reader.page(&first.db).await;
    }
    // The first instance stops: it lets the lease go, the second takes it.
    drop(browser);
    let db = second.db.clone();
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = feed::head::read(&db).await.expect("row").holder;
        if now.as_ref().is_some_and(|h| h != &first_holder) {
            holders.extend(now);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second instance takes the lease"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for name in ["Ada after", "Ada last"] {
        second
            .edit_student(&second_browser, ada, &[("name", name)])
            .await
            .assert_status(StatusCode::SEE_OTHER);
    }
    let total = usize::try_from(round + 3).expect("few");
    reader.until(&db, total, SOON).await;
    assert_eq!(reader.page(&db).await, 0);
    let (_, revisions) = assert_every_revision_once(&db, &reader.seen).await;
    let stamped = assert_positions_dense(&db).await;
    assert_eq!(stamped as usize, revisions);
    println!(
        "{}: {revisions} revisions stamped by {} lease holders, positions dense",
        backend.name(),
        holders.len()
    );
    assert!(holders.len() >= 2, "the lease moved: {holders:?}");
}

async fn saves_go_on_while_the_sequencer_works_through_a_backlog(backend: Backend) {
    const BACKLOG: u64 = 20_000;
    let app = spawn_app!(backend);
    let browser = app.signed_in_browser().await;
    let ada = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    // Demo data: 20,000 revisions committed at once, none stamped.
    registrar::students::demo::fill(&app.db, BACKLOG, 3, true, |_| {})
        .await
        .expect("demo students");
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for round in 0..10 {
        let sent = Instant::now();
        app.edit_student(&browser, ada, &[("name", &format!("Ada {round}"))])
            .await
            .assert_status(StatusCode::SEE_OTHER);
        slowest = slowest.max(sent.elapsed());
    }
    let mut reader = Reader::new(200);
    reader
        .until(&app.db, BACKLOG as usize + 11, Duration::from_secs(120))
        .await;
    println!(
        "{}: 10 saves during a backlog of {BACKLOG} stamps, the slowest {:.0} ms; the feed caught up in {:.1} s",
        backend.name(),
        slowest.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64()
    );
    assert!(
        slowest < Duration::from_secs(2),
        "a save waited {slowest:?}"
    );
    assert_every_revision_once(&app.db, &reader.seen).await;
}
