package io.softdsa.mdev;

import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.mdev.userspace.DsaOpenException;
import io.softdsa.mdev.userspace.UserProcess;
import io.softdsa.mdev.userspace.UserspaceDmaDriver;
import io.softdsa.mdev.userspace.WqFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Item 1: the userspace-DMA interface enforces what the kernel and the hardware enforce. */
class UserspaceDmaTest {
    private MdevFixture f;
    private UserspaceDmaDriver driver;
    private final Arena arena = Arena.ofShared();

    @BeforeEach
    void up() {
        f = new MdevFixture();
        driver = f.track(new UserspaceDmaDriver(f.host));
    }

    @AfterEach
    void down() {
        f.close();
        arena.close();
    }

    private Descriptor descriptor() {
        return Descriptor.allocate(arena);
    }

    private static int run(WqFile file, Descriptor d, CompletionRecord cr) {
        cr.arm();
        assertTrue(file.portal().submit(d), "accepted");
        return MdevFixture.await(cr);
    }

    @Test
    void hostDriverOwnsWqsConfiguredFromAccelConfigJson(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
        throws Exception {
        final java.nio.file.Path json = dir.resolve("dsa.conf");
        java.nio.file.Files.writeString(json, """
            [ { "dev":"dsa0", "read_buffer_limit":0, "groups":[ { "dev":"group0.0", "read_buffers_allowed":8,
                "grouped_workqueues":[
                  { "dev":"wq0.0", "mode":"shared", "size":16, "group_id":0, "priority":10, "block_on_fault":1,
                    "max_batch_size":32, "max_transfer_size":2097152, "type":"user", "name":"app1", "threshold":15 },
                  { "dev":"wq0.1", "mode":"dedicated", "size":8, "group_id":0, "priority":10,
                    "max_batch_size":32, "max_transfer_size":2097152, "type":"kernel", "name":"kern" } ],
                "grouped_engines":[ { "dev":"engine0.0", "group_id":0 } ] } ] } ]
            """);
        try (io.softdsa.memory.HostMemory memory = io.softdsa.memory.HostMemory.allocate(64L << 20);
             io.softdsa.mdev.host.HostDsa host = io.softdsa.mdev.host.HostDsa.start(memory, json, "dsa0");
             UserspaceDmaDriver d = new UserspaceDmaDriver(host);
             UserProcess p = d.spawn("p")) {
            assertEquals(List.of("/dev/dsa/wq0.0"), d.devices());
            assertTrue(host.device().wq(0).config().pasidEnabled(), "the driver set the user WQ up for SVA");
            final WqFile file = d.open(p, "app1");
            assertEquals(DsaOpenException.Errno.EPERM,
                assertThrows(DsaOpenException.class, () -> d.open(p, "kern")).errno());
            final long src = p.allocate(4096);
            final long dst = p.allocate(4096);
            final long rec = p.allocate(4096);
            p.write(src, MdevFixture.random(4096, 9));
            assertEquals(0x01, run(file, MdevFixture.memmove(descriptor(), src, dst, 4096, rec), p.completionRecord(rec)));
            assertArrayEquals(p.read(src, 4096), p.read(dst, 4096));
        }
    }

    @Test
    void opensByNameAndDevicePath() {
        assertEquals(List.of("/dev/dsa/wq0.0", "/dev/dsa/wq0.1"), driver.devices());
        final UserProcess p = f.track(driver.spawn("p"));
        assertEquals("/dev/dsa/wq0.0", driver.open(p, "/dev/dsa/wq0.0").path());
        assertEquals("/dev/dsa/wq0.0", driver.open(p, "wq0.0").path());
        assertEquals("/dev/dsa/wq0.0", driver.open(p, "app").path());
        assertEquals(DsaOpenException.Errno.ENOENT,
            assertThrows(DsaOpenException.class, () -> driver.open(p, "/dev/dsa/wq0.9")).errno());
        assertEquals(DsaOpenException.Errno.ENOENT,
            assertThrows(DsaOpenException.class, () -> driver.open(p, "/dev/dsa/wq1.0")).errno());
        assertEquals(DsaOpenException.Errno.EPERM,   // an mdev WQ belongs to virtual devices
            assertThrows(DsaOpenException.class, () -> driver.open(p, "/dev/dsa/wq0.3")).errno());
    }

    @Test
    void sharedWqSubstitutesTheProcessPasidAndPrivZero() {
        final UserProcess a = f.track(driver.spawn("a"));
        final UserProcess b = f.track(driver.spawn("b"));
        assertNotEquals(a.pasid(), b.pasid());
        final WqFile fa = driver.open(a, "/dev/dsa/wq0.0");
        final long src = a.allocate(8192);
        final long dst = a.allocate(8192);
        final long rec = a.allocate(4096);
        final byte[] data = MdevFixture.random(8192, 1);
        a.write(src, data);
        // a descriptor claiming b's PASID and supervisor privilege: the portal puts a's PASID and Priv 0
        final Descriptor d = MdevFixture.memmove(descriptor(), src, dst, 8192, rec).pasid(b.pasid()).priv(true);
        assertEquals(0x01, run(fa, d, a.completionRecord(rec)));
        assertArrayEquals(data, a.read(dst, 8192));
        // had Priv 1 reached the device, a WQ without Priv would have answered 0x1D; a supervisor-only page of a
        // process is unreachable with Priv 0
        final long kernelOnly = a.allocate(4096);
        a.addressSpace().protect(kernelOnly, 4096, AddressSpace.READ | AddressSpace.WRITE);
        final CompletionRecord cr = a.completionRecord(rec);
        assertEquals(0x03, run(fa, MdevFixture.memmove(descriptor(), src, kernelOnly, 64, rec).priv(true), cr));
        assertEquals(kernelOnly, cr.faultAddress());
    }

    @Test
    void aProcessCannotReachAnotherProcessesMemory() {
        final UserProcess a = f.track(driver.spawn("a"));
        final UserProcess b = f.track(driver.spawn("b"));
        final WqFile fa = driver.open(a, "app");
        final long secret = b.allocate(4096);
        final byte[] bdata = MdevFixture.random(4096, 7);
        b.write(secret, bdata);
        final long aBuf = a.allocate(4096);
        final long rec = a.allocate(4096);
        final CompletionRecord cr = a.completionRecord(rec);
        // b's virtual address is not mapped in a's address space: a page fault, nothing read
        assertEquals(0x03, run(fa, MdevFixture.memmove(descriptor(), secret + 8192 * 16, aBuf, 4096, rec), cr));
        // the very same virtual address as b's buffer names a's own memory, if anything
        final int s = run(fa, MdevFixture.memmove(descriptor(), aBuf, secret, 4096, rec).pasid(b.pasid()), cr);
        assertTrue(s == 0x01 || s == 0x03, "status 0x" + Integer.toHexString(s));
        assertArrayEquals(bdata, b.read(secret, 4096), "b's memory untouched");
        // a host-physical address of b's buffer is just another unmapped virtual address to a
        final long hpa = b.addressSpace().hostAddress(secret);
        assertEquals(0x03, run(fa, MdevFixture.memmove(descriptor(), aBuf, hpa, 4096, rec), cr));
        assertArrayEquals(bdata, b.read(secret, 4096));
    }

    @Test
    void aProcessReachesOnlyTheWqsItOpened() {
        final UserProcess a = f.track(driver.spawn("a"));
        final WqFile file = driver.open(a, "/dev/dsa/wq0.0");
        final var portal = file.portal();
        file.close();
        final long src = a.allocate(4096);
        final long rec = a.allocate(4096);
        final Descriptor d = MdevFixture.memmove(descriptor(), src, src + 2048, 64, rec);
        assertThrows(IllegalStateException.class, () -> portal.enqcmd(d), "unmapped after close");
        assertThrows(IllegalStateException.class, file::portal);
        assertEquals(0, f.host.device().wq(0).occupancy());
    }

    @Test
    void dedicatedWqHasOneOwnerAndItsPasid() {
        final UserProcess a = f.track(driver.spawn("a"));
        final UserProcess b = f.track(driver.spawn("b"));
        final WqFile fa = driver.open(a, "dwq");
        assertTrue(fa.isDedicated());
        assertEquals(a.pasid(), f.host.device().wq(1).config().pasid());
        assertEquals(DsaOpenException.Errno.EBUSY,
            assertThrows(DsaOpenException.class, () -> driver.open(b, "/dev/dsa/wq0.1")).errno());
        final long src = a.allocate(4096);
        final long dst = a.allocate(4096);
        final long rec = a.allocate(4096);
        final byte[] data = MdevFixture.random(4096, 2);
        a.write(src, data);
        // MOVDIR64B: the descriptor's PASID field is ignored, the WQ's (a's) is used
        assertEquals(0x01, run(fa, MdevFixture.memmove(descriptor(), src, dst, 4096, rec).pasid(b.pasid()),
            a.completionRecord(rec)));
        assertArrayEquals(data, a.read(dst, 4096));
        fa.close();
        final WqFile fb = driver.open(b, "/dev/dsa/wq0.1");
        assertEquals(b.pasid(), f.host.device().wq(1).config().pasid());
        final long bsrc = b.allocate(4096);
        final long bdst = b.allocate(4096);
        final long brec = b.allocate(4096);
        b.write(bsrc, data);
        assertEquals(0x01, run(fb, MdevFixture.memmove(descriptor(), bsrc, bdst, 4096, brec), b.completionRecord(brec)));
        assertArrayEquals(data, b.read(bdst, 4096));
    }

    @Test
    void aProcessHasNoInterruptHandles() {
        final UserProcess a = f.track(driver.spawn("a"));
        final WqFile fa = driver.open(a, "app");
        final long src = a.allocate(4096);
        final long rec = a.allocate(4096);
        // handle 1 is valid in the device's table (somebody's), not the process's
        final int someone = f.host.interruptHandles().allocate(new Object(), h -> { });
        final Descriptor d = MdevFixture.memmove(descriptor(), src, src + 2048, 64, rec)
            .addFlags(DescriptorFlags.REQUEST_COMPLETION_INTERRUPT).interruptHandle(someone);
        final CompletionRecord cr = a.completionRecord(rec);
        assertEquals(0x19, run(fa, d, cr));
        assertEquals(0, f.host.interruptHandles().count(someone));
    }

    @Test
    void exitUnbindsAndFreesThePasid() {
        final UserProcess a = driver.spawn("a");
        final int pasid = a.pasid();
        final WqFile fa = driver.open(a, "dwq");
        a.close();
        assertTrue(!fa.isOpen());
        assertEquals(-1, f.host.iommu().pasidTable().lookup(pasid));
        final UserProcess b = f.track(driver.spawn("b"));
        driver.open(b, "dwq"); // the dedicated WQ is free again
    }

    @Test
    void softwareErrorsOfUserWqsGoToTheDriver() {
        final UserProcess a = f.track(driver.spawn("a"));
        final WqFile fa = driver.open(a, "app");
        final long src = a.allocate(4096);
        // no completion record: an invalid descriptor can only be reported in SWERR
        final Descriptor d = descriptor().opcode(0x3F).source(src).destination(src).transferSize(64);
        assertTrue(fa.portal().enqcmd(d));
        f.host.device().wq(0).drain();
        final var errors = driver.errors(0);
        assertEquals(1, errors.size());
        assertEquals(0x10, errors.get(0).errorCode());
        assertEquals(a.pasid(), errors.get(0).pasid());
    }
}
