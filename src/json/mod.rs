//! JSON helpers shared by every stage: pointers, abbreviation for messages, canonical printing,
//! a parse that notices duplicate keys ([`strict`]), and [`printable`]: the one function that
//! makes text from a target safe to print.

pub mod patched;
pub mod pointer;
pub mod strict;
pub mod text;

pub use pointer::Pointer;
pub use text::{abbreviate, canonical_pretty, describe_kind, printable, printable_line};
