//! Writing an import: one `<name>.json` per contract, `import-report.md` (what was not mapped or
//! guessed, and how to run the contracts: the target and the headers the security schemes
//! call for) and `import-report.jsonl` (the same items, one JSON object per line, for tools;
//! not `.json`, so `conform lint DIR` never takes it for a contract). Same document, same bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Import;

/// The readable report's file name.
pub(super) const REPORT_MD: &str = "import-report.md";
/// The machine-readable report's file name.
pub(super) const REPORT_JSONL: &str = "import-report.jsonl";

/// Writes the import into `dir` (created when missing); the files written, or the first one
/// that could not be, with why.
pub(crate) fn write(
    import: &Import,
    dir: &Path,
) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    std::fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
    let mut written = Vec::new();
    let mut put = |name: &str, text: &str| {
        let path = dir.join(name);
        crate::atomic::write(&path, text.as_bytes()).map_err(|e| (path.clone(), e))?;
        written.push(path);
        Ok(())
    };
    for contract in &import.contracts {
        put(&format!("{}.json", contract.name), &contract.text)?;
    }
    put(REPORT_MD, &markdown(import, dir))?;
    put(REPORT_JSONL, &import.report.jsonl())?;
    Ok(written)
}

/// The readable report: summary, how to run, then every item by kind.
pub(super) fn markdown(import: &Import, dir: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Import of {} (OpenAPI {})\n",
        import.document, import.version
    );
    let _ = writeln!(
        out,
        "{} contract{} written; {}.\n",
        import.contracts.len(),
        if import.contracts.len() == 1 { "" } else { "s" },
        import.report.summary()
    );
    let _ = writeln!(
        out,
        "Re-importing the same document writes the same bytes, so these files can be committed and diffed.\n"
    );
    let _ = writeln!(out, "## Running the contracts\n");
    let _ = writeln!(out, "```sh");
    let _ = writeln!(out, "conform lint {}", dir.display());
    let _ = writeln!(
        out,
        "conform verify {}    # against the embedded reference implementation",
        dir.display()
    );
    let target = import
        .servers
        .first()
        .map_or("https://api.example.com", String::as_str);
    let mut live = format!("conform verify {} --target {target}", dir.display());
    for hint in &import.header_hints {
        let header = hint.split("  (").next().unwrap_or(hint);
        live.push_str(&format!(" \\\n  {header}"));
    }
    let _ = writeln!(out, "{live}");
    let _ = writeln!(out, "```");
    if import.servers.len() > 1 {
        let _ = writeln!(
            out,
            "\nServers the document lists (any can be the `--target`):\n"
        );
        for server in &import.servers {
            let _ = writeln!(out, "- `{server}`");
        }
    }
    if !import.header_hints.is_empty() {
        let _ = writeln!(
            out,
            "\nCredentials the security schemes call for (never written into a contract, never shown in a report):\n"
        );
        for hint in &import.header_hints {
            let _ = writeln!(
                out,
                "- `{}`",
                hint.replace("  (", "` (").trim_end_matches('`')
            );
        }
    }
    out.push_str(&import.report.markdown_items());
    out
}
