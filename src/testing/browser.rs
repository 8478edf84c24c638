//! A browser as far as forms go: a cookie jar, GET and form POST, pages
//! whose forms can be filled and submitted with every hidden input echoed.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use scraper::{ElementRef, Html, Selector};

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

    /// The CSRF token this browser's forms carry now (read from a form
    /// page: the new-student form when signed in (`/account` for a
    /// viewer), else the sign-in form).
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

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Page {
    /// The path requested.
    pub path: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    async fn read(path: &str, response: reqwest::Result<reqwest::Response>) -> Page {
        Page::try_read(path, response)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn try_read(
        path: &str,
        response: reqwest::Result<reqwest::Response>,
    ) -> Result<Page, String> {
        let response = response.map_err(|e| format!("request to {path} failed: {e}"))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .text()
            .await
            .map_err(|e| format!("reading {path}: {e}"))?;
        Ok(Page {
            path: path.to_owned(),
            status,
            headers,
            body,
        })
    }

    /// Every `Set-Cookie` header of the response.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The value this response sets for cookie `name`, if it sets it.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().iter().find_map(|c| {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (n, v) = pair.split_once('=')?;
            (n.trim() == name).then(|| v.trim().to_owned())
        })
    }

    /// The `Location` header.
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    pub fn assert_status(&self, expected: StatusCode) -> &Self {
        assert_eq!(
            self.status, expected,
            "{} answered {} instead of {expected}; body:\n{}",
            self.path, self.status, self.body
        );
        self
    }

    /// Asserts `303 See Other` to `location`.
    pub fn assert_redirect_to(&self, location: &str) -> &Self {
        self.assert_status(StatusCode::SEE_OTHER);
        assert_eq!(
            self.location(),
            Some(location),
            "{} redirected elsewhere",
            self.path
        );
        self
    }

    fn document(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The trimmed text of the first element `selector` matches.
    pub fn text(&self, selector: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("a valid CSS selector");
        self.document()
            .select(&selector)
            .next()
            .map(|el| squash(&el.text().collect::<String>()))
    }

    /// The texts of every element `selector` matches.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = Selector::parse(selector).expect("a valid CSS selector");
        self.document()
            .select(&selector)
            .map(|el| squash(&el.text().collect::<String>()))
            .collect()
    }

    /// The `href` of the first link `selector` matches, e.g.
    /// `page.href(".pagination a[rel=next]")`.
    pub fn href(&self, selector: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("a valid CSS selector");
        self.document()
            .select(&selector)
            .next()
            .and_then(|a| a.value().attr("href"))
            .map(str::to_owned)
    }

    /// The attribute `name` of the first element matching `selector`.
    pub fn attr(&self, selector: &str, name: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("a valid CSS selector");
        self.document()
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr(name))
            .map(str::to_owned)
    }

    /// The `<title>`.
    pub fn title(&self) -> String {
        self.text("title").unwrap_or_default()
    }

    /// The flash message (`role="status"`) shown after a redirect.
    pub fn flash(&self) -> Option<String> {
        self.text("[role=status]")
    }

    /// The message shown for a form field (`#<field>-error`), without its
    /// visually hidden "Error:" prefix.
    pub fn field_error(&self, field: &str) -> Option<String> {
        self.text(&format!("#{field}-error"))
            .map(|t| t.trim_start_matches("Error:").trim().to_owned())
    }

    /// The links of the error summary at the top of a form page.
    pub fn error_summary(&self) -> Vec<String> {
        self.texts(".error-summary li")
    }

    /// Every form of the page.
    pub fn forms(&self) -> Vec<Form> {
        let form_selector = Selector::parse("form").expect("selector");
        self.document()
            .select(&form_selector)
            .map(Form::from_element)
            .collect()
    }

    /// The first form whose `action` is `action`; panics with the actions
    /// found when there is none.
    pub fn form(&self, action: &str) -> Form {
        let forms = self.forms();
        let actions: Vec<String> = forms.iter().map(|f| f.action.clone()).collect();
        forms
            .into_iter()
            .find(|f| f.action == action)
            .unwrap_or_else(|| {
                panic!(
                    "{} has no form posting to {action}; its forms post to {actions:?}",
                    self.path
                )
            })
    }
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A form as a browser would submit it: every successful control with its
/// current value (hidden and text inputs, checked radios and checkboxes,
/// selected options, textareas).
#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub method: String,
    fields: Vec<(String, String)>,
    /// Every radio group: its name and the values it offers.
    radios: Vec<(String, Vec<String>)>,
}

impl Form {
    fn from_element(form: ElementRef<'_>) -> Form {
        let controls =
            Selector::parse("input[name], select[name], textarea[name]").expect("selector");
        let option = Selector::parse("option").expect("selector");
        let mut fields = Vec::new();
        let mut radios: Vec<(String, Vec<String>)> = Vec::new();
        for control in form.select(&controls) {
            let element = control.value();
            let name = element.attr("name").unwrap_or_default().to_owned();
            if element.attr("disabled").is_some() {
                continue;
            }
            match element.name() {
                "select" => {
                    let options: Vec<_> = control.select(&option).collect();
                    let chosen = options
                        .iter()
                        .find(|o| o.value().attr("selected").is_some())
                        .or(options.first());
                    if let Some(chosen) = chosen {
                        let value = chosen
                            .value()
                            .attr("value")
                            .map(str::to_owned)
                            .unwrap_or_else(|| chosen.text().collect());
                        fields.push((name, value));
                    }
                }
                "textarea" => fields.push((name, control.text().collect())),
                _ => {
                    let kind = element.attr("type").unwrap_or("text").to_ascii_lowercase();
                    let value = element.attr("value").unwrap_or_default().to_owned();
                    match kind.as_str() {
                        "submit" | "button" | "image" | "reset" | "file" => {}
                        "radio" => {
                            match radios.iter_mut().find(|(n, _)| *n == name) {
                                Some((_, values)) => values.push(value.clone()),
                                None => radios.push((name.clone(), vec![value.clone()])),
                            }
                            if element.attr("checked").is_some() {
                                fields.push((name, value));
                            }
                        }
                        "checkbox" => {
                            if element.attr("checked").is_some() {
                                fields.push((
                                    name,
                                    if value.is_empty() { "on".into() } else { value },
                                ));
                            }
                        }
                        _ => fields.push((name, value)),
                    }
                }
            }
        }
        Form {
            action: form.value().attr("action").unwrap_or_default().to_owned(),
            method: form
                .value()
                .attr("method")
                .unwrap_or("get")
                .to_ascii_lowercase(),
            fields,
            radios,
        }
    }

    /// The value the form would submit for `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every name and value the form would submit, in document order.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The values a radio group offers.
    pub fn options(&self, name: &str) -> Option<&[String]> {
        self.radios
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Types `value` into the field `name`, which must exist (a typo in a
    /// test should fail, not post a field the form does not have).
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        assert!(
            self.radios.iter().all(|(n, _)| n != name),
            "{name} is a radio group: use choose()"
        );
        let field = self
            .fields
            .iter_mut()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("the form posting to {} has no field {name}", self.action));
        field.1 = value.to_owned();
        self
    }

    /// Checks the radio button of group `name` whose value is `value`.
    pub fn choose(&mut self, name: &str, value: &str) -> &mut Self {
        let offered = self
            .options(name)
            .unwrap_or_else(|| panic!("the form has no radio group {name}"));
        assert!(
            offered.iter().any(|v| v == value),
            "radio group {name} offers {offered:?}, not {value:?}"
        );
        self.fields.retain(|(n, _)| n != name);
        self.fields.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Removes a field, as a client that drops it would.
    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.fields.retain(|(n, _)| n != name);
        self
    }

    /// Adds a field the form does not have.
    pub fn add(&mut self, name: &str, value: &str) -> &mut Self {
        self.fields.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Submits the form as a browser would.
    pub async fn submit(&self, browser: &Browser) -> Page {
        let fields: Vec<(&str, &str)> = self
            .fields
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
