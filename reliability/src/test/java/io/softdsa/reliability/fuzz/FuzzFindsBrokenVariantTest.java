package io.softdsa.reliability.fuzz;

import io.softdsa.reliability.property.ShiftedWriteIommu;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * Jazzer's targets, replaying the seed corpus on a deliberately broken device ({@link ShiftedWriteIommu}: every DMA
 * write lands one byte too far), report it wrong.
 */
class FuzzFindsBrokenVariantTest {
    @Test
    void jazzerFindsTheDeviceWhoseWritesLandOneByteTooFar() {
        // the same targets and the same corpus, on a device whose writes land one byte too far
        DeviceFuzzTest.iommu = memory -> new ShiftedWriteIommu(memory.size());
        final EngineExecutionResults results;
        try {
            results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(DeviceFuzzTest.class)).execute();
        } finally {
            DeviceFuzzTest.iommu = null;
        }
        final List<Event> failed = results.testEvents().failed().list();
        final long passed = results.testEvents().succeeded().count();
        System.out.println("[fuzz] broken device (writes shifted by one byte): " + failed.size()
            + " corpus inputs fail, " + passed + " pass; first: " + failed.stream().findFirst()
            .flatMap(e -> e.getPayload(TestExecutionResult.class)).flatMap(TestExecutionResult::getThrowable)
            .map(Throwable::toString).orElse("none"));
        assertTrue(failed.size() >= 10, "Jazzer's corpus replay passed a device that writes one byte too far");
        // every target that writes memory must notice
        for (String target : List.of("descriptor", "batchList", "deltaRecord", "difTuples")) {
            assertTrue(failed.stream().anyMatch(e -> e.getTestDescriptor().getUniqueId().toString().contains(target)),
                "no finding in target " + target);
        }
    }
}
