//! MariaDB's search asks for its trigrams' estimates before it reads any
//! posting (issue 31, `students::list::postings::candidates`): a search of
//! one word whose every trigram is estimated at more than three times the
//! cap is known to be crowded without reading the postings' intersection;
//! a word estimated nearer the cap, or two words (common apart, they may
//! be rare together), read it. Which path was taken shows in the session's
//! index reads: an `EXPLAIN` reads no index entry, the intersection one a
//! candidate. The caps are small here so that 200 students crowd them.

use registrar::students::demo;
use registrar::students::list::postings::{Candidates, candidates};
use registrar::testing::Backend;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait};

use crate::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql() {
    a_crowded_word_is_known_by_its_estimates(Backend::MySql).await;
}

/// Index entries this session has read so far.
async fn index_reads(txn: &DatabaseTransaction) -> u64 {
    let sql =
        "SHOW SESSION STATUS WHERE Variable_name IN ('Handler_read_key', 'Handler_read_next')";
    let rows = txn
        .query_all_raw(Statement::from_string(DbBackend::MySql, sql))
        .await
        .expect("session status");
    assert_eq!(rows.len(), 2);
    rows.iter()
        .map(|row| {
            let value: String = row.try_get("", "Value").expect("a value");
            value.parse::<u64>().expect("a count")
        })
        .sum()
}

/// What `candidates` answers for `words` under `cap`, and the index
/// entries it read to answer.
async fn asked(txn: &DatabaseTransaction, words: &[&str], cap: u64) -> (Candidates, u64) {
    let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    let before = index_reads(txn).await;
    let found = candidates(txn, &words, cap).await.expect("candidates");
    (found, index_reads(txn).await - before)
}

async fn a_crowded_word_is_known_by_its_estimates(backend: Backend) {
    let app = spawn_app!(backend);
    // Every demo student's number holds "d00" and "000": 200 postings each.
    demo::fill(&app.db, 200, 1, false, |_| {})
        .await
        .expect("demo data");
    // One connection, so that its session's counts are the searches'.
    let txn = app.db.begin().await.expect("a transaction");

    // 200 postings, more than three times a cap of 10: not read at all.
    let (found, read) = asked(&txn, &["d00"], 10).await;
    assert_eq!(found, Candidates::Crowded(vec!["d00".to_owned()]));
    assert_eq!(read, 0, "the estimates alone should have told");

    // Under three times a cap of 100: the intersection is read, up to the
    // cap and one more, and says crowded.
    let (found, read) = asked(&txn, &["d00"], 100).await;
    assert_eq!(found, Candidates::Crowded(vec!["d00".to_owned()]));
    assert!(
        read > 100,
        "the intersection was not read: {read} index reads"
    );

    // Two words, each crowding the cap: read, since together they might
    // not (here they do).
    let (found, read) = asked(&txn, &["d00", "000"], 10).await;
    assert!(matches!(found, Candidates::Crowded(_)), "{found:?}");
    assert!(
        read > 10,
        "the intersection was not read: {read} index reads"
    );

    // A word nobody has: the intersection is read, and is empty.
    let (found, read) = asked(&txn, &["zzqx"], 10).await;
    assert_eq!(found, Candidates::Ids(Vec::new()));
    assert!(read <= 2, "{read} index reads for no posting");

    // A word few have: read, and its candidates given (the postings'
    // intersection: a superset of the matches, which the rows then check).
    let (found, _) = asked(&txn, &["d0000199"], 10).await;
    let Candidates::Ids(ids) = found else {
        panic!("one student's number gave {found:?}");
    };
    assert!((1..=10).contains(&ids.len()), "{ids:?}");
    txn.rollback().await.expect("rollback");
}
