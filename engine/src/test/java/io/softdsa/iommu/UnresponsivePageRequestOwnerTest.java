package io.softdsa.iommu;

import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Threading;
import io.softdsa.iommu.AddressSpace.PageSize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A tenant whose page-request handler blocks, or never answers, costs the shared engines one timeout, not one per
 * fault: while its handler is stuck past the timeout, or while one request of it is already waiting after an
 * unanswered one, its further faults fail at once (0x04), so the engines go on serving everyone else.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnresponsivePageRequestOwnerTest {
    private static final int PASID = 3;

    @Test
    void aHandlerStuckPastItsTimeoutFailsTheNextFaultsAtOnce() throws Exception {
        final CountDownLatch never = new CountDownLatch(1);
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 1)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long src = as.allocate(4096, AddressSpace.RW_USER);
            final long lazy = as.reserve(64 * 4096, PageSize.SIZE_4K);
            f.iommu.pageRequests().timeout(TimeUnit.MILLISECONDS.toNanos(200));
            f.iommu.pageRequests().handler((request, responder) -> {
                try {
                    never.await(); // blocks until the test ends
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            final SvaFixture.VaRecord cr = f.record(as);
            for (int i = 0; i < 20; i++) {
                final int status = f.run(f.client.descriptor().opcode(Opcode.MEMMOVE).pasid(PASID).source(src)
                    .destination(lazy + 4096L * i).transferSize(4096).addFlags(0x02), cr);
                assertEquals(0x04, status, "descriptor " + i);
            }
            final PageRequestService.Owner owner = f.iommu.pageRequests().defaultOwner();
            assertEquals(1, owner.timeouts(), "only the first fault waited out the timeout");
            assertEquals(19, owner.failedFast());
        } finally {
            never.countDown();
        }
    }

    @Test
    void anOwnerThatStopsAnsweringFailsFastForAWhileAndIsWaitedForAgainAfterwards() throws Exception {
        try (SvaFixture f = new SvaFixture(64L << 20, Threading.THREAD_PER_ENGINE, 1)) {
            final AddressSpace as = f.iommu.bind(PASID);
            final long src = as.allocate(4096, AddressSpace.RW_USER);
            final long lazy = as.reserve(4 * 4096, PageSize.SIZE_4K);
            final long timeout = TimeUnit.MILLISECONDS.toNanos(100);
            f.iommu.pageRequests().timeout(timeout);
            final boolean[] answer = {false};
            f.iommu.pageRequests().handler((request, responder) -> {
                if (answer[0]) {
                    as.map(request.pageAddress(), f.memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
                    responder.respond(PageRequest.RESPONSE_SUCCESS);
                } // else: returns without ever answering
            });
            final SvaFixture.VaRecord cr = f.record(as);
            final PageRequestService.Owner owner = f.iommu.pageRequests().defaultOwner();
            assertEquals(0x04, f.run(move(f, src, lazy), cr));
            assertEquals(1, owner.timeouts());
            answer[0] = true;
            assertEquals(0x04, f.run(move(f, src, lazy + 4096), cr), "silent: failed at once, no engine waits");
            assertEquals(1, owner.failedFast());
            assertEquals(1, owner.timeouts());
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis((PageRequestService.SILENCE_FACTOR + 1) * timeout));
            assertEquals(0x01, f.run(move(f, src, lazy + 8192), cr), "after the silence it is waited for again");
        }
    }

    private static io.softdsa.descriptor.Descriptor move(SvaFixture f, long src, long dst) {
        return f.client.descriptor().opcode(Opcode.MEMMOVE).pasid(PASID).source(src).destination(dst)
            .transferSize(4096).addFlags(0x02);
    }
}
