//! What a registrar reads on a page, asserted: the flash message, a
//! field's error, and the whole visible text as a snapshot.

use scraper::node::Node;
use scraper::{ElementRef, Selector};

use super::page::{Page, squash};

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

    /// The page's visible text, one line per block (heading, paragraph,
    /// list item, table row, form field), whitespace squashed: what a
    /// registrar reads, for snapshot tests (`insta::assert_snapshot!`) that
    /// do not break when markup changes but do when wording does.
    ///
    /// It is stable from run to run: times read `[time]`, hidden inputs
    /// (the CSRF token) are left out, and text only screen readers get
    /// (`.visually-hidden`, the skip link) too. Table cells are joined by
    /// ` | `; form controls show their value: `[3.9]`, a checked radio
    /// `(x)`, an unchecked one `( )`, a button `[Save]`.
    ///
    /// ```
    /// # #[tokio::main] async fn main() {
    /// use registrar::testing::{Backend, TestApp};
    ///
    /// let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    /// let browser = app.signed_in_browser().await;
    /// let id = app.create_student(&browser, "Ada", "1 Main St", "3").await;
    /// let page = browser.get(&format!("/students/{id}/edit")).await;
    /// let snapshot = page.snapshot();
    /// assert!(snapshot.contains("\nName [Ada]\n"), "{snapshot}");
    /// assert!(!snapshot.contains("csrf"));
    /// assert_eq!(snapshot, browser.get(&format!("/students/{id}/edit")).await.snapshot());
    /// # }
    /// ```
    pub fn snapshot(&self) -> String {
        let document = self.document();
        let mut text = Snapshot::default();
        let body = Selector::parse("body").expect("selector");
        match document.select(&body).next() {
            Some(body) => text.element(body),
            None => text.element(document.root_element()),
        }
        text.finish()
    }
}

#[derive(Default)]
struct Snapshot {
    lines: Vec<String>,
    line: String,
}

const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "legend",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];
const UNSEEN: &[&str] = &["head", "script", "style", "template", "noscript"];
const UNSEEN_CLASSES: &[&str] = &["visually-hidden", "skip-link"];

impl Snapshot {
    fn element(&mut self, element: ElementRef<'_>) {
        let value = element.value();
        let name = value.name();
        if UNSEEN.contains(&name)
            || value.attr("hidden").is_some()
            || value.classes().any(|c| UNSEEN_CLASSES.contains(&c))
        {
            return;
        }
        let block = BLOCKS.contains(&name);
        if block {
            self.break_line();
        }
        match name {
            "td" | "th" if !self.line.trim().is_empty() => self.push(" | "),
            "time" => {
                self.push(" [time] ");
                return;
            }
            "input" => {
                self.control(element);
                return;
            }
            "select" => {
                let chosen = Selector::parse("option[selected]").expect("selector");
                let any = Selector::parse("option").expect("selector");
                let option = element
                    .select(&chosen)
                    .next()
                    .or_else(|| element.select(&any).next());
                let shown = option
                    .map(|o| o.text().collect::<String>())
                    .unwrap_or_default();
                self.push(&format!(" [{}] ", squash(&shown)));
                return;
            }
            "textarea" => {
                self.push(&format!(
                    " [{}] ",
                    squash(&element.text().collect::<String>())
                ));
                return;
            }
            "button" => {
                self.push(&format!(
                    " [{}] ",
                    squash(&element.text().collect::<String>())
                ));
                return;
            }
            _ => {}
        }
        for child in element.children() {
            match child.value() {
                Node::Text(text) => self.push(text),
                Node::Element(_) => {
                    if let Some(child) = ElementRef::wrap(child) {
                        self.element(child);
                    }
                }
                _ => {}
            }
        }
        if block {
            self.break_line();
        }
    }

    fn control(&mut self, input: ElementRef<'_>) {
        let value = input.value();
        let shown = match value
            .attr("type")
            .unwrap_or("text")
            .to_ascii_lowercase()
            .as_str()
        {
            "hidden" => return,
            "radio" if value.attr("checked").is_some() => "(x)".to_owned(),
            "radio" => "( )".to_owned(),
            "checkbox" if value.attr("checked").is_some() => "[x]".to_owned(),
            "checkbox" => "[ ]".to_owned(),
            _ => format!("[{}]", squash(value.attr("value").unwrap_or_default())),
        };
        self.push(&format!(" {shown} "));
    }

    fn push(&mut self, text: &str) {
        self.line.push_str(text);
    }

    fn break_line(&mut self) {
        let line = squash(&self.line);
        if !line.is_empty() {
            self.lines.push(line);
        }
        self.line.clear();
    }

    fn finish(mut self) -> String {
        self.break_line();
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }
}
