package io.softdsa.reliability.stress.hostile;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** How often each attack of the hostile run was carried out (fixed names, printed in this order). */
public final class Attacks {
    /** Every attack the run knows, with the line the table prints for it. */
    public enum Kind {
        PROCESS_EXIT_WITH_WORK_QUEUED("process exits with work queued (PASID freed, reallocated)"),
        PASID_REUSED("new process got a just-freed PASID"),
        DWQ_REOPEN_RACING_PORTAL("dedicated WQ closed and reopened while a thread stores to the old portal"),
        STORE_AFTER_CLOSE_FAULTED("portal store after close faulted (SIGSEGV)"),
        LAZY_UNMAP("pages unmapped between uses (remapped by page request or by the tenant)"),
        POISON_REMAP("unmap + poison + remap of mapped pages while descriptors run (BOF, 2 engines)"),
        REMAPPER_THREAD("  ... of which by the remapper thread"),
        PR_THROW_RUNTIME("page-request handler throws RuntimeException"),
        PR_THROW_ASSERTION("page-request handler throws AssertionError"),
        PR_THROW_OOM("page-request handler throws OutOfMemoryError"),
        PR_UNMAP_FAULTED_PAGE("page-request handler maps, responds, then unmaps the faulted page"),
        PR_UNMAP_REMAP_OTHERS("page-request handler unmaps+remaps the descriptor's other pages"),
        PR_CALLBACK("page-request handler calls back into the device (submit, invalidate)"),
        PR_LATE_RESPONSE("page-request answered later from another thread"),
        PR_BLOCK("page-request handler blocks for the rest of the run"),
        IRQ_THROW_RUNTIME("interrupt handler throws RuntimeException"),
        IRQ_THROW_ASSERTION("interrupt handler throws AssertionError"),
        IRQ_THROW_OOM("interrupt handler throws OutOfMemoryError"),
        IRQ_UNMAP("interrupt handler unmaps (IOTLB invalidation from the handler)"),
        IRQ_CALLBACK("interrupt handler submits a descriptor"),
        IRQ_BLOCK("interrupt handler blocks for the rest of the run"),
        MSI_THROW("guest MSI sink throws (RuntimeException / AssertionError / OOME)"),
        MSI_BLOCK("guest MSI sink blocks for the rest of the run"),
        MSI_CALLBACK("guest MSI sink calls back into its device (register and portal writes)"),
        GUEST_PR_THROW("guest page-request handler throws"),
        GUEST_PR_BLOCK("guest page-request handler never returns"),
        GUEST_PR_NO_RESPONSE("guest page-request never answered"),
        BATCH_FOREIGN_HANDLE("batch descriptors naming other owners' interrupt handles"),
        GUEST_FREES_DWQ_PASID("guest frees the PASID of its enabled dedicated WQ"),
        GUEST_FREE_REFUSED("  ... of which the virtual IOMMU refused"),
        GUEST_RESET_CYCLE("guest Reset Device + full bring-up with work queued"),
        GUEST_WQ_CYCLE("guest WQ disable / WQCFG / enable cycle"),
        FUZZ_BAR0_WRITE("guest random BAR0 writes (offset, width, value)"),
        FUZZ_PORTAL_WRITE("guest random 64-byte portal writes"),
        FUZZ_CONFIG_WRITE("guest random config-space writes");

        final String text;

        Kind(String text) {
            this.text = text;
        }
    }

    private final LongAdder[] counts = new LongAdder[Kind.values().length];

    public Attacks() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public void count(Kind k) {
        counts[k.ordinal()].increment();
    }

    public void add(Kind k, long n) {
        counts[k.ordinal()].add(n);
    }

    public long get(Kind k) {
        return counts[k.ordinal()].sum();
    }

    /** Attack description to count, in declaration order. */
    public Map<String, Long> table() {
        final Map<String, Long> m = new LinkedHashMap<>();
        for (Kind k : Kind.values()) {
            m.put(k.text, get(k));
        }
        return m;
    }
}
