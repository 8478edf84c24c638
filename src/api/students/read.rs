//! The API's reads of students: the list, one student, its history. Every
//! read is recorded in the access log (`api_read`), and a confidential
//! student's address is withheld from a viewer, as on the pages.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::access::ViewKind;
use crate::api::caller::Caller;
use crate::api::json::{self, ChangeBody, StudentBody};
use crate::api::looks::ApiWitness;
use crate::api::problem::{ApiError, Problem};
use crate::api::request::{ApiQuery, ApiStudentId, etag, limit, none_match};
use crate::api::schemas;
use crate::api::students::answers::{GoneProblem, gone, student_answer};
use crate::domain::{Disclosure, StudentNumber};
use crate::http::query::QueryPairs;
use crate::state::AppState;
use crate::students::list::db as list_db;
use crate::students::list::query::{Cursor, ListQuery, Sort};
use crate::students::store::{self, numbers, revisions};

/// A page of students.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudentPage {
    pub items: Vec<StudentBody>,
    /// Send it as `after` for the next page; `null` on the last.
    pub next: Option<String>,
}

/// A page of a student's history, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPage {
    pub items: Vec<ChangeBody>,
    /// Send it as `after` for the next (older) page; `null` on the last.
    pub next: Option<String>,
}

/// The list's query.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Search: every word must match the name, address or student number
    /// (accents, case and word order ignored).
    q: Option<String>,
    /// `name`, `-name`, `gpa`, `-gpa`, `updated`, `-updated`.
    #[param(pattern = "^-?(name|gpa|updated)$")]
    sort: Option<String>,
    #[param(schema_with = schemas::student_number_query)]
    student_number: Option<String>,
    /// Items on a page (50 when absent).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// The `next` of the page before.
    #[param(pattern = "^[1-9][0-9]{0,17}$")]
    after: Option<String>,
}

/// A history page's query.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct HistoryParams {
    /// Changes on a page (50 when absent).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
    /// The `next` of the page before.
    #[param(pattern = "^[1-9][0-9]{0,17}$")]
    after: Option<String>,
}

/// A cursor as registrar writes one in `next`: a positive integer without
/// a sign or leading zeros, of at most 18 digits (as the `after`
/// parameters' pattern tells clients).
fn cursor(query: &ApiQuery, errors: &mut BTreeMap<String, String>) -> Option<i64> {
    let text = query.get("after")?;
    let well_formed = (1..=18).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && !text.starts_with('0');
    let id = text.parse::<i64>().ok().filter(|_| well_formed);
    if id.is_none() {
        errors.insert("after".into(), "is not a cursor registrar sent".into());
    }
    id
}

/// The students, searched and sorted as the list page does.
#[utoipa::path(
    get, path = "/api/v1/students", tag = "students",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of students", body = StudentPage,
            links(
                ("NextPage" = (operation_id = "list", parameters(("query.after" = "$response.body#/next")), description = "The next page")),
            )),
        (status = 400, description = "The query string is not UTF-8", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is invalid, by name in `errors`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiWitness(witness): ApiWitness,
    query: ApiQuery,
) -> Result<Response, ApiError> {
    let mut errors = BTreeMap::new();
    let limit = limit(&query, &mut errors);
    let after = cursor(&query, &mut errors);
    let sort = match query.get("sort") {
        None => Sort::default(),
        Some(text) => Sort::parse(text).unwrap_or_else(|| {
            errors.insert(
                "sort".into(),
                "must be one of name, -name, gpa, -gpa, updated, -updated".into(),
            );
            Sort::default()
        }),
    };
    let number = match query.get("student_number").map(StudentNumber::parse) {
        None => None,
        Some(Ok(number)) => number,
        Some(Err(message)) => {
            errors.insert("student_number".into(), message);
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let disclosure = Disclosure::of(caller.role);
    let tally = witness.export(ViewKind::ApiRead);
    let page = if let Some(number) = number {
        let found = numbers::student(&state.db, &number).await?;
        let items: Vec<StudentBody> = found
            .filter(|student| student.deleted_at.is_none())
            .map(|student| StudentBody::new(&(&student).into(), disclosure))
            .into_iter()
            .collect();
        StudentPage { items, next: None }
    } else {
        // The search text is read as the list page reads it (control
        // characters separate words; the database never sees a NUL), the
        // rest as checked above.
        let list = ListQuery {
            page: 1,
            per_page: limit,
            sort,
            cursor: after.map(Cursor::After),
            ..ListQuery::from_pairs(&QueryPairs(query.0))
        };
        let (students, _, more) = list_db::rows(&state.db, &list, disclosure).await?;
        StudentPage {
            next: more
                .then(|| students.last().map(|s| s.id.to_string()))
                .flatten(),
            items: students
                .iter()
                .map(|s| StudentBody::new(s, disclosure))
                .collect(),
        }
    };
    tally.add(page.items.len());
    Ok(json::ok(&page))
}

/// One student, with its version as a strong `ETag`.
#[utoipa::path(
    get, path = "/api/v1/students/{id}", tag = "students",
    params(
        ("id" = i64, Path, description = "The student's id", minimum = 1),
        ("If-None-Match" = Option<String>, Header, nullable = false,
            description = "The ETags you hold (`\"VERSION\"`, weak ones too, or `*`): `304` if one is current"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The student", body = StudentBody,
            headers(("ETag" = String, description = "The version, in quotes")),
            links(
                ("History" = (operation_id = "history", parameters(("path.id" = "$request.path.id")), description = "Its history")),
                ("Change" = (operation_id = "patch", parameters(("path.id" = "$request.path.id"), ("header.If-Match" = "$response.header.ETag")), description = "Change it over this version")),
                ("Delete" = (operation_id = "delete", parameters(("path.id" = "$request.path.id"), ("header.If-Match" = "$response.header.ETag")), description = "Delete it at this version")),
            )),
        (status = 304, description = "Your copy is current (no body)",
            headers(("ETag" = String, description = "The version, in quotes"))),
        (status = 404, description = "No such student", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The student was deleted", body = GoneProblem, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiWitness(witness): ApiWitness,
    ApiStudentId(id): ApiStudentId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let student = store::find(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if student.deleted_at.is_some() {
        return Ok(gone(&student).into_response());
    }
    if none_match(&headers, student.version) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag(student.version))],
        )
            .into_response());
    }
    witness.saw(ViewKind::ApiRead, &student);
    Ok(student_answer(StatusCode::OK, &student, Disclosure::of(caller.role)).into_response())
}

/// A student's changes, newest first (a deleted student's too).
#[utoipa::path(
    get, path = "/api/v1/students/{id}/history", tag = "students",
    params(("id" = i64, Path, description = "The student's id", minimum = 1), HistoryParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the student's changes", body = HistoryPage,
            links(
                ("Older" = (operation_id = "history", parameters(("path.id" = "$request.path.id"), ("query.after" = "$response.body#/next")), description = "The next (older) page")),
            )),
        (status = 400, description = "The query string is not UTF-8", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such student", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is invalid, by name in `errors`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    caller: Caller,
    ApiWitness(witness): ApiWitness,
    ApiStudentId(id): ApiStudentId,
    query: ApiQuery,
) -> Result<Response, ApiError> {
    let mut errors = BTreeMap::new();
    let limit = limit(&query, &mut errors);
    let before = cursor(&query, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let student = store::find(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // One more than the page, and the one before its oldest (its diff).
    let mut newest = revisions::older(&state.db, id, before, limit + 2).await?;
    let more = newest.len() as u64 > limit;
    newest.reverse();
    let disclosure = Disclosure::of(caller.role);
    let skip = newest.len().saturating_sub(limit as usize);
    let mut items: Vec<ChangeBody> = crate::students::conflict::with_previous(&newest)
        .skip(skip)
        .map(|(before, after)| ChangeBody::new(before, after, disclosure, student.confidential))
        .collect();
    items.reverse();
    witness.saw(ViewKind::ApiRead, &student);
    let next = more
        .then(|| items.last().map(|c| c.version.to_string()))
        .flatten();
    Ok(json::ok(&HistoryPage { items, next }))
}
