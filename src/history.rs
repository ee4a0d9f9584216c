//! Views across time: periods between rule changes, timelines and diffs (being written).
