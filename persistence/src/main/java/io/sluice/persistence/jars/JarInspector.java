package io.sluice.persistence.jars;

import io.sluice.core.dsl.PipelineFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.zip.ZipException;

/** Checks an uploaded file before it is stored: a jar whose pipeline factories load. */
public final class JarInspector {
  static final String SERVICES = "META-INF/services/" + PipelineFactory.class.getName();

  private JarInspector() {}

  /** A jar's problem, in words that name the file and what to do. */
  public static final class BadJarException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public BadJarException(String message) {
      super(message);
    }
  }

  /**
   * The pipeline factories that {@code loader} finds in its own jar (not the node's), by name.
   *
   * @throws BadJarException when the jar lists none, or one cannot be loaded, or two share a name
   */
  public static TreeMap<String, PipelineFactory> factories(JobClassLoader loader, String what) {
    TreeMap<String, PipelineFactory> out = new TreeMap<>();
    try {
      for (PipelineFactory f : ServiceLoader.load(PipelineFactory.class, loader)) {
        if (f.getClass().getClassLoader() != loader) {
          continue; // the node's own pipelines
        }
        PipelineFactory clash = out.putIfAbsent(f.name(), f);
        if (clash != null) {
          throw new BadJarException(what + ": two pipeline factories are named '" + f.name() + "': "
              + clash.getClass().getName() + " and " + f.getClass().getName());
        }
      }
    } catch (ServiceConfigurationError | LinkageError e) {
      throw new BadJarException(what + ": a pipeline factory listed in " + SERVICES + " cannot be loaded: "
          + e.getMessage());
    }
    if (out.isEmpty()) {
      throw new BadJarException(what + " has no pipelines: list your PipelineFactory classes in " + SERVICES
          + " (one class name per line)");
    }
    return out;
  }

  /**
   * Checks the file {@code jar} (uploaded as {@code name}) and returns the names of its pipelines.
   *
   * @throws BadJarException when it is not a jar or has no loadable pipeline factory
   */
  public static List<String> inspect(Path jar, String name, ClassLoader node) {
    String what = "'" + name + "'";
    try (InputStream in = Files.newInputStream(jar)) {
      byte[] magic = in.readNBytes(4);
      if (magic.length < 4 || magic[0] != 'P' || magic[1] != 'K' || magic[2] != 3 || magic[3] != 4) {
        throw new BadJarException(what + " is not a jar file (a jar is a zip archive; it starts with PK\\3\\4)");
      }
    } catch (IOException e) {
      throw new BadJarException(what + " cannot be read: " + e.getMessage());
    }
    try (JarFile jf = new JarFile(jar.toFile())) {
      if (jf.getEntry(SERVICES) == null) {
        throw new BadJarException(what + " has no pipelines: it has no " + SERVICES
            + " listing your PipelineFactory classes (one class name per line)");
      }
    } catch (ZipException e) {
      throw new BadJarException(what + " is not a valid jar file: " + e.getMessage());
    } catch (IOException e) {
      throw new BadJarException(what + " cannot be read as a jar: " + e.getMessage());
    }
    try (JobClassLoader loader = new JobClassLoader("inspect", jar, node)) {
      return new ArrayList<>(factories(loader, what).keySet());
    } catch (IOException e) {
      throw new BadJarException(what + " cannot be opened: " + e.getMessage());
    }
  }
}
