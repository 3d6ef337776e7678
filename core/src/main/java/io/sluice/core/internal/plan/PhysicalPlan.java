package io.sluice.core.internal.plan;

import io.sluice.core.connector.DeliveryGuarantee;
import io.sluice.core.connector.Sink;
import io.sluice.core.dsl.DeadLetter;
import io.sluice.core.dsl.JobConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * INTERNAL API: the operators that run. Consecutive stateless steps on forward edges with equal
 * parallelism are chained into the operator of their upstream; every other step starts an
 * operator. Each operator has {@code parallelism} instances; instance {@code i} of operator
 * {@code A} talks to instance {@code j} of {@code B} over a channel, and the channel lists of an
 * instance are derived from the plan alone, so every node computes the same ones.
 */
public final class PhysicalPlan {
  /** The logical id used for the dead-letter sink, which has no logical step. */
  public static final int DEAD_LETTER_NODE = -1;

  private final LogicalPlan logical;
  private final List<PhysicalOperator> operators;
  private final Map<String, PhysicalOperator> byName;

  private PhysicalPlan(LogicalPlan logical, List<PhysicalOperator> operators) {
    this.logical = logical;
    this.operators = List.copyOf(operators);
    Map<String, PhysicalOperator> m = new LinkedHashMap<>();
    for (PhysicalOperator op : operators) {
      m.put(op.name(), op);
    }
    this.byName = m;
  }

  /** An output edge of a physical operator: from a member's port to another operator. */
  public record OutputEdge(int fromNode, Port port, int target, Partitioning partitioning) {}

  /** An input edge: from which operator, partitioned how (forward means instance i to i). */
  public record InputEdge(int source, Partitioning partitioning) {}

  /**
   * One physical operator.
   *
   * @param index position in {@link #operators()}
   * @param name the head step's name: the operator's identity
   * @param head the logical id of the head step ({@link #DEAD_LETTER_NODE} for the dead-letter sink)
   * @param members logical ids of the head and its chained steps, in topological order
   * @param deadLetters true if records its functions keep failing on go to the dead-letter operator
   */
  public record PhysicalOperator(int index, String name, int parallelism, int head, List<Integer> members,
      List<InputEdge> inputs, List<OutputEdge> outputs, boolean deadLetters) {
    public PhysicalOperator {
      members = List.copyOf(members);
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }
  }

  /** One end of a channel as seen from an instance: the edge it belongs to and the peer instance. */
  public record ChannelRef(int edge, int peerOperator, int peerInstance) {}

  public static PhysicalPlan of(LogicalPlan plan) {
    List<LogicalOperator> ops = plan.operators();
    int[] owner = new int[ops.size()];
    List<List<Integer>> members = new ArrayList<>();
    List<Integer> heads = new ArrayList<>();
    for (LogicalOperator op : ops) {
      if (chainable(plan, op)) {
        int o = owner[op.input().from()];
        owner[op.id()] = o;
        members.get(o).add(op.id());
      } else {
        owner[op.id()] = heads.size();
        heads.add(op.id());
        List<Integer> m = new ArrayList<>();
        m.add(op.id());
        members.add(m);
      }
    }
    Optional<Sink<DeadLetter>> dl = plan.config().deadLetterSink();
    int dlIndex = dl.isPresent() ? heads.size() : -1;
    List<PhysicalOperator> result = new ArrayList<>();
    for (int p = 0; p < heads.size(); p++) {
      LogicalOperator head = ops.get(heads.get(p));
      List<InputEdge> inputs = new ArrayList<>();
      for (LogicalEdge e : head.inputs()) {
        inputs.add(new InputEdge(owner[e.from()], effective(e.partitioning(), ops.get(e.from()).parallelism(),
            head.parallelism())));
      }
      List<OutputEdge> outputs = new ArrayList<>();
      boolean runsUserCode = false;
      for (int m : members.get(p)) {
        OpSpec spec = ops.get(m).spec();
        runsUserCode |= !(spec instanceof OpSpec.SinkSpec);
        for (LogicalPlan.Consumer c : plan.consumers(m)) {
          if (owner[c.operator()] != p) {
            LogicalOperator target = ops.get(c.operator());
            outputs.add(new OutputEdge(m, c.edge().port(), owner[c.operator()],
                effective(c.edge().partitioning(), ops.get(m).parallelism(), target.parallelism())));
          }
        }
      }
      boolean deadLetters = dlIndex >= 0 && runsUserCode;
      if (deadLetters) {
        outputs.add(new OutputEdge(DEAD_LETTER_NODE, Port.MAIN, dlIndex, Partitioning.REBALANCE));
      }
      result.add(new PhysicalOperator(p, head.name(), head.parallelism(), head.id(), members.get(p), inputs, outputs,
          deadLetters));
    }
    if (dlIndex >= 0) {
      List<InputEdge> inputs = new ArrayList<>();
      for (PhysicalOperator op : result) {
        if (op.deadLetters()) {
          inputs.add(new InputEdge(op.index(), Partitioning.REBALANCE));
        }
      }
      result.add(new PhysicalOperator(dlIndex, dl.get().name(), 1, DEAD_LETTER_NODE, List.of(), inputs, List.of(),
          false));
    }
    return new PhysicalPlan(plan, result);
  }

  private static boolean chainable(LogicalPlan plan, LogicalOperator op) {
    if (!op.spec().stateless() || op.inputs().size() != 1) {
      return false;
    }
    LogicalEdge in = op.input();
    LogicalOperator up = plan.get(in.from());
    return in.partitioning() instanceof Partitioning.Forward && up.parallelism() == op.parallelism()
        && !(up.spec() instanceof OpSpec.SinkSpec);
  }

  /** A forward edge between operators of different parallelism becomes a rebalance. */
  private static Partitioning effective(Partitioning p, int fromParallelism, int toParallelism) {
    if (p instanceof Partitioning.Forward && fromParallelism != toParallelism) {
      return Partitioning.REBALANCE;
    }
    return p;
  }

  public LogicalPlan logical() {
    return logical;
  }

  public JobConfig config() {
    return logical.config();
  }

  public List<PhysicalOperator> operators() {
    return operators;
  }

  public PhysicalOperator operator(int index) {
    return operators.get(index);
  }

  public Optional<PhysicalOperator> operator(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The channels into instance {@code instance} of {@code op}, in channel-index order. */
  public List<ChannelRef> inputChannels(PhysicalOperator op, int instance) {
    List<ChannelRef> out = new ArrayList<>();
    for (int e = 0; e < op.inputs().size(); e++) {
      InputEdge in = op.inputs().get(e);
      PhysicalOperator src = operators.get(in.source());
      if (in.partitioning() instanceof Partitioning.Forward) {
        out.add(new ChannelRef(e, src.index(), instance));
      } else {
        for (int i = 0; i < src.parallelism(); i++) {
          out.add(new ChannelRef(e, src.index(), i));
        }
      }
    }
    return out;
  }

  /** The channels out of instance {@code instance} of {@code op}, in channel-index order. */
  public List<ChannelRef> outputChannels(PhysicalOperator op, int instance) {
    List<ChannelRef> out = new ArrayList<>();
    for (int e = 0; e < op.outputs().size(); e++) {
      OutputEdge edge = op.outputs().get(e);
      PhysicalOperator dst = operators.get(edge.target());
      if (edge.partitioning() instanceof Partitioning.Forward) {
        out.add(new ChannelRef(e, dst.index(), instance));
      } else {
        for (int j = 0; j < dst.parallelism(); j++) {
          out.add(new ChannelRef(e, dst.index(), j));
        }
      }
    }
    return out;
  }

  /** Sinks of the plan (including the dead-letter sink), for end-of-job detection. */
  public List<PhysicalOperator> sinks() {
    List<PhysicalOperator> out = new ArrayList<>();
    for (PhysicalOperator op : operators) {
      if (op.head() == DEAD_LETTER_NODE || logical.get(op.head()).spec() instanceof OpSpec.SinkSpec) {
        out.add(op);
      }
    }
    return out;
  }

  /** The sink a sink operator writes to. */
  @SuppressWarnings("unchecked")
  public Sink<Object> sinkOf(PhysicalOperator op) {
    if (op.head() == DEAD_LETTER_NODE) {
      return (Sink<Object>) (Sink<?>) logical.config().deadLetterSink().orElseThrow();
    }
    return ((OpSpec.SinkSpec) logical.get(op.head()).spec()).sink();
  }

  /** The weakest guarantee of the plan's sinks: what the job's output as a whole can promise. */
  public DeliveryGuarantee effectiveGuarantee() {
    DeliveryGuarantee g = logical.config().delivery();
    for (PhysicalOperator s : sinks()) {
      if (sinkOf(s).guarantee() == DeliveryGuarantee.AT_LEAST_ONCE) {
        g = DeliveryGuarantee.AT_LEAST_ONCE;
      }
    }
    return g;
  }

  /** Human-readable operator graph. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    JobConfig c = logical.config();
    sb.append("pipeline '").append(logical.pipelineName()).append("': ").append(operators.size())
        .append(" operators, ").append(operators.stream().mapToInt(PhysicalOperator::parallelism).sum())
        .append(" instances; delivery ").append(c.delivery()).append(", output ").append(effectiveGuarantee())
        .append("\n  settings: ").append(c).append('\n');
    for (PhysicalOperator op : operators) {
      sb.append("  [").append(op.name()).append("] x").append(op.parallelism()).append(": ");
      if (op.head() == DEAD_LETTER_NODE) {
        sb.append("dead-letter sink ").append(sinkOf(op).describe()).append(" (")
            .append(sinkOf(op).guarantee()).append(')');
      } else {
        List<String> chain = new ArrayList<>();
        for (int m : op.members()) {
          LogicalOperator lo = logical.get(m);
          String d = lo.spec().kindName() + " '" + lo.name() + "'";
          if (lo.spec() instanceof OpSpec.SourceSpec s) {
            d += " " + s.source().describe() + (s.timestamped() ? ", event time (max out-of-orderness "
                + s.maxOutOfOrdernessMillis() + " ms)" : "") + (s.idleTimeoutMillis() > 0 ? ", idle after "
                + s.idleTimeoutMillis() + " ms" : "");
          } else if (lo.spec() instanceof OpSpec.SinkSpec s) {
            d += " " + s.sink().describe() + " (" + s.sink().guarantee() + ")";
          } else if (lo.spec() instanceof OpSpec.WindowSpec w) {
            d += " " + w.definition() + (w.allowedLatenessMillis() > 0 ? ", lateness " + w.allowedLatenessMillis()
                + " ms" : "");
          }
          chain.add(d);
        }
        sb.append(String.join(" -> ", chain));
      }
      sb.append('\n');
      for (OutputEdge e : op.outputs()) {
        sb.append("      --").append(e.partitioning().describe()).append(e.port() == Port.LATE ? " (late records)" : "")
            .append("--> [").append(operators.get(e.target()).name()).append("]\n");
      }
    }
    return sb.toString();
  }
}
