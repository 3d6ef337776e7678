package io.sluice.core.internal.dsl;

import io.sluice.core.connector.Source;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Pipeline;
import io.sluice.core.dsl.PipelineValidationException;
import io.sluice.core.dsl.SourceStage;
import io.sluice.core.internal.plan.LogicalEdge;
import io.sluice.core.internal.plan.LogicalOperator;
import io.sluice.core.internal.plan.LogicalPlan;
import io.sluice.core.internal.plan.OpSpec;
import io.sluice.core.internal.plan.Partitioning;
import io.sluice.core.internal.plan.PhysicalPlan;
import io.sluice.core.internal.plan.Port;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/** INTERNAL API: collects the steps added through the stage handles, then validates and freezes them. */
public final class PipelineBuilderImpl implements Pipeline.Builder {
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");

  private final String name;
  private final List<Node> nodes = new ArrayList<>();
  private JobConfig config = JobConfig.defaults();
  private boolean built;

  public PipelineBuilderImpl(String name) {
    Objects.requireNonNull(name, "pipeline name must not be null");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid pipeline name '" + name
          + "': start with a letter or digit, then up to 99 letters, digits, '_', '.' or '-'");
    }
    this.name = name;
  }

  /** A step under construction; its name and parallelism may still change. */
  static final class Node {
    final int id;
    OpSpec spec; // replaced only by withTimestamps/withIdleTimeout on a source
    final List<LogicalEdge> inputs;
    String explicitName;
    int parallelism; // 0: not set

    Node(int id, OpSpec spec, List<LogicalEdge> inputs) {
      this.id = id;
      this.spec = spec;
      this.inputs = List.copyOf(inputs);
    }
  }

  Node add(OpSpec spec, List<LogicalEdge> inputs) {
    checkOpen();
    Node n = new Node(nodes.size(), spec, inputs);
    nodes.add(n);
    return n;
  }

  Node node(int id) {
    return nodes.get(id);
  }

  void checkOpen() {
    if (built) {
      throw new IllegalStateException("pipeline '" + name + "' was already built; start a new builder");
    }
  }

  void checkParallelism(int p, String what) {
    if (p < 1 || p > config.maxParallelism()) {
      throw new IllegalArgumentException(what + ": parallelism " + p + " is out of range [1, "
          + config.maxParallelism() + "] (maxParallelism)");
    }
  }

  @Override
  public <T> SourceStage<T> readFrom(Source<T> source) {
    Objects.requireNonNull(source, "readFrom: source must not be null");
    Node n = add(new OpSpec.SourceSpec(source, null, 0, 0), List.of());
    n.explicitName = Objects.requireNonNull(source.name(), "source name must not be null");
    return new SourceStageImpl<>(this, n);
  }

  @Override
  public Pipeline.Builder config(JobConfig config) {
    checkOpen();
    this.config = Objects.requireNonNull(config, "config must not be null");
    return this;
  }

  JobConfig jobConfig() {
    return config;
  }

  /**
   * The name {@code n} has now: its explicit name, or the generated one {@link #build} would give it
   * if the pipeline were built as it stands (naming another step later may change it).
   */
  String currentName(Node n) {
    return n.explicitName != null ? n.explicitName : resolveNames(new ArrayList<>())[n.id];
  }

  @Override
  public Pipeline build() {
    checkOpen();
    List<String> problems = new ArrayList<>();
    if (nodes.isEmpty()) {
      throw new PipelineValidationException(name, List.of("the pipeline has no source: add one with readFrom(...)"));
    }
    String[] names = resolveNames(problems);
    boolean[] timestamped = new boolean[nodes.size()];
    for (Node n : nodes) {
      timestamped[n.id] = n.spec instanceof OpSpec.SourceSpec s && s.timestamped();
      for (LogicalEdge e : n.inputs) {
        timestamped[n.id] |= timestamped[e.from()];
      }
    }
    int[] parallelism = resolveParallelism(problems, names);
    Map<Integer, Set<Port>> consumed = new HashMap<>();
    for (Node n : nodes) {
      for (LogicalEdge e : n.inputs) {
        consumed.computeIfAbsent(e.from(), k -> new HashSet<>()).add(e.port());
      }
    }
    boolean hasSink = false;
    for (Node n : nodes) {
      if (n.spec instanceof OpSpec.SinkSpec) {
        hasSink = true;
        continue;
      }
      if (!consumed.getOrDefault(n.id, Set.of()).contains(Port.MAIN)) {
        problems.add(n.spec.kindName() + " stage '" + names[n.id] + "' has nothing attached: write it to a"
            + " sink with writeTo(...) or remove it");
      }
      if (n.spec instanceof OpSpec.WindowSpec && !timestamped[n.id]) {
        problems.add("window stage '" + names[n.id] + "' needs event time, but its input has none: call"
            + " withTimestamps(...) on the source that feeds it");
      }
    }
    if (!hasSink) {
      problems.add("the pipeline has no sink: write at least one stage to a sink with writeTo(...)");
    }
    if (config.deadLetterSink().isPresent()) {
      String dl = config.deadLetterSink().get().name();
      for (String s : names) {
        if (dl.equals(s)) {
          problems.add("the dead-letter sink is named '" + dl + "' like a stage; give it another name");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new PipelineValidationException(name, problems);
    }
    List<LogicalOperator> ops = new ArrayList<>();
    for (Node n : nodes) {
      ops.add(new LogicalOperator(n.id, names[n.id], n.spec, parallelism[n.id], n.inputs, timestamped[n.id]));
    }
    LogicalPlan plan = new LogicalPlan(name, ops, config);
    PhysicalPlan physical = PhysicalPlan.of(plan);
    built = true;
    return new PipelineImpl(plan, physical);
  }

  private String[] resolveNames(List<String> problems) {
    String[] names = new String[nodes.size()];
    Map<String, Integer> firstUse = new LinkedHashMap<>();
    for (Node n : nodes) {
      if (n.explicitName != null) {
        if (!NAME.matcher(n.explicitName).matches()) {
          problems.add("invalid stage name '" + n.explicitName + "' (" + n.spec.kindName()
              + "): start with a letter or digit, then up to 99 letters, digits, '_', '.' or '-'");
        }
        Integer other = firstUse.putIfAbsent(n.explicitName, n.id);
        if (other != null) {
          problems.add("two stages are named '" + n.explicitName + "' (" + nodes.get(other).spec.kindName() + " and "
              + n.spec.kindName() + "): stage names must be unique, they identify state");
        }
        names[n.id] = n.explicitName;
      }
    }
    Map<String, Integer> counters = new HashMap<>();
    for (Node n : nodes) {
      if (names[n.id] == null) {
        String base = n.spec.kindName();
        String candidate;
        do {
          candidate = base + "-" + counters.merge(base, 1, Integer::sum);
        } while (firstUse.containsKey(candidate));
        firstUse.put(candidate, n.id);
        names[n.id] = candidate;
      }
    }
    return names;
  }

  private int[] resolveParallelism(List<String> problems, String[] names) {
    int[] p = new int[nodes.size()];
    if (config.parallelism() > config.maxParallelism()) {
      problems.add("the job's parallelism " + config.parallelism() + " exceeds its maxParallelism "
          + config.maxParallelism() + ": lower it or raise maxParallelism");
    }
    for (Node n : nodes) {
      int value;
      if (n.spec instanceof OpSpec.SourceSpec s) {
        int hint = n.parallelism > 0 ? n.parallelism : config.parallelism();
        value = s.source().splitCount(hint);
        if (value < 1) {
          problems.add("source '" + names[n.id] + "' reports " + value + " splits; a source needs at least one");
          value = 1;
        }
      } else if (n.parallelism > 0) {
        value = n.parallelism;
      } else if (n.spec.keyed()) {
        value = config.parallelism();
      } else {
        LogicalEdge in = n.inputs.get(0);
        value = in.partitioning() instanceof Partitioning.Forward ? p[in.from()] : config.parallelism();
      }
      if (value > config.maxParallelism()) {
        problems.add(n.spec.kindName() + " stage '" + names[n.id] + "' has parallelism " + value
            + ", above maxParallelism " + config.maxParallelism());
      }
      p[n.id] = value;
    }
    return p;
  }
}
