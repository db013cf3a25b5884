package io.softdsa.bench.support;

import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The software-queue baseline for the portal: an Agrona ring buffer carrying 64-byte records from the calling
 * (producer) thread to a busy-spinning consumer thread, which reads each record's first word as an engine decodes a
 * descriptor. {@link Kind#MANY_TO_ONE} is the counterpart of a shared WQ (any thread may submit),
 * {@link Kind#ONE_TO_ONE} of a dedicated WQ (one owner).
 * <p>
 * The producer waits as the device's submitters do ({@link Spin}); the consumer busy-spins as the engine does.
 * {@link #send()} is allocation-free after warm-up, and safe from several producers on a {@link Kind#MANY_TO_ONE} ring.
 */
public final class RingRelay implements AutoCloseable {
    /** Record payload, the size of a descriptor. */
    public static final int RECORD_LENGTH = 64;
    /** Ring capacity: 8 KiB holds 113 records of 64 bytes plus their 8-byte headers (a WQ of 64 holds 64). */
    public static final int CAPACITY = 8 * 1024;
    private static final int MSG_TYPE = 1;

    public enum Kind { MANY_TO_ONE, ONE_TO_ONE }

    private final RingBuffer ring;
    private final UnsafeBuffer record;
    private final Thread consumer;
    private volatile boolean running = true;
    private volatile long consumed;
    private long checksum;
    /** An adder, not a plain counter: a many-to-one relay has several producers (cells made once, at warm-up). */
    private final java.util.concurrent.atomic.LongAdder retries = new java.util.concurrent.atomic.LongAdder();

    private RingRelay(Kind kind) {
        final UnsafeBuffer storage = new UnsafeBuffer(
            BufferUtil.allocateDirectAligned(CAPACITY + RingBufferDescriptor.TRAILER_LENGTH, 64));
        this.ring = kind == Kind.MANY_TO_ONE ? new ManyToOneRingBuffer(storage) : new OneToOneRingBuffer(storage);
        this.record = new UnsafeBuffer(BufferUtil.allocateDirectAligned(RECORD_LENGTH, 64));
        for (int i = 0; i < RECORD_LENGTH; i += 8) {
            record.putLong(i, 0x0300_0000_0000_0000L | i); // an opcode byte and some payload
        }
        this.consumer = new Thread(this::consume, "ring-relay-consumer-" + kind.name().toLowerCase());
        this.consumer.setDaemon(true);
    }

    /** A relay with its consumer thread running. */
    public static RingRelay start(Kind kind) {
        final RingRelay relay = new RingRelay(kind);
        relay.consumer.start();
        return relay;
    }

    /** Writes one 64-byte record, waiting ({@link Spin}) while the ring is full. */
    public void send() {
        int spins = 0;
        while (!ring.write(MSG_TYPE, record, 0, RECORD_LENGTH)) {
            retries.increment();
            spins = Spin.idle(spins);
        }
    }

    public void send(int n) {
        for (int i = 0; i < n; i++) {
            send();
        }
    }

    /** Records the consumer has read. */
    public long consumed() {
        return consumed;
    }

    public long retries() {
        return retries.sum();
    }

    private void consume() {
        final MessageHandler handler = this::onMessage;
        long count = 0;
        while (running) {
            final int read = ring.read(handler);
            if (read == 0) {
                Thread.onSpinWait();
            } else {
                count += read;
                consumed = count;
            }
        }
    }

    private void onMessage(int msgTypeId, MutableDirectBuffer buffer, int index, int length) {
        checksum += buffer.getLong(index); // consumer thread only
    }

    /** Stops and joins the consumer thread. */
    @Override
    public void close() {
        running = false;
        try {
            consumer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "RingRelay{" + ring.getClass().getSimpleName() + " consumed=" + consumed + " checksum=" + checksum + "}";
    }
}
