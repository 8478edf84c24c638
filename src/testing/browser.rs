//! A browser as far as forms go: a cookie jar, GET and form POST, pages
//! whose forms can be filled and submitted with every hidden input echoed.

use std::time::Duration;

use axum::http::{StatusCode, header};

use super::form::Form;
use super::page::Page;
use super::readings::ImportRow;

impl Form {
    /// Submits the form as a browser would.
    pub async fn submit(&self, browser: &Browser) -> Page {
        let fields: Vec<(&str, &str)> = self
            .fields()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if self.method == "post" {
            browser.post_form(&self.action, &fields).await
        } else {
            let query = serde_urlencoded::to_string(&fields).expect("fields encode");
            browser.get(&format!("{}?{query}", self.action)).await
        }
    }
}

/// One registrar's browser: its own cookies; redirects are not followed
/// (so tests can assert them), [`Browser::follow`] follows one.
#[derive(Clone)]
pub struct Browser {
    client: reqwest::Client,
    base_url: String,
}

impl Browser {
    pub fn new(base_url: &str) -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("building the HTTP client");
        Browser {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base_url)
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Page {
        let response = self.client.get(self.url(path)).send().await;
        Page::read(path, response).await
    }

    /// `GET path`, with a failure to connect or read returned instead of
    /// panicking (for tests that take the server away).
    pub async fn try_get(&self, path: &str) -> Result<Page, String> {
        let response = self.client.get(self.url(path)).send().await;
        Page::try_read(path, response).await
    }

    /// [`Form::submit`] for a post form, with a failure to connect or read
    /// returned instead of panicking.
    pub async fn try_submit(&self, form: &Form) -> Result<Page, String> {
        let body = serde_urlencoded::to_string(form.fields()).map_err(|e| e.to_string())?;
        let response = self
            .client
            .post(self.url(&form.action))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
        Page::try_read(&form.action, response).await
    }

    /// `GET path` with extra request headers (e.g. a `Cookie` of another
    /// browser).
    pub async fn get_with_headers(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Page::read(path, request.send().await).await
    }

    /// A request of any method, with this browser's cookies, extra
    /// `headers` and an optional body (its content type and bytes).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Page {
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some((content_type, bytes)) = body {
            request = request
                .header(header::CONTENT_TYPE, content_type)
                .body(bytes);
        }
        Page::read(path, request.send().await).await
    }

    /// `POST path` with `fields` form-encoded, in order, exactly as given.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).expect("form fields encode");
        self.post_raw(path, "application/x-www-form-urlencoded", body.into_bytes())
            .await
    }

    /// `POST path` with any body and content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        self.post_raw_with_headers(path, content_type, body, &[])
            .await
    }

    /// `POST path` with any body, content type and extra headers (e.g. the
    /// `Origin` or `Sec-Fetch-Site` a browser would add).
    pub async fn post_raw_with_headers(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Page {
        let mut request = self
            .client
            .post(self.url(path))
            .header(header::CONTENT_TYPE, content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Page::read(path, request.send().await).await
    }

    /// `POST path` as `multipart/form-data` (a file upload): `fields` as
    /// text parts, then `file` as (part name, file name, contents).
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, Vec<u8>)>,
    ) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        if let Some((name, filename, bytes)) = file {
            let part = reqwest::multipart::Part::bytes(bytes)
                .file_name(filename.to_owned())
                .mime_str("text/csv")
                .expect("a valid MIME type");
            form = form.part(name.to_owned(), part);
        }
        let response = self
            .client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await;
        Page::read(path, response).await
    }

    /// Uploads `contents` as `filename` on the import form, with this
    /// browser's token: the answer (`303` to the preview when the file was
    /// read).
    pub async fn upload_csv(&self, filename: &str, contents: impl Into<Vec<u8>>) -> Page {
        let token = self.csrf_token().await;
        self.post_multipart(
            "/students/import",
            &[("csrf_token", &token)],
            Some(("file", filename, contents.into())),
        )
        .await
    }

    /// Follows an import's page (`path`) while it shows the self-reloading
    /// progress of its check or of its confirm, as a browser obeying its refresh would;
    /// returns the first page that does not reload (the result). Panics
    /// after a minute.
    pub async fn wait_for_import(&self, path: &str) -> Page {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let page = self.get(path).await;
            if !page.is_import_progress() {
                return page;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the import at {path} still runs after a minute"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Every row the import preview at `path` lists, page after page by its
    /// "Next rows" link (`path` may ask for one class: `?outcome=invalid`).
    pub async fn every_import_row(&self, path: &str) -> Vec<ImportRow> {
        let mut rows = Vec::new();
        let mut next = Some(path.to_owned());
        let mut pages = 0;
        while let Some(path) = next {
            pages += 1;
            assert!(pages <= 1_000, "the preview at {path} has no last page");
            let preview = self.get(&path).await.import_preview();
            rows.extend(preview.rows);
            next = preview.next_page;
        }
        rows
    }

    /// The CSRF token this browser's forms carry now (read from a form
    /// page: the new-student form when signed in, else the sign-in form).
    pub async fn csrf_token(&self) -> String {
        for path in ["/students/new", "/account", "/login", "/setup"] {
            let page = self.get(path).await;
            if page.status == StatusCode::OK
                && let Some(token) = page
                    .forms()
                    .iter()
                    .find_map(|f| f.value("csrf_token").map(str::to_owned))
            {
                return token;
            }
        }
        panic!("no page offered a CSRF token");
    }

    /// `POST path` with `fields` plus the browser's current CSRF token, as
    /// a form of the app would send them.
    pub async fn post_with_token(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf_token().await;
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form(path, &all).await
    }

    /// Signs in through the sign-in form; returns the answer to the submit
    /// (`303` on success).
    pub async fn sign_in(&self, username: &str, password: &str) -> Page {
        let page = self.get("/login").await;
        page.assert_status(StatusCode::OK);
        let mut form = page.form("/login");
        form.set("username", username).set("password", password);
        form.submit(self).await
    }

    /// Follows the redirect `page` answered with.
    pub async fn follow(&self, page: &Page) -> Page {
        let location = page
            .location()
            .unwrap_or_else(|| panic!("{} answered {} without a Location", page.path, page.status));
        self.get(location).await
    }
}
