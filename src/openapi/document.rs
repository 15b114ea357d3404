//! Reading an OpenAPI document and the files its `$ref`s name: JSON or YAML, size-capped, every
//! referenced file loaded up front so the mapping works over an immutable set, and `$ref`s
//! resolved to places ([`At`]) that can be shown as `file#/json/pointer`.
//!
//! Documents come from strangers, so reading is bounded: a file over [`MAX_FILE_BYTES`], more
//! than [`MAX_FILES`] files, a YAML alias bomb or nesting deeper than the parsers allow is a
//! located error, never unbounded memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::ImportError;
use crate::json::pointer::escape;

/// Largest document file read.
pub(crate) const MAX_FILE_BYTES: u64 = crate::input::MAX_BYTES;
/// Most files one import reads (the document and every file its `$ref`s name).
pub(crate) const MAX_FILES: usize = 512;
/// Most `$ref`s followed in a row before a chain is taken for a loop.
pub(crate) const MAX_REF_HOPS: usize = 32;

/// A place in one of the loaded files: the file's index and a JSON pointer into it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct At {
    /// Index into [`Documents::files`].
    pub file: usize,
    /// JSON pointer (RFC 6901) into the file.
    pub pointer: String,
}

impl At {
    /// The member `key` of this place.
    pub(crate) fn child(&self, key: &str) -> At {
        At {
            file: self.file,
            pointer: format!("{}/{}", self.pointer, escape(key)),
        }
    }

    /// The element `index` of this place.
    pub(crate) fn index(&self, index: usize) -> At {
        self.child(&index.to_string())
    }

    /// The pointer's unescaped segments.
    pub(crate) fn segments(&self) -> Vec<String> {
        crate::json::Pointer::parse(&self.pointer)
            .map(|p| p.segments().to_vec())
            .unwrap_or_default()
    }
}

/// One loaded file.
#[derive(Debug)]
pub(crate) struct Doc {
    /// The file as read.
    pub path: PathBuf,
    /// How it is named in reports: relative to the main document's folder.
    pub shown: String,
    /// Its content.
    pub root: Value,
}

/// The main document (file 0) and every file reachable through relative `$ref`s.
#[derive(Debug)]
pub(crate) struct Documents {
    /// The files, the main document first.
    pub files: Vec<Doc>,
    by_path: HashMap<PathBuf, usize>,
}

impl Documents {
    /// Reads `path` and every file its `$ref`s (and theirs) name. Remote references are left
    /// unresolved; the mapping lists them.
    pub(crate) fn open(path: &Path) -> Result<Self, ImportError> {
        let root = read(path, &display(path))?;
        let mut docs = Documents {
            files: vec![Doc {
                path: path.to_path_buf(),
                shown: display(path),
                root,
            }],
            by_path: HashMap::from([(normalize(path), 0)]),
        };
        let mut next = 0;
        while next < docs.files.len() {
            docs.load_referenced(next)?;
            next += 1;
        }
        Ok(docs)
    }

    /// Builds a set from one in-memory document (tests, and documents read from elsewhere).
    #[cfg(test)]
    pub(crate) fn from_value(shown: &str, root: Value) -> Self {
        Documents {
            files: vec![Doc {
                path: PathBuf::from(shown),
                shown: shown.to_string(),
                root,
            }],
            by_path: HashMap::new(),
        }
    }

    /// The main document's root.
    pub(crate) fn main(&self) -> At {
        At {
            file: 0,
            pointer: String::new(),
        }
    }

    /// The value at `at`, if there is one.
    pub(crate) fn get(&self, at: &At) -> Option<&Value> {
        self.files.get(at.file)?.root.pointer(&at.pointer)
    }

    /// `api.yaml#/paths/~1pets/get`, for reports.
    pub(crate) fn show(&self, at: &At) -> String {
        let file = self.files.get(at.file).map_or("?", |d| d.shown.as_str());
        format!("{file}#{}", at.pointer)
    }

    /// The place a `$ref` written at `from` designates; `Err` says why it cannot be followed.
    pub(crate) fn resolve(&self, from: &At, reference: &str) -> Result<At, String> {
        let (file_part, fragment) = match reference.split_once('#') {
            Some((file, fragment)) => (file, fragment),
            None => (reference, ""),
        };
        let file = if file_part.is_empty() {
            from.file
        } else {
            if is_remote(file_part) {
                return Err(format!(
                    "`{reference}` is a remote reference: only files on disk are read"
                ));
            }
            let base = self.files[from.file].path.parent().unwrap_or(Path::new(""));
            let target = normalize(&base.join(percent_decode(file_part)));
            *self
                .by_path
                .get(&target)
                .ok_or_else(|| format!("`{reference}`: the file could not be read"))?
        };
        let pointer = percent_decode(fragment);
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(format!(
                "`{reference}` names an anchor, not a JSON pointer: anchors are not followed"
            ));
        }
        let at = At { file, pointer };
        if self.get(&at).is_none() {
            return Err(format!("`{reference}` points to nothing"));
        }
        Ok(at)
    }

    /// Follows `$ref`s from `at` until a value that is not a reference: the place and the value.
    /// `Err` says why a reference could not be followed (missing target, loop, remote file).
    pub(crate) fn deref(&self, at: &At) -> Result<(At, &Value), String> {
        let mut here = at.clone();
        for _ in 0..MAX_REF_HOPS {
            let value = self
                .get(&here)
                .ok_or_else(|| format!("{} points to nothing", self.show(&here)))?;
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => here = self.resolve(&here, reference)?,
                None => return Ok((here, value)),
            }
        }
        Err(format!(
            "more than {MAX_REF_HOPS} `$ref`s in a row from {}: a reference loop",
            self.show(at)
        ))
    }

    /// Loads every file named by a relative `$ref` inside file `index`.
    fn load_referenced(&mut self, index: usize) -> Result<(), ImportError> {
        let mut references = Vec::new();
        collect_refs(&self.files[index].root, &mut references);
        let base = self.files[index]
            .path
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf();
        for reference in references {
            let file_part = reference.split('#').next().unwrap_or("");
            if file_part.is_empty() || is_remote(file_part) {
                continue;
            }
            let path = base.join(percent_decode(file_part));
            let key = normalize(&path);
            if self.by_path.contains_key(&key) || !path.is_file() {
                continue;
            }
            if self.files.len() >= MAX_FILES {
                return Err(ImportError::TooManyFiles(MAX_FILES));
            }
            let shown = shown_relative(&self.files[0].path, &path);
            let root = read(&path, &shown)?;
            self.by_path.insert(key, self.files.len());
            self.files.push(Doc { path, shown, root });
        }
        Ok(())
    }
}

/// Every `$ref` string in `value`, depth first.
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                out.push(reference.clone());
            }
            for member in map.values() {
                collect_refs(member, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn is_remote(reference: &str) -> bool {
    reference.contains("://") || reference.starts_with("//")
}

/// `%7B` and friends, as URI fragments and paths may carry them; invalid escapes stay as written.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map_or_else(|_| text.to_string(), |s| s.into_owned())
}

/// A path with `.` and `..` folded, so one file reached two ways is read once.
fn normalize(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// `schemas/pet.yaml` for a file beside or below the main document.
fn shown_relative(main: &Path, path: &Path) -> String {
    let base = normalize(main.parent().unwrap_or(Path::new("")));
    let target = normalize(path);
    match target.strip_prefix(&base) {
        Ok(relative) => relative.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

/// Reads and parses one file: JSON when it says so (or starts with `{`), YAML otherwise.
fn read(path: &Path, shown: &str) -> Result<Value, ImportError> {
    let io = |e: std::io::Error| ImportError::Read {
        file: shown.to_string(),
        reason: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ImportError::Read {
            file: shown.to_string(),
            reason: format!(
                "the file has {size} bytes, more than the {MAX_FILE_BYTES} an import reads"
            ),
        });
    }
    // A device or a pipe reports no size: the read itself stops at the bound.
    let bytes = crate::input::read(path).map_err(io)?;
    let text = String::from_utf8(bytes).map_err(|e| ImportError::Parse {
        file: shown.to_string(),
        reason: format!(
            "not UTF-8 text (byte {} is not valid)",
            e.utf8_error().valid_up_to()
        ),
    })?;
    parse(&text, is_json(path, &text)).map_err(|reason| ImportError::Parse {
        file: shown.to_string(),
        reason,
    })
}

fn is_json(path: &Path, text: &str) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("json") => true,
        Some(ext) if ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml") => false,
        _ => text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{'),
    }
}

/// Parses a document's text; `Err` is the parser's located message.
pub(crate) fn parse(text: &str, json: bool) -> Result<Value, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if json {
        // As for a YAML document and a contract, a key given twice is an error: JSON readers
        // disagree on which copy counts.
        let parsed = crate::json::strict::parse(text.as_bytes()).map_err(|e| e.to_string())?;
        return match parsed.duplicates.first() {
            Some(pointer) => Err(format!("duplicate key at {pointer}")),
            None => Ok(parsed.value),
        };
    }
    let mut options = serde_saphyr::Options::default();
    // YAML 1.2, as OpenAPI recommends: `on`, `yes` and `y` are strings, not booleans.
    options.strict_booleans = true;
    let mut budget = serde_saphyr::Budget::default();
    // Large real documents hold millions of nodes; an alias bomb is still caught, because
    // expanded aliases count as nodes and the cap grows with the input, not with the output.
    budget.max_nodes = budget.max_nodes.max(text.len() / 2);
    budget.max_events = budget.max_events.max(text.len());
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(text.len());
    budget.max_depth = 128;
    options.budget = Some(budget);
    serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|e| first_line(&e))
}

/// serde-saphyr renders a snippet after its message; the report keeps the first line.
fn first_line(error: &serde_saphyr::Error) -> String {
    error.to_string().lines().next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_integer_status_keys_become_strings() {
        let value = parse("responses:\n  200:\n    description: ok\n", false).unwrap();
        assert_eq!(value["responses"]["200"]["description"], "ok");
    }

    #[test]
    fn a_json_key_given_twice_is_an_error_at_its_pointer() {
        let text = r#"{"paths": {"/a": {"get": {"operationId": "a", "operationId": "b"}}}}"#;
        assert_eq!(
            parse(text, true).unwrap_err(),
            "duplicate key at /paths/~1a/get/operationId"
        );
        assert!(parse(r#"{"openapi": "3.1.0"}"#, true).is_ok());
    }

    #[test]
    fn yaml_on_and_yes_stay_strings() {
        let value = parse("enum: [on, yes, n]\n", false).unwrap();
        assert_eq!(value["enum"], serde_json::json!(["on", "yes", "n"]));
    }

    #[test]
    fn yaml_alias_bomb_is_refused_with_a_message() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (name, previous) in [
            ("b", "a"),
            ("c", "b"),
            ("d", "c"),
            ("e", "d"),
            ("f", "e"),
            ("g", "f"),
            ("h", "g"),
        ] {
            let refs = vec![format!("*{previous}"); 9].join(", ");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let err = parse(&text, false).unwrap_err();
        assert!(err.contains("budget"), "{err}");
    }

    #[test]
    fn yaml_duplicate_keys_are_located_errors() {
        let err = parse("a: 1\na: 2\n", false).unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn refs_resolve_within_the_document_and_report_missing_targets() {
        let docs = Documents::from_value(
            "api.json",
            serde_json::json!({"components": {"schemas": {"Pet": {"type": "object"},
                "Alias": {"$ref": "#/components/schemas/Pet"},
                "Loop": {"$ref": "#/components/schemas/Loop"}}}}),
        );
        let from = docs.main();
        let pet = docs.resolve(&from, "#/components/schemas/Alias").unwrap();
        let (target, value) = docs.deref(&pet).unwrap();
        assert_eq!(target.pointer, "/components/schemas/Pet");
        assert_eq!(value["type"], "object");
        let missing = docs
            .resolve(&from, "#/components/schemas/Nope")
            .unwrap_err();
        assert!(missing.contains("points to nothing"), "{missing}");
        let looped = docs.resolve(&from, "#/components/schemas/Loop").unwrap();
        assert!(docs.deref(&looped).unwrap_err().contains("loop"));
        let remote = docs
            .resolve(&from, "https://example.com/x.json#/a")
            .unwrap_err();
        assert!(remote.contains("remote"), "{remote}");
    }
}
