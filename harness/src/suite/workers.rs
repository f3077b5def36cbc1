//! Work spread over `--jobs` threads, each taking the next item until none
//! is left or the run is stopped (Ctrl-C): the suite's case instances, the
//! fuzz campaign's configurations and the shrinking of its classes.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `work` on the items, at most `jobs` at once, taken in order; once
/// `stop` says so no further item is taken. The results come back by item
/// index, `None` for an item that was not run or whose work gave nothing.
pub fn each<T, R>(
    items: &[T],
    jobs: usize,
    stop: &(dyn Fn() -> bool + Sync),
    work: impl Fn(usize, &T) -> Option<R> + Sync,
) -> Vec<Option<R>>
where
    T: Sync,
    R: Send,
{
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<R>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                while !stop() {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    let result = work(i, item);
                    if let Ok(mut s) = slots.lock() {
                        s[i] = result;
                    }
                }
            });
        }
    });
    slots.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;

    #[test]
    fn every_item_once_in_index_order() {
        let items: Vec<u32> = (0..50).collect();
        let out = each(&items, 3, &|| false, |i, n| Some((i, n * 2)));
        let expected: Vec<Option<(usize, u32)>> =
            (0..50).map(|i| Some((i, i as u32 * 2))).collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn nothing_is_taken_after_stop() {
        let items: Vec<u32> = (0..50).collect();
        let stopped = AtomicBool::new(false);
        let out = each(&items, 1, &|| stopped.load(Ordering::SeqCst), |i, _| {
            if i == 4 {
                stopped.store(true, Ordering::SeqCst);
            }
            Some(i)
        });
        assert_eq!(out.iter().flatten().count(), 5);
        assert!(out[5..].iter().all(Option::is_none));
    }
}
