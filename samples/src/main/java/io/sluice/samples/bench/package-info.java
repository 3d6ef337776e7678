/** Benchmarks of the samples: {@link io.sluice.samples.bench.LogicBench} measures operator logic on one core. */
package io.sluice.samples.bench;
