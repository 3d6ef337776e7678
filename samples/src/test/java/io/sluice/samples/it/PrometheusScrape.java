package io.sluice.samples.it;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A node's {@code /metrics} scrape as Prometheus' own Python client parses it
 * ({@code prometheus_client.parser}, Debian's {@code python3-prometheus-client}, which CI installs):
 * a malformed exposition fails the parse, so a test that reads samples through this class also
 * proves the format.
 */
final class PrometheusScrape {
  private static final String PYTHON = "/usr/bin/python3";
  /** Python writes NaN and Infinity (a gauge with no value yet, a histogram's +Inf) as such. */
  private static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();
  private static final String PARSE = String.join("\n",
      "import json, sys",
      "from prometheus_client.parser import text_string_to_metric_families",
      "out = []",
      "for f in text_string_to_metric_families(open(sys.argv[1], encoding='utf-8').read()):",
      "    out.append({'name': f.name, 'type': f.type, 'samples': [",
      "        {'name': s.name, 'labels': s.labels, 'value': s.value} for s in f.samples]})",
      "print(json.dumps(out))");

  /** One sample: its name (with a histogram's suffix), labels and value. */
  record Sample(String name, Map<String, String> labels, double value) {}

  /** A metric family: its name, its type (counter, gauge, histogram, ...), and its samples. */
  record Family(String name, String type, List<Sample> samples) {}

  private final List<Family> families = new ArrayList<>();

  private PrometheusScrape() {}

  /** Parses {@code text}; fails with the parser's error if it is not valid exposition text. */
  static PrometheusScrape parse(String text, Path dir) throws IOException, InterruptedException {
    if (!Files.isExecutable(Path.of(PYTHON))) {
      throw new AssertionError(PYTHON + " is missing: install Debian's python3-prometheus-client");
    }
    Files.createDirectories(dir);
    Path in = Files.createTempFile(dir, "scrape", ".txt");
    Path out = Files.createTempFile(dir, "scrape", ".json");
    Path err = Files.createTempFile(dir, "scrape", ".err");
    try {
      Files.writeString(in, text, StandardCharsets.UTF_8);
      Process p = new ProcessBuilder(PYTHON, "-c", PARSE, in.toString()).redirectOutput(out.toFile())
          .redirectError(err.toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("the Prometheus parser did not finish within 60 s");
      }
      if (p.exitValue() != 0) {
        throw new AssertionError("the Prometheus parser refused the scrape (exit " + p.exitValue() + "):\n"
            + Files.readString(err));
      }
      PrometheusScrape s = new PrometheusScrape();
      for (JsonNode f : JSON.readTree(out.toFile())) {
        List<Sample> samples = new ArrayList<>();
        for (JsonNode x : f.path("samples")) {
          Map<String, String> labels = new TreeMap<>();
          x.path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
          samples.add(new Sample(x.path("name").asText(), labels, x.path("value").asDouble()));
        }
        s.families.add(new Family(f.path("name").asText(), f.path("type").asText(), samples));
      }
      return s;
    } finally {
      Files.deleteIfExists(in);
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** The family named {@code name} (as the parser names it: counters without "_total"), or null. */
  Family family(String name) {
    for (Family f : families) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    return null;
  }

  /** The samples named {@code sample} whose labels include every given label. */
  List<Sample> samples(String sample, Map<String, String> labels) {
    List<Sample> out = new ArrayList<>();
    for (Family f : families) {
      for (Sample s : f.samples()) {
        if (s.name().equals(sample) && s.labels().entrySet().containsAll(labels.entrySet())) {
          out.add(s);
        }
      }
    }
    return out;
  }

  /** The one sample named {@code sample} with these labels (and any others); fails if not exactly one. */
  double value(String sample, Map<String, String> labels) {
    List<Sample> found = samples(sample, labels);
    if (found.size() != 1) {
      throw new AssertionError(found.size() + " samples " + sample + labels + " in the scrape, not 1: " + found);
    }
    return found.get(0).value();
  }
}
