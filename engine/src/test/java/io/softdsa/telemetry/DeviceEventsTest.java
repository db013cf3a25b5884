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
import io.softdsa.memory.HostMemory;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The device's JFR events, recorded with {@link Recording} around a workload whose every step the test knows and
 * read back with {@link RecordingFile}: one {@code io.softdsa.DescriptorCompleted} per descriptor with its fields, a
 * {@code PageRequest} for a block-on-fault fault, an {@code InvalidationWait} for an unmap, a {@code WqAbort} and a
 * {@code WqDisable}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeviceEventsTest {
    private static final int PASID = 9;
    private static final int RCR = DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD;

    @TempDir
    Path dir;

    @Test
    void eventsSayWhatTheDeviceDid() throws IOException {
        final Path jfr = dir.resolve("device.jfr");
        long dst;
        try (Recording recording = new Recording()) {
            recording.enable(DescriptorCompletedEvent.class).with("throttle", "off");
            recording.enable(PageRequestEvent.class);
            recording.enable(InvalidationWaitEvent.class);
            recording.enable(WqAbortEvent.class);
            recording.enable(WqDisableEvent.class);
            recording.start();
            assertTrue(DescriptorCompletedEvent.enabled());
            dst = runWorkload();
            recording.stop();
            recording.dump(jfr);
        }
        assertFalse(DescriptorCompletedEvent.enabled(), "no recording: nothing asks for the event");
        final List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);

        final List<RecordedEvent> completed = named(events, "io.softdsa.DescriptorCompleted");
        assertEquals(5, completed.size(), "3 noops, a memmove and an unsupported opcode");
        for (RecordedEvent e : completed) {
            assertEquals("dsa0", e.getString("device"));
            assertEquals("wq0.0", e.getString("wq"));
            assertEquals(0, e.getInt("engine"));
            assertEquals(PASID, e.getInt("pasid"));
            final Duration queued = e.getDuration("queueTime");
            assertNotNull(queued, "submitted while recording: the queue time is known");
            assertFalse(queued.isNegative());
            assertFalse(e.getDuration("serviceTime").isNegative());
        }
        assertEquals(3, completed.stream().filter(e -> e.getString("opcode").equals("noop")
            && e.getString("status").equals("success") && e.getInt("statusCode") == 0x01).count());
        final RecordedEvent move = completed.stream().filter(e -> e.getString("opcode").equals("memmove"))
            .findFirst().orElseThrow();
        assertEquals(4096, move.getLong("size"));
        assertEquals("success", move.getString("status"));
        assertTrue(move.getDuration("serviceTime").compareTo(move.getDuration().minusMillis(1)) >= 0,
            "the service time is the event's duration");
        final RecordedEvent bad = completed.stream().filter(e -> e.getInt("statusCode") == 0x10).findFirst()
            .orElseThrow();
        assertEquals("unsupported-opcode", bad.getString("status"));
        assertEquals("opcode-0x7f", bad.getString("opcode"));

        final List<RecordedEvent> pageRequests = named(events, "io.softdsa.PageRequest");
        assertEquals(1, pageRequests.size());
        final RecordedEvent pr = pageRequests.getFirst();
        assertEquals(PASID, pr.getInt("pasid"));
        assertEquals(dst, pr.getLong("address"));
        assertTrue(pr.getBoolean("write"));
        assertEquals("default", pr.getString("owner"));
        assertEquals("success", pr.getString("response"));
        assertTrue(move.getDuration().compareTo(pr.getDuration()) >= 0, "the move waited for its page request");

        final RecordedEvent unmap = named(events, "io.softdsa.InvalidationWait").stream()
            .filter(e -> e.getString("scope").equals("range")).findFirst().orElseThrow();
        assertEquals(PASID, unmap.getInt("pasid"));
        assertEquals(dst, unmap.getLong("address"));
        assertEquals(4096, unmap.getLong("length"));
        assertEquals(0, unmap.getInt("enginesWaitedFor"), "the engines are driven by the test: none holds anything");
        assertNotNull(unmap.getStackTrace(), "who invalidated");

        final List<RecordedEvent> aborts = named(events, "io.softdsa.WqAbort");
        assertEquals(1, aborts.size());
        assertEquals("abort", aborts.getFirst().getString("kind"));
        assertEquals(2, aborts.getFirst().getInt("discarded"));
        assertEquals(-1, aborts.getFirst().getInt("pasid"));
        final List<RecordedEvent> disables = named(events, "io.softdsa.WqDisable");
        assertEquals(1, disables.size());
        assertEquals("wq0.0", disables.getFirst().getString("wq"));
        assertEquals(0, disables.getFirst().getInt("queued"));
    }

    /** Runs the workload; returns the page the page request was for. */
    private static long runWorkload() {
        try (HostMemory memory = HostMemory.allocate(64L << 20)) {
            final ScalableModeIommu iommu = new ScalableModeIommu(memory);
            final DeviceConfig cfg = DeviceConfig.builder("dsa0").group(GroupConfig.of(0, 0))
                .wq(WqConfig.builder(0).shared().size(16).group(0).pasidEnabled(true).blockOnFault(true).build())
                .build();
            try (Device device = Device.create(memory, cfg,
                DeviceOptions.defaults().sva(iommu).threading(Threading.INVOKER))) {
                device.enableAll();
                try (DsaClient client = DsaClient.open(device, 0)) {
                    final AddressSpace as = iommu.bind(PASID);
                    final long src = as.allocate(4096, AddressSpace.RW_USER);
                    final long dst = as.reserve(4096, AddressSpace.PageSize.SIZE_4K);
                    final long records = as.allocate(4096, AddressSpace.RW_USER);
                    final CompletionRecord cr = new CompletionRecord(memory.segment(), as.hostAddress(records));
                    iommu.pageRequests().handler((request, responder) -> {
                        as.map(request.pageAddress(), memory.frames().allocateFrame(), 4096, AddressSpace.RW_USER);
                        responder.respond(PageRequest.RESPONSE_SUCCESS);
                    });
                    for (int i = 0; i < 3; i++) {
                        assertTrue(client.trySubmit(client.descriptor().opcode(Opcode.NOOP).pasid(PASID)
                            .completionAddress(records).addFlags(RCR)));
                    }
                    final Descriptor move = client.descriptor().opcode(Opcode.MEMMOVE).pasid(PASID).source(src)
                        .destination(dst).transferSize(4096).completionAddress(records)
                        .addFlags(RCR | DescriptorFlags.BLOCK_ON_FAULT);
                    assertTrue(client.trySubmit(move));
                    assertTrue(client.trySubmit(client.descriptor().opcode(0x7F).pasid(PASID)
                        .completionAddress(records).addFlags(RCR)));
                    cr.arm();
                    while (device.invokeEngines() > 0) {
                        // run all five
                    }
                    assertEquals(0x10, cr.status(), "the last one written is the unsupported opcode's");
                    as.unmap(dst, 4096); // a range invalidation
                    for (int i = 0; i < 2; i++) {
                        assertTrue(client.trySubmit(client.descriptor().opcode(Opcode.NOOP).pasid(PASID)));
                    }
                    assertEquals(2, device.wq(0).abort().count());
                    device.wq(0).disable();
                    as.unbind();
                    return dst;
                }
            }
        }
    }

    private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }
}
