//! One budget for a whole call that makes several requests (upload → create → wait): every
//! request sent inside [`within`] stops at its deadline, as if the caller had given it to each.
//!
//! It travels with the task (a tokio task-local), so requests made by generated operations,
//! several layers down, obey it without every builder taking a deadline argument.

use std::future::Future;
use std::time::{Duration, Instant};

/// The deadline in force: when it ends, and how long it was when given (for errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// When it passes.
    pub ends_at: Instant,
    /// When it was given.
    pub started: Instant,
}

impl Deadline {
    /// A deadline `length` after `started` (about a century when that cannot be represented).
    pub fn after(started: Instant, length: Duration) -> Deadline {
        let ends_at = started
            .checked_add(length)
            .or_else(|| started.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
            .unwrap_or(started);
        Deadline { ends_at, started }
    }

    /// The length it was given with.
    pub fn length(&self) -> Duration {
        self.ends_at.saturating_duration_since(self.started)
    }

    /// Time left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.ends_at.saturating_duration_since(Instant::now())
    }

    /// True once it has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.ends_at
    }

    /// The error for not sending `operation` because this deadline passed.
    pub fn exceeded(&self, operation: &'static str) -> crate::Error {
        crate::Error::Deadline {
            operation,
            deadline: self.length(),
            elapsed: self.started.elapsed(),
        }
    }

    /// The earlier of two deadlines.
    pub fn min(self, other: Option<Deadline>) -> Deadline {
        match other {
            Some(other) if other.ends_at < self.ends_at => other,
            _ => self,
        }
    }
}

tokio::task_local! {
    static CURRENT: Deadline;
}

/// Runs `future` with `deadline` in force for every request it sends (the earlier one wins
/// when deadlines nest). Requests that may create something are not sent after it; requests
/// that cannot are abandoned at it; no retry pause or throttle wait runs past it.
pub async fn within<F: Future>(deadline: Deadline, future: F) -> F::Output {
    let deadline = deadline.min(current());
    CURRENT.scope(deadline, future).await
}

/// The deadline in force for this task, if any.
pub fn current() -> Option<Deadline> {
    CURRENT.try_with(|d| *d).ok()
}
