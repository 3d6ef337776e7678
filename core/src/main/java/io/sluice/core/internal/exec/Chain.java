package io.sluice.core.internal.exec;

import io.sluice.core.dsl.Collector;
import io.sluice.core.dsl.FilterFn;
import io.sluice.core.dsl.FlatMapFn;
import io.sluice.core.dsl.KeySelector;
import io.sluice.core.dsl.MapFn;
import io.sluice.core.dsl.Partitioner;
import io.sluice.core.dsl.PeekFn;
import io.sluice.core.internal.plan.LogicalOperator;
import io.sluice.core.internal.plan.LogicalPlan;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.Partitioning;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.internal.plan.Port;
import java.util.ArrayList;
import java.util.List;

/**
 * INTERNAL API: compiles the chained stateless steps and output edges of one instance into
 * {@link Emitter}s. Each stateless step wraps its user function's exceptions in a
 * {@link UserCodeException} naming the step and the record.
 */
final class Chain {
  private final ExecContext ctx;
  private final PhysicalPlan.PhysicalOperator op;
  private final Outputs outputs;
  private final List<PhysicalPlan.ChannelRef> channels;
  private final KeyGroups keyGroups;
  private final List<RebalanceRouter> rebalancers = new ArrayList<>();

  Chain(ExecContext ctx, PhysicalPlan.PhysicalOperator op, int instance, Outputs outputs) {
    this.ctx = ctx;
    this.op = op;
    this.outputs = outputs;
    this.channels = ctx.plan().outputChannels(op, instance);
    this.keyGroups = new KeyGroups(ctx.codec(), ctx.plan().config().maxParallelism());
  }

  /** Timestamped-ness of every output channel, from the step that feeds it. */
  static boolean[] timestampedChannels(ExecContext ctx, PhysicalPlan.PhysicalOperator op, int instance) {
    List<PhysicalPlan.ChannelRef> ch = ctx.plan().outputChannels(op, instance);
    boolean[] t = new boolean[ch.size()];
    for (int i = 0; i < t.length; i++) {
      PhysicalPlan.OutputEdge e = op.outputs().get(ch.get(i).edge());
      t[i] = e.fromNode() != PhysicalPlan.DEAD_LETTER_NODE && ctx.plan().logical().get(e.fromNode()).timestamped();
    }
    return t;
  }

  /** Resets rebalance round-robin counters from a deterministic salt (a source batch's start position). */
  void resetRoundRobin(long salt) {
    for (RebalanceRouter r : rebalancers) {
      r.next = (int) Long.remainderUnsigned(salt, r.n);
    }
  }

  /** The channel index of the dead-letter edge, or -1. */
  int deadLetterChannel() {
    for (int i = 0; i < channels.size(); i++) {
      if (op.outputs().get(channels.get(i).edge()).fromNode() == PhysicalPlan.DEAD_LETTER_NODE) {
        return i;
      }
    }
    return -1;
  }

  /** Everything that consumes {@code port} of logical step {@code node} inside this instance. */
  Emitter emitterFor(int node, Port port) {
    LogicalPlan plan = ctx.plan().logical();
    List<Emitter> targets = new ArrayList<>();
    for (int m : op.members()) {
      LogicalOperator member = plan.get(m);
      if (m != op.head() && member.input().from() == node && member.input().port() == port) {
        targets.add(stateless(member));
      }
    }
    for (int e = 0; e < op.outputs().size(); e++) {
      PhysicalPlan.OutputEdge edge = op.outputs().get(e);
      if (edge.fromNode() == node && edge.port() == port) {
        targets.add(router(e, edge));
      }
    }
    if (targets.isEmpty()) {
      return (r, t) -> { };
    }
    if (targets.size() == 1) {
      return targets.get(0);
    }
    Emitter[] all = targets.toArray(new Emitter[0]);
    return (r, t) -> {
      for (Emitter x : all) {
        x.emit(r, t);
      }
    };
  }

  /** A stateless step and everything after it. */
  Emitter stateless(LogicalOperator lo) {
    Emitter next = emitterFor(lo.id(), Port.MAIN);
    String stage = lo.name();
    OpSpec spec = lo.spec();
    if (spec instanceof OpSpec.MapSpec m) {
      MapFn<Object, Object> fn = m.fn();
      return (r, t) -> {
        Object o;
        try {
          o = fn.apply(r);
        } catch (Exception e) {
          throw new UserCodeException(stage, r, e);
        }
        if (o == null) {
          throw new UserCodeException(stage, r, new NullPointerException(
              "map returned null; drop records with filter or flatMap instead"));
        }
        next.emit(o, t);
      };
    }
    if (spec instanceof OpSpec.FilterSpec f) {
      FilterFn<Object> fn = f.fn();
      return (r, t) -> {
        boolean keep;
        try {
          keep = fn.test(r);
        } catch (Exception e) {
          throw new UserCodeException(stage, r, e);
        }
        if (keep) {
          next.emit(r, t);
        }
      };
    }
    if (spec instanceof OpSpec.FlatMapSpec f) {
      FlatMapFn<Object, Object> fn = f.fn();
      return (r, t) -> {
        Collector<Object> c = o -> {
          if (o == null) {
            throw new UserCodeException(stage, r, new NullPointerException("flatMap emitted null"));
          }
          next.emit(o, t);
        };
        try {
          fn.apply(r, c);
        } catch (UserCodeException e) {
          throw e;
        } catch (Exception e) {
          throw new UserCodeException(stage, r, e);
        }
      };
    }
    if (spec instanceof OpSpec.PeekSpec p) {
      PeekFn<Object> fn = p.fn();
      return (r, t) -> {
        try {
          fn.accept(r);
        } catch (Exception e) {
          throw new UserCodeException(stage, r, e);
        }
        next.emit(r, t);
      };
    }
    throw new IllegalStateException("not a stateless step: " + lo);
  }

  private int firstChannel(int edge) {
    for (int i = 0; i < channels.size(); i++) {
      if (channels.get(i).edge() == edge) {
        return i;
      }
    }
    throw new IllegalStateException("edge " + edge + " of " + op.name() + " has no channel");
  }

  private Emitter router(int e, PhysicalPlan.OutputEdge edge) {
    int base = firstChannel(e);
    PhysicalPlan.PhysicalOperator target = ctx.plan().operator(edge.target());
    int n = target.parallelism();
    Partitioning p = edge.partitioning();
    String stage = target.name();
    if (p instanceof Partitioning.Forward) {
      return (r, t) -> outputs.add(base, r, t);
    }
    if (p instanceof Partitioning.Keyed k) {
      KeySelector<Object, Object> key = k.key();
      int max = ctx.plan().config().maxParallelism();
      return (r, t) -> {
        Object kv = keyOf(key, r, stage);
        int group = keyGroups.keyGroup(kv);
        outputs.add(base + KeyGroups.instanceOf(group, n, max), r, t);
      };
    }
    if (p instanceof Partitioning.Broadcast) {
      return (r, t) -> {
        for (int i = 0; i < n; i++) {
          outputs.add(base + i, r, t);
        }
      };
    }
    if (p instanceof Partitioning.Custom c) {
      KeySelector<Object, Object> key = c.key();
      Partitioner<Object> part = c.partitioner();
      return (r, t) -> {
        Object kv = keyOf(key, r, stage);
        int i;
        try {
          i = part.partition(kv, n);
        } catch (RuntimeException ex) {
          throw new UserCodeException(stage + " (partitioner)", r, ex);
        }
        if (i < 0 || i >= n) {
          throw new UserCodeException(stage + " (partitioner)", r, new IndexOutOfBoundsException(
              "partitioner returned " + i + " for key " + kv + ", outside [0, " + n + ")"));
        }
        outputs.add(base + i, r, t);
      };
    }
    RebalanceRouter rr = new RebalanceRouter(outputs, base, n);
    rebalancers.add(rr);
    return rr;
  }

  static Object keyOf(KeySelector<Object, Object> key, Object record, String stage) {
    Object k;
    try {
      k = key.key(record);
    } catch (Exception e) {
      throw new UserCodeException(stage + " (key selector)", record, e);
    }
    if (k == null) {
      throw new UserCodeException(stage + " (key selector)", record,
          new NullPointerException("key selector returned null"));
    }
    return k;
  }

  private static final class RebalanceRouter implements Emitter {
    private final Outputs outputs;
    private final int base;
    private final int n;
    int next;

    RebalanceRouter(Outputs outputs, int base, int n) {
      this.outputs = outputs;
      this.base = base;
      this.n = n;
    }

    @Override
    public void emit(Object record, long timestamp) {
      outputs.add(base + next, record, timestamp);
      next = next + 1 == n ? 0 : next + 1;
    }
  }
}
