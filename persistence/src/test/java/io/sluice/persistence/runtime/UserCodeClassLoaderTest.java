package io.sluice.persistence.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.core.connector.CollectingSink;
import io.sluice.core.connector.Sinks;
import io.sluice.core.connector.Sources;
import io.sluice.core.dsl.JobConfig;
import io.sluice.core.dsl.Parameters;
import io.sluice.core.dsl.Pipeline;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * User code of a jar runs with the jar's class loader as the thread's context class loader, and a
 * node forgets a job (and with it the jar's class loader) once nothing on it uses the job.
 */
@ExtendWith(LogCapturingExtension.class)
class UserCodeClassLoaderTest {
  /** The context class loaders user functions saw. */
  static final Set<ClassLoader> SEEN = ConcurrentHashMap.newKeySet();

  @Test
  void userFunctionsRunWithTheJobsClassLoader_andTheCatalogForgetsAJobNothingUses() throws Exception {
    CollectingSink<Integer> out = Sinks.collecting("out");
    Pipeline.Builder p = Pipeline.builder("tccl").config(JobConfig.defaults().withParallelism(1));
    p.readFrom(Sources.collection("in", IntStream.rangeClosed(1, 500).boxed().toList()))
        .map(x -> {
          SEEN.add(Thread.currentThread().getContextClassLoader());
          return x * 2;
        })
        .writeTo(out);
    Pipeline pipeline = p.build();
    try (URLClassLoader jar = new URLClassLoader("a-jar", new URL[0], getClass().getClassLoader())) {
      JobCatalog catalog;
      String jobId;
      try (InMemoryRuntime rt = new InMemoryRuntime(pipeline, id -> true, jar)) {
        catalog = JobCatalog.get(rt.kit.system());
        jobId = rt.job.jobId();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!out.ended(jobId, 0)) {
          assertTrue(System.nanoTime() < deadline, "the job did not finish; " + out.results(jobId).size()
              + " records at the sink");
          rt.keepAlive();
          LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
        assertEquals(500, out.results(jobId).size());
        assertEquals(Set.of(jar), SEEN, "user code ran with the job's class loader only");
        assertTrue(catalog.get(jobId).isPresent(), "known while its instances run");
        assertTrue(catalog.register(new JobSpec(jobId, "tccl", Parameters.empty(), JobRuntime.fingerprint(pipeline)))
            == rt.job, "one runtime per job");
      }
      // the runtime's instances stopped with the test kit and nothing holds the job any more
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (catalog.size() > 0 && System.nanoTime() < deadline) {
        System.gc();
        LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      }
      assertEquals(0, catalog.size(), "the catalog still holds job " + jobId);
    }
  }
}
