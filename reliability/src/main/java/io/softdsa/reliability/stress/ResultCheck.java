package io.softdsa.reliability.stress;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.reliability.Reference;
import io.softdsa.reliability.stress.StressRun.Op;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import static io.softdsa.reliability.stress.StressRun.PAGE;

/**
 * The checking of a stress run's results, computed by an independent reference ({@link Reference}): the bytes a
 * memmove, fill, copy with CRC or dualcast wrote, the CRC values, compare results, and a batch's inner records and
 * fills; and the guard bytes around every destination.
 */
final class ResultCheck {
    private final Producer p;
    private final StressLedger ledger;

    ResultCheck(Producer p, StressLedger ledger) {
        this.p = p;
        this.ledger = ledger;
    }

    /** Checks slot {@code s}'s successful result against the reference; a wrong one is counted and described. */
    void verify(int s, CompletionRecord cr) {
        final int n = p.size[s];
        final long dst = p.dstVa[s] + p.offset[s];
        final long dst2 = p.dst2Va[s] + p.offset[s];
        final byte[] src = Arrays.copyOf(p.srcBytes[s], p.op[s] == Op.BATCH ? 0 : n);
        boolean right = true;
        switch (p.op[s]) {
            case MEMMOVE -> right = Arrays.equals(src, p.as.read(dst, n)) && guarded(dst, n);
            case FILL -> right = Arrays.equals(Reference.fill(p.pattern[s], p.pattern[s], false, n),
                p.as.read(dst, n)) && guarded(dst, n);
            case CRC -> right = cr.crcValue() == Reference.crc32c(p.seed[s], src);
            case COPY_CRC -> right = cr.crcValue() == Reference.crc32c(p.seed[s], src)
                && Arrays.equals(src, p.as.read(dst, n)) && guarded(dst, n);
            case DUALCAST -> right = Arrays.equals(src, p.as.read(dst, n)) && Arrays.equals(src, p.as.read(dst2, n))
                && guarded(dst, n) && guarded(dst2, n);
            case COMPARE -> right = cr.result() == 0;
            case NOOP, DRAIN -> right = true;
            case BATCH -> {
                for (int i = 0; i < n; i++) {
                    final long record = p.batchVa[s] + 512 + 32L * i;
                    right &= (p.memory.segment().get(ValueLayout.JAVA_BYTE, p.as.hostAddress(record)) & 0x7F) == 1;
                    final long fill = p.pattern[s] + i;
                    right &= Arrays.equals(Reference.fill(fill, fill, false, 512),
                        p.as.read(p.batchVa[s] + PAGE + 512L * i, 512));
                }
                right &= cr.bytesCompleted() == n;
            }
        }
        if (right) {
            ledger.bytesVerified.add(p.op[s] == Op.BATCH ? 512L * n : n);
        } else {
            ledger.wrongResults.increment();
            ledger.problem("producer " + p.index + " " + p.op[s] + " of " + n + " bytes: wrong result");
        }
    }

    private boolean guarded(long va, int n) {
        if (Canaries.guardIntact(p.memory.segment(), p.as, va, n)) {
            return true;
        }
        ledger.canaryHits.increment();
        ledger.problem("producer " + p.index + ": guard bytes around 0x" + Long.toHexString(va) + " (+" + n
            + ") hit");
        return true; // counted as a canary hit, not a wrong result
    }
}
