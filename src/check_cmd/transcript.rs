//! A `debug` check's expected transcript: the text `trapvisor debug`
//! prints for a script, compared line by line with the rules the book's
//! `console` blocks use (book/src/introduction.md, "Conventions"):
//!
//! - `[..]` in a line stands for any text within that line (an address
//!   that depends on the submission's code, a count);
//! - a line that is only `...` stands for any number of lines, none
//!   included (the guest's output, the part of a transcript the check
//!   does not care about);
//! - every other line must be equal.
//!
//! An expected text without either is an exact comparison.

/// A line that stands for any number of lines.
pub const ANY_LINES: &str = "...";

/// A piece of a line that stands for any text.
pub const ANY_TEXT: &str = "[..]";

/// Whether `line` matches `pattern`, where `[..]` is any text.
pub fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split(ANY_TEXT).collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == line;
    }
    if line.len() < first.len() + last.len() || !line.starts_with(first) || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Why a transcript does not match, where the best attempt failed (lines
/// are numbered from 1, each with its text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// An expected line against the transcript's line at that place.
    Differs {
        expected: (usize, String),
        got: (usize, String),
    },
    /// After a `...`, no line of the transcript from line `from` on
    /// matches the expected line.
    NotFound {
        expected: (usize, String),
        from: usize,
    },
    /// The transcript ended before the expected line.
    Ends { expected: (usize, String) },
    /// Every expected line matched, and the transcript goes on.
    GoesOn { got: (usize, String) },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Differs {
                expected: (n, want),
                got: (m, got),
            } => write!(
                f,
                "expected line {n} {want:?} does not match the transcript's line {m} {got:?}"
            ),
            Mismatch::NotFound {
                expected: (n, want),
                from,
            } => write!(
                f,
                "no line of the transcript from its line {from} on matches expected line {n} {want:?}"
            ),
            Mismatch::Ends { expected: (n, want) } => {
                write!(f, "the transcript ends before expected line {n} {want:?}")
            }
            Mismatch::GoesOn { got: (m, got) } => write!(
                f,
                "the transcript goes on after the expected end, at its line {m} {got:?}"
            ),
        }
    }
}

/// Compares `got` with `expected` (see the module's rules): `Ok` when it
/// matches, else the place where the best attempt failed.
pub fn compare(expected: &str, got: &str) -> Result<(), Mismatch> {
    let want: Vec<&str> = expected.lines().collect();
    let text: Vec<&str> = got.lines().collect();
    let (m, n) = (want.len(), text.len());
    // reached[i][j]: the first i expected lines can match the first j
    // transcript lines. Filled forwards, row by row (a `...` moves right
    // within its row, or down).
    let width = n + 1;
    let mut reached = vec![false; (m + 1) * width];
    reached[0] = true;
    for i in 0..m {
        for j in 0..=n {
            if !reached[i * width + j] {
                continue;
            }
            if want[i] == ANY_LINES {
                reached[(i + 1) * width + j] = true;
                if j < n {
                    reached[i * width + j + 1] = true;
                }
            } else if j < n && line_matches(want[i], text[j]) {
                reached[(i + 1) * width + j + 1] = true;
            }
        }
    }
    if reached[m * width + n] {
        return Ok(());
    }
    // The furthest expected line reached, at the first transcript line it
    // was reached with.
    let (i, j) = (0..=m)
        .rev()
        .find_map(|i| (0..=n).find(|&j| reached[i * width + j]).map(|j| (i, j)))
        .unwrap_or((0, 0));
    let line = |k: usize, of: &[&str]| (k + 1, of[k].to_string());
    if i == m {
        return Err(Mismatch::GoesOn {
            got: line(j, &text),
        });
    }
    // Reaching a `...` means reaching the line after it: the furthest
    // row is never a `...`, except a `...` the transcript ran out under.
    if i > 0 && want[i - 1] == ANY_LINES {
        return Err(Mismatch::NotFound {
            expected: line(i, &want),
            from: j + 1,
        });
    }
    if j == n {
        return Err(Mismatch::Ends {
            expected: line(i, &want),
        });
    }
    Err(Mismatch::Differs {
        expected: line(i, &want),
        got: line(j, &text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_within_a_line() {
        assert!(line_matches("wall time: [..] s", "wall time: 0.012 s"));
        assert!(!line_matches("wall time: [..] s", "wall time: 0.012 ms"));
        assert!(line_matches("a [..] b [..] c", "a 1 b 2 c"));
        assert!(!line_matches("a [..] b [..] c", "a 1 c 2 b"));
        assert!(line_matches("[..]", ""));
        assert!(line_matches("x[..]x", "xx"));
        assert!(!line_matches("x[..]x", "x"));
        assert!(line_matches("exact", "exact"));
        assert!(!line_matches("exact", "exact "));
    }

    #[test]
    fn any_lines_and_exact_text() {
        assert_eq!(compare("a\nb\n", "a\nb\n"), Ok(()));
        assert_eq!(compare("a\nb", "a\nb\n"), Ok(()));
        assert_eq!(compare("a\n...\nd\n", "a\nb\nc\nd\n"), Ok(()));
        assert_eq!(compare("a\n...\nd\n", "a\nd\n"), Ok(()));
        assert_eq!(compare("...\nc\n...\n", "a\nb\nc\nd\n"), Ok(()));
        assert_eq!(compare("...\n", ""), Ok(()));
        // `...` backtracks: the first `x` is not the one that must match.
        assert_eq!(compare("...\nx\ny\n", "x\nz\nx\ny\n"), Ok(()));
    }

    #[test]
    fn mismatches_point_at_the_lines() {
        let e = compare("a\nb\nc\n", "a\nx\nc\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected line 2 \"b\" does not match the transcript's line 2 \"x\""
        );
        let e = compare("a\nb\n", "a\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the transcript ends before expected line 2 \"b\""
        );
        let e = compare("a\n", "a\nb\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the transcript goes on after the expected end, at its line 2 \"b\""
        );
        let e = compare("a\n...\n$1 = 3\n", "a\nq\n$1 = 2\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "no line of the transcript from its line 2 on matches expected line 3 \"$1 = 3\""
        );
    }
}
