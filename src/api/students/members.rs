//! A student's members as a JSON body sends them, read into the text the
//! write core judges: each member of the right JSON type or a `422` naming
//! it, unknown members refused. The rules of the values themselves (a
//! name's length, a GPA's range) are the core's, never checked here.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::problem::ApiError;
use crate::api::schemas;
use crate::domain::{Field, FieldSet, confidential};
use crate::students::values::StudentForm;

/// The body of `POST /api/v1/students`. Unknown members, and members of
/// another JSON type, are refused (`422`, naming them).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct NewStudent {
    #[schema(schema_with = schemas::name)]
    name: String,
    #[schema(schema_with = schemas::address)]
    address: String,
    #[schema(schema_with = schemas::gpa)]
    gpa: String,
    #[schema(schema_with = schemas::student_number)]
    student_number: Option<String>,
    /// A directory-information hold: viewers never see the address;
    /// `false` when absent.
    #[schema(nullable = false)]
    confidential: Option<bool>,
}

/// The body of `PATCH /api/v1/students/{id}`: a JSON Merge Patch (RFC
/// 7396) of the members to change over the version in `If-Match` (absent
/// ones keep that version's values; only `student_number` may be `null`,
/// which clears it), and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct StudentPatch {
    #[schema(schema_with = schemas::name)]
    name: Option<String>,
    #[schema(schema_with = schemas::address)]
    address: Option<String>,
    #[schema(schema_with = schemas::gpa)]
    gpa: Option<String>,
    #[schema(schema_with = schemas::student_number)]
    student_number: Option<String>,
    /// A directory-information hold: viewers never see the address.
    #[schema(nullable = false)]
    confidential: Option<bool>,
    #[schema(schema_with = schemas::reason)]
    reason: Option<String>,
}

/// What the body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `POST`: a new student; absent members are empty.
    Create,
    /// `PATCH`: a merge patch; absent members keep their values, and a
    /// `reason` may come with it.
    Patch,
}

/// A body's members as text, which fields it gave, and its reason.
#[derive(Debug, Clone, Default)]
pub struct Members {
    pub form: StudentForm,
    pub given: FieldSet,
    pub reason: Option<String>,
}

/// Reads `members` for `purpose`.
pub fn read(members: &Map<String, Value>, purpose: Purpose) -> Result<Members, ApiError> {
    let mut read = Members::default();
    let mut errors = BTreeMap::new();
    for (name, value) in members {
        if name == "reason" && purpose == Purpose::Patch {
            match value {
                Value::String(text) => read.reason = Some(text.clone()),
                Value::Null => {}
                _ => {
                    errors.insert(name.clone(), "must be a string (or null)".to_owned());
                }
            }
            continue;
        }
        let Some(field) = Field::parse(name) else {
            errors.insert(name.clone(), unknown(name, purpose).to_owned());
            continue;
        };
        match text_of(field, value) {
            Ok(text) => {
                *slot(&mut read.form, field) = text;
                read.given = read.given.with(field);
            }
            Err(message) => {
                errors.insert(name.clone(), message.to_owned());
            }
        }
    }
    if errors.is_empty() {
        Ok(read)
    } else {
        Err(ApiError::Invalid(errors))
    }
}

/// Why `name` is refused.
fn unknown(name: &str, purpose: Purpose) -> &'static str {
    match name {
        "version" => "is not sent in the body: send the version you read in If-Match",
        "id" | "created_at" | "updated_at" | "updated_by" => "is read-only",
        "reason" if purpose == Purpose::Create => "is not taken by a create",
        _ => "is not a member of a student",
    }
}

/// The text the core judges for `field`'s JSON `value`.
fn text_of(field: Field, value: &Value) -> Result<String, &'static str> {
    match (field, value) {
        (Field::Confidential, Value::Bool(flag)) => Ok(confidential::text(*flag).to_owned()),
        (Field::Confidential, _) => Err("must be true or false"),
        (Field::Number, Value::Null) => Ok(String::new()),
        (Field::Gpa, Value::Number(_)) => {
            Err("must be a string with two decimals, like \"3.50\" (not a JSON number)")
        }
        (_, Value::String(text)) => Ok(text.clone()),
        (Field::Number, _) => Err("must be a string (or null for none)"),
        (Field::Name | Field::Address | Field::Gpa, Value::Null) => Err("is required"),
        (Field::Name | Field::Address | Field::Gpa, _) => Err("must be a string"),
    }
}

fn slot(form: &mut StudentForm, field: Field) -> &mut String {
    match field {
        Field::Name => &mut form.name,
        Field::Address => &mut form.address,
        Field::Gpa => &mut form.gpa,
        Field::Number => &mut form.student_number,
        Field::Confidential => &mut form.confidential,
    }
}

/// `members` over `base` (the values the client saw): the merge patch's
/// result, as the text the core judges.
pub fn over(members: &Members, base: &StudentForm) -> StudentForm {
    let mut form = base.clone();
    for field in members.given.iter() {
        *slot(&mut form, field) = members.form.value(field).to_owned();
    }
    form
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Purpose, read};
    use crate::api::problem::ApiError;

    fn errors(body: serde_json::Value, purpose: Purpose) -> Vec<String> {
        match read(body.as_object().unwrap(), purpose) {
            Err(ApiError::Invalid(errors)) => errors.into_keys().collect(),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn members_of_the_wrong_type_or_unknown_are_named() {
        assert_eq!(
            errors(
                json!({"gpa": 3.5, "confidential": "yes", "nickname": "x", "version": 2}),
                Purpose::Patch
            ),
            ["confidential", "gpa", "nickname", "version"]
        );
        assert_eq!(errors(json!({"reason": "x"}), Purpose::Create), ["reason"]);
        assert_eq!(errors(json!({"name": null}), Purpose::Patch), ["name"]);
    }

    #[test]
    fn a_patch_gives_only_its_members_and_a_null_number_clears_it() {
        let members = read(
            json!({"student_number": null, "confidential": true, "reason": "moved"})
                .as_object()
                .unwrap(),
            Purpose::Patch,
        )
        .unwrap();
        assert_eq!(members.given.iter().count(), 2);
        assert_eq!(members.form.student_number, "");
        assert_eq!(members.form.confidential, "true");
        assert_eq!(members.reason.as_deref(), Some("moved"));
    }
}
