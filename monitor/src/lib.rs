//! The trapvisor monitor: runs several deprivileged guests on one hart by
//! trap-and-emulate (Popek & Goldberg, 1974). Filled in by its own issue.
#![forbid(unsafe_code)]
