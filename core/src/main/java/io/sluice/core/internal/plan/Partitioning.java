package io.sluice.core.internal.plan;

import io.sluice.core.dsl.KeySelector;
import io.sluice.core.dsl.Partitioner;

/** INTERNAL API: how an edge spreads records over the downstream instances. */
public sealed interface Partitioning {
  String describe();

  /** Same instance index downstream (chained when parallelism and placement allow). */
  record Forward() implements Partitioning {
    @Override
    public String describe() {
      return "forward";
    }
  }

  /** By key group of the key's stable hash. */
  record Keyed(KeySelector<Object, Object> key) implements Partitioning {
    @Override
    public String describe() {
      return "keyed";
    }
  }

  /** Round-robin. */
  record Rebalance() implements Partitioning {
    @Override
    public String describe() {
      return "rebalance";
    }
  }

  /** Every record to every instance. */
  record Broadcast() implements Partitioning {
    @Override
    public String describe() {
      return "broadcast";
    }
  }

  /** A user partitioner over a key. */
  record Custom(KeySelector<Object, Object> key, Partitioner<Object> partitioner) implements Partitioning {
    @Override
    public String describe() {
      return "custom";
    }
  }

  Forward FORWARD = new Forward();
  Rebalance REBALANCE = new Rebalance();
  Broadcast BROADCAST = new Broadcast();
}
