//! JSON helpers shared by every stage: pointers, abbreviation for messages, canonical printing,
//! a parse that notices duplicate keys ([`strict`]), and [`printable`]: the one function that
//! makes text from a target safe to print.

pub(crate) mod patched;
pub(crate) mod pointer;
pub(crate) mod strict;
pub(crate) mod text;

pub(crate) use pointer::Pointer;
pub(crate) use text::{abbreviate, canonical_pretty, describe_kind, printable, printable_line};
