package io.sluice.cluster.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.dsl.Parameters;
import io.sluice.persistence.jars.TestJars;
import io.sluice.persistence.runtime.PipelineResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's own pipelines: the classpath, and jars in pipeline directories, each in its own class loader. */
class ServicePipelineResolverTest {
  @TempDir
  Path dir;

  @Test
  void jarsInAPipelineDirectoryJoinTheClasspathPipelinesAndBuildWithTheirOwnClassLoader() throws Exception {
    Path jars = Files.createDirectories(dir.resolve("jars"));
    Files.write(jars.resolve("a.jar"), TestJars.pipelineJar(dir, "user.a", "from-dir-a", "va"));
    Files.write(jars.resolve("b.jar"), TestJars.pipelineJar(dir, "user.a", "from-dir-b", "vb"));
    Files.writeString(jars.resolve("notes.txt"), "not a jar: ignored");
    ServicePipelineResolver r = new ServicePipelineResolver(getClass().getClassLoader(), List.of(jars), null);
    assertEquals(jars.resolve("a.jar").toString(), r.origins().get("from-dir-a"));
    assertEquals("version va", r.factories().get("from-dir-a").description());
    assertEquals("version vb", r.factories().get("from-dir-b").description());
    // the same class name in two jars: two classes
    assertNotSame(r.factories().get("from-dir-a").getClass(), r.factories().get("from-dir-b").getClass());
    PipelineResolver.Resolved built = r.resolve("from-dir-b", Parameters.empty(), "");
    assertEquals("from-dir-b", built.pipeline().name());
    assertEquals(r.factories().get("from-dir-b").getClass().getClassLoader(), built.classLoader());
    assertTrue(r.isReady(""));

    IllegalArgumentException failing = assertThrows(IllegalArgumentException.class,
        () -> r.resolve("from-dir-a", Parameters.of(Map.of("fail", "yes")), ""));
    assertEquals("parameter 'fail' says no", failing.getMessage());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> r.resolve("nope", Parameters.empty(), ""));
    assertTrue(unknown.getMessage().contains("no pipeline named 'nope'"), unknown.getMessage());
  }

  @Test
  void aJarWithoutPipelinesOrAClashingNameIsRefusedNamingTheFile() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Files.write(empty.resolve("lib.jar"), TestJars.jar(dir, Map.of(), Map.of("x.txt", "x")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ServicePipelineResolver(getClass().getClassLoader(), List.of(empty), null));
    assertTrue(e.getMessage().contains(empty.resolve("lib.jar") + " has no pipelines"), e.getMessage());

    Path twice = Files.createDirectories(dir.resolve("twice"));
    Files.write(twice.resolve("one.jar"), TestJars.pipelineJar(dir, "user.t1", "same", "1"));
    Files.write(twice.resolve("two.jar"), TestJars.pipelineJar(dir, "user.t2", "same", "2"));
    IllegalArgumentException clash = assertThrows(IllegalArgumentException.class,
        () -> new ServicePipelineResolver(getClass().getClassLoader(), List.of(twice), null));
    assertTrue(clash.getMessage().contains("two pipeline factories are named 'same'"), clash.getMessage());
  }
}
