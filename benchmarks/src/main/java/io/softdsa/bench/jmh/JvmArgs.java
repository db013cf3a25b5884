package io.softdsa.bench.jmh;

/**
 * What every forked benchmark JVM needs, as constants for {@code @Fork(jvmArgsAppend = ...)}: Agrona 2.x reaches
 * {@code jdk.internal.misc.Unsafe}, host memory is an FFM {@code mmap}, and JMH calls {@code sun.misc.Unsafe}'s
 * memory methods (JDK 24+ warns once per fork without the last flag). The source of truth is the parent pom's
 * {@code softdsa.jvmArgs}; {@code JvmFlagsAgreeTest} fails if these drift from it.
 */
final class JvmArgs {
    static final String ADD_EXPORTS = "--add-exports";
    static final String MISC_TO_UNNAMED = "java.base/jdk.internal.misc=ALL-UNNAMED";
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    static final String SUN_MISC_UNSAFE = "--sun-misc-unsafe-memory-access=allow";

    /** All of them, in the pom's order. */
    static final String[] ALL = {ADD_EXPORTS, MISC_TO_UNNAMED, NATIVE_ACCESS, SUN_MISC_UNSAFE};

    private JvmArgs() {
    }
}
