//! trapvisor's debugger core.
#![forbid(unsafe_code)]

pub mod command;
mod commands;
pub mod describe;
pub mod expr;
pub mod gdb;
pub mod history;
pub mod line;
pub mod monitored;
pub mod native;
pub mod output;
pub mod program;
pub mod render;
pub mod session;
pub mod target;
pub mod tui;
pub mod walk;
