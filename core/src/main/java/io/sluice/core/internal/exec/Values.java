package io.sluice.core.internal.exec;

import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;

/** INTERNAL API: what Sluice may assume about user values. */
final class Values {
  private Values() {}

  /**
   * Records whose components are all primitives, strings, boxed numbers, enums, big numbers or
   * such records again (recursively): nothing in them can change after construction.
   */
  private static final ClassValue<Boolean> DEEPLY_IMMUTABLE_RECORD = new ClassValue<>() {
    @Override
    protected Boolean computeValue(Class<?> type) {
      return deeplyImmutableRecord(type, 0);
    }
  };

  private static boolean deeplyImmutableRecord(Class<?> type, int depth) {
    if (!type.isRecord() || depth > 8) {
      return false;
    }
    for (RecordComponent c : type.getRecordComponents()) {
      Class<?> t = c.getType();
      if (!(t.isPrimitive() || immutableType(t) || deeplyImmutableRecord(t, depth + 1))) {
        return false;
      }
    }
    return true;
  }

  private static boolean immutableType(Class<?> t) {
    return t == String.class || t == Long.class || t == Integer.class || t == Double.class || t == Boolean.class
        || t == Float.class || t == Short.class || t == Byte.class || t == Character.class || t == BigDecimal.class
        || t == BigInteger.class || t.isEnum();
  }

  /** True if {@code v} cannot change after it was created, so that equal values encode equally ever after. */
  static boolean deeplyImmutable(Object v) {
    if (v == null) {
      return false;
    }
    Class<?> c = v.getClass();
    return immutableType(c) || v instanceof Enum<?> || (c.isRecord() && DEEPLY_IMMUTABLE_RECORD.get(c));
  }
}
