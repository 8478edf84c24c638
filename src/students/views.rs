//! One struct per student page; templates live in `templates/students/`.

use askama::Template;

use super::conflict::{Change, Comparison, gpa_text, label, values};
use super::form::{FieldErrors, StudentForm};
use super::list::{Cursor, ListQuery, Sort};
use super::listing::{self, Total};
use super::store::{ConflictEntry, Revision, Student};
use crate::views::{Instant, Layout};

/// A student as the pages show it.
#[derive(Debug, Clone)]
pub struct StudentView {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub gpa: String,
    pub version: i64,
    pub created_at: Instant,
    pub updated_at: Instant,
    pub updated_by: String,
}

impl From<&Student> for StudentView {
    fn from(s: &Student) -> Self {
        StudentView {
            id: s.id,
            name: s.name.clone(),
            address: s.address.clone(),
            gpa: gpa_text(s.gpa_hundredths),
            version: s.version,
            created_at: s.created_at.into(),
            updated_at: s.updated_at.into(),
            updated_by: s.updated_by.clone(),
        }
    }
}

impl StudentView {
    pub fn form(&self) -> StudentForm {
        StudentForm {
            name: self.name.clone(),
            address: self.address.clone(),
            gpa: self.gpa.clone(),
        }
    }
}

/// A column header of the list that sorts by it.
#[derive(Debug, Clone)]
pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    pub aria_sort: &'static str,
}

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
    pub sorts: Vec<(&'static str, &'static str)>,
    pub per_page_choices: Vec<u64>,
    pub csv_href: String,
}

impl ListPage {
    pub fn new(layout: Layout, query: ListQuery, page: &listing::ListPage) -> Self {
        let students: Vec<StudentView> = page.students.iter().map(StudentView::from).collect();
        let by_number = query.cursor.is_none();
        let pages = (by_number && !page.total.at_least)
            .then(|| page.total.count.div_ceil(query.per_page).max(1));
        let previous_href = page.has_previous.then(|| match students.first() {
            Some(first) => query.cursor_href(Cursor::Before(first.id)),
            None => query.href(1, query.sort),
        });
        let next_href = page
            .has_next
            .then(|| {
                students
                    .last()
                    .map(|last| query.cursor_href(Cursor::After(last.id)))
            })
            .flatten();
        let first_href = page.has_previous.then(|| query.href(1, query.sort));
        let headers = [
            ("Name", "name"),
            ("GPA", "gpa"),
            ("Last changed", "updated"),
        ]
        .into_iter()
        .map(|(label, column)| SortHeader {
            label,
            href: query.href(1, query.sort_toggle(column)),
            aria_sort: match (query.sort.column() == column, query.sort.is_descending()) {
                (true, false) => "ascending",
                (true, true) => "descending",
                (false, _) => "none",
            },
        })
        .collect();
        let sorts = vec![
            (Sort::Name.as_str(), "Name, A to Z"),
            (Sort::NameDesc.as_str(), "Name, Z to A"),
            (Sort::Gpa.as_str(), "GPA, lowest first"),
            (Sort::GpaDesc.as_str(), "GPA, highest first"),
            (Sort::UpdatedDesc.as_str(), "Recently changed first"),
            (Sort::Updated.as_str(), "Least recently changed first"),
        ];
        let csv_href = query.csv_href();
        ListPage {
            layout,
            page_number: by_number.then_some(query.page),
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
        }
    }

    pub fn is_sorted_by(&self, sort: &str) -> bool {
        self.query.sort.as_str() == sort
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

#[derive(Template)]
#[template(path = "students/show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub student: StudentView,
}

/// `410 Gone`: the student was deleted.
#[derive(Template)]
#[template(path = "students/gone.html")]
pub struct GonePage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub deleted_by: String,
    pub deleted_at: Instant,
}

impl GonePage {
    pub fn new(layout: Layout, student: &Student) -> Self {
        GonePage {
            layout,
            id: student.id,
            name: student.name.clone(),
            deleted_by: student.deleted_by.clone().unwrap_or_default(),
            deleted_at: student.deleted_at.unwrap_or(student.updated_at).into(),
        }
    }
}

/// The create and edit forms.
#[derive(Template)]
#[template(path = "students/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub heading: String,
    pub action: String,
    pub submit_label: &'static str,
    pub cancel_href: String,
    pub values: StudentForm,
    pub errors: FieldErrors,
    /// The version the edit form was opened at; `None` on the create form.
    pub version: Option<i64>,
    /// Why the form is shown again when no field is at fault ("busy").
    pub notice: Option<&'static str>,
}

impl FormPage {
    pub fn create(values: StudentForm, errors: FieldErrors) -> Self {
        FormPage {
            layout: Layout::new("New student").with_errors(!errors.is_empty()),
            heading: "New student".to_owned(),
            action: "/students".to_owned(),
            submit_label: "Create student",
            cancel_href: "/students".to_owned(),
            values,
            errors,
            version: None,
            notice: None,
        }
    }

    pub fn edit(
        id: i64,
        name: &str,
        version: i64,
        values: StudentForm,
        errors: FieldErrors,
    ) -> Self {
        FormPage {
            layout: Layout::new(format!("Edit {name}")).with_errors(!errors.is_empty()),
            heading: format!("Edit {name}"),
            action: format!("/students/{id}"),
            submit_label: "Save changes",
            cancel_href: format!("/students/{id}"),
            values,
            errors,
            version: Some(version),
            notice: None,
        }
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    pub fn field_names(&self) -> [&'static str; 3] {
        ["name", "address", "gpa"]
    }

    pub fn value(&self, field: &str) -> &str {
        match field {
            "name" => &self.values.name,
            "address" => &self.values.address,
            _ => &self.values.gpa,
        }
    }

    pub fn error_list(&self) -> Vec<(&'static str, &str)> {
        self.errors.in_form_order()
    }

    pub fn label(&self, field: &str) -> &'static str {
        label(field)
    }
}

/// `409`: the registrar's form was stale.
#[derive(Template)]
#[template(path = "students/conflict.html")]
pub struct ConflictPage {
    pub layout: Layout,
    pub comparison: Comparison,
    pub name: String,
}

/// `409`: the student was deleted while the registrar edited it.
#[derive(Template)]
#[template(path = "students/deleted_meanwhile.html")]
pub struct DeletedMeanwhilePage {
    pub layout: Layout,
    pub gone: GonePage,
    pub yours: StudentForm,
}

/// `409`: a delete from a stale page.
#[derive(Template)]
#[template(path = "students/delete_conflict.html")]
pub struct DeleteConflictPage {
    pub layout: Layout,
    pub student: StudentView,
    pub seen_version: i64,
    pub changes: Vec<Change>,
}

/// One value of a field before and after a change.
#[derive(Debug, Clone)]
pub struct FieldChange {
    pub label: &'static str,
    pub old: Option<String>,
    pub new: String,
}

/// One line of a student's history: a revision or a conflict entry.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    /// `created`, `updated`, `deleted` or `conflict`.
    pub kind: String,
    pub version: i64,
    pub registrar: String,
    pub at: Instant,
    pub changes: Vec<FieldChange>,
    /// For a conflict entry: what it was about.
    pub note: Option<String>,
    /// Newest first by version (clocks of several instances may disagree);
    /// a conflict entry sits just after the version it was refused at.
    sort_key: (i64, u8, chrono::DateTime<chrono::Utc>),
}

impl HistoryEntry {
    pub fn title(&self) -> String {
        match self.kind.as_str() {
            "created" => format!("Created as version {}", self.version),
            "imported" => format!("Imported as version {}", self.version),
            "updated" => format!("Version {}", self.version),
            "deleted" => format!("Deleted (version {})", self.version),
            _ => "Conflict: a stale submission was refused".to_owned(),
        }
    }

    pub fn from_revisions(revisions: &[Revision]) -> Vec<HistoryEntry> {
        let mut previous: Option<&Revision> = None;
        let mut entries = Vec::with_capacity(revisions.len());
        for revision in revisions {
            let new = values(&revision.name, &revision.address, revision.gpa_hundredths);
            let old = previous.map(|p| values(&p.name, &p.address, p.gpa_hundredths));
            let changes = new
                .iter()
                .enumerate()
                .filter_map(|(i, (field, value))| {
                    let old_value = old.as_ref().map(|o| o[i].1.clone());
                    let changed = old_value.as_deref() != Some(value.as_str());
                    (changed && revision.action != "deleted").then(|| FieldChange {
                        label: label(field),
                        old: old_value,
                        new: value.clone(),
                    })
                })
                .collect();
            entries.push(HistoryEntry {
                kind: revision.action.clone(),
                version: revision.version,
                registrar: revision.registrar.clone(),
                at: revision.at.into(),
                changes,
                note: None,
                sort_key: (revision.version, 0, revision.at),
            });
            previous = Some(revision);
        }
        entries
    }

    pub fn from_conflict(entry: &ConflictEntry) -> HistoryEntry {
        let submitted = [
            ("name", &entry.name),
            ("address", &entry.address),
            ("gpa", &entry.gpa),
        ]
        .into_iter()
        .filter_map(|(field, value)| {
            value.as_ref().map(|v| FieldChange {
                label: label(field),
                old: None,
                new: v.clone(),
            })
        })
        .collect();
        let note = if entry.attempted == "delete" {
            format!(
                "A delete from a page at version {} was refused: the record was at version {}.",
                entry.submitted_version, entry.current_version
            )
        } else {
            format!(
                "An edit of version {} was refused: the record was at version {}. The values submitted:",
                entry.submitted_version, entry.current_version
            )
        };
        HistoryEntry {
            kind: "conflict".to_owned(),
            version: entry.submitted_version,
            registrar: entry.registrar.clone(),
            at: entry.at.into(),
            changes: submitted,
            note: Some(note),
            sort_key: (entry.current_version, 1, entry.at),
        }
    }

    /// Newest first.
    pub fn sort(entries: &mut [HistoryEntry]) {
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.sort_key));
    }
}

#[derive(Template)]
#[template(path = "students/history.html")]
pub struct HistoryPage {
    pub layout: Layout,
    pub id: i64,
    pub name: String,
    pub deleted: bool,
    pub entries: Vec<HistoryEntry>,
    pub newer_href: Option<String>,
    pub older_href: Option<String>,
}

/// One line of "My changes".
#[derive(Debug, Clone)]
pub struct MyChange {
    pub student_id: i64,
    pub name: String,
    pub version: i64,
    pub action: String,
    pub at: Instant,
}

#[derive(Template)]
#[template(path = "students/my_changes.html")]
pub struct MyChangesPage {
    pub layout: Layout,
    pub changes: Vec<MyChange>,
    pub older_href: Option<String>,
    pub first_page: bool,
}

/// The CSV upload form, and the problems of a file that was refused.
#[derive(Template)]
#[template(path = "students/import.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub problems: Vec<super::import::Problem>,
    pub total_problems: usize,
    pub message: Option<String>,
}

impl ImportPage {
    pub fn more_problems(&self) -> usize {
        self.total_problems.saturating_sub(self.problems.len())
    }

    pub fn field_label(&self, field: &str) -> &'static str {
        match field {
            "file" => "File",
            other => label(other),
        }
    }
}

/// What an import would create, before the registrar confirms it.
#[derive(Template)]
#[template(path = "students/import_preview.html")]
pub struct ImportPreviewPage {
    pub layout: Layout,
    pub id: String,
    pub filename: String,
    pub count: usize,
    pub sample: Vec<StudentView>,
}
