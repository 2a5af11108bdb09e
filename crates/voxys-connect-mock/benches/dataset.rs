//! How long the mock server takes to generate its data.
//!
//! `cargo bench -p voxys-connect-mock --bench dataset`

use criterion::{Criterion, criterion_group, criterion_main};
use voxys_connect_mock::{Dataset, DatasetSpec};

fn generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("dataset");
    group.sample_size(20);
    for leads in [10_000u64, 100_000] {
        group.bench_function(format!("generate {leads} leads"), |b| {
            b.iter(|| Dataset::generate(DatasetSpec::new(42, 1, leads)))
        });
    }
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
