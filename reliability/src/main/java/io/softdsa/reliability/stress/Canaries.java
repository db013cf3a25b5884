package io.softdsa.reliability.stress;

import io.softdsa.iommu.AddressSpace;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.softdsa.reliability.stress.StressRun.CANARY;
import static io.softdsa.reliability.stress.StressRun.PAGE;

/**
 * Canary bytes: every byte a descriptor must not write is filled with {@link StressRun#CANARY} before the run or
 * before its descriptor, and checked after. Around a destination buffer these are the guard bytes of its mapped pages.
 */
final class Canaries {
    private Canaries() {
    }

    static boolean intact(MemorySegment m, long from, long length) {
        for (long i = 0; i < length; i++) {
            if (m.get(ValueLayout.JAVA_BYTE, from + i) != CANARY) {
                return false;
            }
        }
        return true;
    }

    /**
     * Fills the parts of the pages of [va, va + n) that lie outside it with canary bytes (pages {@code mapped}
     * says are there; the others are mapped later on a canary frame).
     */
    static void guard(MemorySegment m, AddressSpace as, long va, int n, java.util.function.LongPredicate mapped) {
        forEachGuard(as, va, n, mapped, (host, length) -> {
            m.asSlice(host, length).fill(CANARY);
            return true;
        });
    }

    /** Whether the guard bytes around [va, va + n) in its (now all mapped) pages are untouched. */
    static boolean guardIntact(MemorySegment m, AddressSpace as, long va, int n) {
        return forEachGuard(as, va, n, page -> true, (host, length) -> intact(m, host, length));
    }

    @FunctionalInterface
    private interface GuardRun {
        boolean apply(long host, long length);
    }

    /** The head and tail guard runs of every page of [va, va + n); false as soon as one {@code run} says false. */
    private static boolean forEachGuard(AddressSpace as, long va, int n, java.util.function.LongPredicate mapped,
                                        GuardRun run) {
        final long first = va & ~(PAGE - 1);
        final long end = va + n;
        for (long page = first; page < end; page += PAGE) {
            if (!mapped.test(page)) {
                continue;
            }
            final long head = Math.max(0, Math.min(va, page + PAGE) - page);
            final long tailFrom = Math.min(page + PAGE, Math.max(page, end));
            final long host = as.hostAddress(page);
            if (!run.apply(host, head) || !run.apply(host + (tailFrom - page), page + PAGE - tailFrom)) {
                return false;
            }
        }
        return true;
    }
}
