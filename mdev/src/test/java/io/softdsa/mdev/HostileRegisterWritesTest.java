package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.device.config.WqConfig;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.userspace.UserProcess;
import io.softdsa.mdev.userspace.UserspaceDmaDriver;
import io.softdsa.mdev.userspace.WqFile;
import io.softdsa.mdev.vdev.PortalInstruction;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hostile guest writes every BAR0 offset with random values and widths, random config space and random portal
 * stores; the host device, another guest and a host process keep working, and the hostile device itself recovers
 * after a function-level reset.
 */
class HostileRegisterWritesTest {
    private static final int[] WIDTHS = {1, 2, 4, 8};

    @Test
    @Timeout(120)
    void hostileWritesLeaveTheHostAndOtherGuestsWorking() {
        try (MdevFixture f = new MdevFixture(); Arena arena = Arena.ofShared()) {
            // a host process on the user shared WQ
            final UserspaceDmaDriver user = f.track(new UserspaceDmaDriver(f.host));
            final UserProcess proc = f.track(user.spawn("proc"));
            final WqFile file = user.open(proc, "app");
            final long usrc = proc.allocate(65536);
            final long udst = proc.allocate(65536);
            final long urec = proc.allocate(4096);
            final byte[] udata = MdevFixture.random(65536, 1);
            proc.write(usrc, udata);
            // a well-behaved guest on a shared WQ of host group 1
            final GuestDomain gb = f.guest("good");
            final VirtualDsa good = f.vdev(VdevType.SHARED_WQ, gb);
            final GuestDriver bd = f.driver(good, gb);
            bd.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
            final GuestProcess bapp = bd.newProcess("app");
            final long bsrc = bapp.allocate(65536);
            final long bdst = bapp.allocate(65536);
            final long brec = bapp.allocate(4096);
            final byte[] bdata = MdevFixture.random(65536, 2);
            bapp.write(bsrc, bdata);
            // the hostile guest: a slice over host groups 2 and 3
            final GuestDomain ga = f.guest("evil");
            final VirtualDsa evil = f.track(f.mdev.createSlice(ga, 5, 6, 7));
            final GuestDriver ad = f.driver(evil, ga);
            ad.bringUp(true, new DeviceSetup(List.of(WqSetup.shared(0, 16, 0), WqSetup.dedicatedKernel(1, 16, 0),
                WqSetup.shared(2, 16, 1)), new long[] {0x1, 0x2}, 0));
            ad.newProcess("p");

            final List<WqConfig> hostBefore = new ArrayList<>();
            for (int q = 0; q <= 4; q++) {
                hostBefore.add(f.host.device().wq(q).config());
            }
            final byte[] goodRegsBefore = goodRegisters(good);
            final Descriptor ud = MdevFixture.memmove(Descriptor.allocate(arena), usrc, udst, 65536, urec);
            final Descriptor gd = MdevFixture.memmove(bd.descriptor(), bsrc, bdst, 65536, brec);

            final SplittableRandom rnd = new SplittableRandom(0xBADC0DE);
            final MemorySegment garbage = arena.allocate(64, 64);
            int checks = 0;
            for (int offset = 0; offset < 0x3100; offset++) {
                final int width = WIDTHS[rnd.nextInt(WIDTHS.length)];
                evil.mmioWrite(0, offset, width, rnd.nextLong());
                if (offset % 97 == 0) {
                    // random config space, then decoding back on so the fuzzing of BAR0 goes on
                    evil.configWrite(rnd.nextInt(0x140), WIDTHS[rnd.nextInt(3)], rnd.nextInt());
                    evil.configWrite(0x04, 2, 0x6);
                    for (int i = 0; i < 64; i += 8) {
                        garbage.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
                    }
                    final PortalInstruction insn = PortalInstruction.values()[rnd.nextInt(3)];
                    evil.portalWrite(rnd.nextLong(0x10000), garbage, 0, insn, rnd.nextInt(4));
                }
                if (offset % 1024 == 0) {
                    checks++;
                    assertEquals(0x01, runUser(file, ud, proc.completionRecord(urec)), "host process, round " + checks);
                    assertEquals(0x01, runGuest(bd, bapp, gd, bapp.completionRecord(brec)), "good guest, " + checks);
                }
            }
            // random full-width register writes over the register area again, with commands among them
            for (int i = 0; i < 4000; i++) {
                final int offset = rnd.nextInt(0x700) & ~3;
                evil.mmioWrite(0, offset, 4, rnd.nextLong());
            }
            // random commands (each waited for, so none is ignored) amid random configuration writes
            for (int i = 0; i < 600; i++) {
                evil.mmioWrite(0, 0x400 + rnd.nextInt(0x300), WIDTHS[rnd.nextInt(4)], rnd.nextLong());
                final int code = rnd.nextInt(16);
                final int operand = rnd.nextBoolean() ? rnd.nextInt(4) : rnd.nextInt(1 << 20);
                evil.mmioWrite(0, 0xA0, 4, ((long) rnd.nextInt() & 0x8000_0000L) | (code << 20) | operand);
                final long deadline = System.nanoTime() + MdevFixture.TIMEOUT;
                while ((evil.mmioRead(0, 0xA8, 4) & 0x8000_0000L) != 0) {
                    assertTrue(System.nanoTime() < deadline, "command stuck");
                    Thread.onSpinWait();
                }
                if (i % 100 == 0) {
                    assertEquals(0x01, runUser(file, ud, proc.completionRecord(urec)));
                    assertEquals(0x01, runGuest(bd, bapp, gd, bapp.completionRecord(brec)));
                }
            }
            assertEquals(0x01, runUser(file, ud, proc.completionRecord(urec)));
            assertEquals(0x01, runGuest(bd, bapp, gd, bapp.completionRecord(brec)));
            assertArrayEquals(udata, proc.read(udst, 65536));
            assertArrayEquals(bdata, bapp.read(bdst, 65536));

            final List<String> fuzzed = evil.commandLog();
            System.out.println("hostile guest issued " + fuzzed.size() + " commands, distinct outcomes: "
                + new java.util.TreeSet<>(fuzzed));
            assertTrue(fuzzed.size() > 500, "the fuzzing reached the command processor: " + fuzzed.size());
            // the host: its device enabled, the other owners' WQs as they were, handles not drained
            assertEquals(io.softdsa.device.DeviceState.ENABLED, f.host.device().state());
            for (int q = 0; q <= 4; q++) {
                assertEquals(hostBefore.get(q), f.host.device().wq(q).config(), "host WQ " + q);
            }
            assertTrue(f.host.device().wq(0).isEnabled() && f.host.device().wq(1).isEnabled());
            assertTrue(f.host.device().wq(good.hostWq(0)).isEnabled(), "the good guest's WQ");
            assertTrue(f.host.interruptHandles().available() >= 2047 - 16);
            assertArrayEquals(goodRegsBefore, goodRegisters(good), "the good guest's registers untouched");
            assertTrue(f.host.hostLog().isEmpty(), "no error reached the host's own log");
            assertEquals(0, f.host.device().internalErrors());

            // the hostile device recovers after a function-level reset and a fresh bring-up
            evil.configWrite(0x48, 2, 0x8000);
            final GuestDriver again = f.driver(evil, ga);
            again.bringUp(false, new DeviceSetup(List.of(WqSetup.dedicatedKernel(1, 16, 0)), new long[] {0x1}, 0));
            final long s = again.allocateDma(4096);
            final long d = again.allocateDma(4096);
            final long rc = again.allocateDma(4096);
            ga.memory().write(s, MdevFixture.random(4096, 5));
            final CompletionRecord cr = again.completionRecord(rc).arm();
            again.submitKernel(1, MdevFixture.memmove(again.descriptor(), s, d, 4096, rc), true);
            assertEquals(0x01, MdevFixture.await(cr));
            assertArrayEquals(ga.memory().read(s, 4096), ga.memory().read(d, 4096));
        }
    }

    /** The good guest's registers that only it (or the device on its behalf) may change. */
    private static byte[] goodRegisters(VirtualDsa good) {
        final byte[] out = new byte[0x700];
        for (int off = 0; off < out.length; off += 8) {
            if (off == 0x518) {
                continue; // WQCFG word 6 carries the live occupancy
            }
            final long v = good.mmioRead(0, off, 8);
            for (int i = 0; i < 8; i++) {
                out[off + i] = (byte) (v >>> (8 * i));
            }
        }
        return out;
    }

    private static int runUser(WqFile file, Descriptor d, CompletionRecord cr) {
        cr.arm();
        final long deadline = System.nanoTime() + MdevFixture.TIMEOUT;
        while (!file.portal().enqcmd(d)) {
            assertTrue(System.nanoTime() < deadline);
            Thread.onSpinWait();
        }
        return MdevFixture.await(cr);
    }

    private static int runGuest(GuestDriver driver, GuestProcess app, Descriptor d, CompletionRecord cr) {
        cr.arm();
        assertEquals(PortalResult.ACCEPTED, driver.submitUserRetrying(0, d, app, MdevFixture.TIMEOUT));
        return MdevFixture.await(cr);
    }
}
