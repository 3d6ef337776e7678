package io.sluice.cluster.runtime;

import io.sluice.cluster.internal.CborMessage;
import io.sluice.core.internal.plan.LogicalOperator;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.internal.plan.Port;
import java.util.ArrayList;
import java.util.List;

/**
 * A running job's operator graph as the HTTP API ({@code GET /jobs/{id}/plan}) and the dashboard
 * show it: the operators that run, each with its instances and the steps chained into it, and the
 * edges between them with how records are spread. The same graph as the job's
 * {@code Pipeline.describe()}, in a form a program can read.
 *
 * <pre>{@code
 * {"jobId": "keyed-totals-8c1f2a", "pipeline": "keyed-totals",
 *  "operators": [{"name": "generator", "kind": "source", "parallelism": 2, "chained": [], ...}, ...],
 *  "edges": [{"from": "generator", "to": "totals", "partitioning": "keyed", "late": false}, ...]}
 * }</pre>
 *
 * @param operators in the plan's order (sources first, the dead-letter sink last)
 * @param description the plan as {@code describe()} prints it, for people
 */
public record PlanView(String jobId, String pipeline, List<Operator> operators, List<Edge> edges, String description)
    implements CborMessage {
  public PlanView {
    operators = List.copyOf(operators);
    edges = List.copyOf(edges);
  }

  /**
   * One operator: its head step and the stateless steps chained into it, which run in the same
   * instance without a channel in between.
   *
   * @param kind the head step's kind: source, map, filter, flatMap, peek, reduce, aggregate, process,
   *     window, sink, or dead-letters for the job's dead-letter sink
   * @param chained the steps after the head, in order; empty when nothing is chained into it
   * @param detail what a source reads or a sink writes, else empty
   * @param outputCredit how many output batches its instances may have unacknowledged in all: the
   *     credit window times their output channels (0 for a sink). An instance stops consuming while
   *     one of its channels has the whole window unacknowledged: its {@code unacked} against this
   *     tells how close the operator is to backpressure
   */
  public record Operator(String name, String kind, int parallelism, List<Step> chained, String detail,
      int outputCredit) implements CborMessage {
    public Operator {
      chained = List.copyOf(chained);
    }
  }

  /** A step chained into an operator. */
  public record Step(String name, String kind) implements CborMessage {}

  /**
   * A channel between two operators.
   *
   * @param partitioning forward (instance i to instance i), keyed, rebalance, broadcast or custom
   * @param late true for a window's late records
   */
  public record Edge(String from, String to, String partitioning, boolean late) implements CborMessage {}

  static PlanView of(String jobId, String pipeline, PhysicalPlan plan) {
    List<Operator> ops = new ArrayList<>();
    List<Edge> edges = new ArrayList<>();
    for (PhysicalPlan.PhysicalOperator op : plan.operators()) {
      int credit = 0;
      for (int i = 0; i < op.parallelism(); i++) {
        credit += plan.outputChannels(op, i).size() * plan.config().creditWindow();
      }
      if (op.head() == PhysicalPlan.DEAD_LETTER_NODE) {
        ops.add(new Operator(op.name(), "dead-letters", op.parallelism(), List.of(), plan.sinkOf(op).describe(),
            credit));
      } else {
        OpSpec head = plan.logical().get(op.head()).spec();
        List<Step> chained = new ArrayList<>();
        for (int m : op.members().subList(1, op.members().size())) {
          LogicalOperator lo = plan.logical().get(m);
          chained.add(new Step(lo.name(), lo.spec().kindName()));
        }
        String detail = head instanceof OpSpec.SourceSpec s ? s.source().describe()
            : head instanceof OpSpec.SinkSpec s ? s.sink().describe() : "";
        ops.add(new Operator(op.name(), head.kindName(), op.parallelism(), chained, detail, credit));
      }
      for (PhysicalPlan.OutputEdge e : op.outputs()) {
        Edge edge = new Edge(op.name(), plan.operator(e.target()).name(), e.partitioning().describe(),
            e.port() == Port.LATE);
        if (!edges.contains(edge)) { // two chained steps may feed the same operator the same way
          edges.add(edge);
        }
      }
    }
    return new PlanView(jobId, pipeline, ops, edges, plan.describe());
  }
}
