package io.sluice.core.testing;

import io.sluice.core.connector.Source;
import io.sluice.core.connector.SourceReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A source a test feeds by hand, like Kafka Streams' test input topics: {@link #push} records
 * (with event time from the stage's {@code withTimestamps}), then {@link #end()} it. One split;
 * positions are indexes, so it replays exactly. Lives in this JVM only.
 *
 * <pre>{@code
 * TestSource<Click> clicks = TestSource.named("clicks");
 * p.readFrom(clicks).withTimestamps(Click::time, Duration.ofSeconds(1)) ...
 * clicks.push(new Click("a", 1000), new Click("a", 2000));
 * driver.run();
 * }</pre>
 *
 * @param <T> the record type
 */
public final class TestSource<T> implements Source<T> {
  private final String name;
  private final List<T> items = new ArrayList<>();
  private boolean ended;

  private TestSource(String name) {
    this.name = Objects.requireNonNull(name, "source name");
  }

  public static <T> TestSource<T> named(String name) {
    return new TestSource<>(name);
  }

  @SafeVarargs
  public final synchronized TestSource<T> push(T... records) {
    List<T> list = new java.util.ArrayList<>(records.length); // copied: the array itself never escapes
    for (T r : records) {
      list.add(r);
    }
    return pushAll(list);
  }

  public synchronized TestSource<T> pushAll(List<? extends T> records) {
    if (ended) {
      throw new IllegalStateException("test source '" + name + "' has ended");
    }
    for (T r : records) {
      items.add(Objects.requireNonNull(r, "records must not be null"));
    }
    return this;
  }

  /** No more records: the source's instance ends and sends end-of-stream downstream. */
  public synchronized void end() {
    ended = true;
  }

  private synchronized int size() {
    return items.size();
  }

  private synchronized T get(int i) {
    return items.get(i);
  }

  private synchronized boolean ended() {
    return ended;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int splitCount(int defaultParallelism) {
    return 1;
  }

  @Override
  public boolean isBounded() {
    return false;
  }

  @Override
  public SourceReader<T> createReader(int split, int splitCount) {
    return new SourceReader<>() {
      private int next;

      @Override
      public int read(int maxRecords, Output<T> out) {
        int n = 0;
        while (n < maxRecords && next < size()) {
          out.emit(get(next++));
          n++;
        }
        return n;
      }

      @Override
      public long position() {
        return next;
      }

      @Override
      public void seek(long position) {
        next = (int) position;
      }

      @Override
      public boolean isEnd() {
        return ended() && next >= size();
      }
    };
  }

  @Override
  public String describe() {
    return "test source";
  }
}
