package io.softdsa.iommu;

import io.softdsa.completion.Status;
import io.softdsa.ops.PageFaultHandler;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The device's page request interface: turns a block-on-fault fault into a {@link PageRequest} for the registered
 * {@link PageRequestHandler}, and parks the faulting engine until the page group response arrives (or a timeout,
 * treated as Response Failure). While it waits, the engine holds no translation, so IOTLB invalidations made by the
 * handler do not wait for it.
 */
public final class PageRequestService implements PageFaultHandler {
    private static final int NO_RESPONSE = -1;

    private final ScalableModeIommu iommu;
    private final AtomicInteger groupIndex = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile PageRequestHandler handler;
    private volatile long timeoutNanos = TimeUnit.SECONDS.toNanos(30);

    PageRequestService(ScalableModeIommu iommu) {
        this.iommu = iommu;
    }

    public void handler(PageRequestHandler h) {
        this.handler = h;
    }

    public void timeout(long nanos) {
        this.timeoutNanos = nanos;
    }

    /** Page requests raised so far. */
    public int requests() {
        return requests.get();
    }

    @Override
    public int resolve(Translation t, long address, int access) {
        final PageRequestHandler h = handler;
        if (h == null || !t.pasidEnabled) {
            return Status.PAGE_FAULT_IR;
        }
        iommu.quiesce(t);
        t.translationsDropped = true;
        requests.incrementAndGet();
        final boolean write = access == Translation.WRITE;
        final PageRequest request = new PageRequest(t.pasid, address & ~0xFFFL, !write, write, t.priv, true,
            groupIndex.getAndIncrement() & 0x1FF);
        final AtomicInteger response = new AtomicInteger(NO_RESPONSE);
        try {
            h.onPageRequest(request, code -> response.compareAndSet(NO_RESPONSE, code));
        } catch (RuntimeException e) {
            response.compareAndSet(NO_RESPONSE, PageRequest.RESPONSE_FAILURE);
        }
        final long deadline = System.nanoTime() + timeoutNanos;
        int spins = 0;
        int code;
        while ((code = response.get()) == NO_RESPONSE) {
            if (System.nanoTime() - deadline > 0) {
                code = PageRequest.RESPONSE_FAILURE;
                break;
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else if (spins < 200) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(20_000);
            }
        }
        return code == PageRequest.RESPONSE_SUCCESS ? Iommu.OK : Status.PAGE_FAULT_IR;
    }
}
