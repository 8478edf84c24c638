//! A response read whole, and what it says.

use axum::http::{HeaderMap, StatusCode, header};
use scraper::{Html, Selector};

use super::form::Form;

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
    pub(super) async fn read(path: &str, response: reqwest::Result<reqwest::Response>) -> Page {
        Page::try_read(path, response)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub(super) async fn try_read(
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

    pub(super) fn document(&self) -> Html {
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

    /// The attribute `name` of the first element `selector` matches.
    pub fn attr(&self, selector: &str, name: &str) -> Option<String> {
        let selector = Selector::parse(selector).expect("a valid CSS selector");
        self.document()
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr(name))
            .map(str::to_owned)
    }

    /// Every `<time>` of the page: its `datetime` attribute and its text.
    pub fn times(&self) -> Vec<(String, String)> {
        let selector = Selector::parse("time").expect("a valid CSS selector");
        self.document()
            .select(&selector)
            .map(|time| {
                let datetime = time.value().attr("datetime").unwrap_or_default();
                (
                    datetime.to_owned(),
                    squash(&time.text().collect::<String>()),
                )
            })
            .collect()
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

pub(super) fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
