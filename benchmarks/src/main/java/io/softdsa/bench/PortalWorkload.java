package io.softdsa.bench;

import io.softdsa.bench.support.NoopStream;
import io.softdsa.bench.support.RingRelay;
import io.softdsa.bench.support.Slot;
import io.softdsa.bench.support.Testbed;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostMemory;

/**
 * The portal as a queue: 64-byte no-op descriptors into a WQ, retired by the engine, against an Agrona ring buffer
 * carrying 64-byte records to a consumer thread. A shared WQ (ENQCMD, any submitter) is matched with
 * {@code ManyToOneRingBuffer}, a dedicated WQ (MOVDIR64B, one owner) with {@code OneToOneRingBuffer}.
 */
final class PortalWorkload implements Workload {
    private final WqMode mode;

    PortalWorkload(WqMode mode) {
        this.mode = mode;
    }

    @Override
    public String id() {
        return "portal-" + mode.accelConfigName();
    }

    @Override
    public String operation() {
        return mode == WqMode.SHARED ? "noop enqcmd (SWQ)" : "noop movdir64b (DWQ)";
    }

    @Override
    public long size() {
        return 64;
    }

    @Override
    public Unit unit() {
        return Unit.MOPS_PER_S;
    }

    @Override
    public String baselineName() {
        return mode == WqMode.SHARED ? "Agrona ManyToOneRingBuffer" : "Agrona OneToOneRingBuffer";
    }

    @Override
    public WqMode mode() {
        return mode;
    }

    @Override
    public void open(HostMemory memory) {
    }

    @Override
    public void verify(Testbed testbed) {
        roundTrip(testbed).execute(); // a no-op has nothing to compare; it must complete with Success
    }

    @Override
    public Batch softdsa(Testbed testbed) {
        final NoopStream stream = new NoopStream(testbed);
        return Batch.of(stream::submit, stream::drain);
    }

    @Override
    public RoundTrip roundTrip(Testbed testbed) {
        final Slot slot = new Slot(testbed, d -> d.opcode(Opcode.NOOP));
        return slot::execute;
    }

    @Override
    public Batch baseline() {
        final RingRelay relay = RingRelay.start(
            mode == WqMode.SHARED ? RingRelay.Kind.MANY_TO_ONE : RingRelay.Kind.ONE_TO_ONE);
        return Batch.of(relay::send, relay::close);
    }

    @Override
    public void close() {
    }
}
