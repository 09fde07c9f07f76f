//! Fault injection for tests (feature `testing`): where a projector may be made to fail, as
//! a crash there would.

use std::sync::Arc;

/// Where a test may make a projector fail, as a crash there would (feature `testing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// The batch is applied in the transaction, not yet committed.
    BeforeCommit,
    /// The batch is committed, not yet acknowledged.
    AfterCommitBeforeAck,
}

/// Decides whether to fail at a point (feature `testing`).
pub type Fault = Arc<dyn Fn(FaultPoint) -> bool + Send + Sync>;
