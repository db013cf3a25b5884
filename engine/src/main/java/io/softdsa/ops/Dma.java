package io.softdsa.ops;

import io.softdsa.completion.Status;
import io.softdsa.iommu.Iommu;
import io.softdsa.iommu.PageFaultHandler;
import io.softdsa.iommu.PassThroughIommu;
import io.softdsa.iommu.Translation;
import io.softdsa.iommu.TranslationFault;
import io.softdsa.memory.Page;
import io.softdsa.telemetry.EngineCounters;

import java.lang.foreign.MemorySegment;

/**
 * An engine's window on host memory: maps the operands of one <em>step</em> of an operation through the
 * {@link Iommu} and remembers why the last mapping failed. Operations reach memory only as
 * {@code memory().copy/get/set} at the host addresses this returns.
 * <p>
 * <b>The one rule that keeps a tenant's memory its own:</b> a host address is valid only until the next
 * {@code map*} call. Every call may let go of this engine's translations — it blocks on a page request (the handler
 * may unmap and give the frame to someone else), the host resolves a stage-2 fault, or the engine releases its IOTLB
 * epoch so an invalidation is not kept waiting (every {@link #holdBytes} bytes, see below). So a step that needs
 * several operands at once (a copy needs its source and destination) maps them with one {@link #map2}/{@link #map3}
 * call, which restarts the whole step if anything was let go between its first and last operand: the host addresses
 * it returns all come from one pass in which this engine held its translations throughout. Operations never keep a
 * host address past the step that mapped it; their translated runs are remembered here (the windows below), where a
 * let-go drops them. Windows outlive the descriptor, as a device keeps its translations cached: the next descriptor of
 * the same PASID context uses them only once the IOMMU says no invalidation came in between ({@link Iommu#resume});
 * otherwise, or in another context, they are dropped before the first translation.
 * <p>
 * <b>Bounded invalidation latency:</b> with PASID translation, a step covers at most {@link #MAX_STEP} bytes, and the
 * engine lets go of its epoch at the start of the first step after it has mapped {@link #holdBytes} bytes: an IOTLB
 * invalidation waits for at most {@code holdBytes + MAX_STEP} bytes of access per operand by each engine.
 * <p>
 * One per engine; not thread-safe; allocates nothing.
 */
public final class Dma {
    /** Default bytes an engine maps before it lets go of its translation epoch (4 MiB). */
    public static final long DEFAULT_HOLD_BYTES = 4L << 20;
    /** Longest run one step maps under PASID translation (2 MiB). */
    public static final long MAX_STEP = 2L << 20;
    /**
     * How often a multi-operand step is restarted because a page response came back while an earlier operand was
     * taken away again; then the step fails as an invalid page response (0x04), resumable like any page fault.
     */
    static final int MAX_RESTARTS = 8;

    private final MemorySegment memory;
    private final Iommu iommu;
    /** {@link Iommu#identityLimit}: PASID-disabled operands are mapped here by the IOMMU's own rule (see physical). */
    private final long identityLimit;
    private final long holdBytes;
    private final Translation translation = new Translation();
    private PageFaultHandler pageFaultHandler = PageFaultHandler.NONE;
    /** Engines of the device that may wait on a page request at once (shared by them; null: no limit). */
    private java.util.concurrent.atomic.AtomicInteger pageWaitPermits;
    private boolean blockOnFault;
    /** The engine's counters: page requests raised and translations let go are counted here, on the engine thread. */
    private EngineCounters counters = EngineCounters.DISABLED;

    // result of the last step: host address per operand and the run they share
    private final long[] host = new long[3];
    private long length;
    // result of the last single-operand translation
    private long runHost;
    private long runLength;

    /** Whether this engine holds translations (its windows are usable) since the IOMMU last said it may. */
    private boolean holding;
    /** Bytes mapped since this engine last let go of its translations. */
    private long heldBytes;
    /** Advances every time this engine lets go of its translations in the middle of a descriptor. */
    private long generation;

    // Translations this engine holds (one per operand at most, each to the end of its page at least), as the device
    // keeps its translations cached: a long source run is not translated again for each short destination run, and
    // the next descriptor's operands and record on the same pages are not translated again either (see resume).
    private static final int WINDOWS = 4;
    private final long[] windowStart = new long[WINDOWS];
    private final long[] windowLength = new long[WINDOWS];
    private final long[] windowHost = new long[WINDOWS];
    private final boolean[] windowWrite = new boolean[WINDOWS];
    /** Whether the window stops short of where its translation ran on (cut at the bytes wanted then). */
    private final boolean[] windowCut = new boolean[WINDOWS];
    private int nextWindow;
    /** Behind the windows: the runs of earlier descriptors (void whenever the windows are). */
    private final TranslatedRuns runs = new TranslatedRuns();
    private int failureStatus;
    private long faultAddress;
    private boolean faultWrite;

    public Dma(MemorySegment memory, Iommu iommu) {
        this(memory, iommu, DEFAULT_HOLD_BYTES);
    }

    /**
     * @param holdBytes bytes this engine maps before it lets go of its translation epoch (at least 1; 1 = before
     *                  every step, which tests use to prove no operation keeps a host address past its step)
     */
    public Dma(MemorySegment memory, Iommu iommu, long holdBytes) {
        if (holdBytes < 1) {
            throw new IllegalArgumentException("translation hold bytes must be >= 1: " + holdBytes);
        }
        this.memory = memory;
        this.iommu = iommu;
        this.identityLimit = iommu.identityLimit();
        this.holdBytes = holdBytes;
    }

    public MemorySegment memory() {
        return memory;
    }

    /** Sets the PASID context of the descriptor about to run (a batch's descriptors run in the batch's). */
    public void context(boolean pasidEnabled, int pasid, boolean priv) {
        if (pasidEnabled != translation.pasidEnabled || pasid != translation.pasid || priv != translation.priv) {
            dropWindows();
        }
        translation.context(pasidEnabled, pasid, priv);
    }

    /** Whether a translation in {@code pasid}'s context can wait on the host ({@link Iommu#mayWaitOnHost}). */
    public boolean mayWaitOnHost(boolean pasidEnabled, int pasid) {
        return iommu.mayWaitOnHost(pasidEnabled, pasid);
    }

    /** Whether the page faults of the descriptor about to run block on a page request (its BOF, if the WQ allows). */
    public void blockOnFault(boolean blockOnFault) {
        this.blockOnFault = blockOnFault;
    }

    /**
     * The descriptor is done: tell the IOMMU this engine holds no translation. Its windows stay, but are not used
     * again before the IOMMU says, at the next descriptor's first translation, that no invalidation came in between
     * ({@link Iommu#resume}).
     */
    public void release() {
        holding = false;
        translation.translationsDropped = false;
        heldBytes = 0;
        iommu.quiesce(translation);
    }

    /** This engine is retired: the IOMMU frees what it kept for it. */
    public void close() {
        release();
        iommu.release(translation);
    }

    /** Translation statistics of this engine. */
    public Translation translation() {
        return translation;
    }

    /** Counts this engine's page requests and let-go translations in {@code engineCounters} (before it runs). */
    public void counters(EngineCounters engineCounters) {
        this.counters = engineCounters;
        translation.counters(engineCounters); // invalidations that wait for this engine count there too
    }

    public void pageFaultHandler(PageFaultHandler handler) {
        this.pageFaultHandler = handler == null ? PageFaultHandler.NONE : handler;
    }

    /**
     * Shares {@code permits} with the other engines of the device: a blocking fault waits on a page request only
     * while it can take a permit, else it completes as a fault without BOF (0x03, resumable). So however slowly a
     * tenant answers its page requests, some engine is always left to the others.
     */
    public void pageWaitPermits(java.util.concurrent.atomic.AtomicInteger permits) {
        this.pageWaitPermits = permits;
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

    /** Times this engine let go of its translations in the middle of a descriptor (statistics, tests). */
    public long translationsLetGo() {
        return generation;
    }

    /**
     * One step with one operand: maps the start of {@code [address, address + wanted)}.
     *
     * @return true with {@link #hostAddress()} / {@link #length()} set (length between 1 and wanted), or false with
     * {@link #failureStatus()}, {@link #faultAddress()} and {@link #faultWrite()} set
     */
    public boolean map(long address, long wanted, int access) {
        if (identity()) {
            return physical(1, address, wanted, access, 0, 0, 0, 0);
        }
        beginStep();
        if (!translate(address, wanted, access)) {
            return false;
        }
        host[0] = runHost;
        length = runLength;
        return true;
    }

    /**
     * One step with two operands: the start of {@code [a, a + wanted)} and the same number of bytes at {@code b}.
     * On true, {@link #hostAddress(int)} 0 and 1 and the run {@link #length()} they share are set, all from one pass
     * in which this engine kept its translations.
     */
    public boolean map2(long a, long wanted, int accessA, long b, int accessB) {
        if (identity()) {
            return physical(2, a, wanted, accessA, b, accessB, 0, Translation.READ);
        }
        return mapStep(2, a, wanted, accessA, b, accessB, 0, Translation.READ);
    }

    /** One step with three operands, as {@link #map2}. */
    public boolean map3(long a, long wanted, int accessA, long b, int accessB, long c, int accessC) {
        if (identity()) {
            return physical(3, a, wanted, accessA, b, accessB, c, accessC);
        }
        return mapStep(3, a, wanted, accessA, b, accessB, c, accessC);
    }

    /** Whether the operands of the step about to be mapped are host-physical under an identity IOMMU. */
    private boolean identity() {
        return !translation.pasidEnabled && identityLimit >= 0;
    }

    /**
     * A step without PASID under an IOMMU whose PASID-disabled answer is {@link PassThroughIommu#translatePhysical}
     * below {@link #identityLimit}: that answer taken here, operand by operand in the order {@link #mapStep} asks, so
     * the first operand outside is the failure. Nothing is held or let go, so there is nothing to restart, and a
     * step costs a static call per operand instead of the IOMMU's interface and the window machinery (JMH
     * EngineWork.batch, alternated: 22.5-22.7 -> 20.5-21.5 ns a list descriptor).
     */
    private boolean physical(int operands, long a, long wanted, int accessA, long b, int accessB, long c,
                             int accessC) {
        long run = physicalRun(a, wanted, accessA);
        if (run > 0 && operands >= 2) {
            run = physicalRun(b, run, accessB);
        }
        if (run > 0 && operands == 3) {
            run = physicalRun(c, run, accessC);
        }
        if (run == 0) {
            return false;
        }
        host[0] = a;
        host[1] = operands >= 2 ? b : 0;
        host[2] = operands == 3 ? c : 0;
        length = run;
        return true;
    }

    /** One PASID-less operand: its run (1 to {@code wanted} bytes), or 0 with the failure recorded. */
    private long physicalRun(long address, long wanted, int access) {
        final int status = PassThroughIommu.translatePhysical(translation, address, wanted, identityLimit);
        if (status != Iommu.OK) {
            failed(status, address, access);
            return 0;
        }
        return translation.length;
    }

    /**
     * Maps {@code operands} (2 or 3) operands of one step; restarts the step whenever the engine let go of its
     * translations after the first operand was mapped, so every host address handed out comes from one pass.
     */
    private boolean mapStep(int operands, long a, long wanted, int accessA, long b, int accessB, long c, int accessC) {
        beginStep();
        for (int restarts = 0; ; restarts++) {
            if (!translate(a, wanted, accessA)) {
                return false;
            }
            final long pass = generation;
            final long hostA = runHost;
            if (!translate(b, runLength, accessB)) {
                return false; // b's own failure stands, whether or not something was let go meanwhile
            }
            final long hostB = runHost;
            if (generation == pass && operands == 3 && !translate(c, runLength, accessC)) {
                return false;
            }
            if (generation == pass) {
                host[0] = hostA;
                host[1] = hostB;
                host[2] = operands == 3 ? runHost : 0;
                length = runLength; // each translate(x, n) returns at most n
                return true;
            }
            if (restarts == MAX_RESTARTS) {
                return unstable(a, accessA);
            }
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

    /** Host address of operand 0 of the last successful step. */
    public long hostAddress() {
        return host[0];
    }

    /** Host address of operand {@code operand} of the last successful step. */
    public long hostAddress(int operand) {
        return host[operand];
    }

    /** The run the operands of the last successful step share, in bytes. */
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

    /** A step starts: if this engine has held its translations for long enough, it lets go of them first. */
    private void beginStep() {
        if (heldBytes >= holdBytes && translation.pasidEnabled) {
            heldBytes = 0;
            iommu.quiesce(translation);
            letGo();
        }
    }

    /** Everything translated before is void: drop the windows, and make any step in progress start over. */
    private void letGo() {
        holding = false;
        dropWindows();
        generation++;
        counters.translationsLetGo();
    }

    /**
     * One operand: a window, else the IOMMU (and on a blocking fault, a page request and one retry). Kept in three
     * methods, each below the JIT's inlining limit for a hot callee (325 bytecodes): as one (427) it was a real call
     * for every operand of every step, PASID or not.
     */
    private boolean translate(long address, long wanted, int access) {
        if (!translation.pasidEnabled) {
            // a host-physical address: no window, no run cache (see translateCached), the IOMMU's bounds check
            return walk(address, wanted, wanted, access);
        }
        return translateCached(address, Math.min(wanted, MAX_STEP), access);
    }

    /** Under PASID translation: a window, a run of an earlier descriptor, else a walk of the rest of the page. */
    private boolean translateCached(long address, long wanted, int access) {
        if (!holding) {
            // the first translation since the engine let go: it holds translations again from here on, and the
            // windows of earlier descriptors serve only if no invalidation came in between
            holding = true;
            if (!iommu.resume(translation)) {
                dropWindows();
            }
        }
        // windows only under PASID translation: a host-physical address needs no walk to remember, and the IOMMU's
        // bounds check costs less than the scan (it still goes through the IOMMU: the one door to memory)
        for (int i = 0; i < WINDOWS; i++) {
            final long into = address - windowStart[i];
            if (Long.compareUnsigned(into, windowLength[i]) < 0 && (access == Translation.READ || windowWrite[i])
                && (!windowCut[i] || windowLength[i] - into >= wanted)) {
                // a window that was cut short answers only what it covers whole: a run ends where the translation
                // ends (a page the next frame does not follow), never where an earlier request happened to stop
                runHost = windowHost[i] + into;
                runLength = Math.min(wanted, windowLength[i] - into);
                heldBytes += runLength;
                return true;
            }
        }
        // a run of an earlier descriptor (the same buffer again, a completion record area)
        final long cached = runs.lookup(address, wanted, access == Translation.WRITE);
        if (cached >= 0) {
            runHost = cached;
            runLength = runs.length();
            heldBytes += runLength;
            return true;
        }
        // ask for the rest of the page at least: the window then serves every later access to that page (a
        // completion record, a small operand), where it would cover only the bytes wanted now
        return walk(address, wanted, Math.max(wanted, Page.SIZE - (address & Page.OFFSET_MASK)), access);
    }

    /** The IOMMU's answer for {@code asked} bytes at {@code address}, of which the step gets up to {@code wanted}. */
    private boolean walk(long address, long wanted, long asked, int access) {
        final int status = iommu.translate(translation, address, asked, access);
        noteLetGo(); // a stage-2 fault resolved inside translate lets go too
        if (status == Iommu.OK) {
            return mapped(address, wanted, asked, access);
        }
        return faulted(status, address, wanted, access);
    }

    /** A fault: with block on fault (and a page wait to take), a page request and one retry; else the failure. */
    private boolean faulted(int status, long address, long wanted, int access) {
        if (status == TranslationFault.PAGE_NOT_PRESENT && blockOnFault && takePageWait()) {
            try {
                status = blockOnFault(address, wanted, access);
            } finally {
                if (pageWaitPermits != null) {
                    pageWaitPermits.incrementAndGet();
                }
            }
            if (status == Iommu.OK) {
                return true;
            }
        }
        return failed(status, address, access);
    }

    private boolean takePageWait() {
        final java.util.concurrent.atomic.AtomicInteger permits = pageWaitPermits;
        if (permits == null) {
            return true;
        }
        for (int p = permits.get(); p > 0; p = permits.get()) {
            if (permits.compareAndSet(p, p - 1)) {
                return true;
            }
        }
        return false;
    }

    /** A fault with BOF: a page request, the wait for its response, and one retry; OK when mapped then. */
    private int blockOnFault(long address, long wanted, int access) {
        // PRI: ask, wait for the page response, and retry once it says the page is there; the wait lets go of
        // every translation (the handler may unmap anything), so whatever this step held is void; the engine
        // holds no epoch while it waits, so the handler's own invalidations never wait on it
        iommu.quiesce(translation);
        heldBytes = 0;
        letGo();
        counters.pageRequestRaised();
        int status = pageFaultHandler.resolve(translation, address, access);
        translation.translationsDropped = false;
        if (status == Iommu.OK) {
            status = iommu.translate(translation, address, wanted, access);
            noteLetGo();
            if (status == Iommu.OK) {
                mapped(address, wanted, wanted, access);
                return Iommu.OK;
            }
            if (status == TranslationFault.PAGE_NOT_PRESENT) {
                status = TranslationFault.PAGE_REQUEST_FAILED; // answered Success, and still not there
            }
        }
        return status;
    }

    private void noteLetGo() {
        if (translation.translationsDropped) {
            translation.translationsDropped = false;
            letGo();
        }
    }

    /** Records a failed step: {@code fault} (a {@link TranslationFault}) as the completion status it stands for. */
    private boolean failed(int fault, long address, int access) {
        failureStatus = completionStatus(fault);
        faultAddress = address;
        faultWrite = access == Translation.WRITE;
        return false;
    }

    /** A step whose operands kept being taken away between page responses: an invalid page response at its start. */
    private boolean unstable(long address, int access) {
        return failed(TranslationFault.PAGE_REQUEST_FAILED, address, access);
    }

    /**
     * The one place translation faults become completion statuses (fact sheet section 10): a page not present is
     * 0x03 (page fault without block on fault, or one the engine could not block on), a page request that did not
     * bring the page is 0x04 (page fault, invalid page response), anything else is 0x22 (translation error).
     */
    static int completionStatus(int fault) {
        return switch (fault) {
            case TranslationFault.PAGE_NOT_PRESENT -> Status.PAGE_FAULT_NOBOF;
            case TranslationFault.PAGE_REQUEST_FAILED -> Status.PAGE_FAULT_IR;
            default -> Status.TRANSLATION_ERROR;
        };
    }

    /** The IOMMU translated {@code asked} bytes or fewer at {@code address}; the step gets up to {@code wanted}. */
    private boolean mapped(long address, long wanted, long asked, int access) {
        runHost = translation.hostAddress;
        runLength = Math.min(translation.length, wanted);
        heldBytes += runLength;
        if (!translation.pasidEnabled) {
            return true; // nothing to remember (see translate)
        }
        final int w = nextWindow;
        nextWindow = (w + 1) & (WINDOWS - 1);
        windowStart[w] = address;
        windowLength[w] = translation.length;
        windowHost[w] = runHost;
        windowWrite[w] = access == Translation.WRITE;
        windowCut[w] = translation.length >= asked; // it may run on past what was asked: only a shorter answer is a real end
        runs.fill(address, translation.length, runHost, windowWrite[w], windowCut[w]);
        return true;
    }

    private void dropWindows() {
        for (int i = 0; i < WINDOWS; i++) {
            windowLength[i] = 0;
        }
        runs.drop();
    }
}
