package io.softdsa.cli;

import io.softdsa.accelconfig.AccelConfigJson;
import io.softdsa.client.DsaClient;
import io.softdsa.completion.CompletionRecord;
import io.softdsa.completion.Status;
import io.softdsa.descriptor.Descriptor;
import io.softdsa.descriptor.DescriptorFlags;
import io.softdsa.descriptor.Opcode;
import io.softdsa.device.Device;
import io.softdsa.device.DeviceOptions;
import io.softdsa.device.config.ConfigException;
import io.softdsa.device.config.DeviceConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.memory.HostBuffer;
import io.softdsa.memory.HostMemory;
import io.softdsa.portal.Portal;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./softdsa perf}: Intel's {@code dsa_perf_micros} options and output on the software device, so a figure
 * from hardware and one from softdsa sit side by side. It submits {@code -n} buffers of {@code -s} bytes (or
 * batches of {@code -b} of them) {@code -i} times, at most {@code -q} in flight, through MOVDIR64B ({@code -w 0},
 * dedicated WQ) or ENQCMD ({@code -w 1}, shared WQ), and prints the configuration lines and the
 * {@code GB per sec = ... cpu ... kopsrate = ...} line as dsa_perf_micros does (with the latency when {@code -q 1}
 * or {@code -n 1}).
 *
 * <p>What softdsa cannot model is accepted and listed as ignored with the reason ({@link #IGNORED}); an option
 * dsa_perf_micros does not have, or a bad value, is a usage error (exit 2). A run whose descriptors do not all
 * succeed, or whose output bytes are wrong ({@code -v 1}, the default), exits 1.
 */
public final class PerfCommand {
    /** Options dsa_perf_micros has that softdsa accepts and ignores, with why. */
    static final Map<Character, String> IGNORED = ignored();
    /** Options taking a value (dsa_perf_micros's getopt string, without the ignored value-less ones). */
    private static final String WITH_VALUE = "beiklnoqrstuvwxyzBDFKMORSTWX";
    private static final String WITHOUT_VALUE = "achfjmCPY";
    private static final long MAX_BYTES = 1L << 30;
    private static final int DEFAULT_WQ_SIZE = 64;

    static final String USAGE = """
        usage: ./softdsa perf [-o OPCODE] [-s SIZE[k|m|g]] [-n BUFFERS] [-b BATCH] [-q DEPTH] [-w 0|1] [-i ITER]
                              [-k CPULIST] [-t STRIDE] [-T SECONDS] [-v 0|1] [-c] [-j] [-f] [--counters FILE]
          dsa_perf_micros's options: -o 0 noop, 3 memmove (default), 4 fill, 5 compare, 6 compare pattern,
          9 dualcast, 0x10 CRC generation, 0x11 copy with CRC; -w 0 dedicated WQ (MOVDIR64B), 1 shared (ENQCMD);
          -k's CPU count is the number of engines (threads) serving the WQ. Other dsa_perf_micros options are
          accepted and ignored (listed on stderr with the reason). --counters FILE (softdsa's own) keeps the
          device's counters in FILE for ./softdsa stat FILE in another terminal.""";

    private PerfCommand() {
    }

    /** A usage error: one line, exit 2. */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message, null, false, false);
        }
    }

    /** The parsed options, named after dsa_perf_micros's {@code struct tcfg} fields. */
    record Options(int op, long blen, long bstride, int nbBufs, int batchSz, int qd, int wqType, long iter,
                   int nbCpus, boolean varMmio, boolean verify, long tvalSecs, List<String> ignored,
                   Path counters) {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Parses, runs and prints; returns the exit code (0 ok, 1 a failed run, 2 usage). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        final Options o;
        try {
            o = parse(args);
        } catch (UsageError e) {
            if (e.getMessage().equals("help")) {
                out.println(USAGE);
                return 0;
            }
            err.println("softdsa perf: " + e.getMessage() + " (./softdsa perf -h for the options)");
            return 2;
        }
        o.ignored().forEach(line -> err.println("softdsa perf: ignored " + line));
        final DeviceConfig config;
        try {
            config = device(o);
        } catch (ConfigException | UsageError e) {
            err.println("softdsa perf: " + e.getMessage());
            return 2;
        }
        if (o.counters() != null) {
            err.println("softdsa perf: counters in " + o.counters() + " (watch them: ./softdsa stat " + o.counters()
                + ")");
        }
        out.println("./softdsa perf " + String.join(" ", args));
        printConfig(o, out);
        final Result r;
        try {
            r = execute(o, config);
        } catch (java.io.UncheckedIOException e) { // only the counters file is written: --counters named a bad place
            err.println("softdsa perf: --counters: " + e.getMessage());
            return 2;
        }
        if (r.failure != null) {
            err.println("softdsa perf: " + r.failure);
            return 1;
        }
        out.println(resultLine(o, r));
        return 0;
    }

    static Options parse(String[] args) {
        int op = Opcode.MEMMOVE;
        long blen = 4096;
        long stride = 0;
        int nbBufs = 32;
        int batch = 1;
        int qd = -1;
        int wq = 0;
        long iter = 1000;
        int cpus = 1;
        boolean varMmio = false;
        boolean verify = true;
        long seconds = 0;
        final List<String> ignored = new ArrayList<>();
        Path counters = null;
        for (int i = 0; i < args.length; i++) {
            final String a = args[i];
            if (a.equals("--counters") || a.startsWith("--counters=")) { // softdsa's own: the counters file
                if (a.equals("--counters") && i + 1 >= args.length) {
                    throw new UsageError("--counters needs a FILE");
                }
                counters = Path.of(a.equals("--counters") ? args[++i] : a.substring("--counters=".length()));
                continue;
            }
            if (a.length() < 2 || a.charAt(0) != '-') {
                throw new UsageError("unexpected argument " + a);
            }
            final char c = a.charAt(1);
            if (a.startsWith("--")) {
                throw new UsageError("unknown option " + a + " (dsa_perf_micros options are single letters)");
            }
            String value = null;
            if (WITH_VALUE.indexOf(c) >= 0) {
                if (a.length() > 2) {
                    value = a.substring(2);
                } else if (c == 'u') {
                    value = ""; // -u[engines]: optional value, attached only (getopt "u::")
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new UsageError("-" + c + " needs a value");
                }
            } else if (WITHOUT_VALUE.indexOf(c) >= 0) {
                if (a.length() > 2) {
                    throw new UsageError("-" + c + " takes no value: " + a);
                }
            } else {
                throw new UsageError("unknown option " + a);
            }
            switch (c) {
                case 'h' -> throw new UsageError("help");
                case 'o' -> op = opcode(value);
                case 's' -> blen = size("-s", value);
                case 't' -> stride = size("-t", value);
                case 'n' -> nbBufs = (int) number("-n", value, 1, 1 << 16);
                case 'b' -> batch = (int) number("-b", value, 1, 1024);
                case 'q' -> qd = (int) number("-q", value, 1, 1 << 16);
                case 'w' -> wq = (int) number("-w", value, 0, 1);
                case 'i' -> iter = value.strip().equals("-1") ? -1 : number("-i", value, 1, Long.MAX_VALUE / 2);
                case 'k' -> cpus = cpuCount(value);
                case 'c' -> varMmio = true;
                case 'v' -> verify = number("-v", value, 0, 1) == 1;
                case 'T' -> seconds = number("-T", value, 1, 3600);
                case 'j' -> { } // deprecated in dsa_perf_micros: streaming is the default behaviour
                default -> ignored.add("-" + c + (value == null || value.isEmpty() ? "" : " " + value)
                    + ": " + IGNORED.get(c));
            }
        }
        if (iter == -1 && seconds == 0) {
            throw new UsageError("-i -1 runs until -T SECONDS, which is missing");
        }
        if (blen == 0 && op != Opcode.NOOP) {
            throw new UsageError("-s 0: a transfer size of at least 1 byte is required");
        }
        if (nbBufs % batch != 0) {
            throw new UsageError("-n " + nbBufs + " is not a multiple of the batch size -b " + batch);
        }
        if (stride != 0 && stride < blen) {
            throw new UsageError("-t " + stride + ": the stride must be at least the size -s " + blen);
        }
        final long bstride = align(Math.max(stride, Math.max(blen, 1)), 4096);
        if ((op == Opcode.DUALCAST ? 3 : 2) * bstride * nbBufs > MAX_BYTES) {
            throw new UsageError("-n " + nbBufs + " x -s " + blen + " needs more than 1 GiB of host memory");
        }
        if (op == Opcode.FILL || op == Opcode.COMPARE_PATTERN) {
            if (blen % 8 != 0) {
                throw new UsageError("-s " + blen + ": fill and compare pattern take whole 8-byte patterns here");
            }
        }
        final int units = nbBufs / batch;
        final int depth = qd < 0 ? units : Math.min(qd, units);
        return new Options(op, blen, bstride, nbBufs, batch, depth, wq, iter, cpus, varMmio, verify, seconds,
            List.copyOf(ignored), counters);
    }

    private static Map<Character, String> ignored() {
        final Map<Character, String> m = new LinkedHashMap<>();
        m.put('a', "no cache-line aligned source variant: softdsa buffers are page aligned");
        m.put('B', "no PCI BAR memory: host memory is one mmap");
        m.put('C', "no CPU cache flush control: the JVM cannot flush or place cache lines");
        m.put('D', "delta operations are not a perf workload here");
        m.put('e', "DIF operations are not a perf workload here");
        m.put('f', "cache control (allocate in LLC) has no effect: softdsa writes through the CPU's caches");
        m.put('F', "flag masks are not applied; descriptors carry CRAV|RCR");
        m.put('K', "CPU@WQ lists: one submitting thread, the WQ chosen by -w (and --config/--device)");
        m.put('l', "page size: host memory is 4 KiB frames, contiguous runs per buffer");
        m.put('m', "use the CPU for the opcodes: ./softdsa bench measures the CPU baselines");
        m.put('M', "not modelled");
        m.put('O', "buffer offsets: buffers are page aligned");
        m.put('P', "processes instead of threads: one JVM");
        m.put('r', "inter-domain operations are not modelled");
        m.put('R', "inter-domain operations are not modelled");
        m.put('S', "NUMA placement: host memory is one mmap of this process");
        m.put('u', "user-mode (VFIO/UIO) driver: softdsa is the device; -k sets the engine count");
        m.put('W', "device TLB warm-up: softdsa perf uses host-physical addresses, no IOTLB");
        m.put('x', "submission-rate tests and pause/umwait waits: the wait is a spin");
        m.put('X', "translation fetch control: not modelled here");
        m.put('y', "CPU pre-access of operands (the buffers are touched once when filled)");
        m.put('Y', "drain descriptor at the end: the run waits for every record instead");
        m.put('z', "data placement (LLC/memory): no cache control in the JVM");
        return Map.copyOf(m);
    }

    private static int opcode(String v) {
        final long op = number("-o", v, 0, 255);
        return switch ((int) op) {
            case Opcode.NOOP, Opcode.MEMMOVE, Opcode.FILL, Opcode.COMPARE, Opcode.COMPARE_PATTERN, Opcode.DUALCAST,
                 Opcode.CRC_GENERATION, Opcode.COPY_CRC -> (int) op;
            default -> throw new UsageError("-o " + v + ": not a perf opcode of softdsa (0, 3, 4, 5, 6, 9, 0x10, 0x11)");
        };
    }

    /** dsa_perf_micros's {@code parse_blen}: a number (C base: 0x hex, 0 octal) with an optional k/m/g/t suffix. */
    static long size(String option, String v) {
        final String s = v.strip();
        if (s.isEmpty()) {
            throw new UsageError(option + " needs a size");
        }
        final char last = Character.toUpperCase(s.charAt(s.length() - 1));
        final int shift = switch (last) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        final long n = number(option, shift == 0 ? s : s.substring(0, s.length() - 1), 0, (1L << 40) >> shift);
        return n << shift;
    }

    /** strtoul with base 0, bounded; anything else is a usage error naming the option. */
    static long number(String option, String v, long min, long max) {
        final String s = v.strip();
        final long n;
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                n = Long.parseLong(s.substring(2), 16);
            } else if (s.length() > 1 && s.startsWith("0")) {
                n = Long.parseLong(s.substring(1), 8);
            } else {
                n = Long.parseLong(s);
            }
        } catch (NumberFormatException e) {
            throw new UsageError(option + " " + v + ": not a number");
        }
        if (n < min || n > max) {
            throw new UsageError(option + " " + v + ": must be " + min + ".." + max);
        }
        return n;
    }

    /** {@code -k0}, {@code -k0,1,2,3}, {@code -k0-2}, {@code -k0-2,3}: the number of CPUs named. */
    static int cpuCount(String v) {
        int count = 0;
        for (String part : v.split(",", -1)) {
            final int dash = part.indexOf('-');
            if (dash < 0) {
                number("-k", part, 0, 4095);
                count++;
            } else {
                final long lo = number("-k", part.substring(0, dash), 0, 4095);
                final long hi = number("-k", part.substring(dash + 1), 0, 4095);
                if (hi < lo) {
                    throw new UsageError("-k " + v + ": range " + part + " runs backwards");
                }
                count += (int) (hi - lo + 1);
            }
        }
        if (count > 8) {
            throw new UsageError("-k " + v + ": " + count + " CPUs; softdsa runs at most 8 engines");
        }
        return count;
    }

    private static long align(long v, long to) {
        return (v + to - 1) / to * to;
    }

    /** The device the other commands run on: one group of {@code engines} engines, WQ 0 of 64 entries. */
    public static DeviceConfig defaultDevice(String name, WqMode mode, int engines) {
        final DeviceConfig single = DeviceConfig.singleWq(mode, DEFAULT_WQ_SIZE, engines);
        if (name.equals(single.name())) {
            return single;
        }
        final DeviceConfig.Builder b = DeviceConfig.builder(name);
        single.groups().forEach(b::group);
        final int dev = Integer.parseInt(name.substring(3));
        single.wqs().forEach(w -> b.wq(w.toBuilder().name("wq" + dev + ".0").build()));
        return b.build();
    }

    /** {@link #defaultDevice(String, WqMode, int)} with a dedicated WQ and one engine, as {@code perf} starts. */
    public static DeviceConfig defaultDevice(String name) {
        return defaultDevice(name, WqMode.DEDICATED, 1);
    }

    /** The built-in device, or the one {@code --config FILE --device NAME} names (the script passes properties). */
    private static DeviceConfig device(Options o) {
        final String file = System.getProperty("softdsa.config");
        final String name = System.getProperty("softdsa.device", "dsa0");
        final WqMode mode = o.wqType() == 0 ? WqMode.DEDICATED : WqMode.SHARED;
        if (file == null) {
            return defaultDevice(name, mode, o.nbCpus());
        }
        final DeviceConfig d = AccelConfigJson.loadDevice(Path.of(file), name);
        if (d.wqs().stream().noneMatch(w -> w.mode() == mode && w.groupId() >= 0 && w.size() > 0)) {
            throw new UsageError(file + ": " + name + " has no " + mode.accelConfigName()
                + " WQ in a group (-w " + o.wqType() + ")");
        }
        return d;
    }

    /** What a run measured. */
    record Result(long descriptors, long bytes, long nanos, long cpuNanos, String failure) {
    }

    static Result execute(Options o, DeviceConfig config) {
        final WqMode mode = o.wqType() == 0 ? WqMode.DEDICATED : WqMode.SHARED;
        final WqConfig wq = config.wqs().stream().filter(w -> w.mode() == mode && w.groupId() >= 0 && w.size() > 0)
            .findFirst().orElseThrow();
        final int units = o.nbBufs() / o.batchSz();
        final int depth = Math.min(o.qd(), wq.size()); // a dedicated WQ drops what finds it full
        final long bytesPerBuffer = o.bstride() * o.nbBufs();
        final long memoryBytes = align(3 * bytesPerBuffer + (64L * o.nbBufs()) + (32L << 20), 1 << 21);
        try (HostMemory memory = HostMemory.allocate(memoryBytes);
             Device device = Device.create(memory, config, DeviceOptions.defaults().busySpin()
                 .countersFile(o.counters()));
             Arena arena = Arena.ofConfined()) {
            device.enableAll();
            try (DsaClient client = DsaClient.open(device, wq.index())) {
                return measure(o, client, memory, arena, units, depth);
            }
        }
    }

    private static final long PATTERN = 0xc0debeefc0deabcdL; // dsa_perf_micros's default fill

    private static Result measure(Options o, DsaClient client, HostMemory memory, Arena arena, int units, int depth) {
        final MemorySegment host = memory.segment();
        final int n = o.nbBufs();
        final long stride = o.bstride();
        final HostBuffer src = client.allocate(stride * n);
        final HostBuffer dst = client.allocate(stride * n);
        final HostBuffer dst2 = o.op() == Opcode.DUALCAST ? client.allocate(stride * n) : null;
        for (long i = 0; i < stride * n; i += 8) {
            final long v = o.op() == Opcode.COMPARE_PATTERN ? PATTERN : i * 0x9E3779B97F4A7C15L;
            src.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, i, v);
            if (o.op() == Opcode.COMPARE) {
                dst.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, i, v);
            }
        }
        final Descriptor[] work = new Descriptor[n];
        for (int i = 0; i < n; i++) {
            final Descriptor d = Descriptor.allocate(arena).opcode(o.op());
            final long s = src.address() + i * stride;
            final long t = dst.address() + i * stride;
            switch (o.op()) {
                case Opcode.NOOP -> { }
                case Opcode.MEMMOVE, Opcode.COPY_CRC -> d.source(s).destination(t).transferSize(o.blen());
                case Opcode.FILL -> d.fillPattern(PATTERN).destination(t).transferSize(o.blen());
                case Opcode.COMPARE -> d.source(s).destination(t).transferSize(o.blen());
                case Opcode.COMPARE_PATTERN -> d.comparePattern(PATTERN).source(s).transferSize(o.blen());
                case Opcode.DUALCAST -> d.source(s).destination(t).destination2(dst2.address() + i * stride)
                    .transferSize(o.blen());
                case Opcode.CRC_GENERATION -> d.source(s).transferSize(o.blen());
                default -> throw new IllegalStateException("opcode " + o.op());
            }
            work[i] = d;
        }
        // A unit is what one completion record answers: a descriptor, or a batch of -b listed descriptors.
        final Descriptor[] unit = new Descriptor[units];
        final CompletionRecord[] record = new CompletionRecord[units];
        final HostBuffer list = o.batchSz() > 1 ? client.allocate(64L * n) : null;
        for (int u = 0; u < units; u++) {
            record[u] = client.completionRecord();
            if (list == null) {
                unit[u] = work[u];
            } else {
                final long at = list.address() + 64L * u * o.batchSz();
                for (int k = 0; k < o.batchSz(); k++) {
                    MemorySegment.copy(work[u * o.batchSz() + k].segment(), work[u * o.batchSz() + k].offset(),
                        host, at + 64L * k, 64);
                }
                unit[u] = Descriptor.allocate(arena).opcode(Opcode.BATCH).source(at).transferSize(o.batchSz());
            }
            unit[u].completionAddress(record[u].address())
                .addFlags(DescriptorFlags.COMPLETION_ADDRESS_VALID | DescriptorFlags.REQUEST_COMPLETION_RECORD);
        }
        final Portal portal = client.portal();
        final long totalUnits = o.iter() < 0 ? Long.MAX_VALUE : o.iter() * units;
        final long deadline = o.tvalSecs() == 0 ? Long.MAX_VALUE : System.nanoTime() + o.tvalSecs() * 1_000_000_000L;
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final long cpu0 = threads.getCurrentThreadCpuTime();
        final long t0 = System.nanoTime();
        long submitted = 0;
        long completed = 0;
        String failure = null;
        for (int u = 0; u < depth && submitted < totalUnits; u++) {
            record[u].arm();
            submit(portal, unit[u]);
            submitted++;
        }
        // Units go out round robin and are awaited in the same order: in flight are completed..submitted-1 (mod
        // units), never more than depth <= units, so the next unit to submit is never one still in flight.
        while (completed < submitted) {
            final CompletionRecord r = record[(int) (completed % units)];
            int raw;
            while ((raw = r.rawStatus()) == 0) { // acquire load, paired with the engine's release store of the status
                Thread.onSpinWait();
            }
            final int status = raw & 0x3F;
            if (status != Status.SUCCESS
                || (o.op() == Opcode.COMPARE || o.op() == Opcode.COMPARE_PATTERN) && r.result() != 0) {
                failure = "descriptor " + (completed % units) + ": status " + Status.name(status) + " (0x"
                    + Integer.toHexString(raw) + "), result " + r.result();
                completed++;
                break;
            }
            completed++;
            if (submitted < totalUnits && (deadline == Long.MAX_VALUE || System.nanoTime() < deadline)) {
                final int next = (int) (submitted % units);
                record[next].arm();
                submit(portal, unit[next]);
                submitted++;
            }
        }
        final long nanos = System.nanoTime() - t0;
        final long cpu = threads.getCurrentThreadCpuTime() - cpu0;
        if (failure == null && o.verify()) {
            failure = verify(o, src, dst, dst2);
        }
        final long descriptors = completed * o.batchSz();
        final long bytes = o.op() == Opcode.NOOP ? 0 : descriptors * o.blen();
        return new Result(descriptors, bytes, nanos, cpu, failure);
    }

    private static void submit(Portal portal, Descriptor d) {
        if (portal.isDedicated()) {
            portal.movdir64b(d);
        } else {
            while (!portal.enqcmd(d)) {
                Thread.onSpinWait();
            }
        }
    }

    /** The output bytes against a plain reference: a copy of the source, the pattern, two copies. */
    private static String verify(Options o, HostBuffer src, HostBuffer dst, HostBuffer dst2) {
        if (o.op() != Opcode.MEMMOVE && o.op() != Opcode.COPY_CRC && o.op() != Opcode.FILL
            && o.op() != Opcode.DUALCAST) {
            return null;
        }
        for (int i = 0; i < o.nbBufs(); i++) {
            for (long b = 0; b < o.blen(); b++) {
                final long at = i * o.bstride() + b;
                final byte want = o.op() == Opcode.FILL ? (byte) (PATTERN >>> (8 * (b & 7)))
                    : src.segment().get(ValueLayout.JAVA_BYTE, at);
                if (dst.segment().get(ValueLayout.JAVA_BYTE, at) != want
                    || dst2 != null && dst2.segment().get(ValueLayout.JAVA_BYTE, at) != want) {
                    return "verify: buffer " + i + " byte " + b + " is wrong";
                }
            }
        }
        return null;
    }

    /** dsa_perf_micros's {@code print_tcfg}: {@code %-20s %10d} per field. */
    static void printConfig(Options o, PrintStream out) {
        final Map<String, Long> f = new LinkedHashMap<>();
        f.put("blen", o.blen());
        f.put("bstride", o.bstride());
        f.put("nb_bufs", (long) o.nbBufs());
        f.put("pg_size", 0L);
        f.put("wq_type", (long) o.wqType());
        f.put("batch_sz", (long) o.batchSz());
        f.put("iter", o.iter());
        f.put("nb_cpus", (long) o.nbCpus());
        f.put("var_mmio", o.varMmio() ? 1L : 0L);
        f.put("dma", 1L);
        f.put("verify", o.verify() ? 1L : 0L);
        f.put("qd", (long) o.qd());
        f.put("op", (long) o.op());
        f.forEach((k, v) -> out.printf("%-20s %10d%n", k, v));
    }

    /**
     * {@code GB per sec = %f [latency(cycles) = %f, %f ns, cycles/sec =%d] cpu %f kopsrate = %d}. softdsa has no TSC:
     * its clock is {@link System#nanoTime()}, so cycles are nanoseconds and cycles/sec is 10^9. GB is 10^9 bytes;
     * cpu is the submitting thread's CPU time over the run's wall time, in percent.
     */
    static String resultLine(Options o, Result r) {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format("GB per sec = %f", r.nanos() == 0 ? 0.0 : (double) r.bytes() / r.nanos()));
        if (o.qd() == 1 || o.nbBufs() == 1) {
            final double latency = (double) r.nanos() / Math.max(1, r.descriptors() / o.batchSz());
            sb.append(String.format(" latency(cycles) = %f, %f ns, cycles/sec =%d", latency, latency, 1_000_000_000L));
        }
        sb.append(String.format(" cpu %f kopsrate = %d", r.nanos() == 0 ? 0.0 : 100.0 * r.cpuNanos() / r.nanos(),
            r.nanos() == 0 ? 0 : r.descriptors() * 1_000_000L / r.nanos()));
        return sb.toString();
    }
}
