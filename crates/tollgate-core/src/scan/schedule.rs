//! Scheduling units on the worker pool.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

/// Runs `f` over `jobs` on the current pool, every thread taking the next
/// job as it finishes one. The jobs big enough to be left running alone at
/// the end (an estimated `cost` of at least 1/(8 × threads) of the total)
/// go first, the biggest first; the others keep their order, so that the
/// units sharing parsed module directories (the examples of one module)
/// run close together and each shared parse is released soon after its
/// first user instead of at the end of the scan. Results come back in the
/// order of `jobs`.
pub(super) fn big_first<J: Sync, R: Send>(
    jobs: &[J],
    cost: impl Fn(&J) -> usize,
    f: impl Fn(&J) -> R + Sync,
) -> Vec<R> {
    let costs: Vec<usize> = jobs.iter().map(&cost).collect();
    let total: usize = costs.iter().sum();
    let threads = rayon::current_num_threads().max(1);
    let big = |c: usize| c.saturating_mul(8 * threads) >= total && c > 0;
    let (mut order, rest): (Vec<usize>, Vec<usize>) =
        (0..costs.len()).partition(|&i| costs.get(i).is_some_and(|&c| big(c)));
    order.sort_by_key(|&i| std::cmp::Reverse(costs.get(i).copied().unwrap_or(0)));
    order.extend(rest);
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
    let mut done: Vec<(usize, R)> = (0..workers)
        .into_par_iter()
        .flat_map_iter(|_| {
            let mut out = Vec::new();
            while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                if let Some(job) = jobs.get(i) {
                    out.push((i, f(job)));
                }
            }
            out
        })
        .collect();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_first_runs_every_job_once_and_keeps_their_order() {
        let jobs: Vec<usize> = (0..500).map(|i| (i * 7919) % 1000).collect();
        let ran = std::sync::Mutex::new(Vec::new());
        let out = big_first(
            &jobs,
            |j| *j,
            |j| {
                ran.lock().unwrap().push(*j);
                j * 2
            },
        );
        assert_eq!(out, jobs.iter().map(|j| j * 2).collect::<Vec<_>>());
        let mut ran = ran.into_inner().unwrap();
        ran.sort_unstable();
        let mut want = jobs.clone();
        want.sort_unstable();
        assert_eq!(ran, want);
        // On one thread the big jobs go first, the biggest first; the rest
        // keep their order.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let order = std::sync::Mutex::new(Vec::new());
        pool.install(|| big_first(&[3, 9, 1], |j| *j, |j| order.lock().unwrap().push(*j)));
        assert_eq!(order.into_inner().unwrap(), [9, 3, 1]);
        let order = std::sync::Mutex::new(Vec::new());
        pool.install(|| big_first(&[1, 2, 100, 3, 20, 1, 2], |j| *j, |j| order.lock().unwrap().push(*j)));
        assert_eq!(order.into_inner().unwrap(), [100, 20, 1, 2, 3, 1, 2]);
        assert!(big_first(&[] as &[usize], |j| *j, |j| *j).is_empty());
    }
}
