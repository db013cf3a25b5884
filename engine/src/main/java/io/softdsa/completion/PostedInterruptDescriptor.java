package io.softdsa.completion;

import io.softdsa.memory.Le;

import java.lang.foreign.MemorySegment;

import static io.softdsa.completion.PostedInterruptDescriptorLayout.CONTROL_OFFSET;
import static io.softdsa.completion.PostedInterruptDescriptorLayout.LENGTH;
import static io.softdsa.completion.PostedInterruptDescriptorLayout.NDST_MASK;
import static io.softdsa.completion.PostedInterruptDescriptorLayout.NDST_SHIFT;
import static io.softdsa.completion.PostedInterruptDescriptorLayout.NV_MASK;
import static io.softdsa.completion.PostedInterruptDescriptorLayout.NV_SHIFT;
import static io.softdsa.completion.PostedInterruptDescriptorLayout.ON;
import static io.softdsa.completion.PostedInterruptDescriptorLayout.PIR_OFFSET;
import static io.softdsa.completion.PostedInterruptDescriptorLayout.PIR_WORDS;
import static io.softdsa.completion.PostedInterruptDescriptorLayout.SN;
import static io.softdsa.completion.PostedInterruptDescriptorLayout.VECTORS;

/**
 * Flyweight over one posted-interrupt descriptor in memory ({@link PostedInterruptDescriptorLayout}). The sender
 * (an engine, or the virtual device's misc path) calls {@link #post}; the receiver calls {@link #drain}. Every
 * access is an atomic read-modify-write of an aligned 8-byte word, so any number of senders and one receiver may run
 * at once.
 * <p>
 * Why no interrupt is lost: a sender ORs the PIR bit <em>before</em> it looks at ON, and the receiver clears ON
 * <em>before</em> it takes the PIR words. All of these are volatile read-modify-writes of the same two words, so
 * they are totally ordered: either the receiver's take comes after the sender's OR (it sees the bit), or the
 * sender's look at ON comes after the receiver's clear (it finds ON 0, sets it and notifies again).
 */
public final class PostedInterruptDescriptor {
    private final MemorySegment memory;
    private final long address;

    /** @param address a 64-byte aligned host address in {@code memory} */
    public PostedInterruptDescriptor(MemorySegment memory, long address) {
        if ((address & (LENGTH - 1)) != 0 || address < 0 || address + LENGTH > memory.byteSize()) {
            throw new IllegalArgumentException("posted-interrupt descriptor at 0x" + Long.toHexString(address)
                + " must be 64-byte aligned inside memory");
        }
        this.memory = memory;
        this.address = address;
    }

    public MemorySegment memory() {
        return memory;
    }

    /** The host address of the descriptor (what a dirty logger sees written). */
    public long address() {
        return address;
    }

    /** Zeroes the descriptor and programs NV and NDST (ON and SN clear): interrupt-remapping set-up, control path. */
    public PostedInterruptDescriptor init(int notificationVector, int destination) {
        for (int off = 0; off < LENGTH; off += 8) {
            Le.setLongRelease(memory, address + off, 0L);
        }
        Le.setLongRelease(memory, address + CONTROL_OFFSET,
            ((long) (notificationVector & 0xFF) << NV_SHIFT) | (((long) destination << NDST_SHIFT) & NDST_MASK));
        return this;
    }

    /**
     * Posts {@code vector}: atomically ORs its PIR bit, then, if ON was 0 and SN is 0, sets ON atomically. Returns
     * whether the caller must send the (one) notification. Allocation-free; safe from any thread.
     */
    public boolean post(int vector) {
        if (vector < 0 || vector >= VECTORS) {
            return false;
        }
        // volatile RMW: ordered before the control-word read below, pairs with the receiver's take in drain
        Le.getAndBitwiseOrLong(memory, address + PIR_OFFSET + 8L * (vector >>> 6), 1L << (vector & 63));
        while (true) {
            final long c = Le.getLongVolatile(memory, address + CONTROL_OFFSET);
            if ((c & (ON | SN)) != 0) {
                return false; // a notification is outstanding (the receiver will see the bit) or suppressed
            }
            if (Le.compareAndSetLong(memory, address + CONTROL_OFFSET, c, c | ON)) {
                return true;
            }
        }
    }

    /** What the receiver does with each posted vector. */
    @FunctionalInterface
    public interface VectorSink {
        void vector(int vector);
    }

    /**
     * The receiver's side: clears ON, then takes and clears every PIR word atomically, and hands each posted vector
     * to {@code sink} once, lowest first. Returns the number of vectors handed over. {@code sink} runs on the
     * caller's thread; whatever it throws propagates after the words are taken (the remaining vectors of a word
     * are still handed over first).
     */
    public int drain(VectorSink sink) {
        clearOutstanding();
        int n = 0;
        Throwable failure = null;
        for (int w = 0; w < PIR_WORDS; w++) {
            long bits = takeWord(w);
            while (bits != 0) {
                final int bit = Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                n++;
                try {
                    sink.vector(64 * w + bit);
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                }
            }
        }
        if (failure != null) {
            sneakyThrow(failure);
        }
        return n;
    }

    /** Clears ON (receiver step 1; volatile RMW, ordered before the takes that follow). */
    public void clearOutstanding() {
        Le.LONG_HANDLE.getAndBitwiseAnd(memory, address + CONTROL_OFFSET, ~ON);
    }

    /** Takes and clears PIR word {@code w} atomically (receiver step 2); returns its bits. */
    public long takeWord(int w) {
        // getAndBitwiseAnd with 0 is getAndSet(0): pairs with the senders' getAndBitwiseOr of the same word
        return (long) Le.LONG_HANDLE.getAndBitwiseAnd(memory, address + PIR_OFFSET + 8L * w, 0L);
    }

    /** Whether any PIR bit is set (a snapshot). */
    public boolean anyPending() {
        for (int w = 0; w < PIR_WORDS; w++) {
            if (Le.getLongVolatile(memory, address + PIR_OFFSET + 8L * w) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code vector}'s PIR bit is set. */
    public boolean pending(int vector) {
        return (Le.getLongVolatile(memory, address + PIR_OFFSET + 8L * (vector >>> 6)) & (1L << (vector & 63))) != 0;
    }

    public boolean outstandingNotification() {
        return (Le.getLongVolatile(memory, address + CONTROL_OFFSET) & ON) != 0;
    }

    public boolean suppressed() {
        return (Le.getLongVolatile(memory, address + CONTROL_OFFSET) & SN) != 0;
    }

    /**
     * Sets or clears SN. Clearing it returns whether the caller must notify: bits were posted while suppressed and no
     * notification is outstanding (ON is then set, as a sender would have).
     */
    public boolean suppress(boolean on) {
        if (on) {
            Le.getAndBitwiseOrLong(memory, address + CONTROL_OFFSET, SN);
            return false;
        }
        Le.LONG_HANDLE.getAndBitwiseAnd(memory, address + CONTROL_OFFSET, ~SN);
        while (anyPending()) {
            final long c = Le.getLongVolatile(memory, address + CONTROL_OFFSET);
            if ((c & (ON | SN)) != 0) {
                return false;
            }
            if (Le.compareAndSetLong(memory, address + CONTROL_OFFSET, c, c | ON)) {
                return true;
            }
        }
        return false;
    }

    public int notificationVector() {
        return (int) ((Le.getLongVolatile(memory, address + CONTROL_OFFSET) & NV_MASK) >>> NV_SHIFT);
    }

    public int destination() {
        return (int) ((Le.getLongVolatile(memory, address + CONTROL_OFFSET) & NDST_MASK) >>> NDST_SHIFT);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }
}
