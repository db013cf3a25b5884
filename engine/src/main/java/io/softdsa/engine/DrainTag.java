package io.softdsa.engine;

import io.softdsa.engine.DescriptorRing;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What one engine tells Drain WQ, Disable WQ and Abort PASID: the (WQ, position) of the descriptor it executes, and
 * for which PASID. A drainer that sees the ring's head past its end (acquire) and no engine
 * {@link #executingBefore} that end knows every descriptor below it has completed.
 * <p>
 * The protocol: the tag is stored (release) <em>before</em> the claiming CAS on the ring head — the CAS is a
 * release, so a drainer whose acquire of head sees the claim sees the tag too — and cleared (release) after the
 * descriptor's completion record and interrupt, pairing with the drainer's acquire of the tag. The PASID is
 * published after the claim and cleared before the tag, so {@link #executingBefore} never pairs a tag with an older
 * descriptor's PASID. An engine that claims a run of descriptors with one CAS moves the tag from each to the next
 * ({@link #advance}) and clears it after the last. {@code reliability}'s Lincheck proof twins this very class (and
 * its planted variants: {@link #TAG_BEFORE_CLAIM} off, the tag stored after the claim; {@link #ADVANCE_WITHOUT_IDLE}
 * off, the tag idle between a run's descriptors) together with the ring.
 */
public final class DrainTag {
    /** No descriptor in flight. */
    public static final long IDLE = PositionTag.NONE;
    private static final int NO_PASID = -1;
    private static final VarHandle IN_FLIGHT;
    private static final VarHandle RUNNING_PASID;

    /*
     * The ordering step reliability/lincheck's planted-bug variant turns off, in a twin of this bytecode. Always true
     * here; not a compile-time constant so that javac keeps the read the twin rewrites (the JIT folds it).
     */
    /** The tag is stored before the claiming CAS (else a drainer may see head past a descriptor and no tag). */
    private static final boolean TAG_BEFORE_CLAIM = Boolean.TRUE.booleanValue();
    /** Within a run, the tag moves from one descriptor to the next without passing through IDLE. */
    private static final boolean ADVANCE_WITHOUT_IDLE = Boolean.TRUE.booleanValue();
    /** Length of the last claimed run; this engine's thread only. */
    private int claimed;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            IN_FLIGHT = lookup.findVarHandle(DrainTag.class, "inFlight", long.class);
            RUNNING_PASID = lookup.findVarHandle(DrainTag.class, "runningPasid", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /*
     * The two words this engine writes for every descriptor, which other engines' drains read: padded by seven longs
     * on each side so that no other object's field shares their cache line (HotSpot lays out fields of one size in
     * declaration order; runningPasid is a long, not an int, so that it cannot move into the header's gap).
     */
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    @SuppressWarnings("unused") // accessed through IN_FLIGHT
    private volatile long inFlight = IDLE;
    @SuppressWarnings("unused") // accessed through RUNNING_PASID; single writer; a PASID, or NO_PASID
    private volatile long runningPasid = NO_PASID;
    @SuppressWarnings("unused")
    private long q01, q02, q03, q04, q05, q06, q07;

    /**
     * Claims the next published descriptor of {@code ring} (WQ {@code wqIndex}) into {@code fetch}, tagged; returns
     * its position, or -1 when the ring has none to give (the tag may then name a position this engine did not get:
     * it only makes a drainer wait a little longer, until {@link #idle} or the next tag).
     */
    public long claim(DescriptorRing ring, int wqIndex, MemorySegment fetch) {
        return claimRun(ring, wqIndex, fetch, 1, 0);
    }

    /**
     * Like {@link #claim}, but takes a run of up to {@code max} published descriptors with one CAS
     * ({@link DescriptorRing#claimRun}), copied into {@code fetch} at 64 bytes each; returns the run's first position
     * (tagged) or -1, and {@link #claimed()} says how long the run is. The engine runs them in order, moving the tag
     * along with {@link #advance} — never through {@link #IDLE} while any of them has not completed. A run's
     * descriptors agree in {@code sameBits} of their first eight bytes ({@link DescriptorRing#claimRun}).
     */
    public long claimRun(DescriptorRing ring, int wqIndex, MemorySegment fetch, int max, long sameBits) {
        long position;
        while ((position = ring.peek()) >= 0) {
            if (TAG_BEFORE_CLAIM) {
                // the tag is itself a release so that a drainer that sees it also sees the previous descriptor's
                // NO_PASID; the claim CAS below is a release too, so a drainer that sees head past `position`
                // (acquire) sees this tag
                IN_FLIGHT.setRelease(this, tag(wqIndex, position));
            }
            final int n = ring.claimRun(position, max, sameBits, fetch, 0);
            if (n > 0) {
                if (!TAG_BEFORE_CLAIM) {
                    IN_FLIGHT.setRelease(this, tag(wqIndex, position)); // the planted bug: too late
                }
                claimed = n;
                return position;
            }
        }
        claimed = 0;
        return -1;
    }

    /** Descriptors the last {@link #claimRun} took (this engine's thread only). */
    public int claimed() {
        return claimed;
    }

    /**
     * The descriptor before {@code position} of the run has completed; {@code position} runs next. The tag moves
     * straight from one to the other (release: the completed one's record happens-before a drainer's acquire that
     * sees the new tag): a drainer sees head past the whole run from its claim on, so an {@link #IDLE} tag in
     * between would let it return before the rest of the run has run. The PASID is cleared first, as in
     * {@link #completed}.
     */
    public void advance(int wqIndex, long position) {
        RUNNING_PASID.setOpaque(this, (long) NO_PASID); // ordered before the new tag by its release
        if (!ADVANCE_WITHOUT_IDLE) {
            IN_FLIGHT.setRelease(this, IDLE); // planted-bug variant only (see the flag)
        }
        IN_FLIGHT.setRelease(this, tag(wqIndex, position));
    }

    /** Which PASID the claimed descriptor runs for (release, after the claim): Abort PASID waits only for its own. */
    public void running(int pasid) {
        RUNNING_PASID.setRelease(this, (long) pasid);
    }

    /** The claimed descriptor has completed (its record and interrupt are written). */
    public void completed() {
        RUNNING_PASID.setOpaque(this, (long) NO_PASID); // ordered before the next tag by that tag's release
        IN_FLIGHT.setRelease(this, IDLE); // completion visible: pairs with drainers' acquire
    }

    /** Nothing claimed in this duty cycle. */
    public void idle() {
        IN_FLIGHT.setOpaque(this, IDLE);
    }

    /**
     * Whether the engine is executing a descriptor of {@code wqIndex} below {@code end} — of {@code pasid} only if it
     * is not negative: tag, PASID, tag again, all acquire; an unchanged tag means the PASID read is this descriptor's
     * (written after its claim) or {@code NO_PASID} (not known yet: it counts).
     */
    public boolean executingBefore(int wqIndex, long end, int pasid) {
        final long t = (long) IN_FLIGHT.getAcquire(this);
        if (t == IDLE || PositionTag.key(t) != wqIndex || PositionTag.position(t) >= end) {
            return false;
        }
        if (pasid < 0) {
            return true;
        }
        final long p = (long) RUNNING_PASID.getAcquire(this);
        return p == NO_PASID || p == pasid || (long) IN_FLIGHT.getAcquire(this) != t;
    }

    private static long tag(int wqIndex, long position) {
        return PositionTag.of(wqIndex, position);
    }
}
