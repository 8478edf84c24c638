//! One struct per page of a single student, and the partial of its three
//! inputs; templates in `templates/students/`.

use askama::Template;

use crate::cluster::submission::Submission;
use crate::db::entities::student::Listed;
use crate::domain::{Disclosure, Field, FieldErrors, confidential};
use crate::presence::Notice;
use crate::students::form::StudentForm;
use crate::students::paths;
use crate::students::store::Student;
use crate::students::store::numbers::Holder;
use crate::views::{Instant, Layout, isolated};

/// A student as the pages show it.
#[derive(Debug, Clone)]
pub struct StudentView {
    pub id: i64,
    /// Its values as pages show them.
    pub values: StudentForm,
    pub version: i64,
    pub created_at: Instant,
    pub updated_at: Instant,
    pub updated_by: String,
    pub deleted: bool,
    /// A directory-information hold: every page that shows the student
    /// says so.
    pub confidential: bool,
    /// Whether the reader is denied the hold's withheld fields (their
    /// values here are empty, never sent).
    pub withholding: bool,
}

impl StudentView {
    /// The student `s` as a reader with `disclosure` may see it.
    pub fn of(s: &Student, disclosure: Disclosure) -> Self {
        StudentView::new(&Listed::from(s), disclosure)
    }

    /// A listed student as a reader with `disclosure` may see it.
    pub fn new(s: &Listed, disclosure: Disclosure) -> Self {
        let withholding = disclosure.withholds_from(s.confidential);
        let mut values = StudentForm::of(s);
        if withholding {
            values = StudentForm::from_fn(|field| match field.is_withheld_by_hold() {
                true => String::new(),
                false => values.value(field).to_owned(),
            });
        }
        StudentView {
            id: s.id,
            values,
            version: s.version,
            created_at: s.created_at.into(),
            updated_at: s.updated_at.into(),
            updated_by: s.updated_by.clone(),
            deleted: s.deleted_at.is_some(),
            confidential: s.confidential,
            withholding,
        }
    }

    /// Whether `field`'s value is withheld from this reader.
    pub fn is_withheld(&self, field: &Field) -> bool {
        self.withholding && field.is_withheld_by_hold()
    }

    pub fn name(&self) -> &str {
        &self.values.name
    }

    /// Its student number, if it has one.
    pub fn number(&self) -> Option<&str> {
        Some(self.values.student_number.as_str()).filter(|n| !n.is_empty())
    }

    /// Each field with its value, in form order.
    pub fn fields(&self) -> impl Iterator<Item = (Field, &str)> {
        Field::ALL
            .into_iter()
            .map(|field| (field, self.values.value(field)))
    }
}

#[derive(Template)]
#[template(path = "students/show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub student: StudentView,
    /// Why the latest change was made, if its author said.
    pub latest_reason: Option<String>,
    /// Others with the edit form open.
    pub others: Vec<Notice>,
    /// Live students with the same folded name, named on a new record's
    /// page (contract §12: possible duplicates, never blocking).
    pub duplicates: Vec<StudentView>,
}

/// `GET /students/{id}/delete`: what a delete removes, and the form that
/// removes it at the version shown (`POST /students/{id}/delete`).
#[derive(Template)]
#[template(path = "students/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub student: StudentView,
    /// Others with the edit form open: deleting ends their edit.
    pub others: Vec<Notice>,
    /// The reason as typed, and why it was refused (`422`).
    pub reason: String,
    pub reason_error: Option<String>,
}

impl DeletePage {
    /// The page of `student` as it is now, titled with the question (the
    /// caller adds the signed-in registrar to its layout).
    pub fn new(student: &Student, others: Vec<Notice>) -> Self {
        DeletePage {
            layout: Layout::new(format!("Delete {}?", isolated(&student.name))),
            // Registrars only: they see every value.
            student: StudentView::of(student, Disclosure::Full),
            others,
            reason: String::new(),
            reason_error: None,
        }
    }

    /// Shown again with the reason as typed and why it was refused.
    pub fn with_reason(mut self, reason: String, error: Option<String>) -> Self {
        self.layout.has_errors |= error.is_some();
        self.reason = reason;
        self.reason_error = error;
        self
    }

    /// Its presence notice says only who is editing.
    pub fn editing(&self) -> bool {
        false
    }
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
    /// The deleted record's version, which its undelete form sends.
    pub version: i64,
    /// Whether the page offers to undelete (not where it explains a
    /// refusal with a form of its own).
    pub offer_undelete: bool,
    pub reason: String,
    pub reason_error: Option<String>,
    /// The deleted student was confidential (the page says so).
    pub confidential: bool,
}

impl GonePage {
    pub fn new(layout: Layout, student: &Student) -> Self {
        GonePage {
            layout,
            id: student.id,
            name: student.name.clone(),
            deleted_by: student.deleted_by.clone().unwrap_or_default(),
            deleted_at: student.deleted_at.unwrap_or(student.updated_at).into(),
            version: student.version,
            offer_undelete: student.deleted_at.is_some(),
            reason: String::new(),
            reason_error: None,
            confidential: student.confidential,
        }
    }
}

/// The heading of a form's notice, unless it says otherwise.
const NOT_SAVED_YET: &str = "Not saved yet";

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
    /// Why the form is shown again when no field is at fault ("busy"),
    /// under `notice_title`.
    pub notice: Option<&'static str>,
    pub notice_title: &'static str,
    /// This form's submission id (contract §10): fresh when the form is
    /// opened, kept when it is shown again, so sending it twice applies it
    /// once.
    pub submission: Submission,
    /// The reason for the change as typed (edit form only), and its message.
    pub reason: Option<String>,
    pub reason_error: Option<String>,
    /// Others with this edit form open (contract §8).
    pub others: Vec<Notice>,
    /// The student that holds the number typed, when that refused it.
    pub taken: Option<Holder>,
    /// The form offered back from one kept when a session ended.
    pub kept: Option<KeptNote>,
}

/// A form offered back from one kept when its session ended (contract
/// §12): the notice that says so, and the hidden input naming the kept
/// form (`templates/kept/_note.html`).
#[derive(Debug, Clone)]
pub struct KeptNote {
    pub id: i64,
    pub kept_at: Instant,
    /// Why the session had ended ("it was idle for too long").
    pub why: &'static str,
    /// Where it is discarded.
    pub discard: String,
}

impl ShowPage {
    /// The record's page offers no save: its presence notice says only who
    /// is editing.
    pub fn editing(&self) -> bool {
        false
    }
}

impl FormPage {
    /// The edit form: its presence notice says saving is still safe.
    pub fn editing(&self) -> bool {
        true
    }

    pub fn create(values: StudentForm, errors: FieldErrors) -> Self {
        FormPage {
            layout: Layout::new("New student").with_errors(!errors.is_empty()),
            heading: "New student".to_owned(),
            action: paths::LIST.to_owned(),
            submit_label: "Create student",
            cancel_href: paths::LIST.to_owned(),
            values,
            errors,
            version: None,
            notice: None,
            notice_title: NOT_SAVED_YET,
            submission: Submission::new(),
            reason: None,
            reason_error: None,
            others: Vec::new(),
            taken: None,
            kept: None,
        }
    }

    /// The edit form of student `id`, called `name` in its heading.
    pub fn edit(
        id: i64,
        name: &str,
        version: i64,
        values: StudentForm,
        errors: FieldErrors,
    ) -> Self {
        FormPage {
            layout: Layout::new(format!("Edit {}", isolated(name))).with_errors(!errors.is_empty()),
            heading: format!("Edit {}", isolated(name)),
            action: paths::student(id),
            submit_label: "Save changes",
            cancel_href: paths::student(id),
            values,
            errors,
            version: Some(version),
            notice: None,
            notice_title: NOT_SAVED_YET,
            submission: Submission::new(),
            reason: Some(String::new()),
            reason_error: None,
            others: Vec::new(),
            taken: None,
            kept: None,
        }
    }

    /// The form shown again naming the student that holds its number.
    pub fn with_taken(mut self, taken: Option<Holder>) -> Self {
        self.taken = taken;
        self
    }

    /// The form shown again with the submission id it was sent with, so that
    /// sending it again is recognised (a fresh id when it carried none).
    pub fn with_submission(mut self, submission: Option<Submission>) -> Self {
        if let Some(submission) = submission {
            self.submission = submission;
        }
        self
    }

    /// The registrar's reason and its message, as the edit form shows them.
    pub fn with_reason(mut self, reason: Option<String>, error: Option<String>) -> Self {
        self.layout.has_errors |= error.is_some();
        self.reason = Some(reason.unwrap_or_default());
        self.reason_error = error;
        self
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.reason_error.is_some()
    }

    /// Whether the form shows a confidential student (its box ticked).
    pub fn is_confidential(&self) -> bool {
        confidential::parse(&self.values.confidential) == Ok(true)
    }

    pub fn fields(&self) -> FieldInputs<'_> {
        FieldInputs {
            inputs: Field::ALL
                .into_iter()
                .map(|field| FieldInput {
                    field,
                    value: self.values.value(field),
                    error: self.errors.get(field),
                    holder: self.taken.as_ref().filter(|_| field == Field::Number),
                })
                .collect(),
        }
    }
}

/// One input of the form: its field, its value, its message if any.
#[derive(Debug, Clone)]
pub struct FieldInput<'a> {
    pub field: Field,
    pub value: &'a str,
    pub error: Option<&'a str>,
    /// The student that holds the number typed (the number's input only).
    pub holder: Option<&'a Holder>,
}

impl FieldInput<'_> {
    /// The record page of the student that holds the number typed.
    pub fn holder_href(&self) -> Option<String> {
        self.holder.map(|holder| paths::student(holder.id))
    }

    /// What the input takes, said under its label.
    pub fn hint(&self) -> Option<&'static str> {
        match self.field {
            Field::Gpa => Some("From 0 to 4.00, at most two decimal places"),
            Field::Number => Some("Optional. Letters, digits and hyphens, like S-2026-0042"),
            Field::Confidential => Some(
                "A directory-information hold (FERPA): viewers will not see this \
                 student's address. Say why in the reason.",
            ),
            Field::Name | Field::Address => None,
        }
    }

    /// Whether a flag's checkbox is ticked.
    pub fn is_checked(&self) -> bool {
        confidential::parse(self.value) == Ok(true)
    }
}

/// The three student inputs with their labels, hints and messages
/// (`templates/students/_fields.html`): what they show is all here.
#[derive(Template)]
#[template(path = "students/_fields.html")]
pub struct FieldInputs<'a> {
    pub inputs: Vec<FieldInput<'a>>,
}

/// Markup of our own templates: included as it is, not escaped again.
impl askama::filters::HtmlSafe for FieldInputs<'_> {}
