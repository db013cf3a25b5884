package io.softdsa.bench.support;

import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.WorkQueue;
import io.softdsa.portal.Portal;

/**
 * A stream of 64-byte no-op descriptors without completion records through a WQ portal: the portal measured as a
 * queue, with the engine as its consumer retiring each no-op. A shared WQ takes ENQCMD and the submitter retries
 * while the WQ says full; a dedicated WQ takes posted MOVDIR64B, so the submitter keeps credit as a DWQ owner must
 * (it reads the WQ's occupancy only when the free slots it knew of are used up), and no descriptor is ever dropped.
 * <p>
 * Allocation-free. One submitting thread.
 */
public final class NoopStream {
    private final Descriptor descriptor;
    private final Portal portal;
    private final WorkQueue wq;
    private final boolean dedicated;
    private final int wqSize;
    /** Slots known to be free: only this thread adds to the WQ, so free slots only grow until it submits. */
    private int credits;
    private long retries;

    public NoopStream(Testbed testbed) {
        this.descriptor = testbed.client().descriptor().opcode(Opcode.NOOP);
        this.portal = testbed.client().portal();
        this.wq = testbed.wq();
        this.dedicated = portal.isDedicated();
        this.wqSize = wq.config().size();
    }

    /** Submits one no-op, waiting ({@link Spin}) while the WQ is full. */
    public void submit() {
        int spins = 0;
        if (dedicated) {
            while (credits == 0) {
                credits = Math.max(0, wqSize - wq.occupancy());
                if (credits == 0) {
                    retries++;
                    spins = Spin.idle(spins);
                }
            }
            credits--;
            portal.movdir64b(descriptor);
        } else {
            while (!portal.enqcmd(descriptor)) {
                retries++;
                spins = Spin.idle(spins);
            }
        }
    }

    public void submit(int n) {
        for (int i = 0; i < n; i++) {
            submit();
        }
    }

    /** Waits until every no-op submitted so far has been retired (WQ drain). */
    public void drain() {
        wq.drain();
    }

    /** Submission attempts that found the WQ full. */
    public long retries() {
        return retries;
    }
}
