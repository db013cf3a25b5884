package io.softdsa.reliability.property;

/**
 * The valid-descriptor properties on a device whose DMA writes land one byte too far ({@link ShiftedWriteIommu}).
 * Never run by the test suite directly (surefire excludes {@code *BrokenVariant}): {@link BrokenVariantsTest} runs
 * it through the jqwik engine and asserts that jqwik reports it failing.
 */
class ValidDescriptorPropertiesBrokenVariant extends ValidDescriptorProperties {
    @Override
    DeviceUnderTest createDevice() {
        return new DeviceUnderTest(memory -> new ShiftedWriteIommu(memory.size()));
    }
}
