package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.mdev.guest.DeviceSetup;
import io.softdsa.mdev.guest.GuestDriver;
import io.softdsa.mdev.guest.GuestProcess;
import io.softdsa.mdev.guest.WqSetup;
import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.PortalResult;
import io.softdsa.mdev.vdev.VdevType;
import io.softdsa.mdev.vdev.VirtualDsa;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A guest with a shared-WQ virtual device brought up for SVA, for the attack tests on what an engine keeps between
 * descriptors: fill and memmove through the guest driver (the record's whole status byte, bit 7 a write fault, and its
 * fault address), and guest frames filled and checked byte by byte through host memory.
 */
final class SvaGuestVm {
    /** What a frame given up or taken away is filled with, so any later device access to it shows. */
    static final byte POISON = (byte) 0xA5;
    private static final int PAGE = 4096;

    final GuestDomain g;
    final GuestDriver driver;

SvaGuestVm(MdevFixture f, String name) {
        g = f.guest(name);
        final VirtualDsa dev = f.vdev(VdevType.SHARED_WQ, g);
        driver = f.driver(dev, g);
        driver.bringUp(true, DeviceSetup.oneGroup(1, WqSetup.shared(0, 16, 0)));
    }

    int fill(GuestProcess p, long dst, int size, int b, long rec) {
        final CompletionRecord cr = p.completionRecord(rec).arm();
        final Descriptor d = driver.descriptor().clear().opcode(Opcode.FILL)
            .flags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD)
            .completionAddress(rec).destination(dst).transferSize(size)
            .fillPattern(0x0101_0101_0101_0101L * (b & 0xFF));
        assertEquals(PortalResult.ACCEPTED, driver.submitUserRetrying(0, d, p, MdevFixture.TIMEOUT));
        return raw(cr);
    }

    int move(GuestProcess p, long src, long dst, int size, long rec) {
        final CompletionRecord cr = p.completionRecord(rec).arm();
        final Descriptor d = MdevFixture.memmove(driver.descriptor(), src, dst, size, rec);
        assertEquals(PortalResult.ACCEPTED, driver.submitUserRetrying(0, d, p, MdevFixture.TIMEOUT));
        return raw(cr);
    }

    /** The whole status byte (bit 7: a write fault), and the record's fault address kept for the caller. */
    long lastFaultAddress;

    private int raw(CompletionRecord cr) {
        assertEquals(true, MdevFixture.await(cr) != 0, "completed in time");
        lastFaultAddress = g.memory().hostMemory().segment().get(
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), cr.address() + 8);
        return cr.rawStatus();
    }

    /** Fills on {@code pages} pages of their own, every other page from {@code pushVa}: out of the engine's windows. */
    void push(GuestProcess p, long pushVa, long rec, int pages) {
        for (int i = 0; i < pages; i++) {
            assertEquals(0x01, fill(p, pushVa + (long) i * 2 * PAGE, 64, 0x09, rec), "push " + i);
        }
    }

    void assertGuestFrame(long gpa, byte[] expected, String what) {
        final long host = g.memory().hostAddress(gpa);
        for (int i = 0; i < expected.length; i++) {
            final byte got = g.memory().hostMemory().segment().get(ValueLayout.JAVA_BYTE, host + i);
            if (got != expected[i]) {
                throw new AssertionError(what + ": byte " + i + " of gpa 0x" + Long.toHexString(gpa) + " is 0x"
                    + Integer.toHexString(got & 0xFF) + ", expected 0x" + Integer.toHexString(expected[i] & 0xFF));
            }
        }
    }

    /** Every byte of guest frame {@code gpa} {@link #POISON}, so a stale write or read of it shows. */
    void poison(long gpa) {
        fillFrame(gpa, POISON);
    }

    /** {@code n} bytes of {@code v}: what a filled frame should read back as. */
    static byte[] filled(int n, int v) {
        final byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    /** A fresh guest frame holding {@code b} in every byte. */
    long frame(byte b) {
        final long gpa = g.memory().physical().allocateFrame();
        fillFrame(gpa, b);
        return gpa;
    }

    void fillFrame(long gpa, byte b) {
        g.memory().hostMemory().segment().asSlice(g.memory().hostAddress(gpa), PAGE).fill(b);
    }
}
