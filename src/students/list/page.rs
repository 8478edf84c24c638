//! The list page: one struct, and the links it is built with.

use askama::Template;

use super::db::{ListRows, Total};
use super::query::{Cursor, ListQuery, Sort, SortColumn};
use crate::domain::Disclosure;
use crate::students::paths;
use crate::students::record::views::StudentView;
use crate::views::Layout;

/// A column header of the list that sorts by it.
#[derive(Debug, Clone)]
pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    pub aria_sort: &'static str,
}

/// The orders of the sort menu, in its order.
const MENU: [Sort; 6] = [
    Sort::Name,
    Sort::NameDesc,
    Sort::Gpa,
    Sort::GpaDesc,
    Sort::UpdatedDesc,
    Sort::Updated,
];

#[derive(Template)]
#[template(path = "students/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub query: ListQuery,
    pub students: Vec<StudentView>,
    pub total: Total,
    /// Known when the page was asked for by number.
    pub page_number: Option<u64>,
    pub pages: Option<u64>,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
    pub first_href: Option<String>,
    pub headers: Vec<SortHeader>,
    /// The sort menu: each order and how it is described.
    pub sorts: Vec<(Sort, &'static str)>,
    pub per_page_choices: Vec<u64>,
    pub csv_href: String,
    pub excel_csv_href: String,
    /// The student whose number the search is (contract §12), shown above
    /// the list, which is unchanged.
    pub numbered: Option<StudentView>,
}

impl ListPage {
    pub fn new(layout: Layout, query: ListQuery, page: &ListRows, disclosure: Disclosure) -> Self {
        let students: Vec<StudentView> = page
            .students
            .iter()
            .map(|s| StudentView::new(s, disclosure))
            .collect();
        // A page reached by a cursor carries its number in the link that
        // led there, so "Page N of M" survives "Next" and "Previous".
        let pages =
            (!page.total.at_least).then(|| page.total.count.div_ceil(query.per_page).max(1));
        let number = match query.cursor {
            Some(_) => query.page.min(pages.unwrap_or(u64::MAX)).max(1),
            None => query.page,
        };
        let previous_href = page.has_previous.then(|| match students.first() {
            Some(first) => {
                query.cursor_href(Cursor::Before(first.id), number.saturating_sub(1).max(1))
            }
            None => query.href(1, query.sort),
        });
        let next_href = page
            .has_next
            .then(|| {
                students
                    .last()
                    .map(|last| query.cursor_href(Cursor::After(last.id), number + 1))
            })
            .flatten();
        let first_href = page.has_previous.then(|| query.href(1, query.sort));
        let headers = SortColumn::ALL
            .into_iter()
            .map(|column| SortHeader {
                label: column.label(),
                href: query.href(1, query.sort_toggle(column)),
                aria_sort: match (query.sort.column() == column, query.sort.is_descending()) {
                    (true, false) => "ascending",
                    (true, true) => "descending",
                    (false, _) => "none",
                },
            })
            .collect();
        let sorts = MENU
            .into_iter()
            .map(|sort| (sort, sort.description()))
            .collect();
        let csv_href = query.csv_href();
        let excel_csv_href = query.excel_csv_href();
        ListPage {
            layout,
            page_number: Some(number),
            query,
            students,
            total: page.total,
            pages,
            previous_href,
            next_href,
            first_href,
            headers,
            sorts,
            per_page_choices: vec![25, 50, 100, 200],
            csv_href,
            excel_csv_href,
            numbered: None,
        }
    }

    /// "1,234" rather than "1234".
    pub fn total_text(&self) -> String {
        let digits = self.total.count.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if self.total.at_least {
            format!("More than {grouped}")
        } else {
            grouped
        }
    }

    pub fn shown_range(&self) -> Option<(u64, u64)> {
        let first = self
            .page_number
            .map(|p| (p - 1) * self.query.per_page + 1)?;
        (!self.students.is_empty()).then(|| (first, first + self.students.len() as u64 - 1))
    }
}
