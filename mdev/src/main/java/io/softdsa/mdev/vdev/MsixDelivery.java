package io.softdsa.mdev.vdev;

import io.softdsa.completion.PostedInterruptDescriptor;
import io.softdsa.completion.PostedInterruptReceiver;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.pci.PciConfigSpace;
import io.softdsa.mdev.regs.MsixTable;
import io.softdsa.memory.FrameAllocator;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How one virtual device's interrupts reach the guest. Every vector is <em>posted</em> (VT-d posted-interrupt
 * format, the seed's "irqbypass"): the device's interrupt handles for this guest are remapped to one
 * posted-interrupt descriptor in host memory; an engine raising one only sets the vector's PIR bit (and ON, and wakes
 * this device's delivery thread), and so does every misc interrupt. The delivery thread applies the permission
 * table's ignore bit and the MSI-X rule ({@link MsixTable}: MSI-X enable, function mask, vector mask, PBA) and calls
 * the guest's {@link MsiSink}: no guest code, and no lock of this device, is ever taken on a host engine thread.
 */
final class MsixDelivery implements AutoCloseable {
    /** The notification vector programmed in this device's posted-interrupt descriptor (Linux POSTED_INTR_VECTOR). */
    static final int POSTED_NOTIFICATION_VECTOR = 0xF2;
    private static final AtomicInteger DESTINATIONS = new AtomicInteger();

    private final VdevState state;
    private final PciConfigSpace config;
    private final MsixTable msix;
    private final HostDsa host;
    private final long pidFrame;
    private final PostedInterruptReceiver posted;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong ignored = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private volatile MsiSink sink = (v, a, d) -> { };

    MsixDelivery(String name, VdevState state, PciConfigSpace config, MsixTable msix, HostDsa host) {
        this.state = state;
        this.config = config;
        this.msix = msix;
        this.host = host;
        // the posted-interrupt descriptor lives in host memory at a host address: the device's posting is a DMA
        // write like any other, visible to a dirty logger
        this.pidFrame = host.memory().frames().allocateFrame();
        final PostedInterruptDescriptor pid = new PostedInterruptDescriptor(host.memory().segment(), pidFrame)
            .init(POSTED_NOTIFICATION_VECTOR, DESTINATIONS.incrementAndGet());
        this.posted = new PostedInterruptReceiver(name + "-posted-irq", pid, Thread::new, this::postedVector);
    }

    void sink(MsiSink s) {
        this.sink = s == null ? (v, a, d) -> { } : s;
    }

    PostedInterruptReceiver receiver() {
        return posted;
    }

    /**
     * Sends MSI-X vector {@code vector} as the device does: posts it to this device's posted-interrupt descriptor.
     * Any thread (an engine routing SWERR, the command processor); allocation-free; runs no guest code.
     */
    void raise(int vector) {
        if (state.closed) {
            dropped.incrementAndGet();
            return;
        }
        posted.post(vector);
    }

    /** The interrupt-delivery thread: one posted vector, through MSI-X to the guest's sink. */
    private void postedVector(int vector) {
        if (vector != 0) { // a completion vector: the MSI-X permission table may say ignore
            final boolean ignore;
            synchronized (state.lock) {
                ignore = msix.ignored(vector);
            }
            if (ignore) {
                ignored.incrementAndGet();
                return;
            }
        }
        deliver(vector);
    }

    /** Sends MSI-X vector {@code vector}: delivered, left pending (masked, or stopped), or dropped (MSI-X disabled). */
    private void deliver(int vector) {
        final long address;
        final int data;
        synchronized (state.lock) {
            if (state.closed || !config.msixEnabled()) {
                dropped.incrementAndGet();
                return;
            }
            // stopped for migration: the message waits in the PBA (it travels in the stream)
            if (!msix.sendOrPend(vector, config.msixFunctionMasked(), state.stopped())) {
                return;
            }
            address = msix.address(vector);
            data = msix.data(vector);
        }
        send(vector, address, data);
    }

    /** Delivers pending vectors that became deliverable (unmasked, MSI-X enabled), after a guest write or a resume. */
    void flushPending() {
        final long vectors;
        final long[] address = new long[msix.vectors()];
        final int[] data = new int[msix.vectors()];
        synchronized (state.lock) {
            if (state.stopped() || !config.msixEnabled() || config.msixFunctionMasked()) {
                return;
            }
            vectors = msix.takeDeliverable();
            for (long bits = vectors; bits != 0; bits &= bits - 1) {
                final int v = Long.numberOfTrailingZeros(bits);
                address[v] = msix.address(v);
                data[v] = msix.data(v);
            }
        }
        for (long bits = vectors; bits != 0; bits &= bits - 1) {
            final int v = Long.numberOfTrailingZeros(bits);
            send(v, address[v], data[v]);
        }
    }

    private void send(int vector, long address, int data) {
        delivered.incrementAndGet();
        sink.deliver(vector, address, data);
    }

    /**
     * Takes every vector posted so far out of the posted-interrupt descriptor on the caller's thread, through the
     * same MSI-X path as the delivery thread (so, stopped, into the PBA): a quiesce leaves none in flight.
     */
    void awaitPosted() {
        posted.descriptor().drain(this::postedVector);
    }

    long dropped() {
        return dropped.get();
    }

    long ignored() {
        return ignored.get();
    }

    long delivered() {
        return delivered.get();
    }

    /** After every handle is released and the WQs are disabled (no engine can post any more). */
    @Override
    public void close() {
        posted.close();
        host.memory().frames().free(pidFrame, FrameAllocator.FRAME_SIZE);
    }
}
