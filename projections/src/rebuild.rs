//! Rebuilding a projection from sequence 1 into fresh tables while the serving ones keep
//! answering, then swapping it in atomically.
