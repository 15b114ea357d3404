//! Finding contract files (files or folders), reading and compiling them, and checking that a
//! set of contracts can run together (unique names and operations).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Contract;
use super::compile::compile;
use super::error::{ContractError, ContractErrorKind as K, ContractErrors};
use super::source::{SourceText, Span};
use super::suite::Entry;

/// The suffix of scenario files: they sit beside contracts and are no contracts
/// ([`crate::scenario`] reads them).
pub(crate) const SCENARIO_SUFFIX: &str = ".scenario.json";

/// Loads every contract under `paths` (files, or folders searched recursively for `*.json`;
/// scenario files, `*.scenario.json`, are left to `crate::scenario`), in a stable order.
/// Returns every error of every file when any file is invalid.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Contract>, ContractErrors> {
    let found = contract_files(paths);
    load_files(found.files, found.errors)
}

/// What a walk of a run's paths found.
pub(crate) struct Found {
    /// The contract files, in a stable order (scenario files left out).
    pub files: Vec<PathBuf>,
    /// The paths that could not be read.
    pub errors: Vec<ContractError>,
    /// Whether scenario files were among them.
    pub scenarios: bool,
}

/// The contract files under `paths`, and what else the walk found.
pub(crate) fn contract_files(paths: &[PathBuf]) -> Found {
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        if let Err(err) = collect_files(path, &mut files) {
            errors.push(ContractError::whole_file(
                path.clone(),
                K::Io(err.to_string()),
            ));
        }
    }
    let before = files.len();
    files.retain(|file| !is_scenario(file));
    Found {
        scenarios: files.len() < before,
        files,
        errors,
    }
}

/// Reads and compiles `files`; every error of every file (after `errors`, those found before)
/// when any is invalid.
pub(crate) fn load_files(
    files: Vec<PathBuf>,
    errors: Vec<ContractError>,
) -> Result<Vec<Contract>, ContractErrors> {
    compile_each(files, errors, |contract| contract, Entry::of)
}

/// Reads and compiles `files`, keeping what `keep` makes of each contract (the contract, or
/// only its [`Entry`]), then checks that their names and operations are unique (`entry`: the
/// entry of what was kept). Every error of every file (after `errors`) when any is invalid.
pub(crate) fn compile_each<T: Send>(
    files: Vec<PathBuf>,
    mut errors: Vec<ContractError>,
    keep: impl Fn(Contract) -> T + Sync,
    entry: impl Fn(&T) -> Entry,
) -> Result<Vec<T>, ContractErrors> {
    let mut kept = Vec::with_capacity(files.len());
    for compiled in compile_files(&files, &keep) {
        match compiled {
            Ok(contract) => kept.push(contract),
            Err(mut found) => errors.append(&mut found),
        }
    }
    let entries: Vec<Entry> = kept.iter().map(entry).collect();
    check_unique(&entries, &mut errors);
    if errors.is_empty() {
        Ok(kept)
    } else {
        Err(ContractErrors(errors))
    }
}

/// What compiling one file gave.
type Compiled<T> = Result<T, Vec<ContractError>>;

/// Each of `files` compiled, in their order. Files are shared out among up to as many threads
/// as there are cores: compiling is most of what a run does before its first request, and the
/// other cores are idle then.
fn compile_files<T: Send>(
    files: &[PathBuf],
    keep: &(impl Fn(Contract) -> T + Sync),
) -> Vec<Compiled<T>> {
    // One file needs no second thread, nor the cgroup files read to count the cores.
    let threads = match files.len() {
        0 | 1 => 1,
        n => std::thread::available_parallelism().map_or(1, |cores| cores.get().min(n)),
    };
    if threads <= 1 {
        return files.iter().map(|file| compile_file(file, keep)).collect();
    }
    let next = AtomicUsize::new(0);
    let take = || {
        let mut compiled = Vec::new();
        loop {
            let at = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(at) else {
                return compiled;
            };
            compiled.push((at, compile_file(file, keep)));
        }
    };
    let mut compiled = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(take)).collect();
        let mut compiled = take();
        for helper in helpers {
            // A panic while compiling is a bug: it goes on as if it had happened here.
            compiled.extend(
                helper
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            );
        }
        compiled
    });
    compiled.sort_unstable_by_key(|(at, _)| *at);
    compiled.into_iter().map(|(_, one)| one).collect()
}

/// Reads and compiles one file.
fn compile_file<T>(file: &Path, keep: impl Fn(Contract) -> T) -> Compiled<T> {
    match crate::input::read(file) {
        Ok(bytes) => load_bytes(file, bytes).map(keep),
        Err(err) => Err(vec![ContractError::whole_file(
            file.to_path_buf(),
            K::Io(err.to_string()),
        )]),
    }
}

/// Compiles one contract from the bytes of its file: text that is not UTF-8 is an error located
/// at the first offending byte.
pub(crate) fn load_bytes(path: &Path, bytes: Vec<u8>) -> Result<Contract, Vec<ContractError>> {
    match String::from_utf8(bytes) {
        Ok(text) => load_str(path, text),
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            // The lossy text keeps every byte before the bad one, so positions still hold.
            let source = SourceText::new(path, String::from_utf8_lossy(err.as_bytes()).into());
            let kind = K::Encoding("the file is not UTF-8 text".into());
            Err(vec![ContractError::at(
                &source,
                Span {
                    start: at,
                    end: at + 1,
                },
                kind,
            )])
        }
    }
}

/// Compiles one contract from its text; `path` is used in error locations.
pub(crate) fn load_str(path: &Path, text: String) -> Result<Contract, Vec<ContractError>> {
    let source = SourceText::new(path, text);
    compile(&source)
}

/// Whether `file` is named like a scenario file.
pub(crate) fn is_scenario(file: &Path) -> bool {
    file.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.ends_with(SCENARIO_SUFFIX))
}

/// Every file under `path`: `path` itself when it is a file, else the `*.json` files of the
/// folder and its subfolders, sorted.
pub(crate) fn collect_files(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_files(&entry, files)?;
        } else if entry.extension().is_some_and(|ext| ext == "json") && !is_schema(&entry) {
            files.push(entry);
        }
    }
    Ok(())
}

/// A JSON Schema kept beside contracts (`contract.schema.json`, written by `conform new` for
/// editors) is not a contract; a folder's walk leaves out `*.schema.json`.
fn is_schema(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".schema.json"))
}

/// Case names start with the contract name and the embedded server routes by method and path,
/// so both must be unique across the contracts of one run.
fn check_unique(entries: &[Entry], errors: &mut Vec<ContractError>) {
    let mut names: HashMap<&str, &Path> = HashMap::new();
    let mut operations: HashMap<(&str, &str), &Path> = HashMap::new();
    for entry in entries {
        let file = entry.file.as_path();
        if let Some(first) = names.insert(&entry.name, file) {
            let kind = K::Invalid(format!(
                "contract name `{}` is also used by {}",
                entry.name,
                first.display()
            ));
            errors.push(ContractError::whole_file(file.to_path_buf(), kind));
        }
        if let Some(first) = operations.insert((&entry.method, &entry.path), file) {
            let kind = K::Invalid(format!(
                "operation {} {} is also defined by {}",
                entry.method,
                entry.path,
                first.display()
            ));
            errors.push(ContractError::whole_file(file.to_path_buf(), kind));
        }
    }
}
