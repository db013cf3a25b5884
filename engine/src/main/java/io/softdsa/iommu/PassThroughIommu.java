package io.softdsa.iommu;


/**
 * Identity translation for WQs with PASID disabled: the address is host-physical and must lie inside host memory.
 * A request with PASID enabled has no address space here and gets a translation error (fact sheet section 13:
 * an unbound PASID is a translation error, not a page fault) — the PASID walker replaces this for SVA.
 */
public final class PassThroughIommu implements Iommu {
    private final long memorySize;

    public PassThroughIommu(long memorySize) {
        this.memorySize = memorySize;
    }

    @Override
    public int translate(Translation t, long address, long length, int access) {
        if (t.pasidEnabled) {
            return TranslationFault.TRANSLATION_ERROR;
        }
        return translatePhysical(t, address, length, memorySize);
    }

    @Override
    public long identityLimit() {
        return memorySize;
    }

    /** Identity translation bounded by host memory; shared with the PASID-capable IOMMU for PASID-disabled WQs. */
    public static int translatePhysical(Translation t, long address, long length, long memorySize) {
        if (address < 0 || address >= memorySize) {
            return TranslationFault.TRANSLATION_ERROR;
        }
        t.hostAddress = address;
        t.length = Math.min(length, memorySize - address);
        return OK;
    }
}
