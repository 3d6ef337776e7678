package io.sluice.cluster.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * INTERNAL API: runs short system commands (such as {@code ip netns add ...}) and hands back their
 * exit status and output. Tests pass an implementation that records the commands instead.
 */
@FunctionalInterface
public interface Shell {
  /** What a command did: its exit status (-1 if it could not be started or timed out) and its output. */
  record Result(int exit, String output) {
    public boolean ok() {
      return exit == 0;
    }
  }

  /** Runs {@code command} to its end (at most 30 s); never throws for a failing command. */
  Result run(List<String> command);

  /** Runs commands as processes of this machine, stdout and stderr together. */
  Shell SYSTEM = command -> {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getOutputStream().close();
      if (!p.waitFor(30, TimeUnit.SECONDS)) { // their output is a few lines: it fits the pipe meanwhile
        p.destroyForcibly();
        return new Result(-1, "timed out after 30 s: " + String.join(" ", command));
      }
      byte[] out = p.getInputStream().readAllBytes();
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).strip());
    } catch (IOException e) {
      return new Result(-1, "cannot run " + command.get(0) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while running " + String.join(" ", command)));
    }
  };
}
