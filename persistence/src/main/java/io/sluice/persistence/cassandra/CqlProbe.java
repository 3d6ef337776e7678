package io.sluice.persistence.cassandra;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Asks a Cassandra node whether it serves CQL, without a driver: sends a native-protocol v4
 * {@code OPTIONS} frame and expects {@code SUPPORTED} back. An open port is not enough (Cassandra
 * binds it before it can answer); this answer is.
 */
public final class CqlProbe {
  private static final int OPCODE_OPTIONS = 0x05;
  private static final int OPCODE_SUPPORTED = 0x06;

  private CqlProbe() {}

  /** True if {@code host:port} answered OPTIONS with SUPPORTED within {@code timeout}. */
  public static boolean serves(String host, int port, Duration timeout) {
    return problem(host, port, timeout).isEmpty();
  }

  /** Empty if the node serves CQL, else what went wrong (for error messages). */
  public static Optional<String> problem(String host, int port, Duration timeout) {
    int millis = (int) Math.max(1, timeout.toMillis());
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), millis);
      s.setSoTimeout(millis);
      OutputStream out = s.getOutputStream();
      out.write(new byte[] {0x04, 0, 0, 0, OPCODE_OPTIONS, 0, 0, 0, 0});
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] header = new byte[9];
      in.readFully(header);
      int opcode = header[4] & 0xFF;
      if ((header[0] & 0x80) == 0 || opcode != OPCODE_SUPPORTED) {
        return Optional.of(host + ":" + port + " answered with opcode 0x" + Integer.toHexString(opcode)
            + ", not SUPPORTED: is it a Cassandra native-protocol port?");
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(host + ":" + port + ": " + e.getMessage());
    }
  }

  /** "host:port" into its parts; the port defaults to 9042. */
  public static InetSocketAddress parse(String contactPoint) {
    String cp = contactPoint.trim();
    int colon = cp.lastIndexOf(':');
    if (colon < 0) {
      return InetSocketAddress.createUnresolved(cp, 9042);
    }
    String host = cp.substring(0, colon);
    int port;
    try {
      port = Integer.parseInt(cp.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("contact point '" + contactPoint + "' must be host:port");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("contact point '" + contactPoint + "': port out of range");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** The first contact point that serves CQL, or empty. */
  public static Optional<InetSocketAddress> firstServing(List<String> contactPoints, Duration timeout) {
    for (String cp : contactPoints) {
      InetSocketAddress a = parse(cp);
      if (serves(a.getHostString(), a.getPort(), timeout)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }
}
