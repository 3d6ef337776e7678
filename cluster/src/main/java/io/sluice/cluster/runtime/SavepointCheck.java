package io.sluice.cluster.runtime;

import io.sluice.core.codec.CorruptDataException;
import io.sluice.core.internal.exec.SavepointFormat;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.persistence.savepoints.SavepointInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * INTERNAL API: whether a new job's plan can start from a savepoint, checked at submission so that
 * a mismatch is answered at once rather than found by its instances. Operators are matched by
 * name: state of an operator the plan lacks is refused unless the user allows it to be dropped;
 * a source must keep its number of splits; keyed state must keep its max parallelism. (Whether a
 * keyed operator's states still fit is checked by its instances, which know their layout.)
 */
final class SavepointCheck {
  private SavepointCheck() {}

  /** Why {@code plan} cannot start from {@code info}, or null if it can. */
  static String refusal(SavepointInfo info, PhysicalPlan plan, boolean allowNonRestoredState) {
    List<String> dropped = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : info.headers().entrySet()) {
      String name = e.getKey();
      SavepointFormat.Header h;
      try {
        h = SavepointFormat.readHeader(e.getValue(), "savepoint " + info.id() + ", operator '" + name + "'");
      } catch (CorruptDataException ex) {
        return ex.getMessage();
      }
      PhysicalPlan.PhysicalOperator op = plan.operators().stream().filter(o -> o.name().equals(name)).findFirst()
          .orElse(null);
      if (op == null) {
        dropped.add(name);
        continue;
      }
      boolean source = op.head() >= 0 && plan.logical().get(op.head()).spec() instanceof OpSpec.SourceSpec;
      if (h.keyed()) {
        if (source) {
          return "savepoint " + info.id() + " holds keyed state of operator '" + name + "', which is a source in the"
              + " new pipeline";
        }
        if (h.maxParallelism() != plan.config().maxParallelism()) {
          return "savepoint " + info.id() + " holds the key groups of operator '" + name + "' for max parallelism "
              + h.maxParallelism() + ", the new job's is " + plan.config().maxParallelism()
              + ": max parallelism cannot change across a savepoint";
        }
      } else {
        if (!source) {
          return "savepoint " + info.id() + " holds source positions of operator '" + name + "', which is not a"
              + " source in the new pipeline";
        }
        if (op.parallelism() != h.splits()) {
          return "savepoint " + info.id() + " holds the positions of " + h.splits() + " split(s) of source '" + name
              + "', the new job's source has " + op.parallelism() + ": a source keeps its number of splits across a"
              + " savepoint (rescale the other operators)";
        }
      }
    }
    if (!dropped.isEmpty() && !allowNonRestoredState) {
      return "savepoint " + info.id() + " holds state of operator(s) " + dropped + " that pipeline '" + info.pipeline()
          + "' as submitted now does not have: submit with allow-non-restored-state to drop that state";
    }
    return null;
  }
}
