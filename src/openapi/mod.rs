//! OpenAPI in and out: `conform import openapi` turns an OpenAPI 3.0 or 3.1 document (JSON or
//! YAML, `$ref`s within it and across relative files) into one contract per operation, and
//! `conform export openapi` writes contracts back as an OpenAPI 3.1 document.
//!
//! Import reads the document over `serde_json::Value` ([`document`]) rather than a typed
//! OpenAPI model: no maintained crate reads both 3.0 and 3.1, and a typed model drops what it
//! does not know, where this import must list every construct it does not map with its place
//! in the source ([`report`]). Schemas become field definitions and named types ([`schema`]);
//! each operation becomes a contract ([`operation`]), with the semantics OpenAPI leaves unsaid
//! guessed and listed ([`semantics`]); each contract is then compiled by conform's own contract
//! compiler, and whatever it refuses is left out and listed ([`settle`]), so an imported
//! contract always lints.

mod body;
pub(crate) mod document;
mod examples;
pub(crate) mod export;
mod operation;
mod output;
mod params;
pub(crate) mod report;
pub(crate) mod schema;
mod semantics;
pub(crate) mod settle;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value};

use document::Documents;
pub(crate) use output::write;
use report::{ItemKind, Report};
use schema::{Note, Schemas};

/// Why a document could not be imported at all (nothing was written).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImportError {
    /// A file could not be read.
    #[error("cannot read {file}: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// A file is not JSON or YAML.
    #[error("{file} is not valid JSON or YAML: {reason}")]
    Parse {
        /// The file.
        file: String,
        /// The parser's message, with the line and column.
        reason: String,
    },
    /// The document is not OpenAPI 3.0 or 3.1.
    #[error("{0}")]
    NotOpenApi(String),
    /// The `$ref`s name too many files.
    #[error("the document's `$ref`s name more than {0} files")]
    TooManyFiles(usize),
}

/// One imported contract.
#[derive(Debug, Clone)]
pub(crate) struct ImportedContract {
    /// The contract's name (also its file name, with `.json`).
    pub name: String,
    /// The contract file's text.
    pub text: String,
}

/// The result of an import: the contracts, the report, and what a run of them needs.
#[derive(Debug, Clone)]
pub(crate) struct Import {
    /// The document as named.
    pub document: String,
    /// Its `openapi` version.
    pub version: String,
    /// The contracts, in document order.
    pub contracts: Vec<ImportedContract>,
    /// Everything not mapped, guessed, or left out as documentation.
    pub report: Report,
    /// `--header` lines the security schemes call for.
    pub header_hints: Vec<String>,
    /// The document's server URLs, candidates for `--target`.
    pub servers: Vec<String>,
}

/// Imports the OpenAPI document at `path`.
pub(crate) fn import(path: &Path) -> Result<Import, ImportError> {
    let docs = Documents::open(path)?;
    import_documents(&docs)
}

/// Imports an already loaded set of documents.
pub(crate) fn import_documents(docs: &Documents) -> Result<Import, ImportError> {
    let mut report = Report::default();
    let mut document_notes = Vec::new();
    let version = version(docs, &mut document_notes)?;
    top_level(docs, &mut document_notes);
    let found = operation::list(docs, &mut document_notes);
    let names = operation::names(docs, &found, &mut document_notes);
    let mut schemas = Schemas::new(docs);
    let mut contracts = Vec::new();
    let mut hints = Vec::new();
    for (found, name) in found.iter().zip(names) {
        match operation::map(docs, &mut schemas, found, name.clone()) {
            Ok(mapped) => {
                for hint in &mapped.hints {
                    if !hints.contains(hint) {
                        hints.push(hint.clone());
                    }
                }
                if let Some(contract) = finish(docs, &schemas, mapped, &mut report) {
                    contracts.push(contract);
                }
            }
            Err((notes, why)) => {
                add_notes(&mut report, docs, &notes, Some(&name));
                report.add(
                    ItemKind::Skipped,
                    docs.show(&found.at),
                    Some(&name),
                    format!("operation not imported: {why}"),
                );
            }
        }
    }
    add_notes(&mut report, docs, &document_notes, None);
    Ok(Import {
        document: docs.files[0].shown.clone(),
        version,
        contracts,
        report,
        header_hints: hints,
        servers: servers(docs),
    })
}

/// Adds the named types the contract uses, compiles it (leaving out what the compiler refuses)
/// and records its notes; `None` (listed as skipped) when it cannot be made to compile.
fn finish(
    docs: &Documents,
    schemas: &Schemas<'_>,
    mapped: operation::Mapped,
    report: &mut Report,
) -> Option<ImportedContract> {
    let name = mapped.name.clone();
    let mut contract = mapped.contract;
    let mut notes = mapped.notes;
    let types = closure(schemas, &mapped.refs);
    if !types.is_empty() {
        let mut defs = Map::new();
        for (type_name, entry) in &types {
            defs.insert(type_name.clone(), entry.def.clone());
            notes.extend(entry.notes.iter().cloned());
        }
        contract.insert("types".into(), Value::Object(defs));
    }
    let contract = operation::ordered(contract);
    add_notes(report, docs, &notes, Some(&name));
    match settle::settle(&format!("{name}.json"), Value::Object(contract)) {
        Ok((text, left_out)) => {
            for item in left_out {
                let message = format!(
                    "`{}` left out: the contract compiler refused it ({})",
                    item.pointer, item.reason
                );
                report.add(
                    ItemKind::NotMapped,
                    docs.show(&mapped.at),
                    Some(&name),
                    message,
                );
            }
            Some(ImportedContract { name, text })
        }
        Err(why) => {
            report.add(
                ItemKind::Skipped,
                docs.show(&mapped.at),
                Some(&name),
                format!("operation not imported: the contract would not compile ({why})"),
            );
            None
        }
    }
}

/// The named types `refs` name, and those they name, by name.
fn closure<'s>(
    schemas: &'s Schemas<'_>,
    refs: &BTreeSet<String>,
) -> BTreeMap<String, &'s schema::TypeEntry> {
    let mut out = BTreeMap::new();
    let mut queue: Vec<String> = refs.iter().cloned().collect();
    while let Some(name) = queue.pop() {
        if out.contains_key(&name) {
            continue;
        }
        if let Some(entry) = schemas.get(&name) {
            queue.extend(entry.refs.iter().cloned());
            out.insert(name, entry);
        }
    }
    out
}

fn add_notes(report: &mut Report, docs: &Documents, notes: &[Note], contract: Option<&str>) {
    for note in notes {
        report.add(
            note.kind,
            docs.show(&note.at),
            contract,
            note.message.clone(),
        );
    }
}

/// The `openapi` version, refusing Swagger 2.0 and documents that are not OpenAPI.
fn version(docs: &Documents, notes: &mut Vec<Note>) -> Result<String, ImportError> {
    let root = &docs.files[0].root;
    if root.get("swagger").is_some() {
        return Err(ImportError::NotOpenApi(format!(
            "{} is a Swagger 2.0 document: conform reads OpenAPI 3.0 and 3.1 (convert it first, e.g. with swagger2openapi)",
            docs.files[0].shown
        )));
    }
    let Some(version) = root.get("openapi").and_then(Value::as_str) else {
        let shown = &docs.files[0].shown;
        return Err(ImportError::NotOpenApi(match root.get("openapi") {
            // `openapi: 3.0` in YAML is a number; the specification asks for a string.
            Some(Value::Number(n)) => format!(
                "{shown}: `openapi` is the number {n}, not a version string: write it as a quoted string, `openapi: \"{n}.0\"`"
            ),
            _ => format!("{shown} is not an OpenAPI document: it has no `openapi` version"),
        }));
    };
    if !(version.starts_with("3.0") || version.starts_with("3.1")) {
        if version.starts_with('3') {
            let at = docs.main().child("openapi");
            notes.push(Note {
                kind: ItemKind::Guess,
                at,
                message: format!("OpenAPI {version} is read as 3.1"),
            });
        } else {
            return Err(ImportError::NotOpenApi(format!(
                "{} is OpenAPI {version}: conform reads 3.0 and 3.1",
                docs.files[0].shown
            )));
        }
    }
    Ok(version.to_string())
}

/// Notes for top-level members: webhooks are not checked, the rest is documentation.
fn top_level(docs: &Documents, notes: &mut Vec<Note>) {
    let root = docs.main();
    let Some(map) = docs.get(&root).and_then(Value::as_object) else {
        return;
    };
    for key in map.keys() {
        let at = root.child(key);
        let (kind, message) = match key.as_str() {
            "openapi" | "paths" | "components" | "security" => continue,
            "info" | "tags" | "externalDocs" | "jsonSchemaDialect" => {
                (ItemKind::Ignored, format!("`{key}` is documentation"))
            }
            "servers" => (
                ItemKind::Ignored,
                "`servers`: the target is given with --target (listed in import-report.md)".into(),
            ),
            "webhooks" => (
                ItemKind::NotMapped,
                "`webhooks` are requests the API sends: not checked".into(),
            ),
            k if k.starts_with("x-") => (
                ItemKind::Ignored,
                format!("extension `{k}` is documentation to conform"),
            ),
            k => (
                ItemKind::NotMapped,
                format!("top-level `{k}` is not mapped"),
            ),
        };
        notes.push(Note { kind, at, message });
    }
}

fn servers(docs: &Documents) -> Vec<String> {
    docs.files[0]
        .root
        .get("servers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("url").and_then(Value::as_str).map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests;
