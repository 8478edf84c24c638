//! What a record form carried, read from its posted pairs by name: the
//! student's fields, the `version`, the `revision` to restore and the
//! `reason`, for the forms that have them, and nothing else. A password, a
//! code, a form token or any other field is never read, so never kept
//! nor shown.

use axum::http::Method;

pub use crate::db::entities::kept_form::FormAction;
use crate::domain::{Field, Version};
use crate::error::TypedValue;
use crate::students::values::StudentForm;

/// The most of one value that is kept: more than any field's rule allows
/// (a longer value is refused when it is saved anyway), so a kept form
/// stays small whatever was posted.
pub const MAX_CHARS: usize = 1_000;

/// The hidden input of a kept form offered back: the kept form it came
/// from, forgotten once the record form is answered for good.
pub const KEPT_FIELD: &str = "kept";

/// The label pages give the reason input.
const REASON_LABEL: &str = "Reason for the change";
const REVISION_LABEL: &str = "Version to restore";

/// The record form a route of the table takes, if it is one (the routes
/// a session that ended mid-edit must lose nothing of).
pub fn of_route(method: &Method, path: &str) -> Option<FormAction> {
    if method != Method::POST {
        return None;
    }
    match path {
        "/students" => Some(FormAction::Create),
        "/students/{id}" => Some(FormAction::Edit),
        "/students/{id}/delete" => Some(FormAction::Delete),
        "/students/{id}/restore" => Some(FormAction::Restore),
        "/students/{id}/undelete" => Some(FormAction::Undelete),
        _ => None,
    }
}

/// What each record form has.
impl FormAction {
    /// It carries the student's fields.
    pub fn has_fields(self) -> bool {
        matches!(self, FormAction::Create | FormAction::Edit)
    }

    /// It is about an existing student, at the `version` its page showed.
    pub fn has_version(self) -> bool {
        self != FormAction::Create
    }

    pub fn has_revision(self) -> bool {
        self == FormAction::Restore
    }

    pub fn has_reason(self) -> bool {
        self != FormAction::Create
    }

    /// What the form did, for lists ("Edit").
    pub fn label(self) -> &'static str {
        match self {
            FormAction::Create => "New student",
            FormAction::Edit => "Edit",
            FormAction::Delete => "Delete",
            FormAction::Restore => "Restore",
            FormAction::Undelete => "Undelete",
        }
    }
}

/// What a record form carried, as typed (each value cut at
/// [`MAX_CHARS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub action: FormAction,
    pub student_id: Option<i64>,
    pub version: Option<Version>,
    pub revision: Option<Version>,
    pub values: StudentForm,
    pub reason: Option<String>,
}

impl Carried {
    /// What `pairs` (a posted form) carried for `action` on `student_id`;
    /// the fields the form does not have are not read.
    pub fn read(action: FormAction, student_id: Option<i64>, pairs: &[(String, String)]) -> Self {
        let number = |name| value(pairs, name).and_then(|v| Version::parse(&v).ok());
        Carried {
            action,
            student_id: student_id.filter(|_| action.has_version()),
            version: number("version").filter(|_| action.has_version()),
            revision: number("revision").filter(|_| action.has_revision()),
            values: if action.has_fields() {
                StudentForm::from_fn(|field| value(pairs, field.name()).unwrap_or_default())
            } else {
                StudentForm::default()
            },
            reason: value(pairs, "reason").filter(|_| action.has_reason()),
        }
    }

    /// Whether it says all its form must say to be offered back: the
    /// student and version (and the version to restore) as numbers. A
    /// post without them is refused `400` when sent: nothing to keep.
    pub fn is_whole(&self) -> bool {
        (!self.action.has_version() || (self.student_id.is_some() && self.version.is_some()))
            && (!self.action.has_revision() || self.revision.is_some())
    }

    /// What was typed, labelled as the form labels it, for a page that
    /// shows it to copy (the hidden version is not typed).
    pub fn typed(&self) -> Vec<TypedValue> {
        let mut typed = Vec::new();
        if self.action.has_fields() {
            // An optional field left blank was not typed.
            typed.extend(
                Field::ALL
                    .into_iter()
                    .filter(|field| {
                        !(field.is_optional_column() && field.is_blank(self.values.value(*field)))
                    })
                    .map(|field| TypedValue {
                        label: field.label(),
                        value: self.values.value(field).to_owned(),
                    }),
            );
        }
        if let Some(revision) = self.revision {
            typed.push(TypedValue {
                label: REVISION_LABEL,
                value: revision.to_string(),
            });
        }
        if let Some(reason) = self.reason.as_ref().filter(|r| !r.is_empty()) {
            typed.push(TypedValue {
                label: REASON_LABEL,
                value: reason.clone(),
            });
        }
        typed
    }

    /// The student's fields as the table keeps them: form-encoded under
    /// their names.
    pub fn encoded_values(&self) -> String {
        let pairs: Vec<(&str, &str)> = Field::ALL
            .into_iter()
            .map(|field| (field.name(), self.values.value(field)))
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The student's fields from [`Carried::encoded_values`].
    pub fn decoded_values(encoded: &str) -> StudentForm {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(encoded).unwrap_or_default();
        StudentForm::from_fn(|field| value(&pairs, field.name()).unwrap_or_default())
    }
}

/// The first value posted under `name`, cut at [`MAX_CHARS`].
fn value(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.chars().take(MAX_CHARS).collect())
}

/// The kept form a record form offered back names (its hidden
/// [`KEPT_FIELD`]), if any.
pub fn kept_id(pairs: &[(String, String)]) -> Option<i64> {
    pairs
        .iter()
        .find(|(key, _)| key == KEPT_FIELD)
        .and_then(|(_, value)| value.parse().ok())
        .filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn only_the_fields_of_the_form_are_read() {
        let posted = pairs(&[
            ("csrf_token", "secret"),
            ("password", "hunter2 hunter2"),
            ("code", "123456"),
            ("name", "Ada"),
            ("address", "1 Main St"),
            ("gpa", "3.5"),
            ("version", "4"),
            ("revision", "2"),
            ("reason", "moved"),
        ]);
        let edit = Carried::read(FormAction::Edit, Some(7), &posted);
        assert_eq!(edit.values.name, "Ada");
        assert_eq!(edit.version, Some(Version::new(4)));
        assert_eq!(edit.revision, None);
        assert!(edit.is_whole());
        let typed: Vec<String> = edit.typed().into_iter().map(|t| t.value).collect();
        assert_eq!(typed, ["Ada", "1 Main St", "3.5", "moved"]);
        let encoded = edit.encoded_values();
        assert!(!encoded.contains("hunter2") && !encoded.contains("123456"));
        assert!(!encoded.contains("secret"));
        assert_eq!(Carried::decoded_values(&encoded), edit.values);

        let delete = Carried::read(FormAction::Delete, Some(7), &posted);
        assert_eq!(delete.values, StudentForm::default());
        assert_eq!(delete.reason.as_deref(), Some("moved"));
        let restore = Carried::read(FormAction::Restore, Some(7), &posted);
        assert_eq!(restore.revision, Some(Version::new(2)));
        let create = Carried::read(FormAction::Create, None, &posted);
        assert_eq!((create.version, create.reason.as_deref()), (None, None));
        assert!(create.is_whole());
    }

    #[test]
    fn a_form_without_its_numbers_is_not_whole_and_values_are_bounded() {
        let long = "x".repeat(5_000);
        let posted = pairs(&[("name", &long), ("version", "four")]);
        let edit = Carried::read(FormAction::Edit, Some(7), &posted);
        assert!(!edit.is_whole());
        assert_eq!(edit.values.name.chars().count(), MAX_CHARS);
        let restore = Carried::read(FormAction::Restore, Some(7), &pairs(&[("version", "3")]));
        assert!(!restore.is_whole());
    }

    #[test]
    fn the_record_form_routes_are_named() {
        assert_eq!(
            of_route(&Method::POST, "/students/{id}"),
            Some(FormAction::Edit)
        );
        assert_eq!(of_route(&Method::GET, "/students/{id}"), None);
        assert_eq!(of_route(&Method::POST, "/students/import"), None);
        assert_eq!(kept_id(&pairs(&[(KEPT_FIELD, "12")])), Some(12));
        assert_eq!(kept_id(&pairs(&[(KEPT_FIELD, "-1")])), None);
    }
}
