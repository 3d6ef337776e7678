package io.sluice.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Design of this test: an echo server on loopback behind a relay on another loopback port. */
class TcpRelayTest {
  private ServerSocket echo;
  private TcpRelay relay;

  @BeforeEach
  void start() throws IOException {
    echo = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread e = new Thread(() -> {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              in.transferTo(out);
            } catch (IOException ignored) {
              // the client went away
            }
          });
          e.setDaemon(true);
          e.start();
        } catch (IOException closed) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    relay = TcpRelay.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort()));
  }

  @AfterEach
  void stop() throws IOException {
    relay.close();
    echo.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    s.connect(relay.address(), 5_000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    s.getOutputStream().write(b);
    return new String(s.getInputStream().readNBytes(b.length), StandardCharsets.UTF_8);
  }

  @Test
  void whenAClientSendsBytes_thenTheTargetsAnswerComesBack() throws IOException {
    try (Socket s = connect()) {
      assertEquals("hello", roundTrip(s, "hello"));
      String big = "x".repeat(300_000);
      assertEquals(big, roundTrip(s, big));
    }
  }

  @Test
  void whenAClientIsRefused_thenItsConnectionsCloseUntilItIsAllowedAgain() throws IOException {
    try (Socket s = connect()) {
      assertEquals("a", roundTrip(s, "a"));
      relay.refuse(InetAddress.getLoopbackAddress().getHostAddress());
      assertEquals(-1, s.getInputStream().read());
    }
    try (Socket s = connect()) {
      assertThrows(IOException.class, () -> {
        s.getOutputStream().write(1);
        if (s.getInputStream().read() == -1) {
          throw new IOException("closed by the relay");
        }
      });
    }
    relay.allow(InetAddress.getLoopbackAddress().getHostAddress());
    try (Socket s = connect()) {
      assertEquals("b", roundTrip(s, "b"));
    }
  }
}
