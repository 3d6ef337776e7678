package io.sluice.cluster;

import io.sluice.cluster.internal.TlsKeys;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice tls-keys DIR}: a development key pair for TLS between the nodes of one cluster. */
@Command(name = "tls-keys", description = {"Make a development key pair for TLS between nodes: DIR/node.p12,"
    + " DIR/trust.p12 and DIR/password (mode 600). Give every node of the cluster the same three files."})
final class TlsKeysCommand implements Callable<Integer> {
  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "Where to write the files, e.g. conf/tls.")
  Path dir;

  @Option(names = "--name", defaultValue = "sluice-dev-cluster", description = "The certificate's common name.")
  String name;

  @Option(names = "--replace", description = "Replace existing files (nodes using them stop trusting each other).")
  boolean replace;

  @Override
  public Integer call() throws Exception {
    TlsKeys.generate(dir, name, replace);
    java.io.PrintWriter out = spec.commandLine().getOut();
    out.println("wrote " + dir.resolve(TlsKeys.KEY_STORE) + ", " + dir.resolve(TlsKeys.TRUST_STORE) + " and "
        + dir.resolve(TlsKeys.PASSWORD) + " (mode 600). Add to every node file (paths relative to the node's"
        + " working directory):");
    out.println("  sluice.node.tls.enabled = on");
    out.println("  sluice.node.tls.key-store = \"" + dir.resolve(TlsKeys.KEY_STORE) + "\"");
    out.println("  sluice.node.tls.trust-store = \"" + dir.resolve(TlsKeys.TRUST_STORE) + "\"");
    out.println("  sluice.node.tls.password-file = \"" + dir.resolve(TlsKeys.PASSWORD) + "\"");
    out.flush();
    return 0;
  }
}
