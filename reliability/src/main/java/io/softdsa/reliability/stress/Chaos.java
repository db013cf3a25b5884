package io.softdsa.reliability.stress;

import io.softdsa.device.AbortReport;
import io.softdsa.device.Device;
import io.softdsa.device.WorkQueue;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static io.softdsa.reliability.stress.StressRun.DEDICATED_WQ;
import static io.softdsa.reliability.stress.StressRun.SHARED_WQ;

/**
 * The chaos thread of a stress run: WQ commands while the producers submit — drain, abort, abort all, and disable
 * then re-enable either WQ — every 10 to 70 ms, each counted, with every abort's report added to the ledger.
 */
final class Chaos implements Runnable {
    private final Device device;
    private final StressLedger ledger;
    private final SplittableRandom r;
    private final BooleanSupplier running;

    Chaos(Device device, StressLedger ledger, SplittableRandom r, BooleanSupplier running) {
        this.device = device;
        this.ledger = ledger;
        this.r = r;
        this.running = running;
    }

    @Override
    public void run() {
        final WorkQueue swq = device.wq(SHARED_WQ);
        final WorkQueue dwq = device.wq(DEDICATED_WQ);
        while (running.getAsBoolean()) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10 + r.nextInt(60)));
            if (!running.getAsBoolean()) {
                break;
            }
            switch (r.nextInt(8)) {
                case 0, 1 -> command("drain-shared", () -> swq.drain());
                case 2 -> command("abort-shared", () -> reported(swq.abort()));
                case 3 -> command("abort-dedicated", () -> reported(dwq.abort()));
                case 4 -> command("disable-enable-shared", () -> {
                    swq.disable();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1 + r.nextInt(5)));
                    swq.enable();
                });
                case 5 -> command("disable-enable-dedicated", () -> {
                    dwq.disable();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1 + r.nextInt(5)));
                    dwq.enable();
                });
                case 6 -> command("abort-all", () -> device.abortAll().forEach(this::reported));
                default -> command("disable-aborting-dedicated", () -> {
                    reported(dwq.disableAborting());
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1 + r.nextInt(5)));
                    dwq.enable();
                });
            }
        }
    }

    /** After the run: every WQ the chaos left disabled is enabled again, so the producers can finish. */
    void ensureEnabled() {
        for (WorkQueue wq : device.workQueues()) {
            if (!wq.isEnabled()) {
                wq.enable();
            }
        }
    }

    private void command(String name, Runnable c) {
        c.run();
        ledger.command(name);
    }

    private void reported(AbortReport report) {
        ledger.abortReported.add(report.count());
    }
}
