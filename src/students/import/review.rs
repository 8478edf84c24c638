//! Which rows of an import the preview lists (contract §12, "every row can
//! be reviewed"): one class of rows (`outcome=update`, …) or all, from a
//! place in the file (`after=` or `before=` a row's `seq`). Read once from
//! the query, leniently as the list reads its own: a value that names no
//! class or no place is ignored (all rows, from the start).

use sea_orm::Iterable;

use super::store::row_pages::RowsAt;
use crate::db::entities::import_row::RowOutcome;
use crate::http::query::QueryPairs;
use crate::students::paths;

/// Rows a page of the preview lists.
pub const ROWS_PER_PAGE: u64 = 50;

/// The rows a preview page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review {
    /// One class of rows, or all of them.
    pub outcome: Option<RowOutcome>,
    pub at: RowsAt,
}

impl Default for Review {
    fn default() -> Self {
        Review {
            outcome: None,
            at: RowsAt::Start,
        }
    }
}

impl Review {
    pub fn from_pairs(pairs: &QueryPairs) -> Review {
        let seq = |key| {
            pairs
                .get(key)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|&seq| seq >= 0)
        };
        Review {
            outcome: pairs.get("outcome").and_then(outcome_named),
            at: seq("after")
                .map(RowsAt::After)
                .or_else(|| seq("before").map(RowsAt::Before))
                .unwrap_or(RowsAt::Start),
        }
    }

    /// The preview of import `id` showing `outcome` (or all rows) from
    /// `at`.
    pub fn href(id: &str, outcome: Option<RowOutcome>, at: RowsAt) -> String {
        let mut query = Vec::new();
        if let Some(outcome) = outcome {
            query.push(format!("outcome={}", outcome_word(outcome)));
        }
        match at {
            RowsAt::Start => {}
            RowsAt::After(seq) => query.push(format!("after={seq}")),
            RowsAt::Before(seq) => query.push(format!("before={seq}")),
        }
        let base = paths::import_preview(id);
        if query.is_empty() {
            base
        } else {
            format!("{base}?{}", query.join("&"))
        }
    }
}

/// The contract's word for an outcome: `create`, `update`, …
pub fn outcome_word(outcome: RowOutcome) -> String {
    sea_orm::ActiveEnum::to_value(&outcome)
}

/// The outcome `word` names (exactly, as the contract spells it).
pub fn outcome_named(word: &str) -> Option<RowOutcome> {
    RowOutcome::iter().find(|outcome| outcome_word(*outcome) == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(query: &str) -> Review {
        let pairs = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Review::from_pairs(&QueryPairs(pairs))
    }

    #[test]
    fn every_outcome_is_found_by_its_word_and_nothing_else() {
        for outcome in RowOutcome::iter() {
            assert_eq!(outcome_named(&outcome_word(outcome)), Some(outcome));
        }
        for word in ["", "Update", "updates", " update", "all"] {
            assert_eq!(outcome_named(word), None, "{word:?}");
        }
    }

    #[test]
    fn a_bad_value_is_ignored_as_the_list_ignores_one() {
        assert_eq!(review("outcome=nope&after=x"), Review::default());
        assert_eq!(review("after=-3"), Review::default());
        assert_eq!(
            review("outcome=invalid&after=49"),
            Review {
                outcome: Some(RowOutcome::Invalid),
                at: RowsAt::After(49)
            }
        );
        assert_eq!(review("before=50").at, RowsAt::Before(50));
    }

    #[test]
    fn an_href_reads_back_as_what_it_was_made_of() {
        let href = Review::href("abc", Some(RowOutcome::Update), RowsAt::After(7));
        assert_eq!(href, "/students/import/abc?outcome=update&after=7");
        let (_, query) = href.split_once('?').unwrap();
        assert_eq!(
            review(query),
            Review {
                outcome: Some(RowOutcome::Update),
                at: RowsAt::After(7)
            }
        );
        assert_eq!(
            Review::href("abc", None, RowsAt::Start),
            "/students/import/abc"
        );
    }
}
