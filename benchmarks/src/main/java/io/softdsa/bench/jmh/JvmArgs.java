package io.softdsa.bench.jmh;

/**
 * What every forked benchmark JVM needs, as constants for {@code @Fork(jvmArgsAppend = ...)}: Agrona 2.x reaches
 * {@code jdk.internal.misc.Unsafe}, and host memory is an FFM {@code mmap}.
 */
final class JvmArgs {
    static final String ADD_EXPORTS = "--add-exports";
    static final String MISC_TO_UNNAMED = "java.base/jdk.internal.misc=ALL-UNNAMED";
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

    private JvmArgs() {
    }
}
