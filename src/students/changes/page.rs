//! The change log's page: one struct, what it says above the entries, and
//! the links it is built with.

use askama::Template;
use sea_orm::Iterable;

use super::entries::{Entry, ImportSummary};
use super::query::{Filters, Problem, Typed};
use crate::students::paths;
use crate::students::store::Action;
use crate::views::{Instant, Layout};

/// A text or date input of the filter form.
#[derive(Debug, Clone)]
pub struct FilterInput {
    pub name: &'static str,
    pub label: &'static str,
    /// `text` or `date`.
    pub kind: &'static str,
    pub numeric: bool,
    pub value: String,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "students/changes.html")]
pub struct ChangesPage {
    pub layout: Layout,
    pub heading: String,
    /// The filters as typed, for the form.
    pub typed: Typed,
    /// Every action, for the form's menu.
    pub actions: Vec<Action>,
    /// The filter that could not be read (the page is a `400`).
    pub problem: Option<Problem>,
    /// What a filter named that does not exist ("No account is named …").
    pub notes: Vec<String>,
    /// With `import=`: the import whose rows these are.
    pub import: Option<ImportSummary>,
    pub entries: Vec<Entry>,
    pub first_page: bool,
    pub filtered: bool,
    pub newest_href: Option<String>,
    pub older_href: Option<String>,
    pub csv_href: Option<String>,
}

impl ChangesPage {
    /// The page of `entries` for `filters`, headed `heading` (the caller
    /// adds its links and notes).
    pub fn new(
        layout: Layout,
        heading: String,
        typed: Typed,
        filters: &Filters,
        entries: Vec<Entry>,
    ) -> Self {
        ChangesPage {
            layout,
            heading,
            typed,
            actions: Action::iter().collect(),
            problem: None,
            notes: Vec::new(),
            import: None,
            entries,
            first_page: true,
            filtered: filters.any(),
            newest_href: None,
            older_href: None,
            csv_href: Some(filters.csv_href()),
        }
    }

    /// The form again, as typed, saying which filter could not be read.
    pub fn refused(layout: Layout, typed: Typed, problem: Problem) -> Self {
        ChangesPage {
            problem: Some(problem),
            filtered: true,
            csv_href: None,
            ..ChangesPage::new(
                layout.with_errors(true),
                "Changes".to_owned(),
                typed,
                &Filters::default(),
                Vec::new(),
            )
        }
    }

    /// The filter form's inputs (the action menu aside), as typed.
    pub fn inputs(&self) -> Vec<FilterInput> {
        let input = |name, label, kind, value: &String| FilterInput {
            name,
            label,
            kind,
            numeric: name == "student",
            value: value.clone(),
            error: self.error(name),
        };
        vec![
            input("by", "By (username)", "text", &self.typed.by),
            input("since", "Since", "date", &self.typed.since),
            input("until", "Until", "date", &self.typed.until),
            input("student", "Student (id)", "text", &self.typed.student),
        ]
    }

    /// The message of `field`, when it is the one that could not be read.
    pub fn error(&self, field: &str) -> Option<&'static str> {
        self.problem
            .filter(|p| p.field() == field)
            .map(Problem::message)
    }

    pub fn at(&self, at: &chrono::DateTime<chrono::Utc>) -> Instant {
        (*at).into()
    }

    /// Where an import's entry leads: the page of its rows.
    pub fn rows_href(&self, import: &ImportSummary) -> String {
        Filters {
            import: Some(import.import_id.clone()),
            ..Filters::default()
        }
        .href(None)
    }

    /// The import a revision of the log came from, as a link.
    pub fn import_href(&self, import_id: &str) -> String {
        Filters {
            import: Some(import_id.to_owned()),
            ..Filters::default()
        }
        .href(None)
    }
}
