package io.sluice.persistence.jars;

import com.typesafe.config.Config;
import io.sluice.core.dsl.PipelineFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INTERNAL API: a node's view of the cluster's jars (settings {@code sluice.jars}): uploads them
 * into the {@link JarStore}, keeps a copy of each jar a job of this node needs in its cache
 * directory (fetched from the store once, checked against its hash), and gives each jar one
 * {@link JobClassLoader}, shared by every job pinned to that jar.
 *
 * <p>Fetching is asynchronous ({@link #prepare}); actors ask {@link #isReady} first and never
 * block on the store.
 *
 * <p>Nothing here outlives its use: a jar's class loader is held weakly, so once no job on this
 * node uses the jar (the catalog holds jobs only while they run here), the loader and its classes
 * can be collected; the cache directory is emptied when the node starts, so it holds only the
 * jars of this process's jobs.
 */
public final class JobJars implements Extension {
  private static final Logger log = LoggerFactory.getLogger(JobJars.class);
  private static final Id ID = new Id();
  private static final Pattern JAR_ID = Pattern.compile("[0-9a-f]{64}");

  private final JarStore store;
  private final Path cacheDir;
  private final long maxBytes;
  private final int chunkBytes;
  private final Duration timeout;
  private final ClassLoader node;
  /** Loads in progress (and failed ones, for {@link #RETRY_AFTER_NANOS}). */
  private final Map<String, CompletableFuture<JobClassLoader>> pending = new ConcurrentHashMap<>();
  /** Loaded jars: held weakly, by the jobs that use them. */
  private final Map<String, java.lang.ref.WeakReference<JobClassLoader>> loaded = new ConcurrentHashMap<>();
  /** When a jar's last attempt failed: the next one waits {@link #RETRY_AFTER_NANOS}. */
  private final Map<String, Long> failedAt = new ConcurrentHashMap<>();
  private static final long RETRY_AFTER_NANOS = 5_000_000_000L;

  JobJars(JarStore store, Path cacheDir, long maxBytes, int chunkBytes, Duration timeout, ClassLoader node) {
    this.store = store;
    this.cacheDir = cacheDir;
    this.maxBytes = maxBytes;
    this.chunkBytes = chunkBytes;
    this.timeout = timeout;
    this.node = node;
  }

  private static JobJars create(ActorSystem<?> system) {
    Config c = system.settings().config();
    String kind = c.getString("sluice.jars.store");
    JarStore store;
    if (kind.equals("memory")) {
      store = new InMemoryJarStore();
    } else if (kind.equals("cassandra")) {
      store = new CassandraJarStore(() -> sessionAfterJournal(system), c.getString("sluice.cassandra.keyspace"),
          c.getBoolean("sluice.cassandra.schema-autocreate"), c.getDuration("sluice.jars.timeout"));
    } else {
      throw new IllegalArgumentException("sluice.jars.store must be 'cassandra' or 'memory', was '" + kind + "'");
    }
    String dir = c.getString("sluice.jars.cache-dir");
    Path cache = dir.isEmpty() ? Path.of(System.getProperty("java.io.tmpdir"), "sluice-jars-" + ProcessHandle.current()
        .pid()) : Path.of(dir);
    emptyCache(cache);
    return new JobJars(store, cache.toAbsolutePath(), c.getBytes("sluice.jars.max-bytes"),
        Math.toIntExact(c.getBytes("sluice.jars.chunk-bytes")), c.getDuration("sluice.jars.timeout"),
        JobJars.class.getClassLoader());
  }

  /**
   * The journal's driver session, once the journal plugin exists. The journal opens that shared
   * session with its schema creation attached, and only the first opener's is run: a jar fetched
   * before the journal started must not open it first.
   */
  public static CompletionStage<com.datastax.oss.driver.api.core.CqlSession> sessionAfterJournal(
      ActorSystem<?> system) {
    org.apache.pekko.actor.ActorSystem classic = org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system);
    String plugin = system.settings().config().getString("pekko.persistence.journal.plugin");
    org.apache.pekko.actor.ActorRef journal = org.apache.pekko.persistence.Persistence.get(classic)
        .journalFor(plugin, com.typesafe.config.ConfigFactory.empty());
    // an actor answers Identify only after its constructor ran: the journal's session exists then
    return org.apache.pekko.pattern.Patterns.ask(journal, new org.apache.pekko.actor.Identify("sluice-jars"),
        Duration.ofSeconds(30)).thenCompose(x -> CassandraSessionRegistry.get(system)
            .sessionFor("pekko.persistence.cassandra").underlying());
  }

  /** Removes the jars and leftovers an earlier process of this node left in its cache directory. */
  private static void emptyCache(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".jar")
          || p.getFileName().toString().endsWith(".jar.tmp")).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      log.warn("cannot empty the jar cache {}: {}", dir, e.toString());
    }
  }

  public static JobJars get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private static final class Id extends ExtensionId<JobJars> {
    @Override
    public JobJars createExtension(ActorSystem<?> system) {
      return create(system);
    }
  }

  /** The largest jar accepted, in bytes. */
  public long maxBytes() {
    return maxBytes;
  }

  public JarStore store() {
    return store;
  }

  /** An upload's outcome: the stored jar, and whether this upload stored it (false: the same bytes were stored before). */
  public record Uploaded(JarInfo info, boolean stored) {}

  /** The SHA-256 of {@code bytes}, hex: a jar's id. */
  public static String hash(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Throws a clear error unless {@code id} has the form of a jar id. */
  public static String checkId(String id) {
    if (id == null || !JAR_ID.matcher(id).matches()) {
      throw new JarInspector.BadJarException("'" + id + "' is not a jar id (64 hex digits: the SHA-256 of the jar)");
    }
    return id;
  }

  /**
   * Checks and stores an uploaded jar; a jar already stored (same bytes) is not stored again. Runs
   * in the caller's thread (the HTTP API's): it blocks for the store's writes.
   *
   * @throws JarInspector.BadJarException when it is too large, not a jar or has no pipelines
   */
  public Uploaded upload(String name, byte[] bytes) throws IOException {
    if (bytes.length > maxBytes) {
      throw new JarInspector.BadJarException("'" + name + "' has " + bytes.length + " bytes, more than the "
          + maxBytes + " that sluice.jars.max-bytes allows");
    }
    String id = hash(bytes);
    Optional<JarInfo> known = await(store.info(id), "look up jar " + id);
    if (known.isPresent()) {
      return new Uploaded(known.get(), false);
    }
    Files.createDirectories(cacheDir);
    Path tmp = Files.createTempFile(cacheDir, "upload-", ".jar.tmp");
    try {
      Files.write(tmp, bytes);
      List<String> pipelines = JarInspector.inspect(tmp, name, node);
      List<byte[]> chunks = new ArrayList<>();
      for (int off = 0; off < bytes.length || chunks.isEmpty(); off += chunkBytes) {
        chunks.add(java.util.Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + chunkBytes)));
      }
      JarInfo info = new JarInfo(id, name, bytes.length, chunks.size(), System.currentTimeMillis(), pipelines);
      await(store.put(info, chunks), "store jar " + id);
      moveInto(tmp, local(id));
      log.info("jar {} ({}, {} bytes, pipelines {}) stored in {} chunk(s)", id, name, bytes.length, pipelines,
          chunks.size());
      return new Uploaded(info, true);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private Path local(String id) {
    return cacheDir.resolve(id + ".jar");
  }

  private static void moveInto(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Whether jar {@code id}'s class loader is ready on this node (no fetch needed). */
  public boolean isReady(String id) {
    return loaded(id) != null;
  }

  private JobClassLoader loaded(String id) {
    java.lang.ref.WeakReference<JobClassLoader> r = loaded.get(id);
    return r == null ? null : r.get();
  }

  /** How many jars have a live class loader on this node (tests, metrics). */
  public int loadedCount() {
    loaded.values().removeIf(r -> r.get() == null);
    return loaded.size();
  }

  /**
   * Makes jar {@code id} ready on this node: from the cache directory if it holds the jar with the
   * right hash, else fetched from the store. A failed attempt is forgotten, so that the next one
   * tries again.
   */
  public CompletionStage<JobClassLoader> prepare(String id) {
    checkId(id);
    JobClassLoader l = loaded(id);
    if (l != null) {
      return CompletableFuture.completedFuture(l);
    }
    loaded.values().removeIf(r -> r.get() == null);
    long now = System.nanoTime();
    failedAt.entrySet().removeIf(e -> { // failed loads (of ids that were never stored, too) are not kept
      if (now - e.getValue() < RETRY_AFTER_NANOS) {
        return false;
      }
      CompletableFuture<JobClassLoader> failed = pending.get(e.getKey());
      if (failed != null && failed.isCompletedExceptionally()) {
        pending.remove(e.getKey(), failed);
      }
      return true;
    });
    CompletableFuture<JobClassLoader> f = pending.get(id);
    if (f != null && f.isCompletedExceptionally()) {
      Long failed = failedAt.get(id);
      if (failed != null && System.nanoTime() - failed < RETRY_AFTER_NANOS) {
        return f; // callers poll: do not ask the store again at once
      }
      pending.remove(id, f);
    }
    CompletableFuture<JobClassLoader> fresh = new CompletableFuture<>();
    f = pending.putIfAbsent(id, fresh);
    if (f != null) {
      return f; // a load in progress
    }
    open(id).whenComplete((loader, err) -> {
      if (err == null) {
        loaded.put(id, new java.lang.ref.WeakReference<>(loader));
        failedAt.remove(id);
        pending.remove(id, fresh); // held weakly from now on, by the jobs that use it
        fresh.complete(loader);
      } else {
        failedAt.put(id, System.nanoTime());
        log.warn("cannot load jar {}: {}", id, err.getCause() != null ? err.getCause().toString() : err.toString());
        fresh.completeExceptionally(err); // kept in pending for RETRY_AFTER_NANOS
      }
    });
    return fresh;
  }

  private CompletableFuture<JobClassLoader> open(String id) {
    Path file = local(id);
    CompletableFuture<byte[]> cached = CompletableFuture.supplyAsync(() -> {
      try {
        if (Files.isRegularFile(file)) {
          byte[] b = Files.readAllBytes(file);
          if (hash(b).equals(id)) {
            return b;
          }
          log.warn("cached jar {} does not match its hash: fetching it again", file);
        }
        return null;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    return cached.thenCompose(b -> b != null ? CompletableFuture.completedFuture(Boolean.FALSE) : fetch(id, file)
        .thenApply(x -> Boolean.TRUE)).thenApply(fetched -> {
          try {
            return new JobClassLoader(id, file, node);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  private CompletableFuture<Void> fetch(String id, Path file) {
    long start = System.nanoTime();
    return store.info(id).thenCompose(info -> {
      if (info.isEmpty()) {
        throw new JarInspector.BadJarException("no jar " + id + " is stored in the cluster (deleted, or never"
            + " uploaded: upload it with POST /jars or sluice submit --jar)");
      }
      return store.chunks(info.get()).thenAccept(chunks -> {
        try {
          java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream((int) info.get().bytes());
          for (byte[] c : chunks) {
            all.write(c);
          }
          byte[] bytes = all.toByteArray();
          String h = hash(bytes);
          if (!h.equals(id)) {
            throw new IllegalStateException("jar " + id + " as stored has the hash " + h + ": its chunks are corrupt");
          }
          Files.createDirectories(cacheDir);
          Path tmp = Files.createTempFile(cacheDir, "fetch-", ".jar.tmp");
          try {
            Files.write(tmp, bytes);
            moveInto(tmp, file);
          } finally {
            Files.deleteIfExists(tmp);
          }
          log.info("jar {} ({}, {} bytes) fetched from the store in {} ms", id, info.get().name(), bytes.length,
              (System.nanoTime() - start) / 1_000_000);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }).toCompletableFuture();
  }

  /**
   * Jar {@code id}'s class loader, preparing it first if needed: blocks up to
   * {@code sluice.jars.timeout} (actors call {@link #prepare} and wait for it instead).
   */
  public JobClassLoader loader(String id) {
    return await(prepare(id), "load jar " + id);
  }

  /** The pipeline factories of jar {@code id}, by name. */
  public TreeMap<String, PipelineFactory> factories(String id) {
    JobClassLoader l = loader(id);
    return JarInspector.factories(l, "jar " + id);
  }

  /** Deletes jar {@code id} from the store and this node's cache (the caller checked it is not in use). */
  public boolean delete(String id) throws IOException {
    Optional<JarInfo> info = await(store.info(checkId(id)), "look up jar " + id);
    if (info.isEmpty()) {
      return false;
    }
    await(store.delete(info.get()), "delete jar " + id);
    java.lang.ref.WeakReference<JobClassLoader> l = loaded.remove(id);
    if (l != null && l.get() != null) {
      l.get().close();
    }
    Files.deleteIfExists(local(id));
    return true;
  }

  private <T> T await(CompletionStage<T> f, String what) {
    try {
      return f.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while trying to " + what, e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("could not " + what + " within " + timeout.toSeconds()
          + " s (sluice.jars.timeout): is Cassandra reachable?", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause() instanceof java.util.concurrent.CompletionException ce && ce.getCause() != null
          ? ce.getCause() : e.getCause();
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("could not " + what + ": " + c, c);
    }
  }
}
