package io.sluice.samples.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Builds {@code examples/first-pipeline} as a user would: a copy of it, outside Sluice's build,
 * packaged by Maven against the Sluice library in the local Maven repository. The library is put
 * there from this build's own {@code core/target} jar (what {@code mvn install} of Sluice does for
 * it), so the example is built against exactly the code under test.
 */
final class ExampleProject {
  private ExampleProject() {}

  static final java.time.Duration BUILD_TIMEOUT = java.time.Duration.ofMinutes(5);

  /** Installs sluice-parent's pom and sluice-core's jar from {@code home} into the local repository. */
  static void installSluice(Path home, Path work) {
    Path core;
    try (Stream<Path> s = Files.list(home.resolve("core/target"))) {
      core = s.filter(p -> p.getFileName().toString().matches("sluice-core-[^-]+(-SNAPSHOT)?\\.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no sluice-core jar in " + home.resolve("core/target")
              + ": build Sluice first (mvn package)"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String install = "org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file";
    mvn(work, work.resolve("install-parent.log"), install, "-Dfile=" + home.resolve("pom.xml"),
        "-DpomFile=" + home.resolve("pom.xml"));
    mvn(work, work.resolve("install-core.log"), install, "-Dfile=" + core, "-DpomFile=" + home.resolve("core/pom.xml"));
  }

  /**
   * Copies the example to {@code work/<name>}, applies {@code edit} to its pipeline's source, runs
   * {@code mvn <mvnArgs> package} there (which runs the example's own unit tests unless the
   * arguments skip them) and returns the jar.
   */
  static Path build(Path home, Path work, String name, UnaryOperator<String> edit, String... mvnArgs) {
    Path src = home.resolve("examples/first-pipeline");
    Path dir = work.resolve(name);
    try {
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f : files.filter(p -> !src.relativize(p).startsWith("target")).toList()) {
          Path to = dir.resolve(src.relativize(f).toString());
          if (Files.isDirectory(f)) {
            Files.createDirectories(to);
          } else {
            Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      Path java = dir.resolve("src/main/java/com/example/letters/LetterStats.java");
      Files.writeString(java, edit.apply(Files.readString(java)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> args = new ArrayList<>(List.of(mvnArgs));
    args.add("package");
    mvn(dir, work.resolve(name + "-build.log"), args.toArray(new String[0]));
    Path jar = dir.resolve("target/first-pipeline-1.0.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("mvn package of " + dir + " made no " + jar);
    }
    return jar;
  }

  /** Runs Maven in {@code dir} (batch mode, quiet), its output to {@code log}; throws with the log's end if it fails. */
  private static void mvn(Path dir, Path log, String... args) {
    List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-q"));
    cmd.addAll(List.of(args));
    try {
      Files.createDirectories(dir);
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      try {
        if (!p.waitFor(BUILD_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
          throw new IllegalStateException(String.join(" ", cmd) + " in " + dir + " did not end within "
              + BUILD_TIMEOUT.toMinutes() + " minutes; see " + log);
        }
      } finally {
        p.destroyForcibly();
      }
      if (p.exitValue() != 0) {
        List<String> lines = Files.readAllLines(log);
        throw new IllegalStateException(String.join(" ", cmd) + " in " + dir + " failed (exit " + p.exitValue()
            + "):\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run mvn (is Maven on the PATH?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
