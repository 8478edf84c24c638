//! What `GET /metrics` said, read as a test (or the load benchmark) needs
//! it: the value of a series by name and labels.

/// One scrape of the Prometheus text.
#[derive(Debug, Clone)]
pub struct Scrape {
    pub text: String,
}

/// One sample line: `name{label="value",…} number`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Scrape {
    pub fn new(text: String) -> Scrape {
        Scrape { text }
    }

    /// Every sample line (comments skipped).
    pub fn samples(&self) -> Vec<Sample> {
        self.text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(parse_line)
            .collect()
    }

    /// The sum of the samples named `name` that carry every label in
    /// `labels` (other labels may differ); 0 when there are none.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples()
            .iter()
            .filter(|s| s.name == name && has_labels(s, labels))
            .map(|s| s.value)
            .sum()
    }

    /// Whether any sample is named `name` with every label in `labels`.
    pub fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.samples()
            .iter()
            .any(|s| s.name == name && has_labels(s, labels))
    }

    /// The values a label takes among the samples named `name`.
    pub fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        let mut values: Vec<String> = self
            .samples()
            .into_iter()
            .filter(|s| s.name == name)
            .filter_map(|s| s.labels.into_iter().find(|(k, _)| k == label))
            .map(|(_, v)| v)
            .collect();
        values.sort();
        values.dedup();
        values
    }
}

fn has_labels(sample: &Sample, labels: &[(&str, &str)]) -> bool {
    labels
        .iter()
        .all(|(k, v)| sample.labels.iter().any(|(sk, sv)| sk == k && sv == v))
}

fn parse_line(line: &str) -> Option<Sample> {
    let (series, value) = line.rsplit_once(' ')?;
    let value = match value {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        other => other.parse().ok()?,
    };
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}')?)?),
        None => (series, Vec::new()),
    };
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// `a="x",b="y"` (values as the exporter writes them: `\"`, `\\`, `\n`
/// escaped).
fn parse_labels(mut text: &str) -> Option<Vec<(String, String)>> {
    let mut labels = Vec::new();
    while !text.is_empty() {
        let (key, rest) = text.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((key.trim_start_matches(',').to_owned(), value));
        text = rest[end + 1..].trim_start_matches(',');
    }
    Some(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_labels_and_values() {
        let scrape = Scrape::new(
            "# TYPE x counter\nx{route=\"/a/{id}\",status=\"200\"} 3\nx{route=\"/b\",status=\"200\"} 2\ny 1.5\nz{q=\"a\\\"b\"} NaN\n"
                .to_owned(),
        );
        assert_eq!(scrape.value("x", &[("status", "200")]), 5.0);
        assert_eq!(scrape.value("x", &[("route", "/a/{id}")]), 3.0);
        assert_eq!(scrape.value("y", &[]), 1.5);
        assert!(scrape.has("z", &[("q", "a\"b")]));
        assert!(!scrape.has("x", &[("route", "/c")]));
        assert_eq!(scrape.label_values("x", "route"), ["/a/{id}", "/b"]);
    }
}
