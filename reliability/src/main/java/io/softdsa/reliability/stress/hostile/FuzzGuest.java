package io.softdsa.reliability.stress.hostile;

import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.VirtualDsa;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A guest that fuzzes its virtual device: random values at random BAR0 offsets and widths, random 64-byte stores at
 * random portal offsets with every portal instruction, random config-space writes, and now and then a proper
 * bring-up so that its device works again and its garbage reaches the host engines. It is its own victim: it has no
 * progress bound; what it must never do is reach anyone else's memory or stop anyone else.
 */
final class FuzzGuest implements Runnable {
    private static final int[] WIDTHS = {1, 2, 4, 8};

    private final HostileContext ctx;
    private final SplittableRandom r;
    private final GuestDomain guest;
    private final VirtualDsa dev;
    private final GuestDriver driver;
    private final MemorySegment garbage = Arena.ofAuto().allocate(64, 64);
    private long thrown;

    FuzzGuest(HostileContext ctx, SplittableRandom r, GuestDomain guest, VirtualDsa dev) {
        this.ctx = ctx;
        this.r = r;
        this.guest = guest;
        this.dev = dev;
        this.driver = new GuestDriver(dev, guest);
        bringUp();
    }

    private void bringUp() {
        ctx.pasids.lock();
        try {
            driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0).withBlockOnFault(r.nextBoolean())));
            driver.newProcess("fuzz").allocate(1 << 16);
        } catch (RuntimeException e) {
            thrown++; // its own registers are garbage: bring-up may fail, that is its problem
        } finally {
            ctx.pasids.changed("bring-up of the fuzzing guest");
        }
    }

    @Override
    public void run() {
        long nextBringUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (ctx.running()) {
            try {
                if (ctx.attacksOn) {
                    step();
                }
            } catch (RuntimeException e) {
                thrown++; // an exception to the guest (a #GP, a bad access) is fine
            } catch (Error e) {
                ctx.violations().violated(Violations.Invariant.RESULTS, "the fuzzing guest's device threw " + e);
            }
            if (System.nanoTime() - nextBringUp > 0) {
                bringUp();
                nextBringUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(1 + r.nextInt(3));
            }
            LockSupport.parkNanos(20_000);
        }
    }

    private void step() {
        switch (r.nextInt(10)) {
            case 0, 1, 2, 3 -> {
                ctx.attacks().count(Attacks.Kind.FUZZ_BAR0_WRITE);
                final int width = WIDTHS[r.nextInt(4)];
                final long offset = r.nextBoolean() ? r.nextInt(0x1000) & -width : r.nextLong(0x4000);
                dev.mmioWrite(0, offset, width, r.nextLong());
            }
            case 4 -> {
                ctx.attacks().count(Attacks.Kind.FUZZ_CONFIG_WRITE);
                final int width = WIDTHS[r.nextInt(3)];
                // keep memory decoding and bus mastering alive most of the time: fuzz the rest of the space
                final int offset = 0x08 + r.nextInt(0xF8) & -width;
                dev.configWrite(offset, width, r.nextInt());
            }
            default -> {
                ctx.attacks().count(Attacks.Kind.FUZZ_PORTAL_WRITE);
                for (int i = 0; i < 64; i += 8) {
                    garbage.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
                }
                final PortalInstruction[] insns = PortalInstruction.values();
                dev.portalWrite(r.nextLong(0x10000), garbage, 0, insns[r.nextInt(insns.length)], r.nextInt(4));
            }
        }
    }

    long exceptions() {
        return thrown;
    }

    void close() {
        try {
            driver.close();
        } catch (RuntimeException ignored) {
            // teardown of a hostile guest
        }
    }
}
