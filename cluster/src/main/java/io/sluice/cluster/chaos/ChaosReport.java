package io.sluice.cluster.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.dsl.Verdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A chaos run as one self-contained HTML page: the verdict, the throughput over time as an SVG
 * chart with every fault marked (and the time a node or Cassandra was down shaded), and a table of
 * faults with their recovery times.
 */
public final class ChaosReport {
  private ChaosReport() {}

  /** The color of each kind of fault in the chart, the legend and the network table. */
  private static final Map<String, String> COLORS = Map.of("kill", "#d62728", "cassandra", "#ff7f0e", "freeze",
      "#1f77b4", "leave", "#2ca02c", "isolate", "#9467bd", "split", "#8c564b", "cut-pair", "#e377c2", "cut-one-way",
      "#7f7f00", "cut-cassandra", "#17becf");

  /** Records per second in one-second windows from the (seconds, cumulative records) samples. */
  static List<double[]> throughput(List<double[]> timeline) {
    List<double[]> out = new ArrayList<>();
    int j = 0;
    for (int i = 0; i < timeline.size(); i++) {
      while (j < timeline.size() && timeline.get(j)[0] - timeline.get(i)[0] < 1.0) {
        j++;
      }
      if (j >= timeline.size()) {
        break;
      }
      double dt = timeline.get(j)[0] - timeline.get(i)[0];
      out.add(new double[] {(timeline.get(i)[0] + timeline.get(j)[0]) / 2, (timeline.get(j)[1] - timeline.get(i)[1]) / dt});
    }
    return out;
  }

  /**
   * Writes the report to {@code file} and its summary beside it ({@code report.html} ->
   * {@code report.json}: pipeline, job, verdict, seconds, faults), which the dashboard lists.
   */
  public static Path write(Path file, ChaosRun.Result r, ChaosRun.Settings s, String nodes) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, html(r, s, nodes), StandardCharsets.UTF_8);
    String name = file.getFileName().toString();
    Path json = file.resolveSibling((name.endsWith(".html") ? name.substring(0, name.length() - 5) : name) + ".json");
    Files.writeString(json, summary(r, s), StandardCharsets.UTF_8);
    return file;
  }

  /** The run in a few fields, as JSON (no parameters: they may hold secrets). */
  static String summary(ChaosRun.Result r, ChaosRun.Settings s) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pipeline", s.pipeline());
    m.put("jobId", r.jobId());
    m.put("exact", r.exact());
    m.put("status", r.status());
    m.put("verdict", r.verdict() == null ? "no verdict" : r.verdict().summary());
    m.put("seconds", Math.round(r.seconds()));
    m.put("faults", r.faults().size());
    m.put("seed", s.seed());
    if (!r.networkFaults().isEmpty() || s.network()) {
      List<Map<String, Object>> partitions = new ArrayList<>();
      for (ChaosRun.Fault f : r.networkFaults()) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("kind", f.kind());
        p.put("sides", f.network().sides());
        p.put("atSeconds", round(f.atSeconds()));
        p.put("heldSeconds", round(f.network().heldSeconds()));
        p.put("healedAtSeconds", f.endedAtSeconds() == null ? null : round(f.endedAtSeconds()));
        p.put("flowingAgainSeconds", f.recoverySeconds() == null ? null : round(f.recoverySeconds()));
        p.put("stayed", f.network().stayed());
        p.put("downed", f.network().downed());
        partitions.add(p);
      }
      m.put("partitions", partitions);
    }
    if (r.journal() != null) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("ok", r.journal().ok());
      j.put("instances", r.journal().instances());
      j.put("events", r.journal().events());
      j.put("interleavings", r.journal().interleavings());
      j.put("summary", r.journal().summary());
      m.put("journal", j);
    }
    return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(m);
  }

  static String html(ChaosRun.Result r, ChaosRun.Settings s, String nodes) {
    StringBuilder h = new StringBuilder();
    Verdict v = r.verdict();
    boolean ok = r.exact();
    h.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Sluice chaos run ").append(esc(r.jobId()))
        .append("</title><style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
            + "h1{font-size:1.4em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
            + "padding:4px 10px;text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}"
            + ".ok{color:#0a7d2c;font-weight:bold}.bad{color:#b00020;font-weight:bold}"
            + ".legend span{margin-right:1.5em}</style></head><body>");
    h.append("<h1>Sluice chaos run: <span class=\"").append(ok ? "ok\">EXACT" : "bad\">NOT EXACT").append("</span></h1>");
    h.append("<p>Job <b>").append(esc(r.jobId())).append("</b> (").append(esc(s.pipeline())).append(' ')
        .append(esc(io.sluice.cluster.internal.Secrets.redact(s.parameters()).toString())).append(") on ").append(esc(nodes)).append(": ")
        .append(esc(r.status())).append(" after ").append(fmt(r.seconds())).append(" s, ")
        .append(String.format(Locale.ROOT, "%,d", r.delivered())).append(" records at the sinks. Seed ")
        .append(s.seed()).append("; ").append(schedule(s)).append(".</p>");
    if (r.cassandraDeath() != null) {
      h.append("<p class=bad>").append(esc(r.cassandraDeath())).append("</p>");
    }
    if (r.stallCause() != null) {
      h.append("<p class=bad>Stalled: ").append(esc(r.stallCause())).append("</p>");
    }
    if (v != null) {
      h.append("<table><tr><th class=l>verdict</th><th>expected</th><th>delivered</th><th>lost</th><th>duplicated</th>"
          + "<th>wrong</th></tr><tr><td class=l>").append(v.exact() ? "<span class=ok>exact</span>"
              : "<span class=bad>not exact</span>").append("</td><td>").append(n(v.expected())).append("</td><td>")
          .append(n(v.delivered())).append("</td><td>").append(n(v.lost())).append("</td><td>")
          .append(n(v.duplicated())).append("</td><td>").append(n(v.wrong())).append("</td></tr></table>");
      h.append("<p>").append(esc(v.summary())).append("</p>");
      if (!v.problems().isEmpty()) {
        h.append("<ul>");
        for (String p : v.problems()) {
          h.append("<li>").append(esc(p)).append("</li>");
        }
        h.append("</ul>");
      }
    } else {
      h.append("<p class=bad>No verdict: the pipeline has no known right answer.</p>");
    }
    if (r.journal() != null) {
      h.append("<p class=").append(r.journal().ok() ? "ok" : "bad").append('>').append(esc(r.journal().summary()))
          .append("</p>");
      if (!r.journal().interleavings().isEmpty()) {
        h.append("<ul>");
        for (String i : r.journal().interleavings()) {
          h.append("<li>").append(esc(i)).append("</li>");
        }
        h.append("</ul>");
      }
    }
    h.append(chart(r));
    h.append(partitions(r));
    h.append("<table><tr><th class=l>fault</th><th class=l>target</th><th>at (s)</th><th>ended (s)</th>"
        + "<th>flowing again after (s)</th><th class=l>detail</th></tr>");
    for (ChaosRun.Fault f : r.faults()) {
      h.append("<tr><td class=l>").append(esc(f.kind())).append("</td><td class=l>").append(esc(f.target()))
          .append("</td><td>").append(fmt(f.atSeconds())).append("</td><td>")
          .append(f.endedAtSeconds() == null ? "" : fmt(f.endedAtSeconds())).append("</td><td>")
          .append(f.recoverySeconds() == null ? "<span class=bad>not measured</span>" : fmt(f.recoverySeconds()))
          .append("</td><td class=l>").append(esc(f.detail())).append("</td></tr>");
    }
    h.append("</table><p style=\"color:#777\">Recovery time of a node fault: from the fault until every operator"
        + " instance that lived on the node consumed input again in its new incarnation. Of a Cassandra fault: from the"
        + " kill until the sinks receive records again. Of a network fault: from the fault until every instance that"
        + " lived on the nodes that downed themselves consumed input again in a new incarnation (when none did: until"
        + " every instance of the cut nodes consumed input after the heal).</p></body></html>");
    return h.toString();
  }

  private static String schedule(ChaosRun.Settings s) {
    List<String> parts = new ArrayList<>();
    if (!s.killInterval().isZero()) {
      parts.add("a node killed every " + s.killInterval().toSeconds() + " s");
    }
    if (!s.killAtRecords().isEmpty()) {
      parts.add("a node killed at " + s.killAtRecords().stream().map(n -> String.format(Locale.ROOT, "%,d", n)).toList()
          + " records");
    }
    if (!parts.isEmpty()) {
      parts.add("restarted after " + s.restartDelay().toSeconds() + " s");
    }
    if (s.freezeAt() != null) {
      parts.add("a node frozen at " + s.freezeAt().toSeconds() + " s for " + s.freezeFor().toSeconds() + " s");
    }
    if (s.network()) {
      parts.add("a network fault (isolate, split, cut pair, cut one way, cut from Cassandra) every "
          + s.partitionEvery().toSeconds() + " s, healed after " + s.partitionFor().toSeconds() + " s");
    }
    if (s.cassandraKillAt() != null) {
      parts.add("Cassandra killed at " + s.cassandraKillAt().toSeconds() + " s for " + s.cassandraDown().toSeconds()
          + " s");
    }
    return parts.isEmpty() ? "no faults" : String.join(", ", parts);
  }

  private static String chart(ChaosRun.Result r) {
    List<double[]> tp = throughput(r.timeline());
    double maxT = Math.max(1, r.seconds());
    double maxY = 1;
    for (double[] p : tp) {
      maxY = Math.max(maxY, p[1]);
    }
    maxY *= 1.1;
    int w = 900;
    int hgt = 300;
    int left = 70;
    int bottom = 30;
    double sx = (w - left - 10) / maxT;
    double sy = (hgt - bottom - 10) / maxY;
    StringBuilder svg = new StringBuilder();
    svg.append("<svg width=\"").append(w).append("\" height=\"").append(hgt + 30)
        .append("\" xmlns=\"http://www.w3.org/2000/svg\" style=\"font-size:11px\">");
    int networkIndex = 0;
    for (ChaosRun.Fault f : r.faults()) {
      double x1 = left + f.atSeconds() * sx;
      double x2 = left + (f.endedAtSeconds() == null ? f.atSeconds() : f.endedAtSeconds()) * sx;
      String c = COLORS.getOrDefault(f.kind(), "#777");
      String label = f.network() == null ? f.kind() + " " + f.target()
          : f.kind() + " " + f.network().sides() + " (" + fmt(f.network().heldSeconds()) + " s)";
      int labelY = f.network() == null ? 22 : 36 + 14 * (networkIndex++ % 3); // staggered: they may be close
      svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"10\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
          + "fill-opacity=\"0.12\"/>", x1, Math.max(1, x2 - x1), hgt - bottom - 10, c));
      svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"10\" y2=\"%d\" stroke=\"%s\" "
          + "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s</text>", x1, x1, hgt - bottom, c, x1 + 3,
          labelY, c, esc(label)));
      if (f.recoverySeconds() != null) {
        double xr = left + (f.atSeconds() + f.recoverySeconds()) * sx;
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"30\" y2=\"%d\" stroke=\"%s\" "
            + "stroke-dasharray=\"4 3\"/>", xr, xr, hgt - bottom, c));
      }
    }
    svg.append("<polyline fill=\"none\" stroke=\"#222\" stroke-width=\"1.5\" points=\"");
    for (double[] p : tp) {
      svg.append(String.format(Locale.ROOT, "%.1f,%.1f ", left + p[0] * sx, hgt - bottom - p[1] * sy));
    }
    svg.append("\"/>");
    svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"10\" y2=\"%d\" stroke=\"#999\"/>"
        + "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>", left, left, hgt - bottom, left, w - 10,
        hgt - bottom, hgt - bottom));
    for (int i = 0; i <= 4; i++) {
      double y = maxY * i / 4;
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%,.0f</text>", left - 5,
          hgt - bottom - y * sy + 4, y));
    }
    int step = (int) Math.max(1, Math.ceil(maxT / 10 / 10) * 10);
    for (int t = 0; t <= maxT; t += step) {
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d s</text>",
          left + t * sx, hgt - bottom + 15, t));
    }
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">records/s at the sinks over time; shaded: node "
        + "down or frozen, Cassandra down, network cut; dashed: records flowing again</text>", left, hgt + 20));
    svg.append("</svg>");
    StringBuilder legend = new StringBuilder("<div class=legend><span style=\"color:#d62728\">■ node killed</span>"
        + "<span style=\"color:#1f77b4\">■ node frozen</span><span style=\"color:#ff7f0e\">■ Cassandra killed</span>");
    for (NetworkSchedule.Kind k : NetworkSchedule.Kind.values()) {
      if (r.faults().stream().anyMatch(f -> f.kind().equals(k.label()))) {
        legend.append("<span style=\"color:").append(COLORS.get(k.label())).append("\">■ ").append(k.label())
            .append("</span>");
      }
    }
    return legend.append("</div>") + svg.toString();
  }

  /**
   * The network faults as a table: kind, sides, when and how long, when records flowed again, and
   * which nodes stayed members and which downed themselves. Empty when the run made none.
   */
  static String partitions(ChaosRun.Result r) {
    List<ChaosRun.Fault> net = r.networkFaults();
    if (net.isEmpty()) {
      return "";
    }
    StringBuilder h = new StringBuilder("<h2 style=\"font-size:1.1em\">Network faults</h2><table><tr>"
        + "<th class=l>network fault</th><th class=l>sides</th><th>at (s)</th><th>held (s)</th><th>healed (s)</th>"
        + "<th>flowing again after (s)</th><th class=l>stayed members</th><th class=l>downed themselves</th></tr>");
    for (ChaosRun.Fault f : net) {
      ChaosRun.Network n = f.network();
      h.append("<tr class=partition><td class=l style=\"color:").append(COLORS.getOrDefault(f.kind(), "#777"))
          .append("\">").append(esc(f.kind())).append("</td><td class=l>").append(esc(n.sides())).append("</td><td>")
          .append(fmt(f.atSeconds())).append("</td><td>").append(fmt(n.heldSeconds())).append("</td><td>")
          .append(f.endedAtSeconds() == null ? "" : fmt(f.endedAtSeconds())).append("</td><td>")
          .append(f.recoverySeconds() == null ? "<span class=bad>not measured</span>" : fmt(f.recoverySeconds()))
          .append("</td><td class=l>").append(esc(n.stayed().isEmpty() ? "none" : String.join(", ", n.stayed())))
          .append("</td><td class=l>").append(esc(n.downed().isEmpty() ? "none" : String.join(", ", n.downed())))
          .append("</td></tr>");
    }
    return h.append("</table>").toString();
  }

  private static double round(double seconds) {
    return Math.round(seconds * 10) / 10.0;
  }

  private static String fmt(double d) {
    return String.format(Locale.ROOT, "%.1f", d);
  }

  private static String n(long v) {
    return String.format(Locale.ROOT, "%,d", v);
  }

  private static String esc(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
