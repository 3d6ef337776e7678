package io.sluice.persistence.jars;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The class loader of one user jar: the jar's own classes come first, so that two jobs with
 * different versions of one class run side by side; Sluice, Pekko, Scala, Jackson, SLF4J and the
 * JDK always come from the node (a jar that bundles them anyway gets the node's, never a second
 * copy that the runtime could not talk to).
 */
public final class JobClassLoader extends URLClassLoader {
  /** Packages (and resource paths) always taken from the node. */
  static final List<String> NODE_FIRST = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.", "org.w3c.",
      "org.xml.", "io.sluice.", "org.apache.pekko.", "scala.", "org.slf4j.", "ch.qos.logback.",
      "com.fasterxml.jackson.", "com.typesafe.config.", "com.datastax.");

  static {
    ClassLoader.registerAsParallelCapable();
  }

  private final String jarId;

  public JobClassLoader(String jarId, Path jar, ClassLoader node) throws IOException {
    super("sluice-jar-" + jarId.substring(0, Math.min(12, jarId.length())), new URL[] {jar.toUri().toURL()}, node);
    this.jarId = jarId;
  }

  /** The id of the jar this loader reads. */
  public String jarId() {
    return jarId;
  }

  static boolean nodeFirst(String className) {
    for (String p : NODE_FIRST) {
      if (className.startsWith(p)) {
        return true;
      }
    }
    return false;
  }

  private static boolean nodeFirstResource(String path) {
    return path.startsWith("META-INF/services/") ? false : nodeFirst(path.replace('/', '.'));
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    synchronized (getClassLoadingLock(name)) {
      Class<?> c = findLoadedClass(name);
      if (c == null) {
        if (nodeFirst(name)) {
          c = getParent().loadClass(name);
        } else {
          try {
            c = findClass(name);
          } catch (ClassNotFoundException e) {
            c = getParent().loadClass(name);
          }
        }
      }
      if (resolve) {
        resolveClass(c);
      }
      return c;
    }
  }

  @Override
  public URL getResource(String name) {
    if (nodeFirstResource(name)) {
      return super.getResource(name);
    }
    URL own = findResource(name);
    return own != null ? own : getParent().getResource(name);
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    List<URL> all = new ArrayList<>(Collections.list(findResources(name)));
    all.addAll(Collections.list(getParent().getResources(name)));
    return Collections.enumeration(all);
  }
}
