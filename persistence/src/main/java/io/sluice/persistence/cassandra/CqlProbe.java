package io.sluice.persistence.cassandra;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.SocketFactory;

/**
 * Asks a Cassandra node whether it serves CQL, without a driver: sends a native-protocol v4
 * {@code OPTIONS} frame and expects {@code SUPPORTED} back. An open port is not enough (Cassandra
 * binds it before it can answer); this answer is.
 */
public final class CqlProbe {
  private static final int OPCODE_STARTUP = 0x01;
  private static final int OPCODE_READY = 0x02;
  private static final int OPCODE_AUTHENTICATE = 0x03;
  private static final int OPCODE_OPTIONS = 0x05;
  private static final int OPCODE_SUPPORTED = 0x06;

  private CqlProbe() {}

  /** True if {@code host:port} answered OPTIONS with SUPPORTED within {@code timeout}. */
  public static boolean serves(String host, int port, Duration timeout) {
    return problem(host, port, timeout).isEmpty();
  }

  /** Empty if the node serves CQL, else what went wrong (for error messages). */
  public static Optional<String> problem(String host, int port, Duration timeout) {
    return problem(host, port, timeout, SocketFactory.getDefault());
  }

  /**
   * As {@link #problem(String, int, Duration)}, over sockets of {@code sockets} (TLS: see
   * {@link CassandraSecurity#sockets()}).
   */
  public static Optional<String> problem(String host, int port, Duration timeout, SocketFactory sockets) {
    try {
      probe(host, port, timeout, sockets);
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of(host + ":" + port + ": " + e.getMessage());
    }
  }

  /**
   * Returns if the node serves CQL; else throws what went wrong ({@link javax.net.ssl.SSLException}
   * when a TLS handshake failed).
   */
  public static void probe(String host, int port, Duration timeout, SocketFactory sockets) throws IOException {
    try (Socket s = connect(host, port, timeout, sockets)) {
      int opcode = exchange(s, OPCODE_OPTIONS, new byte[0]);
      if (opcode != OPCODE_SUPPORTED) {
        throw new IOException("answered with opcode 0x" + Integer.toHexString(opcode)
            + ", not SUPPORTED: is it a Cassandra native-protocol port?");
      }
    }
  }

  /**
   * The authenticator a node asks clients to log in with (e.g.
   * {@code org.apache.cassandra.auth.PasswordAuthenticator}), or empty if it lets every client in:
   * what it answers to a {@code STARTUP} frame (AUTHENTICATE, or READY). Sends no credentials.
   *
   * @throws IOException if the node cannot be asked or gives another answer
   */
  public static Optional<String> authenticator(String host, int port, Duration timeout, SocketFactory sockets)
      throws IOException {
    try (Socket s = connect(host, port, timeout, sockets)) {
      byte[] name = "CQL_VERSION".getBytes(StandardCharsets.US_ASCII);
      byte[] version = "3.0.0".getBytes(StandardCharsets.US_ASCII);
      ByteBuffer body = ByteBuffer.allocate(2 + 2 + name.length + 2 + version.length);
      body.putShort((short) 1).putShort((short) name.length).put(name).putShort((short) version.length).put(version);
      int opcode = exchange(s, OPCODE_STARTUP, body.array());
      if (opcode == OPCODE_READY) {
        return Optional.empty();
      }
      if (opcode != OPCODE_AUTHENTICATE) {
        throw new IOException(host + ":" + port + " answered STARTUP with opcode 0x" + Integer.toHexString(opcode));
      }
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] authenticator = new byte[in.readUnsignedShort()];
      in.readFully(authenticator);
      return Optional.of(new String(authenticator, StandardCharsets.UTF_8));
    }
  }

  private static Socket connect(String host, int port, Duration timeout, SocketFactory sockets) throws IOException {
    int millis = (int) Math.max(1, timeout.toMillis());
    Socket s = sockets.createSocket();
    try {
      s.connect(new InetSocketAddress(host, port), millis);
      s.setSoTimeout(millis);
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  /** Sends one native-protocol v4 request; reads the response's header, returns its opcode (body unread). */
  private static int exchange(Socket s, int opcode, byte[] body) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(ByteBuffer.allocate(9 + body.length).put(new byte[] {0x04, 0, 0, 1, (byte) opcode})
        .putInt(body.length).put(body).array());
    out.flush();
    DataInputStream in = new DataInputStream(s.getInputStream());
    byte[] header = new byte[9];
    in.readFully(header);
    if ((header[0] & 0x80) == 0) {
      throw new IOException("the answer is not a native-protocol response: is it a Cassandra native-protocol port?");
    }
    return header[4] & 0xFF;
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
