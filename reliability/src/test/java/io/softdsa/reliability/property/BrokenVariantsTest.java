package io.softdsa.reliability.property;

import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/** The property tests, run by jqwik on a deliberately broken device, report it wrong. */
class BrokenVariantsTest {
    @Test
    void jqwikFindsTheDeviceWhoseWritesLandOneByteTooFar() {
        final EngineExecutionResults results = EngineTestKit.engine("jqwik")
            .configurationParameter("jqwik.tries.default", "100")
            .selectors(selectClass(ValidDescriptorPropertiesBrokenVariant.class)).execute();
        final List<Event> failures = results.testEvents().failed().list();
        assertFalse(failures.isEmpty(), "jqwik passed a device that writes one byte too far");
        final Throwable cause = failures.get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class)
            .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).orElseThrow();
        System.out.println("[property] broken device (writes shifted by one byte), as jqwik reports it: " + cause);
        assertTrue(String.valueOf(cause.getMessage()).matches("(?s).*(bytes at|outside the buffers|memmove|dualcast"
            + "|copy with CRC|status|record|inner).*"), String.valueOf(cause));
    }
}
