//! Queue entries ordered by rating, walked outward from one rating so the nearest (and so
//! usually the fairest) opponents come first; removal and each step cost O(log n).

use std::collections::BTreeMap;
use std::collections::btree_map::Range;
use std::iter::{Peekable, Rev};

use super::EntryId;

/// Ratings in thousandths of a point, so they order exactly.
pub type RatingKey = i64;

/// Converts whole rating points to a [`RatingKey`].
pub fn rating_key(points: f64) -> RatingKey {
    (points * 1000.0).round() as i64
}

/// Entries (by their position in the caller's list) ordered by rating, then id.
#[derive(Debug, Default)]
pub struct RatingIndex {
    tree: BTreeMap<(RatingKey, EntryId), usize>,
}

impl RatingIndex {
    /// Indexes `(rating, id, position)` triples.
    pub fn new(items: impl IntoIterator<Item = (RatingKey, EntryId, usize)>) -> Self {
        Self {
            tree: items
                .into_iter()
                .map(|(rating, id, at)| ((rating, id), at))
                .collect(),
        }
    }

    /// Takes an entry out (it was matched).
    pub fn remove(&mut self, rating: RatingKey, id: EntryId) {
        self.tree.remove(&(rating, id));
    }

    /// Entries still indexed.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether no entry is left.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// `(gap, position)` of every indexed entry, nearest rating to `center` first.
    pub fn nearest(&self, center: RatingKey) -> Nearest<'_> {
        Nearest {
            center,
            below: self.tree.range(..(center, EntryId::MIN)).rev().peekable(),
            above: self.tree.range((center, EntryId::MIN)..).peekable(),
        }
    }
}

/// Iterator of [`RatingIndex::nearest`].
pub struct Nearest<'a> {
    center: RatingKey,
    below: Peekable<Rev<Range<'a, (RatingKey, EntryId), usize>>>,
    above: Peekable<Range<'a, (RatingKey, EntryId), usize>>,
}

impl Iterator for Nearest<'_> {
    type Item = (u64, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let gap = |rating: RatingKey| self.center.abs_diff(rating);
        let below = self.below.peek().map(|((r, _), _)| gap(*r));
        let above = self.above.peek().map(|((r, _), _)| gap(*r));
        let take_below = match (below, above) {
            (Some(b), Some(a)) => b < a,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        let side = if take_below {
            self.below.next()
        } else {
            self.above.next()
        };
        side.map(|((rating, _), at)| (gap(*rating), *at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn walks_every_entry_in_order_of_distance(
            ratings in proptest::collection::vec(-5_000i64..5_000, 0..60),
            center in -6_000i64..6_000,
            removed in proptest::collection::vec(any::<proptest::sample::Index>(), 0..10),
        ) {
            let mut index = RatingIndex::new(
                ratings.iter().enumerate().map(|(at, r)| (*r, at as u64, at)),
            );
            let mut left: Vec<usize> = (0..ratings.len()).collect();
            for pick in removed {
                if left.is_empty() { break; }
                let at = left.remove(pick.index(left.len()));
                index.remove(ratings[at], at as u64);
            }
            let walked: Vec<(u64, usize)> = index.nearest(center).collect();
            prop_assert_eq!(walked.len(), left.len());
            prop_assert!(walked.windows(2).all(|w| w[0].0 <= w[1].0));
            let mut seen: Vec<usize> = walked.iter().map(|(_, at)| *at).collect();
            seen.sort_unstable();
            prop_assert_eq!(seen, left);
            for (gap, at) in walked {
                prop_assert_eq!(gap, center.abs_diff(ratings[at]));
            }
        }
    }
}
