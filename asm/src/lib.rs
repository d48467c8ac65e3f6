//! The trapvisor assembler (filled in by its issue).
#![forbid(unsafe_code)]
