package io.softdsa.telemetry;

import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.Threading;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.iommu.AddressSpace;
import io.softdsa.iommu.PageRequest;
import io.softdsa.iommu.ScalableModeIommu;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The counters file holds what the device did: a deterministic workload (engines driven by the test) whose every
 * outcome the test counts itself, read back through {@link CountersFileReader} as another process would. The
 * cross-process read is in the benchmarks module ({@code StatSecondJvmTest}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeviceCountersTest {
    private static final int PASID = 7;

    @TempDir
    Path dir;

    /** Every counter of the file by label. */
    static Map<String, Long> values(Path file) {
        try (CountersFileReader r = CountersFileReader.open(file)) {
            final Map<String, Long> out = new LinkedHashMap<>();
            final CountersReader c = r.counters();
            c.forEach((int id, String label) -> out.put(label, c.getCounterValue(id)));
            return out;
        }
    }

    private static long value(Map<String, Long> values, String label) {
        final Long v = values.get(label);
        if (v == null) {
            throw new AssertionError("no counter '" + label + "' in " + values.keySet());
        }
        return v;
    }

    private static void drive(Device d) {
        while (d.invokeEngines() > 0) {
            // until idle
        }
    }

    private static Descriptor noop(DsaClient c, CompletionRecord cr) {
        return c.descriptor().opcode(Opcode.NOOP).completionAddress(cr.address())
            .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD);
    }

    @Test
    void countsWhatTheWorkloadDidPerWqEngineAndDevice() {
        final Path file = dir.resolve("dsa.counters");
        final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
            .wq(WqConfig.builder(0).name("app").shared().size(8).threshold(8).group(0).build())
            .wq(WqConfig.builder(1).dedicated().size(4).group(0).build())
            .build();
        try (HostMemory memory = HostMemory.allocate(64L << 20);
             Device device = Device.create(memory, cfg,
                 DeviceOptions.defaults().threading(Threading.INVOKER).countersFile(file))) {
            assertEquals(file.toAbsolutePath(), device.countersFile());
            device.enableAll();
            try (DsaClient swq = DsaClient.open(device, 0); DsaClient dwq = DsaClient.open(device, 1)) {
                final CompletionRecord cr = swq.completionRecord();
                // 8 noops fill the shared WQ; 3 more are refused (ENQCMD retry)
                int accepted = 0;
                int retried = 0;
                for (int i = 0; i < 11; i++) {
                    if (swq.trySubmit(noop(swq, cr))) {
                        accepted++;
                    } else {
                        retried++;
                    }
                }
                assertEquals(8, accepted);
                drive(device);
                // 2 unsupported opcodes with a record (no SWERR), 1 without (a SWERR entry), 1 move outside memory
                final Descriptor bad = swq.descriptor().opcode(0x7F).completionAddress(cr.address())
                    .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD);
                assertTrue(swq.trySubmit(bad));
                assertTrue(swq.trySubmit(bad));
                assertTrue(swq.trySubmit(swq.descriptor().opcode(0x7F)));
                final HostBuffer dst = swq.allocate(4096);
                assertTrue(swq.trySubmit(swq.descriptor().opcode(Opcode.MEMMOVE).source(memory.size() + (1L << 30))
                    .destination(dst.address()).transferSize(4096).completionAddress(cr.address())
                    .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD)));
                drive(device);
                // the dedicated WQ: 4 fit, 2 are dropped into SWERR (MOVDIR64B is posted)
                final CompletionRecord dcr = dwq.completionRecord();
                for (int i = 0; i < 6; i++) {
                    dwq.portal().movdir64b(noop(dwq, dcr));
                }
                drive(device);
                // 5 queued on the shared WQ, then Abort WQ: each discarded one is a SWERR entry
                for (int i = 0; i < 5; i++) {
                    assertTrue(swq.trySubmit(noop(swq, cr)));
                }
                assertEquals(5, device.wq(0).abort().count());

                final Map<String, Long> v = values(file);
                final String w0 = "dsa0 wq0.0 \"app\" ";
                assertEquals(accepted + retried + 4 + 5, value(v, w0 + "submitted"));
                assertEquals(accepted + 4 + 5, value(v, w0 + "accepted"));
                assertEquals(retried, value(v, w0 + "retried (ENQCMD refused)"));
                assertEquals(8, value(v, w0 + "completed: success"));
                assertEquals(0, value(v, w0 + "completed: page fault"));
                assertEquals(4, value(v, w0 + "completed: other error"));
                assertEquals(1 + 5, value(v, w0 + "SWERR entries"));
                assertEquals(8, value(v, w0 + "occupancy high-water mark"));
                final String w1 = "dsa0 wq0.1 ";
                assertEquals(6, value(v, w1 + "submitted"));
                assertEquals(4, value(v, w1 + "accepted"));
                assertEquals(0, value(v, w1 + "retried (ENQCMD refused)"));
                assertEquals(4, value(v, w1 + "completed: success"));
                assertEquals(2, value(v, w1 + "SWERR entries"));
                assertEquals(4, value(v, w1 + "occupancy high-water mark"), "the drop saw it full");
                assertEquals(8 + 4 + 4, value(v, "dsa0 engine0.0 descriptors executed"));
                assertTrue(value(v, "dsa0 engine0.0 busy ns") > 0);
                assertEquals(0, value(v, "dsa0 engine0.0 page requests raised"));
                assertEquals(0, value(v, "dsa0 engine0.0 IOTLB hits"), "pass-through: no IOTLB");
                assertEquals(0, value(v, "dsa0 page requests"));
                assertEquals(0, value(v, "dsa0 internal errors (descriptor)"));
                assertEquals(0, value(v, "dsa0 engine thread errors"));
                assertEquals(device.swerr().totalErrors(), 1 + 5 + 2);
                assertFalse(v.keySet().stream().anyMatch(l -> l.contains("wq0.2")), "unconfigured WQs have none");
            }
        }
        // closed: the file stays with its final values and says so
        try (CountersFileReader r = CountersFileReader.open(file)) {
            assertEquals("dsa0", r.deviceName());
            assertEquals(ProcessHandle.current().pid(), r.pid());
            assertNotEquals(0, r.closeMillis());
            assertFalse(r.writerRunning());
        }
        assertEquals(8, value(values(file), "dsa0 wq0.0 \"app\" completed: success"));
    }

    @Test
    void countsPageRequestsTranslationsAndPageFaults() {
        final Path file = dir.resolve("sva.counters");
        try (HostMemory memory = HostMemory.allocate(64L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory);
            final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
                .wq(WqConfig.builder(0).shared().size(16).group(0).pasidEnabled(true).blockOnFault(true).build())
                .build();
            try (Device device = Device.create(memory, cfg, DeviceOptions.defaults().sva(iommu)
                .threading(Threading.INVOKER).countersFile(file));
                 DsaClient client = openEnabled(device)) {
                final AddressSpace as = iommu.bind(PASID);
                final long src = as.allocate(8192, AddressSpace.RW_USER);
                final long dst = as.reserve(8192, AddressSpace.PageSize.SIZE_4K); // mapped by the handler
                final long unmapped = as.reserve(4096, AddressSpace.PageSize.SIZE_4K); // never mapped
                final long records = as.allocate(4096, AddressSpace.RW_USER);
                final CompletionRecord cr = new CompletionRecord(memory.segment(), as.hostAddress(records));
                final AtomicInteger requests = new AtomicInteger();
                iommu.pageRequests().handler((request, responder) -> {
                    requests.incrementAndGet();
                    as.map(request.pageAddress(), memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
                    responder.respond(PageRequest.RESPONSE_SUCCESS);
                });
                final Descriptor move = client.descriptor().opcode(Opcode.MEMMOVE).pasid(PASID).source(src)
                    .destination(dst).transferSize(8192).completionAddress(records)
                    .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD
                        | DescriptorFlags.BLOCK_ON_FAULT);
                cr.arm();
                assertTrue(client.trySubmit(move));
                drive(device);
                assertEquals(0x01, cr.status());
                cr.arm();
                assertTrue(client.trySubmit(client.descriptor().opcode(Opcode.MEMMOVE).pasid(PASID).source(unmapped)
                    .destination(dst).transferSize(4096).completionAddress(records)
                    .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD)));
                drive(device);
                assertEquals(0x03, cr.status(), "no block-on-fault: a page fault");

                final Map<String, Long> v = values(file);
                assertEquals(2, requests.get());
                assertEquals(requests.get(), value(v, "dsa0 engine0.0 page requests raised"));
                assertEquals(requests.get(), value(v, "dsa0 page requests"));
                assertTrue(value(v, "dsa0 engine0.0 translations let go") >= requests.get(),
                    "each page request lets go of the engine's translations");
                assertTrue(value(v, "dsa0 engine0.0 IOTLB misses (page walks)") >= 3);
                assertTrue(value(v, "dsa0 engine0.0 IOTLB hits") >= 1);
                assertEquals(1, value(v, "dsa0 wq0.0 completed: success"));
                assertEquals(1, value(v, "dsa0 wq0.0 completed: page fault"));
                assertEquals(2, value(v, "dsa0 engine0.0 descriptors executed"));
                as.unbind();
            }
        }
    }

    private static DsaClient openEnabled(Device device) {
        device.enableAll();
        return DsaClient.open(device, 0);
    }

    @Test
    void withoutAFileNothingIsMappedOrCounted() {
        final DeviceConfig cfg = DeviceConfig.singleWq(io.softdsa.device.config.WqMode.SHARED, 8, 1);
        try (HostMemory memory = HostMemory.allocate(16L << 20);
             Device device = Device.create(memory, cfg, DeviceOptions.defaults().threading(Threading.INVOKER))) {
            assertNull(device.countersFile());
            device.enableAll();
            assertFalse(device.wq(0).counters().enabled());
            assertSame(WqCounters.DISABLED, device.wq(0).counters());
        }
    }

    @Test
    void aReaderRefusesWhatIsNotACountersFile() throws IOException {
        final CountersFileException missing = assertThrows(CountersFileException.class,
            () -> CountersFileReader.open(dir.resolve("nothing-here")));
        assertTrue(missing.getMessage().endsWith("nothing-here: no such file"), missing.getMessage());

        final Path foreign = Files.write(dir.resolve("foreign"), new byte[8192]);
        final CountersFileException notOurs = assertThrows(CountersFileException.class,
            () -> CountersFileReader.open(foreign));
        assertTrue(notOurs.getMessage().contains("not a softdsa counters file (no softdsa header)"),
            notOurs.getMessage());

        final Path small = Files.writeString(dir.resolve("small"), "hello");
        assertTrue(assertThrows(CountersFileException.class, () -> CountersFileReader.open(small)).getMessage()
            .contains("shorter than the header"));

        assertTrue(assertThrows(CountersFileException.class, () -> CountersFileReader.open(dir)).getMessage()
            .contains("not a regular file"));

        // a real file cut short, and one of a future layout version
        final Path real = dir.resolve("real");
        CountersFile.create(real, "dsa0", 0, 16).close();
        final byte[] bytes = Files.readAllBytes(real);
        final Path truncated = Files.write(dir.resolve("truncated"), java.util.Arrays.copyOf(bytes, 8192));
        assertTrue(assertThrows(CountersFileException.class, () -> CountersFileReader.open(truncated)).getMessage()
            .contains("truncated"));
        bytes[CountersFileLayout.VERSION_OFFSET] = 9;
        final Path future = Files.write(dir.resolve("future"), bytes);
        assertTrue(assertThrows(CountersFileException.class, () -> CountersFileReader.open(future)).getMessage()
            .contains("layout version 9"));
    }

    @Test
    void aNewDeviceReplacesTheFileAndAReaderNoticesIt() {
        final Path file = dir.resolve("replaced.counters");
        final DeviceConfig cfg = DeviceConfig.singleWq(io.softdsa.device.config.WqMode.SHARED, 8, 1);
        try (HostMemory memory = HostMemory.allocate(16L << 20)) {
            final DeviceOptions options = DeviceOptions.defaults().threading(Threading.INVOKER).countersFile(file);
            try (Device first = Device.create(memory, cfg, options)) {
                first.enableAll();
                try (CountersFileReader r = CountersFileReader.open(file)) {
                    assertTrue(r.writerRunning());
                    assertFalse(r.replaced());
                    try (Device second = Device.create(memory, cfg, options)) {
                        assertTrue(r.replaced(), "a new device made a new file at the path");
                        assertEquals(0, r.closeMillis(), "the old mapping is still readable: its device is open");
                        assertNotNull(second.countersFile());
                    }
                }
            }
            assertTrue(values(file).containsKey("dsa0 wq0.0 submitted"));
        }
    }
}
