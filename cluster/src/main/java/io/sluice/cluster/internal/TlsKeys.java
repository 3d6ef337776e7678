package io.sluice.cluster.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * INTERNAL API: a development key pair for the nodes of one cluster, made with the JDK's
 * {@code keytool}: {@code node.p12} (mode 600: an EC P-256 key and its self-signed certificate),
 * {@code trust.p12} (that certificate) and {@code password} (mode 600, a random password of
 * both). Every node given these files trusts every other and nothing else. For production, each
 * node gets its own key signed by a CA, and the trust store holds the CA's certificate.
 */
public final class TlsKeys {
  public static final String KEY_STORE = "node.p12";
  public static final String TRUST_STORE = "trust.p12";
  public static final String PASSWORD = "password";
  private static final String ALIAS = "sluice-node";

  private TlsKeys() {}

  /**
   * Writes the three files into {@code dir} (created if needed). Refuses to overwrite existing
   * ones unless {@code replace}: nodes that use them would stop trusting each other.
   *
   * @param name the certificate's common name, e.g. the cluster's name
   */
  public static void generate(Path dir, String name, boolean replace) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path keys = dir.resolve(KEY_STORE);
    Path trust = dir.resolve(TRUST_STORE);
    Path password = dir.resolve(PASSWORD);
    for (Path p : List.of(keys, trust, password)) {
      if (Files.exists(p) && !replace) {
        throw new IllegalArgumentException(p + " exists: the nodes using it would stop trusting each other; give"
            + " another directory, or --replace to make a new pair anyway");
      }
    }
    for (Path p : List.of(keys, trust, password)) {
      Files.deleteIfExists(p);
    }
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String pw = HexFormat.of().formatHex(random);
    Files.createFile(password, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(password, pw + "\n", StandardCharsets.UTF_8);
    Path cert = dir.resolve(".node.crt");
    try {
      keytool(pw, "-genkeypair", "-alias", ALIAS, "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg",
          "SHA256withECDSA", "-validity", "825", "-dname", "CN=" + name, "-storetype", "PKCS12", "-keystore",
          keys.toString());
      keytool(pw, "-exportcert", "-rfc", "-alias", ALIAS, "-keystore", keys.toString(), "-file", cert.toString());
      keytool(pw, "-importcert", "-noprompt", "-alias", ALIAS, "-file", cert.toString(), "-storetype", "PKCS12",
          "-keystore", trust.toString());
      // the key store holds the private key: only its owner may read it, like the password
      Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString("rw-------"));
    } finally {
      Files.deleteIfExists(cert);
    }
  }

  /** Runs the JDK's keytool with the store password from its standard input, never on the command line. */
  private static void keytool(String password, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    cmd.add("-storepass:file");
    Path pwFile = Files.createTempFile("sluice-tls", ".pw",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(pwFile, password, StandardCharsets.UTF_8);
      cmd.add(pwFile.toString());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("keytool " + args[0] + " did not finish within 60 s");
      }
      if (p.exitValue() != 0) {
        throw new IOException("keytool " + args[0] + " failed (exit " + p.exitValue() + "): "
            + new String(out, StandardCharsets.UTF_8).strip());
      }
    } finally {
      Files.deleteIfExists(pwFile);
    }
  }
}
