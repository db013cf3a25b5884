package io.softdsa.mdev.matrix;

import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Every target of {@link Cell#EXISTING}, built once per test run on two devices (the bare engine's, and one host DSA
 * for userspace DMA and the virtual devices) and closed when the run ends: JUnit's root store closes it.
 */
final class Matrix implements AutoCloseable { // JUnit 5.13 closes AutoCloseable store values
    private final BareEngineTargets bare = new BareEngineTargets();
    private final HostTargets host = new HostTargets();
    private final List<Target> targets = new ArrayList<>();

    private Matrix() {
        targets.addAll(bare.targets);
        targets.addAll(host.targets);
        if (!targets.stream().map(Target::cell).toList().equals(Cell.EXISTING)) {
            throw new IllegalStateException("targets " + targets + " are not the cells " + Cell.EXISTING);
        }
    }

    static Matrix of(ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.create(Matrix.class))
            .getOrComputeIfAbsent(Matrix.class, k -> new Matrix(), Matrix.class);
    }

    Stream<Target> targets() {
        return targets.stream();
    }

    @Override
    public void close() {
        try {
            bare.close();
        } finally {
            host.close();
        }
    }
}
