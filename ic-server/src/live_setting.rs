//! A setting that a configuration reload may replace while requests read it: readers take a
//! cheap snapshot (`get`), a reload swaps in a new value (`set`) without stopping anyone.
//!
//! Hand-written over `arc-swap`: one uncontended read lock per use is far below the cost of
//! the requests that read these settings, and it needs no dependency.

use std::sync::{Arc, RwLock};

/// A value replaced as a whole on reload.
#[derive(Debug, Default)]
pub struct Live<T> {
    current: RwLock<Arc<T>>,
}

impl<T> Live<T> {
    /// Holds `value`.
    pub fn new(value: T) -> Self {
        Self {
            current: RwLock::new(Arc::new(value)),
        }
    }

    /// The value now; later reloads do not change this snapshot.
    pub fn get(&self) -> Arc<T> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Replaces the value for every later `get`.
    pub fn set(&self, value: T) {
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_keeps_its_value_and_later_reads_see_the_new_one() {
        let live = Live::new(1);
        let before = live.get();
        live.set(2);
        assert_eq!((*before, *live.get()), (1, 2));
    }
}
