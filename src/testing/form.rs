//! A form as a browser would submit it (the submitting, which needs a
//! browser, is `Form::submit` in `browser.rs`: a form knows no browser).

use scraper::{ElementRef, Selector};

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
    /// Every checkbox, ticked or not: its name and the value it sends.
    checkboxes: Vec<(String, String)>,
}

impl Form {
    pub(super) fn from_element(form: ElementRef<'_>) -> Form {
        let controls =
            Selector::parse("input[name], select[name], textarea[name]").expect("selector");
        let option = Selector::parse("option").expect("selector");
        let mut fields = Vec::new();
        let mut radios: Vec<(String, Vec<String>)> = Vec::new();
        let mut checkboxes = Vec::new();
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
                            let value = if value.is_empty() { "on".into() } else { value };
                            checkboxes.push((name.clone(), value.clone()));
                            if element.attr("checked").is_some() {
                                fields.push((name, value));
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
            checkboxes,
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
    /// test should fail, not post a field the form does not have). A
    /// checkbox's value is sent whether or not it was ticked (see
    /// [`Form::tick`] to send what it offers).
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        assert!(
            self.radios.iter().all(|(n, _)| n != name),
            "{name} is a radio group: use choose()"
        );
        if self.checkboxes.iter().any(|(n, _)| n == name) {
            self.fields.retain(|(n, _)| n != name);
            self.fields.push((name.to_owned(), value.to_owned()));
            return self;
        }
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

    /// Ticks (`true`) or unticks the checkbox `name`, which must exist:
    /// ticked, it sends the value it offers; unticked, nothing.
    pub fn tick(&mut self, name: &str, ticked: bool) -> &mut Self {
        let value = self
            .checkboxes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| {
                panic!("the form posting to {} has no checkbox {name}", self.action)
            });
        self.fields.retain(|(n, _)| n != name);
        if ticked {
            self.fields.push((name.to_owned(), value));
        }
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
}
