//! One struct per page of a single student, and the partial of its three
//! inputs; templates in `templates/students/`.

use askama::Template;

use crate::domain::{Field, FieldErrors};
use crate::students::form::StudentForm;
use crate::students::paths;
use crate::students::store::Student;
use crate::views::{Instant, Layout, isolated};

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
            gpa: s.gpa_text(),
            version: s.version,
            created_at: s.created_at.into(),
            updated_at: s.updated_at.into(),
            updated_by: s.updated_by.clone(),
        }
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
            action: paths::LIST.to_owned(),
            submit_label: "Create student",
            cancel_href: paths::LIST.to_owned(),
            values,
            errors,
            version: None,
            notice: None,
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
        }
    }

    pub fn fields(&self) -> FieldInputs<'_> {
        FieldInputs {
            inputs: Field::ALL
                .into_iter()
                .map(|field| FieldInput {
                    field,
                    value: self.values.value(field),
                    error: self.errors.get(field),
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
