package io.sluice.cluster.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.cluster.internal.HttpApi.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * INTERNAL API: the chaos tool's reports, read-only, for the dashboard. {@code sluice chaos}
 * writes each run to {@code <directory>/<run>/report.html} with a summary beside it
 * ({@code report.json}); {@code GET /chaos} lists the newest runs with their verdicts, and
 * {@code GET /chaos/<run>/report.html} serves a report as it is.
 *
 * <p>Only GET routes exist. A run name is a plain directory name (no separators, no {@code ..});
 * the file is opened only when its real path, symbolic links resolved, lies inside the directory,
 * and only up to {@link #MAX_REPORT_BYTES}. A report is served with a policy that lets no script
 * run, so whatever a report holds cannot act on the node's API.
 */
public final class ChaosReports {
  /** The most runs {@code GET /chaos} lists (the newest). */
  static final int MAX_LISTED = 100;
  /** The largest report served (a report of a day-long run is about 1 MB). */
  static final long MAX_REPORT_BYTES = 16L << 20;
  /** The largest summary read for the list. */
  static final long MAX_SUMMARY_BYTES = 64L << 10;
  private static final Pattern RUN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Map<String, String> HEADERS = Map.of(
      "Cache-Control", "no-cache",
      "X-Content-Type-Options", "nosniff",
      "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:;"
          + " frame-ancestors 'none'");

  private final Path directory;

  /** Reports under {@code directory}; null: the node shows none. */
  ChaosReports(Path directory) {
    this.directory = directory;
  }

  /** Adds {@code GET /chaos} and {@code GET /chaos/<run>/report.html} to {@code http}. */
  public static void register(HttpApi http, Path directory) {
    ChaosReports reports = new ChaosReports(directory);
    http.route("GET", "/chaos", r -> Response.ok(reports.list()));
    http.route("GET", "/chaos/([^/]+)/report\\.html", r -> reports.report(r.param(0)));
  }

  /** The newest runs first, at most {@link #MAX_LISTED}; {@code runs} is empty when there is no directory yet. */
  Map<String, Object> list() throws IOException {
    List<Map<String, Object>> runs = new ArrayList<>();
    int total = 0;
    if (directory != null && Files.isDirectory(directory)) {
      List<Object[]> found = new ArrayList<>(); // {run, report attributes}
      try (DirectoryStream<Path> dirs = Files.newDirectoryStream(directory)) {
        for (Path d : dirs) {
          String run = d.getFileName().toString();
          Path html = d.resolve("report.html");
          if (!RUN.matcher(run).matches() || !Files.isRegularFile(html, LinkOption.NOFOLLOW_LINKS)) {
            continue;
          }
          found.add(new Object[] {run, Files.readAttributes(html, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)});
        }
      }
      total = found.size();
      found.sort(Comparator.comparing((Object[] f) -> ((BasicFileAttributes) f[1]).lastModifiedTime()).reversed());
      for (Object[] f : found.subList(0, Math.min(MAX_LISTED, found.size()))) {
        String run = (String) f[0];
        BasicFileAttributes a = (BasicFileAttributes) f[1];
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("run", run);
        e.put("url", "/chaos/" + run + "/report.html");
        e.put("writtenAt", Instant.ofEpochMilli(a.lastModifiedTime().toMillis()).toString());
        e.put("bytes", a.size());
        summary(directory.resolve(run).resolve("report.json"), e);
        runs.add(e);
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("runs", runs);
    out.put("total", total);
    return out;
  }

  /** Adds the run's verdict from its summary, when there is a readable one. */
  private static void summary(Path json, Map<String, Object> into) {
    try {
      if (!Files.isRegularFile(json, LinkOption.NOFOLLOW_LINKS) || Files.size(json) > MAX_SUMMARY_BYTES) {
        return;
      }
      JsonNode s = HttpApi.JSON.readTree(Files.readAllBytes(json));
      for (String field : List.of("pipeline", "jobId", "exact", "status", "verdict", "seconds", "faults")) {
        if (s.has(field)) {
          into.put(field, s.get(field));
        }
      }
    } catch (IOException e) {
      into.put("summaryError", "report.json does not read: " + e.getMessage());
    }
  }

  /** The report of {@code run}: 200, or 404 for a name that is not a run of the directory. */
  Response report(String run) throws IOException {
    if (directory == null || !RUN.matcher(run).matches()) {
      return Response.error(404, "no such chaos report: " + run);
    }
    try {
      Path root = directory.toRealPath();
      Path file = directory.resolve(run).resolve("report.html").toRealPath();
      if (!file.startsWith(root) || !Files.isRegularFile(file)) {
        return Response.error(404, "no such chaos report: " + run);
      }
      if (Files.size(file) > MAX_REPORT_BYTES) {
        return Response.error(413, "chaos report " + run + " is larger than " + (MAX_REPORT_BYTES >> 20)
            + " MiB; open it from " + file);
      }
      return new Response(200, new HttpApi.Text("text/html; charset=utf-8",
          new String(Files.readAllBytes(file), StandardCharsets.UTF_8)), HEADERS);
    } catch (NoSuchFileException e) {
      return Response.error(404, "no such chaos report: " + run);
    }
  }
}
