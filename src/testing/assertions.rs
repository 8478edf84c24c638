//! What a registrar reads on a page, asserted: the flash message and a
//! field's error.

use scraper::Selector;

use super::page::Page;

impl Page {
    /// Asserts that the page shows the flash message `expected` (the
    /// "Saved", "No changes", "Deleted" after a redirect); panics with the
    /// message it shows instead.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use registrar::testing::{Backend, TestApp};
    ///
    /// let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    /// let browser = app.signed_in_browser().await;
    /// let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    /// let saved = app.edit_student(&browser, id, &[("gpa", "3.5")]).await;
    /// browser.follow(&saved).await.assert_flash("Saved");
    /// # }
    /// ```
    pub fn assert_flash(&self, expected: &str) -> &Self {
        let shown = self.flash();
        assert!(
            shown.as_deref() == Some(expected),
            "{} shows the flash {shown:?}, not {expected:?}; visible text:\n{}",
            self.path,
            self.snapshot()
        );
        self
    }

    /// Asserts that the page shows an error for the form field `field`
    /// whose message contains `expected` (`""` accepts any message); panics
    /// naming the fields that do have errors.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use registrar::testing::{Backend, TestApp};
    ///
    /// let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    /// let browser = app.signed_in_browser().await;
    /// let mut form = browser.get("/students/new").await.form("/students");
    /// form.set("name", "Ada").set("address", "1 Main St").set("gpa", "4.01");
    /// let page = form.submit(&browser).await;
    /// page.assert_field_error("gpa", "4.00").assert_no_field_error("name");
    /// # }
    /// ```
    pub fn assert_field_error(&self, field: &str, expected: &str) -> &Self {
        match self.field_error(field) {
            Some(message) => assert!(
                message.contains(expected),
                "{}: the error of {field} is {message:?}, which does not contain {expected:?}",
                self.path
            ),
            None => panic!(
                "{} ({}) shows no error for {field}; it shows errors for {:?}",
                self.path,
                self.status,
                self.fields_with_errors()
            ),
        }
        self
    }

    /// Asserts that the page shows no error for `field`.
    pub fn assert_no_field_error(&self, field: &str) -> &Self {
        if let Some(message) = self.field_error(field) {
            panic!("{}: {field} has the error {message:?}", self.path);
        }
        self
    }

    /// The fields the page shows an error for, in page order.
    pub fn fields_with_errors(&self) -> Vec<String> {
        let selector = Selector::parse("[id$=-error]").expect("selector");
        self.document()
            .select(&selector)
            .filter_map(|e| e.value().id()?.strip_suffix("-error").map(str::to_owned))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, StatusCode};

    use super::Page;

    fn page(body: &str) -> Page {
        Page {
            path: "/".to_owned(),
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn field_errors_are_named_by_field() {
        let page = page(
            r#"<p id="gpa-error"><span class="visually-hidden">Error:</span> Must be at most 4.00</p>"#,
        );
        page.assert_field_error("gpa", "4.00")
            .assert_no_field_error("name");
        assert_eq!(page.fields_with_errors(), ["gpa"]);
    }
}
