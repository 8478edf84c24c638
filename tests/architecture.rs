//! The architecture, checked: no module imports a module that imports it
//! (no cycles in the module import graph), no source file grows past
//! [`MAX_LINES`], and the edit protocol (`src/students/protocol/`) knows
//! nothing of HTTP or pages.
//!
//! Std only: the sources are read as text. Comments and string literals are
//! blanked first; `#[cfg(test)]` items (the `mod tests { .. }` at the end of
//! a file, or a `#[path]` test file) are left out of the graph.
//!
//! An edge `a -> b` is any path into `b` written in `a`: `use crate::..`,
//! `use super::..`, `use self::..`, `pub use ..`, a `use child::..` of a
//! child declared in `a`, and the same paths written inline in code
//! (`crate::b::f()`). A path goes to the longest prefix that is a module
//! (`crate::students::store::Student` -> `students::store`); when that
//! module only re-exports the name (`pub use`), the edge follows the
//! re-export to where the item lives. A parent re-exporting its own
//! descendants (`pub use child::Thing;`) is a facade, not a dependency: that
//! edge alone is left out; every other edge counts, to ancestors too.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// No file under `src/` may have more lines than this.
const MAX_LINES: usize = 400;

/// Words the edit protocol must never mention (outside comments).
const PROTOCOL_FORBIDDEN: &[&str] = &["axum", "askama", "AppError", "IntoResponse"];

// ---------------------------------------------------------------------------
// The tests

#[test]
fn no_module_imports_a_module_that_imports_it() {
    let graph = Graph::load(&src_dir());
    let cycles = graph.cycles();
    if !cycles.is_empty() {
        panic!(
            "\n{} import cycle(s) (strongly connected components of more than one module):\n\n{}",
            cycles.len(),
            cycles.join("\n")
        );
    }
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let mut offenders: Vec<(usize, String)> = rust_files(&src_dir())
        .into_iter()
        .filter_map(|path| {
            let lines = read(&path).lines().count();
            (lines > MAX_LINES).then(|| (lines, relative(&path)))
        })
        .collect();
    offenders.sort_by(|a, b| b.cmp(a));
    if !offenders.is_empty() {
        let list: String = offenders
            .iter()
            .map(|(lines, path)| format!("  {lines:>5} lines  {path}\n"))
            .collect();
        panic!(
            "\n{} file(s) longer than {MAX_LINES} lines:\n{list}",
            offenders.len()
        );
    }
}

#[test]
fn the_edit_protocol_knows_nothing_of_http_or_pages() {
    let dir = src_dir().join("students").join("protocol");
    let mut offenders = String::new();
    for path in rust_files(&dir) {
        let code = strip(&read(&path), false);
        for (index, line) in code.lines().enumerate() {
            for word in PROTOCOL_FORBIDDEN {
                if contains_word(line, word) {
                    let _ = writeln!(
                        offenders,
                        "  {}:{}: mentions `{word}`: {}",
                        relative(&path),
                        index + 1,
                        line.trim()
                    );
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "\nsrc/students/protocol/ must not know axum, askama, AppError or IntoResponse:\n{offenders}"
    );
}

/// The checker itself: a cycle made of `crate::`, `super::`, inline and
/// re-exported paths is found; parent re-exports, `#[cfg(test)]` modules and
/// comments are not edges.
#[test]
fn the_cycle_finder_sees_what_it_should() {
    let files = [
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod p;\n"),
        ("a.rs", "use crate::b::Thing;\n// use crate::c::Nothing;\n"),
        ("b.rs", "pub fn f() { crate::c::g(); }\n"),
        (
            "c.rs",
            "pub use crate::p::Re;\nfn h() -> u8 { let _ = \"crate::b::x\"; 1 }\n\
             #[cfg(test)]\nmod tests {\n    use crate::b::f;\n}\n",
        ),
        (
            "p/mod.rs",
            "mod q;\npub use q::Re;\nfn k() { q::make(); }\n",
        ),
        (
            "p/q.rs",
            "use super::super::a;\npub struct Re;\npub fn make() {}\n\
             #[cfg(test)]\n#[path = \"q_tests.rs\"]\nmod tests;\n",
        ),
        ("p/q_tests.rs", "use crate::c;\n"),
    ];
    let graph = Graph::from_sources(
        files
            .iter()
            .map(|(path, text)| (PathBuf::from(path), text.to_string())),
    );
    let edges: BTreeSet<(String, String)> = graph
        .edges
        .keys()
        .map(|(from, to)| (display(from), display(to)))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("a", "b"),
        ("b", "c"),
        // `crate::p::Re` is `p::q`'s, re-exported by `p`.
        ("c", "p::q"),
        // Not the re-export, but the call.
        ("p", "p::q"),
        ("p::q", "a"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(edges, expected);
    let cycles = graph.cycles();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert!(
        cycles[0].contains("a -> b -> c -> p::q -> a"),
        "{}",
        cycles[0]
    );
}

// ---------------------------------------------------------------------------
// Files

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn relative(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

// ---------------------------------------------------------------------------
// Text

/// The source with comments blanked (and string and char literals too, when
/// `strings`); newlines are kept, so line numbers still hold.
fn strip(source: &str, strings: bool) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if let Some(end) = raw_string_end(&chars, i) {
            // r"..", r#".."#, br#".."#
            for &c in &chars[i..end] {
                out.push(if strings { blank(c) } else { c });
            }
            i = end;
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let width = if chars[i] == '\\' { 2 } else { 1 };
                for &c in chars.iter().skip(i).take(width) {
                    out.push(if strings { blank(c) } else { c });
                }
                i += width;
            }
            if i < chars.len() {
                out.push('"');
                i += 1;
            }
        } else if c == '\'' && char_literal_may_start(&chars, i) {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 2..chars.len())
                    .find(|&j| chars[j] == '\'')
                    .map(|j| j + 1)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    for &c in &chars[i..end] {
                        out.push(if strings { ' ' } else { c });
                    }
                    i = end;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Where a raw string starting at `i` ends, if one starts there.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    if is_ident(chars.get(i.wrapping_sub(1)).copied()) {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') || chars.get(j) == Some(&'c') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    j += hashes;
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"'
            && chars[j + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// A `'` starts a char literal unless it follows an identifier character
/// (`b'x'` is a byte literal: the `b` alone is allowed).
fn char_literal_may_start(chars: &[char], i: usize) -> bool {
    let before = |n: usize| i.checked_sub(n).and_then(|j| chars.get(j).copied());
    !is_ident(before(1)) || (before(1) == Some('b') && !is_ident(before(2)))
}

fn is_ident(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        !is_ident(text[..at].chars().next_back())
            && !is_ident(text[at + word.len()..].chars().next())
    })
}

/// Blank every `#[cfg(test)]` item (an attribute, then everything up to the
/// first `;` or the `}` closing the first `{`). Returns the blanked text and
/// the `#[path = ".."]` files those items name.
fn without_test_items(code: &str, original: &str) -> (String, Vec<String>) {
    let original: Vec<char> = original.chars().collect();
    const ATTRIBUTE: &str = "#[cfg(test)]";
    let mut out: Vec<char> = code.chars().collect();
    let mut test_files = Vec::new();
    let mut search = 0;
    loop {
        let text: String = out.iter().collect();
        let Some(found) = text[search..].find(ATTRIBUTE) else {
            break;
        };
        let start = search + found;
        // `text` is ASCII up to here in practice; index by chars to be safe.
        let start_char = text[..start].chars().count();
        let mut i = start_char;
        let mut depth = 0usize;
        while i < out.len() {
            let c = out[i];
            if c == '[' || c == '{' {
                depth += 1;
            } else if c == ']' || c == '}' {
                depth -= 1;
                if depth == 0 && c == '}' {
                    break;
                }
            } else if c == ';' && depth == 0 {
                break;
            }
            i += 1;
        }
        let end = (i + 1).min(out.len());
        let item: String = original[start_char..end.min(original.len())]
            .iter()
            .collect();
        if let Some(name) = item
            .find("#[path")
            .and_then(|at| item[at..].split('"').nth(1))
        {
            test_files.push(name.to_string());
        }
        for c in out.iter_mut().take(end).skip(start_char) {
            if *c != '\n' {
                *c = ' ';
            }
        }
        search = start + 1;
    }
    (out.into_iter().collect(), test_files)
}

// ---------------------------------------------------------------------------
// The graph

/// A module path without `crate` (`["students", "import", "job"]`); the crate
/// root is empty.
type Module = Vec<String>;

fn display(module: &Module) -> String {
    if module.is_empty() {
        "crate".to_string()
    } else {
        module.join("::")
    }
}

/// Where an edge was seen: file, line, the path as written.
#[derive(Clone, Debug)]
struct Seen {
    file: String,
    line: usize,
    path: String,
}

struct Source {
    file: String,
    /// Comments, strings and `#[cfg(test)]` items blanked.
    code: String,
    /// Modules declared here with `mod x;`.
    children: BTreeSet<String>,
}

/// A path written in a module, before resolution.
struct Written {
    /// Segments, `crate`/`super`/`self` first when written so.
    segments: Vec<String>,
    /// Written in a `pub use` (a re-export).
    reexport: bool,
    /// `use a::b as c;`: the name it is brought in as.
    alias: Option<String>,
    line: usize,
}

struct Graph {
    modules: BTreeSet<Module>,
    /// `(from, to)` -> where it was seen (the first few places).
    edges: BTreeMap<(Module, Module), Vec<Seen>>,
}

impl Graph {
    fn load(src: &Path) -> Self {
        Self::from_sources(rust_files(src).into_iter().map(|path| {
            let text = read(&path);
            (
                path.strip_prefix(src).expect("under src").to_path_buf(),
                text,
            )
        }))
    }

    /// `files`: paths relative to `src/`, with their text.
    fn from_sources(files: impl Iterator<Item = (PathBuf, String)>) -> Self {
        let mut sources: BTreeMap<Module, Source> = BTreeMap::new();
        let mut test_files: BTreeSet<PathBuf> = BTreeSet::new();
        for (path, text) in files {
            if path == Path::new("main.rs") {
                continue;
            }
            // `strip` keeps every char in place, so the blanked text and
            // the original line up (the `#[path]` names are in strings).
            let (code, tests) = without_test_items(&strip(&text, true), &text);
            for name in tests {
                test_files.insert(path.with_file_name(name));
            }
            let module = module_of(&path);
            let children = declared_children(&code);
            let file = format!("src/{}", path.display());
            sources.insert(
                module,
                Source {
                    file,
                    code,
                    children,
                },
            );
        }
        sources.retain(|_, source| {
            !test_files
                .iter()
                .any(|t| source.file == format!("src/{}", t.display()))
        });
        let modules: BTreeSet<Module> = sources.keys().cloned().collect();

        // Paths written in each module, made absolute.
        let mut written: BTreeMap<Module, Vec<(Module, Written)>> = BTreeMap::new();
        for (module, source) in &sources {
            let mut paths = Vec::new();
            let inline = inline_paths(&source.code, &source.children);
            for w in use_paths(&source.code).into_iter().chain(inline) {
                if let Some(absolute) = absolute(module, &w.segments, &source.children) {
                    paths.push((absolute, w));
                }
            }
            written.insert(module.clone(), paths);
        }

        // Re-exports: (module, name) -> the absolute path it stands for.
        let mut reexports: BTreeMap<(Module, String), Module> = BTreeMap::new();
        for (module, paths) in &written {
            for (absolute, w) in paths {
                if w.reexport && absolute.last().is_none_or(|s| s != "*") {
                    let name = w
                        .alias
                        .clone()
                        .unwrap_or_else(|| absolute.last().cloned().unwrap_or_default());
                    reexports.insert((module.clone(), name), absolute.clone());
                }
            }
        }

        let mut edges: BTreeMap<(Module, Module), Vec<Seen>> = BTreeMap::new();
        for (module, paths) in &written {
            let source = &sources[module];
            for (absolute, w) in paths {
                let target = resolve(absolute, &modules, &reexports);
                if &target == module {
                    continue;
                }
                // A parent re-exporting its own descendants: a facade.
                if w.reexport && target.starts_with(module) {
                    continue;
                }
                let seen = edges.entry((module.clone(), target)).or_default();
                if seen.len() < 3 {
                    seen.push(Seen {
                        file: source.file.clone(),
                        line: w.line,
                        path: w.segments.join("::"),
                    });
                }
            }
        }
        Graph { modules, edges }
    }

    /// Each strongly connected component of more than one module, described.
    fn cycles(&self) -> Vec<String> {
        let nodes: Vec<&Module> = self.modules.iter().collect();
        let index: BTreeMap<&Module, usize> =
            nodes.iter().enumerate().map(|(i, m)| (*m, i)).collect();
        let mut next: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (from, to) in self.edges.keys() {
            if let (Some(&f), Some(&t)) = (index.get(from), index.get(to)) {
                next[f].push(t);
            }
        }
        let mut components = tarjan(&next);
        components.retain(|c| c.len() > 1);
        let mut described: Vec<(Vec<String>, String)> = components
            .into_iter()
            .map(|component| {
                let members: BTreeSet<usize> = component.iter().copied().collect();
                let mut names: Vec<String> = members.iter().map(|&i| display(nodes[i])).collect();
                names.sort();
                let mut text = format!(
                    "cycle among {} modules: {}\n",
                    names.len(),
                    names.join(", ")
                );
                // The shortest cycles through each member, as examples.
                let mut shown = BTreeSet::new();
                for &start in &members {
                    if let Some(path) = shortest_cycle(&next, &members, start) {
                        let mut key = path[..path.len() - 1].to_vec();
                        let min = (0..key.len()).min_by_key(|&k| key[k]).unwrap_or(0);
                        key.rotate_left(min);
                        if shown.insert(key) {
                            let names: Vec<String> =
                                path.iter().map(|&i| display(nodes[i])).collect();
                            let _ = writeln!(text, "  e.g. {}", names.join(" -> "));
                        }
                    }
                }
                text.push_str("  its edges:\n");
                for ((from, to), seen) in &self.edges {
                    let (Some(f), Some(t)) = (index.get(from), index.get(to)) else {
                        continue;
                    };
                    if members.contains(f) && members.contains(t) {
                        let places: Vec<String> = seen
                            .iter()
                            .map(|s| format!("{}:{} `{}`", s.file, s.line, s.path))
                            .collect();
                        let _ = writeln!(
                            text,
                            "    {} -> {}   ({})",
                            display(from),
                            display(to),
                            places.join("; ")
                        );
                    }
                }
                (names, text)
            })
            .collect();
        described.sort();
        described.into_iter().map(|(_, text)| text).collect()
    }
}

/// `students/import/job.rs` -> `students::import::job`; `mod.rs` and
/// `lib.rs` -> their directory.
fn module_of(path: &Path) -> Module {
    let mut segments: Vec<String> = path
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(segments.last().map(String::as_str), Some("mod" | "lib")) {
        segments.pop();
    }
    segments
}

/// `mod x;`, `pub mod x;`, `pub(crate) mod x;`.
fn declared_children(code: &str) -> BTreeSet<String> {
    let mut children = BTreeSet::new();
    for line in code.lines() {
        let mut words = line.split_whitespace().skip_while(|w| w.starts_with("pub"));
        if words.next() == Some("mod")
            && let Some(name) = words.next()
            && line.trim_end().ends_with(';')
        {
            children.insert(name.trim_end_matches(';').to_string());
        }
    }
    children
}

/// Every `use` declaration's paths, its tree expanded.
fn use_paths(code: &str) -> Vec<Written> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("use") {
        let before = code[..at].chars().next_back();
        let after = code[at + 3..].chars().next();
        if is_ident(before) || !after.is_some_and(char::is_whitespace) {
            continue;
        }
        let Some(end) = code[at..].find(';') else {
            continue;
        };
        let tree: String = code[at + 3..at + end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        // `pub use`, `pub(crate) use`, `pub(super) use`, `pub(in ..) use`.
        let head = code[..at].trim_end();
        let reexport = head.ends_with("pub")
            || head.ends_with(')')
                && head
                    .rfind("pub(")
                    .is_some_and(|p| !head[p..].contains(['\n', ';', '{', '}']));
        let line = code[..at].matches('\n').count() + 1;
        for (segments, alias) in expand(&tree) {
            found.push(Written {
                segments,
                reexport,
                alias,
                line,
            });
        }
    }
    found
}

/// `a::{b, c::{d as e, self}}` -> `a::b`, `a::c::d` (as `e`), `a::c`.
fn expand(tree: &str) -> Vec<(Vec<String>, Option<String>)> {
    fn go(prefix: &[String], tree: &str, out: &mut Vec<(Vec<String>, Option<String>)>) {
        let tree = tree.trim();
        if let Some(open) = tree.find('{') {
            let head: Vec<String> = split_path(&tree[..open]);
            let mut base = prefix.to_vec();
            base.extend(head);
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&base, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            go(&base, &inner[start..], out);
        } else {
            if tree.is_empty() {
                return;
            }
            let (path, alias) = match tree.split_once(" as ") {
                Some((path, alias)) => (path, Some(alias.trim().to_string())),
                None => (tree, None),
            };
            let mut segments = prefix.to_vec();
            for segment in split_path(path) {
                if segment != "self" || segments.is_empty() {
                    segments.push(segment);
                }
            }
            out.push((segments, alias));
        }
    }
    let mut out = Vec::new();
    go(&[], tree, &mut out);
    out
}

fn split_path(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `crate::..`, `super::..`, `self::..` and `child::..` paths written in
/// code, outside `use` declarations.
fn inline_paths(code: &str, children: &BTreeSet<String>) -> Vec<Written> {
    // Blank the `use` declarations: they are read by `use_paths`.
    let mut rest: Vec<char> = code.chars().collect();
    let text = code.to_string();
    for (at, _) in text.match_indices("use") {
        let before = text[..at].chars().next_back();
        let after = text[at + 3..].chars().next();
        if is_ident(before) || !after.is_some_and(char::is_whitespace) {
            continue;
        }
        if let Some(end) = text[at..].find(';') {
            let from = text[..at].chars().count();
            let to = from + text[at..at + end].chars().count();
            for c in &mut rest[from..to] {
                if *c != '\n' {
                    *c = ' ';
                }
            }
        }
    }
    let rest: String = rest.into_iter().collect();
    let mut found = Vec::new();
    let starts = ["crate", "super", "self"]
        .into_iter()
        .map(str::to_string)
        .chain(children.iter().cloned());
    for start in starts {
        for (at, _) in rest.match_indices(&format!("{start}::")) {
            let before = rest[..at].chars().next_back();
            if is_ident(before) || before == Some('$') || before == Some(':') {
                continue;
            }
            let path: String = rest[at..]
                .chars()
                .take_while(|&c| is_ident(Some(c)) || c == ':')
                .collect();
            found.push(Written {
                segments: split_path(&path),
                reexport: false,
                alias: None,
                line: rest[..at].matches('\n').count() + 1,
            });
        }
    }
    found
}

/// A written path made absolute (no `crate`/`super`/`self`), or `None` when
/// it leads outside the crate (`std::..`, `axum::..`).
fn absolute(module: &Module, segments: &[String], children: &BTreeSet<String>) -> Option<Module> {
    let first = segments.first()?;
    let mut path: Module;
    let rest: &[String];
    match first.as_str() {
        "crate" => {
            path = Vec::new();
            rest = &segments[1..];
        }
        "self" => {
            path = module.clone();
            rest = &segments[1..];
        }
        "super" => {
            path = module.clone();
            let supers = segments.iter().take_while(|s| *s == "super").count();
            for _ in 0..supers {
                path.pop()?;
            }
            rest = &segments[supers..];
        }
        name if children.contains(name) => {
            path = module.clone();
            rest = segments;
        }
        _ => return None,
    }
    path.extend(rest.iter().cloned());
    Some(path)
}

/// The longest prefix of `path` that is a module; through re-exports.
fn resolve(
    path: &Module,
    modules: &BTreeSet<Module>,
    reexports: &BTreeMap<(Module, String), Module>,
) -> Module {
    let longest = |path: &Module| {
        (0..=path.len())
            .rev()
            .find(|&n| modules.contains(&path[..n]))
            .unwrap_or(0)
    };
    let mut path = path.clone();
    // A bound, against re-exports that go round.
    for _ in 0..16 {
        let length = longest(&path);
        let module = path[..length].to_vec();
        let Some(name) = path.get(length) else {
            return module;
        };
        match reexports.get(&(module.clone(), name.clone())) {
            Some(target) if target != &path[..=length] => {
                let mut followed = target.clone();
                followed.extend(path[length + 1..].iter().cloned());
                path = followed;
            }
            _ => return module,
        }
    }
    path[..longest(&path)].to_vec()
}

/// Tarjan's strongly connected components.
fn tarjan(next: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        next: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        components: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        s.index[v] = Some(s.counter);
        s.low[v] = s.counter;
        s.counter += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &s.next[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            s.components.push(component);
        }
    }
    let n = next.len();
    let mut state = State {
        next,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        counter: 0,
        components: Vec::new(),
    };
    for v in 0..n {
        if state.index[v].is_none() {
            visit(&mut state, v);
        }
    }
    state.components
}

/// The shortest cycle from `start` back to it, inside `members`.
fn shortest_cycle(
    next: &[Vec<usize>],
    members: &BTreeSet<usize>,
    start: usize,
) -> Option<Vec<usize>> {
    let mut parent: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &next[v] {
            if !members.contains(&w) {
                continue;
            }
            if w == start {
                let mut path = vec![start];
                let mut at = v;
                while at != start {
                    path.push(at);
                    at = parent[&at];
                }
                path.push(start);
                path.reverse();
                // `path` was built backwards from `start`; reversed it reads
                // start -> .. -> v -> start.
                return Some(path);
            }
            if w != start && !parent.contains_key(&w) {
                parent.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    None
}
