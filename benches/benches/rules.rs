//! Policy evaluation per rule: an engine restricted to one rule with
//! `only_rule`, checking an already scanned tree (`benches/data`, where
//! every rule family has findings); `all` runs every bundled rule in one
//! check. Each includes the conversion of each unit's graph to the rules'
//! input (the engine's own timings report that part alone: `input
//! conversion` in the `phases` binary). Write-up: `benches/README.md`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tollgate_benches::data_dir;
use tollgate_core::{ScanOptions, scan_paths};
use tollgate_policy::Engine;

fn rules(c: &mut Criterion) {
    let Ok(output) = scan_paths(&[data_dir()], &ScanOptions::default()) else {
        eprintln!("rules: the bench data does not scan");
        return;
    };
    let Ok(all) = Engine::builder().build() else {
        eprintln!("rules: the bundled rules do not load");
        return;
    };
    let mut group = c.benchmark_group("rules");
    let ids: Vec<String> = all.active_rules().iter().map(|s| (*s).to_string()).collect();
    for id in ids {
        let Ok(engine) = Engine::builder().only_rule(id.as_str()).build() else {
            eprintln!("rules/{id}: cannot select");
            continue;
        };
        group.bench_function(id.as_str(), |b| {
            b.iter_batched(|| output.clone(), |o| black_box(engine.check(o)), BatchSize::SmallInput)
        });
    }
    group.bench_function("all", |b| {
        b.iter_batched(|| output.clone(), |o| black_box(all.check(o)), BatchSize::SmallInput)
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! { name = benches; config = config(); targets = rules }
criterion_main!(benches);
