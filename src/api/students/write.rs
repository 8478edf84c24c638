//! The API's writes: each is one command to the write core (contract §2),
//! under the same guarantee as a form. A change needs `If-Match` (`428`
//! without); a stale one is `412` and kept as a conflict entry; every write
//! honours an `Idempotency-Key`, whose answer is kept in the write's own
//! transaction.

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use utoipa::IntoParams;

use super::answers::{self, GoneProblem, StaleProblem, Write};
use super::members::{self, NewStudent, Purpose, StudentPatch};
use crate::api::caller::Caller;
use crate::api::idempotency::{
    self, Answer, Claim, Claimed, IdempotencyKey, KeyReceipt, fingerprint,
};
use crate::api::json::StudentBody;
use crate::api::problem::{ApiError, Problem};
use crate::api::request::{ApiQuery, ApiStudentId, JsonBody, PatchBody, if_match};
use crate::api::schemas;
use crate::cluster::submission::Submission;
use crate::domain::Disclosure;
use crate::state::AppState;
use crate::students::protocol::{self, Act, Command, Outcome, ProtocolError, Receipt};
use crate::students::store::{self, revisions};
use crate::students::values::StudentForm;

/// A new student.
#[utoipa::path(
    post, path = "/api/v1/students", tag = "students",
    request_body(content = NewStudent, content_type = "application/json"),
    params(
        ("Idempotency-Key" = Option<String>, Header, nullable = false, pattern = "^[!-~]{1,255}$",
            description = "1–255 visible ASCII characters (a UUID is a good choice): the same request sent again with the same key within 24 hours is answered what the first was, and nothing is written twice"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = StudentBody,
            headers(("ETag" = String, description = "The version, in quotes"), ("Location" = String, description = "The student's address"), ("Idempotent-Replayed" = String, description = "`true` when this is the kept answer to an earlier request with the same Idempotency-Key")),
            links(
                ("Read" = (operation_id = "show", parameters(("path.id" = "$response.body#/id")), description = "Read it")),
                ("History" = (operation_id = "history", parameters(("path.id" = "$response.body#/id")), description = "Its history")),
                ("Change" = (operation_id = "patch", parameters(("path.id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")), description = "Change it over this version")),
                ("Delete" = (operation_id = "delete", parameters(("path.id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")), description = "Delete it at this version")),
            )),
        (status = 400, description = "The body is not a JSON object, or the Idempotency-Key is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is in flight", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid members, by name in `errors` (or the Idempotency-Key went with another request)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Busy (nothing written), or the outcome unknown: send it again with the same Idempotency-Key", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let members = members::read(&body.members, Purpose::Create)?;
    let act = Act::Create {
        values: &members.form,
    };
    Keyed::new(&headers, &Method::POST, &uri, &body.bytes)?
        .write(&state, &caller, (Write::Create, act), None)
        .await
}

/// A change of some of a student's values (JSON Merge Patch, RFC 7396)
/// over the version in `If-Match`.
#[utoipa::path(
    patch, path = "/api/v1/students/{id}", tag = "students",
    request_body(content(
        (StudentPatch = "application/merge-patch+json"),
        (StudentPatch = "application/json"),
    )),
    params(
        ("id" = i64, Path, description = "The student's id", minimum = 1),
        ("If-Match" = String, Header, pattern = r#"^"[1-9][0-9]{0,17}"$"#,
            description = "The ETag you read, `\"VERSION\"` (required: `428` without, or with `*`)"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, pattern = "^[!-~]{1,255}$",
            description = "1–255 visible ASCII characters (a UUID is a good choice): the same request sent again with the same key within 24 hours is answered what the first was, and nothing is written twice"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved (or every value already so: nothing written)", body = StudentBody,
            headers(("ETag" = String, description = "The version, in quotes"), ("Idempotent-Replayed" = String, description = "`true` when this is the kept answer to an earlier request with the same Idempotency-Key")),
            links(
                ("Read" = (operation_id = "show", parameters(("path.id" = "$request.path.id")), description = "Read it")),
                ("History" = (operation_id = "history", parameters(("path.id" = "$request.path.id")), description = "Its history")),
                ("Change" = (operation_id = "patch", parameters(("path.id" = "$request.path.id"), ("header.If-Match" = "$response.header.ETag")), description = "Change it over this version")),
                ("Delete" = (operation_id = "delete", parameters(("path.id" = "$request.path.id"), ("header.If-Match" = "$response.header.ETag")), description = "Delete it at this version")),
            )),
        (status = 400, description = "The body is not a JSON object, or If-Match or the Idempotency-Key cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such student", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is in flight", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The student was deleted", body = GoneProblem, content_type = "application/problem+json"),
        (status = 412, description = "Stale: the student changed since that version; nothing written", body = StaleProblem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 64 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is neither application/merge-patch+json nor application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid members, by name in `errors` (or the Idempotency-Key went with another request)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing (or `*`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Busy (nothing written), or the outcome unknown: send it again with the same Idempotency-Key", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    ApiStudentId(id): ApiStudentId,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    PatchBody(body): PatchBody,
) -> Result<Response, ApiError> {
    let seen = if_match(&headers)?;
    let members = members::read(&body.members, Purpose::Patch)?;
    // The patch applies to the values of the version the client saw.
    let base = match revisions::at_version(&state.db, id, seen.get()).await? {
        Some(revision) => StudentForm::of(&revision),
        None => StudentForm::of(
            &store::find(&state.db, id)
                .await?
                .ok_or(ApiError::NotFound)?,
        ),
    };
    let values = members::over(&members, &base);
    let act = Act::Edit {
        id,
        seen,
        values: &values,
    };
    let reason = Some(members.reason.as_deref().unwrap_or_default());
    Keyed::new(&headers, &Method::PATCH, &uri, &body.bytes)?
        .write(&state, &caller, (Write::Patch(seen.get()), act), reason)
        .await
}

/// A delete's query.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DeleteParams {
    #[param(schema_with = schemas::reason_query)]
    reason: Option<String>,
}

/// Deletes a student at the version in `If-Match` (it can be brought back
/// from its history in the browser).
#[utoipa::path(
    delete, path = "/api/v1/students/{id}", tag = "students",
    params(
        ("id" = i64, Path, description = "The student's id", minimum = 1, example = 3),
        DeleteParams,
        ("If-Match" = String, Header, pattern = r#"^"[1-9][0-9]{0,17}"$"#,
            description = "The ETag you read, `\"VERSION\"` (required: `428` without, or with `*`)"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, pattern = "^[!-~]{1,255}$",
            description = "1–255 visible ASCII characters (a UUID is a good choice): the same request sent again with the same key within 24 hours is answered what the first was, and nothing is written twice"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted (no body)", headers(("Idempotent-Replayed" = String, description = "`true` when this is the kept answer to an earlier request with the same Idempotency-Key"))),
        (status = 400, description = "If-Match, the Idempotency-Key or the query cannot be read", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not write", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such student", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is in flight", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Already deleted", body = GoneProblem, content_type = "application/problem+json"),
        (status = 412, description = "Stale: the student changed since that version; nothing written", body = StaleProblem, content_type = "application/problem+json"),
        (status = 422, description = "The reason is refused, by name in `errors` (or the Idempotency-Key went with another request)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing (or `*`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Busy (nothing written), or the outcome unknown: send it again with the same Idempotency-Key", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiStudentId(id): ApiStudentId,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    query: ApiQuery,
) -> Result<Response, ApiError> {
    let seen = if_match(&headers)?;
    let act = Act::Delete { id, seen };
    Keyed::new(&headers, &Method::DELETE, &uri, &[])?
        .write(
            &state,
            &caller,
            (Write::Delete(seen.get()), act),
            query.get("reason"),
        )
        .await
}

/// A write's idempotency key, if it sent one, with the request's
/// fingerprint.
struct Keyed(Option<(IdempotencyKey, String)>);

/// What claiming a write's key decided.
enum Claiming {
    /// Run the write (under this claim, if the request sent a key).
    Run(Option<Claim>),
    /// The key was answered before: this is the answer.
    Answered(Response),
}

impl Keyed {
    fn new(
        headers: &HeaderMap,
        method: &Method,
        uri: &axum::http::Uri,
        body: &[u8],
    ) -> Result<Keyed, ApiError> {
        let path = uri.path_and_query().map_or("", |pq| pq.as_str());
        Ok(Keyed(IdempotencyKey::of(headers)?.map(|key| {
            (key, fingerprint(method, path, headers, body))
        })))
    }

    /// Runs `act` as `caller`'s one command to the write core, under the
    /// key's claim (or answers what the key answered before), and keeps
    /// the answer.
    async fn write(
        self,
        state: &AppState,
        caller: &Caller,
        (write, act): (Write, Act<'_>),
        reason: Option<&str>,
    ) -> Result<Response, ApiError> {
        let claim = match self.claim(state, caller).await? {
            Claiming::Run(claim) => claim,
            Claiming::Answered(answer) => return Ok(answer),
        };
        let disclosure = Disclosure::of(caller.role);
        let receipt = receipt(claim, write, disclosure);
        // A fresh id: a commit whose connection is cut is looked up by it.
        let submission = Submission::new();
        let command = Command {
            writer: &caller.username,
            act,
            reason,
            submission: Some(&submission),
            receipt: receipt.as_ref().map(|r| r as &dyn Receipt),
        };
        let result = protocol::run(&state.db, &command).await;
        finish(state, receipt.as_ref(), result, write, disclosure).await
    }

    /// Claims the key for `caller`, or finds what it answered.
    async fn claim(self, state: &AppState, caller: &Caller) -> Result<Claiming, ApiError> {
        let Some((key, fingerprint)) = self.0 else {
            return Ok(Claiming::Run(None));
        };
        match idempotency::claim(&state.db, caller.account_id, &key, &fingerprint).await? {
            Claimed::Fresh(claim) => Ok(Claiming::Run(Some(claim))),
            Claimed::Replay(answer) => Ok(Claiming::Answered(replayed(answer))),
            Claimed::InFlight => Err(ApiError::InFlight),
            Claimed::Reused => Err(ApiError::KeyReused),
        }
    }
}

/// The receipt of a claimed key for a `write`: its answer, kept with it.
fn receipt(
    claim: Option<Claim>,
    write: Write,
    disclosure: Disclosure,
) -> Option<KeyReceipt<impl Fn(&Outcome) -> Answer + Sync>> {
    claim.map(|claim| KeyReceipt {
        claim,
        render: move |outcome: &Outcome| answers::answer(outcome, write, disclosure),
    })
}

/// The answer to a command's result, kept under the receipt's claim.
async fn finish<F>(
    state: &AppState,
    receipt: Option<&KeyReceipt<F>>,
    result: Result<Outcome, ProtocolError>,
    write: Write,
    disclosure: Disclosure,
) -> Result<Response, ApiError> {
    let claim = receipt.map(|r| &r.claim);
    let answer = match result {
        // A commit whose connection was cut, found committed.
        Ok(Outcome::Replayed { student_id }) => match write {
            Write::Delete(_) => answers::no_content(),
            _ => {
                let student = store::find(&state.db, student_id)
                    .await?
                    .ok_or(ApiError::NotFound)?;
                answers::written(&student, write, disclosure)
            }
        },
        Ok(outcome) => answers::answer(&outcome, write, disclosure),
        Err(err) => {
            // No answer to keep (busy, the outcome unknown, an error): the
            // key is freed for the client's retry, once the database
            // answers; a write that did commit keeps its answer.
            if let Some(claim) = claim {
                idempotency::release_when_reachable(state.db.clone(), claim.clone());
            }
            return Err(err.into());
        }
    };
    if let Some(claim) = claim {
        idempotency::settle(&state.db, claim, &answer).await;
    }
    Ok(answer.into_response())
}

/// A kept answer, sent again, marked as such.
fn replayed(answer: Answer) -> Response {
    let mut response = answer.into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
