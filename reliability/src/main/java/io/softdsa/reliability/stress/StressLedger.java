package io.softdsa.reliability.stress;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The accounting of one stress run: what the producers, the chaos thread and the device's callbacks counted, and
 * the first problems they describe. Every field is safe to update from any thread; the invariants compare them
 * after the run ({@link StressVerdict}).
 */
final class StressLedger {
    private static final int MAX_PROBLEMS = 20;

    final LongAdder accepted = new LongAdder();
    final LongAdder completions = new LongAdder();
    final LongAdder abortedSeen = new LongAdder();
    final LongAdder droppedDisabled = new LongAdder();
    final LongAdder droppedFull = new LongAdder();
    final LongAdder abortReported = new LongAdder();
    final LongAdder doubleResolved = new LongAdder();
    final LongAdder wrongResults = new LongAdder();
    final LongAdder canaryHits = new LongAdder();
    final LongAdder unexplainedSwerr = new LongAdder();
    final LongAdder swerrSeen = new LongAdder();
    final LongAdder partials = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder pageRequests = new LongAdder();
    final LongAdder bytesVerified = new LongAdder();
    final LongAdder unexpectedStatus = new LongAdder();
    final AtomicLong[] opsDone = new AtomicLong[StressRun.Op.values().length];
    final Map<String, LongAdder> commands = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();

    StressLedger() {
        for (int i = 0; i < opsDone.length; i++) {
            opsDone[i] = new AtomicLong();
        }
    }

    /** Keeps the first few problems' descriptions for the report (the counters say how many there were). */
    void problem(String what) {
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(what);
        }
    }

    void command(String name) {
        commands.computeIfAbsent(name, k -> new LongAdder()).increment();
    }
}
