package io.sluice.persistence.jars;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.PipelineFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobJarsTest {
  @TempDir
  Path dir;

  private JobJars node(InMemoryJarStore store, String name, long maxBytes, int chunkBytes) {
    return new JobJars(store, dir.resolve("cache-" + name), maxBytes, chunkBytes, Duration.ofSeconds(10),
        JobJarsTest.class.getClassLoader());
  }

  @Test
  void anUploadedJarIsStoredInChunksAndAnotherNodeLoadsItFromTheStore() throws Exception {
    InMemoryJarStore store = new InMemoryJarStore();
    byte[] jar = TestJars.pipelineJar(dir, "user.one", "one", "v1");
    JarInfo info = node(store, "a", 1 << 20, 512).upload("one.jar", jar).info();
    assertEquals(JobJars.hash(jar), info.id());
    assertEquals(List.of("one"), info.pipelines());
    assertEquals((jar.length + 511) / 512, info.chunks());
    assertTrue(info.chunks() > 1, "the jar spans several chunks");

    JobJars other = node(store, "b", 1 << 20, 512);
    assertFalse(other.isReady(info.id()));
    JobClassLoader loader = other.prepare(info.id()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(other.isReady(info.id()));
    assertTrue(Files.isRegularFile(dir.resolve("cache-b").resolve(info.id() + ".jar")), "cached on node b");
    PipelineFactory f = other.factories(info.id()).get("one");
    assertSame(loader, f.getClass().getClassLoader());
    assertEquals("version v1", f.description());
    assertSame(loader, other.loader(info.id()), "one loader per jar");
  }

  @Test
  void twoVersionsOfOneClassLoadSideBySide() throws Exception {
    InMemoryJarStore store = new InMemoryJarStore();
    JobJars jars = node(store, "a", 1 << 20, 1 << 16);
    String v1 = jars.upload("p-1.jar", TestJars.pipelineJar(dir, "user.p", "p", "v1")).info().id();
    String v2 = jars.upload("p-2.jar", TestJars.pipelineJar(dir, "user.p", "p", "version-two")).info().id();
    assertNotEquals(v1, v2);
    PipelineFactory f1 = jars.factories(v1).get("p");
    PipelineFactory f2 = jars.factories(v2).get("p");
    assertEquals(f1.getClass().getName(), f2.getClass().getName());
    assertNotSame(f1.getClass(), f2.getClass());
    assertEquals("version v1", f1.description());
    assertEquals("version version-two", f2.description());
    // Sluice's own classes come from the node in both
    assertSame(PipelineFactory.class, f1.getClass().getInterfaces()[0]);
    assertSame(PipelineFactory.class, f2.getClass().getInterfaces()[0]);
    assertEquals("p", f1.create(Parameters.empty()).name());
  }

  @Test
  void badUploadsAreRefusedWithTheReasonAndNothingIsStored() throws Exception {
    InMemoryJarStore store = new InMemoryJarStore();
    JobJars jars = node(store, "a", 64 * 1024, 1024);
    JarInspector.BadJarException notJar = assertThrows(JarInspector.BadJarException.class,
        () -> jars.upload("notes.txt", "hello".getBytes(StandardCharsets.UTF_8)));
    assertTrue(notJar.getMessage().contains("'notes.txt' is not a jar file"), notJar.getMessage());

    byte[] empty = TestJars.jar(dir, Map.of(), Map.of("README.txt", "no pipelines here"));
    JarInspector.BadJarException none = assertThrows(JarInspector.BadJarException.class,
        () -> jars.upload("empty.jar", empty));
    assertTrue(none.getMessage().contains("'empty.jar' has no pipelines"), none.getMessage());

    byte[] broken = TestJars.jar(dir, Map.of(), Map.of("META-INF/services/" + PipelineFactory.class.getName(),
        "user.Missing\n"));
    JarInspector.BadJarException missing = assertThrows(JarInspector.BadJarException.class,
        () -> jars.upload("broken.jar", broken));
    assertTrue(missing.getMessage().contains("cannot be loaded"), missing.getMessage());

    byte[] big = new byte[64 * 1024 + 1];
    JarInspector.BadJarException tooLarge = assertThrows(JarInspector.BadJarException.class,
        () -> jars.upload("big.jar", big));
    assertTrue(tooLarge.getMessage().contains("sluice.jars.max-bytes"), tooLarge.getMessage());

    assertEquals(List.of(), store.list().toCompletableFuture().get());
    try (var files = Files.list(dir.resolve("cache-a"))) {
      assertEquals(List.of(), files.toList(), "no temporary file is left behind");
    }
  }

  @Test
  void aMissingOrCorruptJarFailsWithItsIdAndATamperedCacheIsFetchedAgain() throws Exception {
    InMemoryJarStore store = new InMemoryJarStore();
    JobJars a = node(store, "a", 1 << 20, 256);
    byte[] bytes = TestJars.pipelineJar(dir, "user.c", "c", "v1");
    JarInfo info = a.upload("c.jar", bytes).info();

    String unknown = "ab".repeat(32);
    Exception gone = assertThrows(Exception.class, () -> node(store, "b", 1 << 20, 256).loader(unknown));
    assertTrue(gone.getMessage().contains("no jar " + unknown + " is stored"), gone.getMessage());

    // the node's cached copy was changed on disk: it is not trusted, but fetched again
    Path cached = dir.resolve("cache-a").resolve(info.id() + ".jar");
    Files.write(cached, new byte[] {1, 2, 3});
    JobJars restarted = node(store, "a", 1 << 20, 256);
    assertEquals("version v1", restarted.factories(info.id()).get("c").description());
    assertEquals(info.id(), JobJars.hash(Files.readAllBytes(cached)));

    // the store's chunks were damaged: refused, never loaded
    List<byte[]> chunks = new java.util.ArrayList<>(store.chunks(info).toCompletableFuture().get());
    chunks.set(0, new byte[chunks.get(0).length]);
    store.put(info, chunks);
    Exception corrupt = assertThrows(Exception.class, () -> node(store, "c", 1 << 20, 256).loader(info.id()));
    assertTrue(corrupt.getMessage().contains("corrupt"), corrupt.getMessage());
  }

  @Test
  void aJarNoJobUsesIsLetGo_andComesBackFromTheNodesCacheWithoutTheStore() throws Exception {
    InMemoryJarStore store = new InMemoryJarStore();
    JobJars jars = node(store, "a", 1 << 20, 1 << 16);
    JarInfo info = node(store, "up", 1 << 20, 1 << 16).upload("w.jar", TestJars.pipelineJar(dir, "user.w", "w", "v1")).info();
    assertEquals("version v1", jars.factories(info.id()).get("w").description());
    assertTrue(jars.isReady(info.id()));
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    while (jars.loadedCount() > 0 && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(50);
    }
    assertEquals(0, jars.loadedCount(), "the class loader of a jar nothing uses is still held");
    assertFalse(jars.isReady(info.id()));
    store.delete(info); // from now on only node a's cache has it
    assertEquals("version v1", jars.factories(info.id()).get("w").description());
  }

  @Test
  void jarIdsAreChecked() {
    assertThrows(JarInspector.BadJarException.class, () -> JobJars.checkId("../../etc/passwd"));
    assertEquals("0".repeat(64), JobJars.checkId("0".repeat(64)));
  }
}
