package io.sluice.core.api;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.core.dsl.Pipeline;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API of sluice-core (the packages below) must not mention anything under
 * {@code io.sluice.core.internal}: users could not use such a signature without depending on
 * internals, and we could not change the internals without breaking them.
 *
 * <p>Loads every class of the public packages from core's compiled classes (the directory or jar
 * {@link Pipeline} was loaded from) and checks, for every public or protected type: its
 * superclass, interfaces, type parameters and permitted subclasses, and the full generic signature
 * of every public or protected constructor, method and field it has (including those inherited
 * from a supertype that is not itself public API). Nested types are checked as types of their own.
 */
class PublicApiTest {

  private static final List<String> PUBLIC_PACKAGES =
      List.of("io.sluice.core.dsl", "io.sluice.core.connector", "io.sluice.core.codec", "io.sluice.core.testing");

  private static final String INTERNAL_PREFIX = "io.sluice.core.internal.";

  /**
   * Known leaks of internal types into the public API, one line per (member, position, internal
   * type), exactly as this test reports them. Do not add to this list: fix the signature instead.
   * Remove an entry once its leak is gone (the test fails on stale entries, so the list can only
   * shrink).
   */
  private static final Set<String> KNOWN_OFFENDERS = Set.of();

  @Test
  void publicApiDoesNotExposeInternalTypes() throws Exception {
    List<Class<?>> apiTypes = new ArrayList<>();
    for (String className : classNamesInPublicPackages()) {
      Class<?> c = Class.forName(className, false, Pipeline.class.getClassLoader());
      if (isApi(c)) {
        apiTypes.add(c);
      }
    }
    // Guard against passing vacuously (wrong directory, renamed packages, ...).
    assertTrue(apiTypes.size() > 40,
        "expected more than 40 public API types in " + PUBLIC_PACKAGES + ", found " + apiTypes.size()
            + ": " + apiTypes);
    assertTrue(apiTypes.contains(Pipeline.class) && apiTypes.contains(Pipeline.Builder.class),
        "Pipeline and Pipeline.Builder were not inspected: " + apiTypes);

    Set<String> offenders = new TreeSet<>();
    for (Class<?> c : apiTypes) {
      checkType(c, offenders);
    }

    Set<String> unexpected = new TreeSet<>(offenders);
    unexpected.removeAll(KNOWN_OFFENDERS);
    Set<String> stale = new TreeSet<>(KNOWN_OFFENDERS);
    stale.removeAll(offenders);

    StringBuilder msg = new StringBuilder();
    if (!unexpected.isEmpty()) {
      msg.append(unexpected.size()).append(" public API signature(s) of sluice-core mention a type from ")
          .append(INTERNAL_PREFIX).append("* (inspected ").append(apiTypes.size()).append(" types):\n");
      unexpected.forEach(o -> msg.append("  ").append(o).append('\n'));
    }
    if (!stale.isEmpty()) {
      msg.append(stale.size()).append(" entry(ies) of KNOWN_OFFENDERS no longer occur; remove them:\n");
      stale.forEach(o -> msg.append("  ").append(o).append('\n'));
    }
    if (msg.length() > 0) {
      fail(msg.toString());
    }
  }

  // ---- which classes -------------------------------------------------------------------------

  /** Binary names of all classes (nested ones included) directly in one of PUBLIC_PACKAGES. */
  private static Set<String> classNamesInPublicPackages() throws IOException, URISyntaxException {
    Path location = Path.of(Pipeline.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> entries;
    if (Files.isDirectory(location)) {
      try (Stream<Path> files = Files.walk(location)) {
        entries = files.filter(Files::isRegularFile)
            .map(f -> location.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/"))
            .collect(Collectors.toList());
      }
    } else {
      try (JarFile jar = new JarFile(location.toFile())) {
        entries = jar.stream().map(e -> e.getName()).collect(Collectors.toList());
      }
    }
    Set<String> names = new TreeSet<>();
    for (String entry : entries) {
      if (!entry.endsWith(".class") || entry.endsWith("package-info.class") || entry.endsWith("module-info.class")) {
        continue;
      }
      String name = entry.substring(0, entry.length() - ".class".length()).replace('/', '.');
      String pkg = name.substring(0, name.lastIndexOf('.'));
      if (PUBLIC_PACKAGES.contains(pkg)) {
        names.add(name);
      }
    }
    assertTrue(!names.isEmpty(), "no classes of " + PUBLIC_PACKAGES + " found in " + location);
    return names;
  }

  /** Whether a user can name this type: public (or protected) itself and in every enclosing type. */
  private static boolean isApi(Class<?> c) {
    if (c.isSynthetic() || c.isAnonymousClass() || c.isLocalClass()) {
      return false;
    }
    int m = c.getModifiers();
    if (!Modifier.isPublic(m) && !Modifier.isProtected(m)) {
      return false;
    }
    Class<?> enclosing = c.getDeclaringClass();
    if (enclosing == null) {
      return true;
    }
    if (Modifier.isProtected(m) && Modifier.isFinal(enclosing.getModifiers())) {
      return false; // a protected member of a final class is reachable from its own package only
    }
    return isApi(enclosing);
  }

  private static boolean isApiPackage(Class<?> c) {
    return PUBLIC_PACKAGES.contains(c.getPackageName());
  }

  // ---- what to check -------------------------------------------------------------------------

  private static void checkType(Class<?> c, Set<String> offenders) {
    String t = c.getName();
    check(t + " superclass", c.getGenericSuperclass(), offenders);
    for (Type i : c.getGenericInterfaces()) {
      check(t + " interface", i, offenders);
    }
    for (TypeVariable<?> v : c.getTypeParameters()) {
      check(t + " type parameter " + v.getName(), v, offenders);
    }
    if (c.isSealed()) {
      for (Class<?> p : c.getPermittedSubclasses()) {
        check(t + " permits", p, offenders);
      }
    }
    // a protected member of a final class is reachable from its own package only
    boolean extendable = !Modifier.isFinal(c.getModifiers()) && !c.isEnum() && !c.isRecord();

    // Constructors are not inherited.
    for (Constructor<?> k : c.getDeclaredConstructors()) {
      if (isApiMember(k, extendable)) {
        checkExecutable(c, k, null, offenders);
      }
    }
    // Declared members, plus those a user reaches through c that are declared in a supertype which
    // is not itself checked as API (package-private base classes, internal supertypes).
    for (Class<?> owner : supertypesNotCheckedOnTheirOwn(c)) {
      for (Method m : owner.getDeclaredMethods()) {
        if (isApiMember(m, extendable) && !m.isBridge()) {
          checkExecutable(c, m, m.getGenericReturnType(), offenders);
        }
      }
      for (Field f : owner.getDeclaredFields()) {
        if (isApiMember(f, extendable)) {
          check(memberName(c, f) + " type", f.getGenericType(), offenders);
        }
      }
    }
  }

  private static boolean isApiMember(Member m, boolean extendable) {
    int mod = m.getModifiers();
    return !m.isSynthetic() && (Modifier.isPublic(mod) || (extendable && Modifier.isProtected(mod)));
  }

  /** c, and each of its supertypes that is neither public API nor from the JDK. */
  private static List<Class<?>> supertypesNotCheckedOnTheirOwn(Class<?> c) {
    List<Class<?>> result = new ArrayList<>();
    Set<Class<?>> seen = new HashSet<>();
    List<Class<?>> todo = new ArrayList<>(List.of(c));
    while (!todo.isEmpty()) {
      Class<?> s = todo.remove(todo.size() - 1);
      if (!seen.add(s)) {
        continue;
      }
      if (s != c && ((isApiPackage(s) && isApi(s)) || s.getName().startsWith("java."))) {
        continue;
      }
      result.add(s);
      if (s.getSuperclass() != null) {
        todo.add(s.getSuperclass());
      }
      todo.addAll(Arrays.asList(s.getInterfaces()));
    }
    return result;
  }

  private static void checkExecutable(Class<?> c, Executable e, Type returnType, Set<String> offenders) {
    String name = memberName(c, e);
    if (returnType != null) {
      check(name + " return type", returnType, offenders);
    }
    Type[] params = e.getGenericParameterTypes();
    for (int i = 0; i < params.length; i++) {
      check(name + " parameter " + (i + 1), params[i], offenders);
    }
    for (Type x : e.getGenericExceptionTypes()) {
      check(name + " throws", x, offenders);
    }
    for (TypeVariable<?> v : e.getTypeParameters()) {
      check(name + " type parameter " + v.getName(), v, offenders);
    }
  }

  /** {@code pkg.Type#method(erased.Param, ...)}, naming the declaring supertype if it is not c. */
  private static String memberName(Class<?> c, Member m) {
    StringBuilder s = new StringBuilder(c.getName()).append('#');
    s.append(m instanceof Constructor ? "<init>" : m.getName());
    if (m instanceof Executable) {
      s.append(Arrays.stream(((Executable) m).getParameterTypes())
          .map(Class::getTypeName)
          .collect(Collectors.joining(", ", "(", ")")));
    }
    if (m.getDeclaringClass() != c) {
      s.append(" (inherited from ").append(m.getDeclaringClass().getName()).append(')');
    }
    return s.toString();
  }

  // ---- walking a type ------------------------------------------------------------------------

  private static void check(String where, Type type, Set<String> offenders) {
    Set<Class<?>> mentioned = new TreeSet<>((a, b) -> a.getName().compareTo(b.getName()));
    collect(type, mentioned, new HashSet<>());
    for (Class<?> m : mentioned) {
      if (m.getName().startsWith(INTERNAL_PREFIX)) {
        offenders.add(where + ": " + m.getName());
      }
    }
  }

  /** Every class a type mentions: raw types, owners, type arguments, bounds, array components. */
  private static void collect(Type type, Set<Class<?>> out, Set<Type> visiting) {
    if (type == null || !visiting.add(type)) {
      return; // null, or a type variable met again through its own bound (T extends Comparable<T>)
    }
    if (type instanceof Class<?> c) {
      while (c.isArray()) {
        c = c.getComponentType();
      }
      out.add(c);
    } else if (type instanceof ParameterizedType p) {
      collect(p.getRawType(), out, visiting);
      collect(p.getOwnerType(), out, visiting);
      for (Type a : p.getActualTypeArguments()) {
        collect(a, out, visiting);
      }
    } else if (type instanceof WildcardType w) {
      for (Type b : w.getUpperBounds()) {
        collect(b, out, visiting);
      }
      for (Type b : w.getLowerBounds()) {
        collect(b, out, visiting);
      }
    } else if (type instanceof TypeVariable<?> v) {
      for (Type b : v.getBounds()) {
        collect(b, out, visiting);
      }
    } else if (type instanceof GenericArrayType g) {
      collect(g.getGenericComponentType(), out, visiting);
    } else {
      throw new AssertionError("unknown kind of java.lang.reflect.Type: " + type.getClass() + " " + type);
    }
  }
}
