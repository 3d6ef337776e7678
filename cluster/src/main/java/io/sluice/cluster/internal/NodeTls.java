package io.sluice.cluster.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;
import java.util.Map;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider;

/**
 * INTERNAL API: TLS between nodes. Pekko's {@link ConfigSSLEngineProvider} takes the stores'
 * passwords from the actor system's config; this provider takes them from the file named by
 * {@code sluice.node.tls.password-file} instead, so a password is never in a node file, the
 * config or a log. Everything else (TLS 1.3, mutual authentication, the cipher suites) is
 * Pekko's, configured by {@link Files#transport()}.
 */
public final class NodeTls extends ConfigSSLEngineProvider {
  /** The absolute path of the password file, in the actor system's config. */
  static final String PASSWORD_FILE = "sluice.node.tls.password-file";
  private static final String TYPE = "PKCS12";

  private final Files files;

  /** Pekko constructs the provider by reflection, with the classic actor system. */
  public NodeTls(ActorSystem system) {
    super(system);
    Config c = system.settings().config();
    this.files = new Files(Path.of(c.getString("pekko.remote.artery.ssl.config-ssl-engine.key-store")),
        Path.of(c.getString("pekko.remote.artery.ssl.config-ssl-engine.trust-store")), Path.of(c.getString(
            PASSWORD_FILE)));
  }

  @Override
  public KeyManager[] keyManagers() {
    try {
      char[] pw = files.password();
      KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      f.init(load(files.keyStore(), pw), pw);
      return f.getKeyManagers();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("TLS: cannot use the key store " + files.keyStore() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public TrustManager[] trustManagers() {
    try {
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(load(files.trustStore(), files.password()));
      return f.getTrustManagers();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("TLS: cannot use the trust store " + files.trustStore() + ": " + e.getMessage(),
          e);
    }
  }

  private static KeyStore load(Path file, char[] password) throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance(TYPE);
    try (InputStream in = java.nio.file.Files.newInputStream(file)) {
      ks.load(in, password);
    }
    return ks;
  }

  /** A TLS setting that does not work: {@code which} is 0 (key store), 1 (trust store) or 2 (password file). */
  public static final class TlsProblem extends Exception {
    private final int which;

    TlsProblem(int which, String message) {
      super(message);
      this.which = which;
    }

    public int which() {
      return which;
    }
  }

  /** Where a node's TLS material is: absolute paths. */
  public record Files(Path keyStore, Path trustStore, Path passwordFile) {
    /** The password: the file's one line. Never in a message. */
    char[] password() throws IOException {
      return java.nio.file.Files.readString(passwordFile, StandardCharsets.UTF_8).strip().toCharArray();
    }

    /**
     * Whether the material works: the password file holds a line, it opens both stores, the key
     * store holds a private key and the trust store a certificate. Messages name the file, never
     * the password.
     */
    public void check() throws TlsProblem {
      char[] pw;
      try {
        pw = password();
      } catch (IOException e) {
        throw new TlsProblem(2, "names " + passwordFile + ", which cannot be read: " + e.getClass().getSimpleName());
      }
      if (pw.length == 0) {
        throw new TlsProblem(2, "names " + passwordFile + ", which is empty: its one line is the stores' password");
      }
      KeyStore keys = open(0, keyStore, pw);
      KeyStore trusted = open(1, trustStore, pw);
      try {
        boolean key = false;
        for (String alias : Collections.list(keys.aliases())) {
          key |= keys.isKeyEntry(alias);
        }
        if (!key) {
          throw new TlsProblem(0, "names " + keyStore + ", which holds no private key (the node's key and certificate)");
        }
        boolean cert = false;
        for (String alias : Collections.list(trusted.aliases())) {
          cert |= trusted.isCertificateEntry(alias) || trusted.getCertificate(alias) != null;
        }
        if (!cert) {
          throw new TlsProblem(1, "names " + trustStore + ", which holds no certificate to trust");
        }
      } catch (GeneralSecurityException e) {
        throw new TlsProblem(0, "names " + keyStore + ", which cannot be read: " + e.getMessage());
      }
    }

    private static KeyStore open(int which, Path file, char[] pw) throws TlsProblem {
      try {
        return load(file, pw);
      } catch (IOException | GeneralSecurityException e) {
        throw new TlsProblem(which, "names " + file + ", which the password in the password file does not open as a"
            + " PKCS12 store (" + e.getClass().getSimpleName() + ")");
      }
    }

    /** The actor system's transport settings: Artery over TLS 1.3 with mutual authentication, by this provider. */
    public Config transport() {
      String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
      return ConfigFactory.parseMap(Map.of(
          "pekko.remote.artery.transport", "tls-tcp",
          "pekko.remote.artery.ssl.ssl-engine-provider", NodeTls.class.getName(),
          engine + "key-store", keyStore.toString(),
          engine + "trust-store", trustStore.toString(),
          engine + "protocol", "TLSv1.3",
          engine + "require-mutual-authentication", "on",
          PASSWORD_FILE, passwordFile.toString()), "sluice.node.tls");
    }
  }
}
