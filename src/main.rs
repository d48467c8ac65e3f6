//! `trapvisor`: the command-line interface.
fn main() {}
