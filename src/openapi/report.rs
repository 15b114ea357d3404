//! What an import could not carry over, what it guessed, and what it left out as documentation:
//! each item with its place in the source document and the contracts it affects.
//!
//! Nothing is dropped silently: the mapping records an item for every construct it does not
//! map, and every keyword it meets is either mapped, documentation, or an item. The console,
//! `import-report.md` and `import-report.jsonl` are three renderings of one [`Report`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// What kind of item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ItemKind {
    /// A whole operation was not imported.
    Skipped,
    /// A construct that changes what is valid, and that the contracts do not check.
    NotMapped,
    /// A choice the document does not state, made so the contract can run.
    Guess,
    /// Documentation only (titles, defaults, deprecation, extensions): changes no check.
    Ignored,
}

impl ItemKind {
    /// The label on the console and in the readable report.
    pub(crate) fn label(self) -> &'static str {
        match self {
            ItemKind::Skipped => "skipped",
            ItemKind::NotMapped => "not mapped",
            ItemKind::Guess => "guess",
            ItemKind::Ignored => "ignored",
        }
    }

    /// Whether `--strict` makes this kind an error: all but documentation.
    pub(crate) fn is_strict_error(self) -> bool {
        self != ItemKind::Ignored
    }
}

/// One item: what, where in the source, which contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Item {
    /// The kind.
    pub kind: ItemKind,
    /// `api.yaml#/paths/~1pets/get/callbacks`.
    pub source: String,
    /// The contracts it affects (empty: the document as a whole).
    pub contracts: Vec<String>,
    /// What was not mapped or guessed, and what follows for the checks.
    pub message: String,
}

/// Every item of one import, each once, in a stable order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Report {
    items: BTreeMap<(ItemKind, String, String), Vec<String>>,
}

impl Report {
    /// Records an item; the same (kind, source, message) met for several contracts is one item
    /// listing them all.
    pub(crate) fn add(
        &mut self,
        kind: ItemKind,
        source: String,
        contract: Option<&str>,
        message: String,
    ) {
        let contracts = self.items.entry((kind, source, message)).or_default();
        if let Some(name) = contract
            && !contracts.iter().any(|c| c == name)
        {
            contracts.push(name.to_string());
        }
    }

    /// The items, by kind, then source, then message.
    pub(crate) fn items(&self) -> Vec<Item> {
        self.items
            .iter()
            .map(|((kind, source, message), contracts)| Item {
                kind: *kind,
                source: source.clone(),
                contracts: contracts.clone(),
                message: message.clone(),
            })
            .collect()
    }

    /// How many items of `kind`.
    pub(crate) fn count(&self, kind: ItemKind) -> usize {
        self.items.keys().filter(|(k, _, _)| *k == kind).count()
    }

    /// Whether `--strict` refuses this import.
    pub(crate) fn has_strict_errors(&self) -> bool {
        self.items.keys().any(|(k, _, _)| k.is_strict_error())
    }

    /// `12 not mapped, 3 guesses, 40 ignored, 1 operation skipped`.
    pub(crate) fn summary(&self) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = vec![
            format!("{} not mapped", self.count(ItemKind::NotMapped)),
            plural(self.count(ItemKind::Guess), "guess", "guesses"),
            format!("{} ignored", self.count(ItemKind::Ignored)),
        ];
        let skipped = self.count(ItemKind::Skipped);
        if skipped > 0 {
            parts.push(plural(skipped, "operation skipped", "operations skipped"));
        }
        parts.join(", ")
    }

    /// One line per item that changes a check (documentation items are only counted):
    /// `not mapped  createPet  api.yaml#/...: message`.
    pub(crate) fn console_lines(&self) -> Vec<String> {
        self.items()
            .into_iter()
            .filter(|item| item.kind != ItemKind::Ignored)
            .map(|item| {
                format!(
                    "{:<11} {}  {}: {}",
                    item.kind.label(),
                    contracts_text(&item.contracts),
                    item.source,
                    item.message
                )
            })
            .collect()
    }

    /// The items as JSON Lines, one object per line, for tools.
    pub(crate) fn jsonl(&self) -> String {
        let mut out = String::new();
        for item in self.items() {
            out.push_str(&serde_json::to_string(&item).unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// The items as Markdown sections, one per kind.
    pub(crate) fn markdown_items(&self) -> String {
        let mut out = String::new();
        for kind in [
            ItemKind::Skipped,
            ItemKind::NotMapped,
            ItemKind::Guess,
            ItemKind::Ignored,
        ] {
            let items: Vec<Item> = self
                .items()
                .into_iter()
                .filter(|i| i.kind == kind)
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n## {} ({})\n", heading(kind), items.len());
            for item in items {
                let _ = writeln!(
                    out,
                    "- `{}` ({}): {}",
                    item.source,
                    contracts_text(&item.contracts),
                    item.message
                );
            }
        }
        out
    }
}

fn heading(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Skipped => "Operations not imported",
        ItemKind::NotMapped => "Not mapped: the contracts do not check these",
        ItemKind::Guess => "Guesses: choices the document does not state",
        ItemKind::Ignored => "Ignored: documentation that changes no check",
    }
}

/// `createPet`, `createPet, getPet`, `3 contracts: a, b, c`, or `document`.
fn contracts_text(contracts: &[String]) -> String {
    match contracts.len() {
        0 => "document".into(),
        1..=3 => contracts.join(", "),
        n => format!("{n} contracts: {}, ...", contracts[..3].join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_construct_met_by_several_contracts_is_one_item_naming_them() {
        let mut report = Report::default();
        for contract in ["createPet", "getPet", "createPet"] {
            report.add(
                ItemKind::NotMapped,
                "api.yaml#/components/schemas/Pet/not".into(),
                Some(contract),
                "`not` is not mapped".into(),
            );
        }
        let items = report.items();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].contracts, ["createPet", "getPet"]);
        assert_eq!(report.summary(), "1 not mapped, 0 guesses, 0 ignored");
    }

    #[test]
    fn documentation_items_do_not_make_strict_fail_but_guesses_do() {
        let mut report = Report::default();
        report.add(ItemKind::Ignored, "a#/x".into(), None, "title".into());
        assert!(!report.has_strict_errors());
        report.add(
            ItemKind::Guess,
            "a#/y".into(),
            None,
            "success is 2XX".into(),
        );
        assert!(report.has_strict_errors());
        assert_eq!(
            report.console_lines(),
            ["guess       document  a#/y: success is 2XX"]
        );
    }
}
