//! JSON helpers shared by every stage: pointers, abbreviation for messages, canonical printing.

pub mod patched;
pub mod pointer;
pub mod text;

pub use pointer::Pointer;
pub use text::{abbreviate, canonical_pretty, describe_kind};
