package io.sluice.persistence.jars;

import io.sluice.core.dsl.PipelineFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Builds small jars for tests: Java sources compiled against Sluice's API, plus resources. */
public final class TestJars {
  private TestJars() {}

  /**
   * Compiles {@code sources} (class name → source) and zips the classes with {@code resources}
   * (path → text) into a jar in {@code dir}.
   */
  public static byte[] jar(Path dir, Map<String, String> sources, Map<String, String> resources) {
    try {
      Path src = Files.createTempDirectory(dir, "src");
      Path classes = Files.createTempDirectory(dir, "classes");
      List<String> args = new java.util.ArrayList<>(List.of("-d", classes.toString(), "-cp", apiClassPath(),
          "--release", "17", "-nowarn"));
      for (Map.Entry<String, String> e : sources.entrySet()) {
        Path f = src.resolve(e.getKey().replace('.', '/') + ".java");
        Files.createDirectories(f.getParent());
        Files.writeString(f, e.getValue());
        args.add(f.toString());
      }
      if (!sources.isEmpty()) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, null, err, args.toArray(new String[0]));
        if (rc != 0) {
          throw new IllegalStateException("test sources do not compile: " + err.toString(StandardCharsets.UTF_8));
        }
      }
      ByteArrayOutputStream jar = new ByteArrayOutputStream();
      try (ZipOutputStream z = new ZipOutputStream(jar); Stream<Path> files = Files.walk(classes)) {
        for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
          z.putNextEntry(new ZipEntry(classes.relativize(f).toString().replace('\\', '/')));
          z.write(Files.readAllBytes(f));
          z.closeEntry();
        }
        for (Map.Entry<String, String> r : resources.entrySet()) {
          z.putNextEntry(new ZipEntry(r.getKey()));
          z.write(r.getValue().getBytes(StandardCharsets.UTF_8));
          z.closeEntry();
        }
      }
      return jar.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A jar with one pipeline factory {@code pkg.Factory} named {@code name}, whose {@code Version.VALUE} is {@code version}. */
  public static byte[] pipelineJar(Path dir, String pkg, String name, String version) {
    String factory = """
        package %1$s;

        import io.sluice.core.connector.Sinks;
        import io.sluice.core.connector.Sources;
        import io.sluice.core.dsl.Parameters;
        import io.sluice.core.dsl.Pipeline;
        import io.sluice.core.dsl.PipelineFactory;
        import java.util.List;

        public final class Factory implements PipelineFactory {
          public String name() { return "%2$s"; }
          public String description() { return "version " + Version.VALUE; }
          public Pipeline create(Parameters params) {
            if (params.get("fail").isPresent()) {
              throw new IllegalArgumentException("parameter 'fail' says no");
            }
            Pipeline.Builder p = Pipeline.builder("%2$s");
            p.readFrom(Sources.collection("in", List.of(1, 2, 3)))
                .map(x -> new Version(x + Version.VALUE.length()))
                .writeTo(Sinks.discarding("out"));
            return p.build();
          }
        }
        """.formatted(pkg, name);
    String record = """
        package %1$s;

        public record Version(int n) {
          public static final String VALUE = "%2$s";
        }
        """.formatted(pkg, version);
    return jar(dir, Map.of(pkg + ".Factory", factory, pkg + ".Version", record),
        Map.of("META-INF/services/" + PipelineFactory.class.getName(), pkg + ".Factory\n"));
  }

  private static String apiClassPath() {
    try {
      return Path.of(PipelineFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
