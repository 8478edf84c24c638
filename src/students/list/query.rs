//! The list's query: search, sort and pagination, read leniently (a bad
//! value falls back to its default) but never from invalid UTF-8.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::domain::StudentNumber;
use crate::http::query::QueryPairs;
use crate::students::paths;

/// The orders of the list, as `sort=` names them (`-` for descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Name,
    NameDesc,
    Gpa,
    GpaDesc,
    Updated,
    UpdatedDesc,
}

/// What the list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Name,
    Gpa,
    Updated,
}

impl SortColumn {
    /// In the order the list's headers show them.
    pub const ALL: [SortColumn; 3] = [SortColumn::Name, SortColumn::Gpa, SortColumn::Updated];

    /// The header of its column.
    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Name => "Name",
            SortColumn::Gpa => "GPA",
            SortColumn::Updated => "Last changed",
        }
    }
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::Name,
        Sort::NameDesc,
        Sort::Gpa,
        Sort::GpaDesc,
        Sort::Updated,
        Sort::UpdatedDesc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::NameDesc => "-name",
            Sort::Gpa => "gpa",
            Sort::GpaDesc => "-gpa",
            Sort::Updated => "updated",
            Sort::UpdatedDesc => "-updated",
        }
    }

    pub fn parse(value: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The order by `column`, ascending or descending.
    pub fn by(column: SortColumn, descending: bool) -> Sort {
        match (column, descending) {
            (SortColumn::Name, false) => Sort::Name,
            (SortColumn::Name, true) => Sort::NameDesc,
            (SortColumn::Gpa, false) => Sort::Gpa,
            (SortColumn::Gpa, true) => Sort::GpaDesc,
            (SortColumn::Updated, false) => Sort::Updated,
            (SortColumn::Updated, true) => Sort::UpdatedDesc,
        }
    }

    /// The column this order sorts by.
    pub fn column(self) -> SortColumn {
        match self {
            Sort::Name | Sort::NameDesc => SortColumn::Name,
            Sort::Gpa | Sort::GpaDesc => SortColumn::Gpa,
            Sort::Updated | Sort::UpdatedDesc => SortColumn::Updated,
        }
    }

    pub fn is_descending(self) -> bool {
        matches!(self, Sort::NameDesc | Sort::GpaDesc | Sort::UpdatedDesc)
    }

    /// How the list's sort menu names it.
    pub fn description(self) -> &'static str {
        match self {
            Sort::Name => "Name, A to Z",
            Sort::NameDesc => "Name, Z to A",
            Sort::Gpa => "GPA, lowest first",
            Sort::GpaDesc => "GPA, highest first",
            Sort::UpdatedDesc => "Recently changed first",
            Sort::Updated => "Least recently changed first",
        }
    }
}

/// Where a page starts: after or before a student (by id) in the list's
/// order. Pages reached this way cost the same however deep they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    After(i64),
    Before(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// The search text, trimmed; empty means no search.
    pub q: String,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
    pub sort: Sort,
    /// `after=ID` or `before=ID`; when given, `page` is not used.
    pub cursor: Option<Cursor>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            q: String::new(),
            page: 1,
            per_page: Self::DEFAULT_PER_PAGE,
            sort: Sort::default(),
            cursor: None,
        }
    }
}

impl ListQuery {
    pub const DEFAULT_PER_PAGE: u64 = 50;
    pub const MAX_PER_PAGE: u64 = 200;
    /// Longest search text used; the rest is ignored.
    pub const MAX_QUERY_CHARS: usize = 100;
    /// Most words a search matches by; the rest are ignored.
    pub const MAX_WORDS: usize = 8;
    const MAX_PAGE: u64 = 10_000_000;

    pub fn from_pairs(pairs: &QueryPairs) -> Self {
        let number = |key| pairs.get(key).and_then(|v| v.trim().parse::<u64>().ok());
        let id = |key| {
            number(key)
                .and_then(|n| i64::try_from(n).ok())
                .filter(|&n| n > 0)
        };
        let defaults = ListQuery::default();
        ListQuery {
            // Names and addresses hold no control characters: a tab or a
            // line break pasted into a search separates words, like a
            // space, and the database never sees bytes some backends
            // refuse (PostgreSQL, NUL).
            q: pairs
                .get("q")
                .map(|q| {
                    q.chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect::<String>()
                        .trim()
                        .chars()
                        .take(Self::MAX_QUERY_CHARS)
                        .collect()
                })
                .unwrap_or_default(),
            page: number("page")
                .filter(|&p| p >= 1)
                .map_or(defaults.page, |p| p.min(Self::MAX_PAGE)),
            per_page: number("per_page")
                .filter(|&n| n >= 1)
                .map_or(defaults.per_page, |n| n.min(Self::MAX_PER_PAGE)),
            sort: pairs.get("sort").and_then(Sort::parse).unwrap_or_default(),
            cursor: id("after")
                .map(Cursor::After)
                .or_else(|| id("before").map(Cursor::Before)),
        }
    }

    /// The search's folded words (contract §12); `None` for no search (a
    /// `q` of spaces or format characters only is none).
    pub fn search(&self) -> Option<Vec<String>> {
        let mut words = fold::words(&self.q);
        words.truncate(Self::MAX_WORDS);
        (!words.is_empty()).then_some(words)
    }

    /// The student number `q` is, if it is one (any case): that student is
    /// shown above the list.
    pub fn number(&self) -> Option<StudentNumber> {
        StudentNumber::parse(&self.q).ok().flatten()
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// The list's address with this query, at `page` and sorted by `sort`.
    pub fn href(&self, page: u64, sort: Sort) -> String {
        self.href_at(paths::LIST, page, sort)
    }

    /// The list's address with this query, starting at `cursor`; `page`
    /// is the number that page is shown as ("Page 2 of 9"): a cursor page
    /// is found by the cursor, never by its number.
    pub fn cursor_href(&self, cursor: Cursor, page: u64) -> String {
        let base = self.href_at(paths::LIST, page, self.sort);
        let separator = if base.contains('?') { '&' } else { '?' };
        match cursor {
            Cursor::After(id) => format!("{base}{separator}after={id}"),
            Cursor::Before(id) => format!("{base}{separator}before={id}"),
        }
    }

    /// The CSV export of the same search and order.
    pub fn csv_href(&self) -> String {
        self.href_at(paths::CSV, 1, self.sort)
    }

    /// [`ListQuery::csv_href`] for Excel (a byte-order mark first).
    pub fn excel_csv_href(&self) -> String {
        let href = self.csv_href();
        let join = if href.contains('?') { '&' } else { '?' };
        format!("{href}{join}excel=1")
    }

    fn href_at(&self, path: &str, page: u64, sort: Sort) -> String {
        let mut params = Vec::new();
        if !self.q.is_empty() {
            params.push(format!(
                "q={}",
                utf8_percent_encode(&self.q, NON_ALPHANUMERIC)
            ));
        }
        if sort != Sort::default() {
            params.push(format!(
                "sort={}",
                utf8_percent_encode(sort.as_str(), NON_ALPHANUMERIC)
            ));
        }
        if page != 1 {
            params.push(format!("page={page}"));
        }
        if self.per_page != Self::DEFAULT_PER_PAGE {
            params.push(format!("per_page={}", self.per_page));
        }
        if params.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", params.join("&"))
        }
    }

    /// The order a click on `column`'s header asks for: ascending, or
    /// descending when the list is already ascending by it.
    pub fn sort_toggle(&self, column: SortColumn) -> Sort {
        let ascending = Sort::by(column, false);
        if self.sort == ascending {
            Sort::by(column, true)
        } else {
            ascending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> ListQuery {
        ListQuery::from_pairs(&QueryPairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ))
    }

    #[test]
    fn bad_values_fall_back_to_defaults() {
        let q = query(&[("page", "0"), ("per_page", "abc"), ("sort", "bogus")]);
        assert_eq!(q, ListQuery::default());
        let q = query(&[("page", "-3"), ("per_page", "0"), ("sort", "")]);
        assert_eq!(q, ListQuery::default());
    }

    #[test]
    fn per_page_is_capped_and_pages_stay_in_range() {
        let q = query(&[("per_page", "100000"), ("page", "99999999999999999999")]);
        assert_eq!(q.per_page, ListQuery::MAX_PER_PAGE);
        assert_eq!(q.page, 1);
        let q = query(&[("page", "18446744073709551615")]);
        assert!(q.offset() < u64::MAX);
    }

    #[test]
    fn hrefs_keep_the_search_and_encode_it() {
        let q = query(&[("q", " a&b "), ("sort", "-gpa")]);
        assert_eq!(q.href(2, q.sort), "/students?q=a%26b&sort=%2Dgpa&page=2");
        assert_eq!(q.sort_toggle(SortColumn::Gpa), Sort::Gpa);
        assert_eq!(
            query(&[("sort", "gpa")]).sort_toggle(SortColumn::Gpa),
            Sort::GpaDesc
        );
    }
}
