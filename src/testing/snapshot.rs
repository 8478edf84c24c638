//! A page's visible text, stable from run to run, for snapshot tests.

use scraper::node::Node;
use scraper::{ElementRef, Selector};

use super::page::{Page, squash};

impl Page {
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
/// Inline elements the stylesheet shows as blocks of their own inside a
/// line (a compare row's status under its label): kept apart by a space.
const SET_APART_CLASSES: &[&str] = &["status"];

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
        let set_apart = value.classes().any(|c| SET_APART_CLASSES.contains(&c));
        if set_apart {
            self.push(" ");
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
        if set_apart {
            self.push(" ");
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
    fn a_snapshot_is_the_visible_text_one_block_a_line() {
        let snapshot = page(
            r##"<html><head><title>T</title><style>p {}</style></head><body>
            <a class="skip-link" href="#main">Skip</a>
            <h1>History   of <strong>Ada</strong></h1>
            <p class="meta">by <b>grace</b> at <time datetime="2026-01-01T00:00:00Z">1 Jan, 00:00</time></p>
            <table><tr><th>Name<span class="status">Changed by you</span></th><td>Ada</td><td>Ada King</td></tr></table>
            <form><input type="hidden" name="csrf_token" value="secret">
              <label for="gpa">GPA</label> <input id="gpa" name="gpa" value=" 3.5 ">
              <input type="radio" name="n" value="a" checked> A <input type="radio" name="n" value="b"> B
              <p class="error-message"><span class="visually-hidden">Error:</span> Too high</p>
              <button type="submit">Save</button></form>
            <script>alert(1)</script></body></html>"##,
        )
        .snapshot();
        assert_eq!(
            snapshot,
            "History of Ada\n\
             by grace at [time]\n\
             Name Changed by you | Ada | Ada King\n\
             GPA [3.5] (x) A ( ) B\n\
             Too high\n\
             [Save]\n"
        );
    }
}
