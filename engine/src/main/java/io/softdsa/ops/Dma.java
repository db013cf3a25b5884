package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.iommu.Iommu;
import io.softdsa.iommu.Translation;

import java.lang.foreign.MemorySegment;

/**
 * An engine's window on host memory: maps one device address run at a time through the {@link Iommu} and remembers
 * why the last mapping failed. Operations reach memory only as {@code memory().copy/get/set} at the host addresses
 * this returns.
 * <p>
 * One per engine; not thread-safe; allocates nothing.
 */
public final class Dma {
    private final MemorySegment memory;
    private final Iommu iommu;
    private final Translation translation = new Translation();
    private PageFaultHandler pageFaultHandler = PageFaultHandler.NONE;
    private boolean blockOnFault;

    private long hostAddress;
    private long length;

    // Translations this descriptor already holds (one per operand at most), as the device keeps its translations for
    // the duration of an access: a long source run is not translated again for each short destination run.
    private static final int WINDOWS = 4;
    private final long[] windowStart = new long[WINDOWS];
    private final long[] windowLength = new long[WINDOWS];
    private final long[] windowHost = new long[WINDOWS];
    private final boolean[] windowWrite = new boolean[WINDOWS];
    private int nextWindow;
    private int failureStatus;
    private long faultAddress;
    private boolean faultWrite;

    public Dma(MemorySegment memory, Iommu iommu) {
        this.memory = memory;
        this.iommu = iommu;
    }

    public MemorySegment memory() {
        return memory;
    }

    /** Sets the PASID context of the descriptor about to run and whether its page faults block (BOF). */
    public void context(boolean pasidEnabled, int pasid, boolean priv, boolean blockOnFault) {
        if (pasidEnabled != translation.pasidEnabled || pasid != translation.pasid || priv != translation.priv) {
            dropWindows();
        }
        translation.context(pasidEnabled, pasid, priv);
        this.blockOnFault = blockOnFault;
    }

    /** The descriptor is done: forget its translations and tell the IOMMU this engine holds none. */
    public void release() {
        dropWindows();
        translation.translationsDropped = false;
        iommu.quiesce(translation);
    }

    /** Translation statistics of this engine. */
    public Translation translation() {
        return translation;
    }

    public void pageFaultHandler(PageFaultHandler handler) {
        this.pageFaultHandler = handler == null ? PageFaultHandler.NONE : handler;
    }

    public int pasid() {
        return translation.pasid;
    }

    public boolean pasidEnabled() {
        return translation.pasidEnabled;
    }

    public boolean priv() {
        return translation.priv;
    }

    /**
     * Maps the start of {@code [address, address + wanted)}.
     *
     * @return true with {@link #hostAddress()} / {@link #length()} set (length between 1 and wanted), or false with
     * {@link #failureStatus()}, {@link #faultAddress()} and {@link #faultWrite()} set
     */
    public boolean map(long address, long wanted, int access) {
        if (translation.translationsDropped) {
            translation.translationsDropped = false; // this engine let go of its translations mid-descriptor
            dropWindows();
        }
        for (int i = 0; i < WINDOWS; i++) {
            final long into = address - windowStart[i];
            if (Long.compareUnsigned(into, windowLength[i]) < 0 && (access == Translation.READ || windowWrite[i])) {
                hostAddress = windowHost[i] + into;
                length = Math.min(wanted, windowLength[i] - into);
                return true;
            }
        }
        int status = iommu.translate(translation, address, wanted, access);
        if (status == Iommu.OK) {
            return mapped(address, wanted, access);
        }
        if (status == Status.PAGE_FAULT_NOBOF && blockOnFault) {
            // PRI: ask, wait for the page response, and retry once it says the page is there
            dropWindows();
            status = pageFaultHandler.resolve(translation, address, access);
            if (status == Iommu.OK) {
                status = iommu.translate(translation, address, wanted, access);
                if (status == Iommu.OK) {
                    return mapped(address, wanted, access);
                }
                if (status == Status.PAGE_FAULT_NOBOF) {
                    status = Status.PAGE_FAULT_IR;
                }
            }
        }
        failureStatus = status;
        faultAddress = address;
        faultWrite = access == Translation.WRITE;
        return false;
    }

    private boolean mapped(long address, long wanted, int access) {
        hostAddress = translation.hostAddress;
        length = Math.min(translation.length, wanted);
        final int w = nextWindow;
        nextWindow = (w + 1) & (WINDOWS - 1);
        windowStart[w] = address;
        windowLength[w] = length;
        windowHost[w] = hostAddress;
        windowWrite[w] = access == Translation.WRITE;
        return true;
    }

    private void dropWindows() {
        for (int i = 0; i < WINDOWS; i++) {
            windowLength[i] = 0;
        }
    }

    /** Like {@link #map} but a fault never raises a page request (completion record writes, fact sheet 10). */
    public boolean mapWithoutBlocking(long address, long wanted, int access) {
        final boolean bof = blockOnFault;
        blockOnFault = false;
        try {
            return map(address, wanted, access);
        } finally {
            blockOnFault = bof;
        }
    }

    public long hostAddress() {
        return hostAddress;
    }

    public long length() {
        return length;
    }

    public int failureStatus() {
        return failureStatus;
    }

    public long faultAddress() {
        return faultAddress;
    }

    public boolean faultWrite() {
        return faultWrite;
    }
}
