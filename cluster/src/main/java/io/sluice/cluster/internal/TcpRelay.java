package io.sluice.cluster.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * INTERNAL API: a TCP relay: every connection accepted on {@code listen} is joined to a new
 * connection to {@code target}, bytes copied both ways until either side closes. It lets node JVMs
 * in their own network namespaces reach a server that listens on the host's loopback (the dev
 * Cassandra), and it can refuse one client address — cut a node from that server, not from its
 * peers ({@link #refuse}, {@link #allow}).
 */
public final class TcpRelay implements AutoCloseable {
  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Thread acceptor;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private TcpRelay(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.target = target;
    this.acceptor = new Thread(this::accept, "tcp-relay-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Listens on {@code listen} (port 0: any free port) and relays to {@code target}. */
  public static TcpRelay start(InetSocketAddress listen, InetSocketAddress target) {
    try {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      try {
        s.bind(listen, 128);
      } catch (IOException e) {
        s.close();
        throw new UncheckedIOException("cannot relay " + listen + " -> " + target + ": " + e.getMessage(), e);
      }
      return new TcpRelay(s, target);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where it listens. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  /** Closes the connections of {@code clientAddress} (an IP address) and refuses its new ones. */
  public void refuse(String clientAddress) {
    refused.add(clientAddress);
    for (Socket s : List.copyOf(open)) {
      if (clientAddress.equals(peer(s))) {
        closeQuietly(s);
      }
    }
  }

  /** Accepts {@code clientAddress} again. */
  public void allow(String clientAddress) {
    refused.remove(clientAddress);
  }

  private static String peer(Socket s) {
    return s.getInetAddress() == null ? "" : s.getInetAddress().getHostAddress();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (refused.contains(peer(client))) {
        closeQuietly(client);
        continue;
      }
      Socket upstream = new Socket();
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        upstream.connect(target, 5_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      open.add(client);
      open.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
        }
      } catch (IOException e) {
        // either side went away: the other goes too
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "tcp-relay-pump");
    t.setDaemon(true);
    t.start();
  }

  private void closeQuietly(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // nothing left to do for a socket that will not close
    }
  }

  /** Stops listening and closes every relayed connection. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // it is going away anyway
    }
    for (Socket s : new ArrayList<>(open)) {
      closeQuietly(s);
    }
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
