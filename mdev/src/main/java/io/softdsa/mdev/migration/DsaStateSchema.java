package io.softdsa.mdev.migration;

import io.softdsa.device.registers.Engcap;
import io.softdsa.device.registers.Grpcap;
import io.softdsa.device.registers.Wqcap;
import io.softdsa.mdev.pci.PciConfigLayout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The device-state stream of a virtual DSA: which sections, in which order, with which fields, and the checks a
 * destination makes. Sections (stream order):
 * <pre>
 *  compat     v1  device ID, VERSION, GENCAP, WQCAP, GRPCAP, ENGCAP, OPCAP[4], mdev type, #WQs/#engines/#groups
 *                 — PRE_COPY's initial part; the destination refuses an incompatible source before anything else
 *  registers  v2  PCI config space (256 bytes), GENCFG, GENCTRL, GENSTS, INTCAUSE, SWERR[4], WQCFG entries,
 *                 GRPCFG entries; EVLCFG since v2 (a v1 stream leaves it 0); optional subsection "pcie":
 *                 the PCIe extended configuration space (0x100..0xFFF: ATS, PASID and PRI control)
 *  msix       v1  MSI-X table entries (address, data, vector control, permission), pending bits
 *  pasids     v1  guest PASID bindings: guest PASID, stage-1 root (guest-physical), levels, flags
 *  handles    v1  interrupt handles the guest holds: index, handle, IMS
 *  queues     v1  descriptors accepted but not started (captured at the stop, in order) and block-on-fault page
 *                 requests not yet answered, each an optional subsection sent only when non-empty
 * </pre>
 * Host-side identities (host PASIDs, physical WQ indexes, host interrupt handles) are never in the stream: the
 * destination maps guest values onto its own.
 */
public final class DsaStateSchema {
    public static final int PCI_CONFIG_BYTES = 256;
    /** The PCIe extended configuration space, 0x100 up to 4 KiB. */
    public static final int PCIE_EXTENDED_BYTES = PciConfigLayout.SIZE - PCI_CONFIG_BYTES;
    public static final int MAX_WQS = 128;
    public static final int MAX_GROUPS = 64;
    public static final int MAX_MSIX = 2048;
    public static final int MAX_PASIDS = 1024;
    public static final int MAX_HANDLES = 2048;
    public static final int MAX_CAPTURED = 4096;
    public static final int MAX_PAGE_REQUESTS = 4096;
    private static final Set<Integer> DEVICE_IDS = Set.of(0x0B25, 0x11FB, 0x1212);

    private DsaStateSchema() {
    }

    /** The compatibility section: what the destination must match before it accepts anything else. */
    public static final class Compatibility {
        public int deviceId;
        public int version;
        public long gencap;
        public long wqcap;
        public long grpcap;
        public long engcap;
        public long[] opcap = new long[4];
        public String mdevType = "";
        public int wqs;
        public int engines;
        public int groups;

        /**
         * Refuses a source this device cannot take over: another device ID, DSA version, mdev type, WQ / engine /
         * group count or capability register, or an operation the source offers that this device lacks (OPCAP may be
         * a superset here).
         */
        public void checkSourceCompatible(Compatibility source) throws MigrationStreamException {
            mismatch("device ID", source.deviceId, deviceId);
            mismatch("VERSION", source.version, version);
            mismatch("GENCAP", source.gencap, gencap);
            mismatch("WQCAP", source.wqcap, wqcap);
            mismatch("GRPCAP", source.grpcap, grpcap);
            mismatch("ENGCAP", source.engcap, engcap);
            mismatch("WQs", source.wqs, wqs);
            mismatch("engines", source.engines, engines);
            mismatch("groups", source.groups, groups);
            if (!source.mdevType.equals(mdevType)) {
                throw new MigrationStreamException("compat", 0, "mdev type '" + source.mdevType + "', this device is '"
                    + mdevType + "'");
            }
            for (int i = 0; i < 4; i++) {
                if ((source.opcap[i] & ~opcap[i]) != 0) {
                    throw new MigrationStreamException("compat", 0, "source offers operations this device lacks: "
                        + "OPCAP word " + i + " bits 0x" + Long.toHexString(source.opcap[i] & ~opcap[i]));
                }
            }
        }

        private static void mismatch(String what, long source, long local) throws MigrationStreamException {
            if (source != local) {
                throw new MigrationStreamException("compat", 0, what + " 0x" + Long.toHexString(source)
                    + " differs from this device's 0x" + Long.toHexString(local));
            }
        }
    }

    /** A WQCFG entry: 8 32-bit words (16 with the per-WQ opcode bitmap). */
    public static final class Wqcfg {
        public int[] words = new int[8];
    }

    /** A GRPCFG entry: WQ bitmap (256 bits), engine bitmap, flags. */
    public static final class Grpcfg {
        public long[] wqs = new long[4];
        public long engines;
        public long flags;
    }

    /** The guest-visible register file. */
    public static final class Registers {
        public byte[] pciConfig = new byte[PCI_CONFIG_BYTES];
        public int gencfg;
        public int genctrl;
        public int gensts;
        public int intcause;
        public long[] swerr = new long[4];
        public List<Wqcfg> wqcfg = new ArrayList<>();
        public List<Grpcfg> grpcfg = new ArrayList<>();
        public long evlcfg;
        /** Bytes 0x100..0xFFF of config space (empty: not sent, the device's reset values stay). */
        public PciExpress pcie = new PciExpress();
    }

    /** The PCIe extended configuration space (optional subsection of registers). */
    public static final class PciExpress {
        public byte[] extended = new byte[0];
    }

    /** One MSI-X table entry with its permission-table word. */
    public static final class MsixEntry {
        public long address;
        public int data;
        public int control;
        public int permission;
    }

    /** The MSI-X table and pending-bit array. */
    public static final class Msix {
        public List<MsixEntry> entries = new ArrayList<>();
        public long[] pending = new long[0];
    }

    /** A guest PASID binding: nested translation rooted at the guest's stage-1 tables. */
    public static final class PasidBinding {
        public int guestPasid;
        public long stage1Root;
        public int levels = 4;
        /** Bit 0 supervisor requests enabled. */
        public int flags;
    }

    /** The guest's PASID bindings. */
    public static final class Pasids {
        public List<PasidBinding> bindings = new ArrayList<>();
    }

    /** An interrupt handle the guest obtained (Request Interrupt Handle): operand index, handle value, IMS. */
    public static final class Handle {
        public int index;
        public int handle;
        public int ims;
    }

    /** The guest's interrupt handles. */
    public static final class Handles {
        public List<Handle> handles = new ArrayList<>();
    }

    /** A descriptor accepted by a guest WQ but not started when the device stopped; resubmitted in order. */
    public static final class Captured {
        public int wq;
        public int guestPasid;
        public int priv;
        public byte[] descriptor = new byte[64];
    }

    /** A block-on-fault page request the guest has not answered yet. */
    public static final class PageRequest {
        public int guestPasid;
        public long address;
        /** Bit 0 read, 1 write, 2 Priv, 3 last in group. */
        public int flags;
        public int group;
    }

    /** Work in flight that was not drained: captured descriptors and outstanding page requests. */
    public static final class Queues {
        public long capturedSequence;
        public List<Captured> captured = new ArrayList<>();
        public List<PageRequest> pageRequests = new ArrayList<>();
    }

    /** The whole device state, one object per section. */
    public static final class DeviceState {
        public Compatibility compat = new Compatibility();
        public Registers registers = new Registers();
        public Msix msix = new Msix();
        public Pasids pasids = new Pasids();
        public Handles handles = new Handles();
        public Queues queues = new Queues();
    }

    // ---- descriptions ----

    public static final VmStateDescription<Compatibility> COMPAT = VmStateDescription
        .builder("compat", 1, 1, Compatibility::new)
        .u16("device_id", c -> c.deviceId, (c, v) -> c.deviceId = v)
        .u32("version", c -> c.version, (c, v) -> c.version = v)
        .u64("gencap", c -> c.gencap, (c, v) -> c.gencap = v)
        .u64("wqcap", c -> c.wqcap, (c, v) -> c.wqcap = v)
        .u64("grpcap", c -> c.grpcap, (c, v) -> c.grpcap = v)
        .u64("engcap", c -> c.engcap, (c, v) -> c.engcap = v)
        .u64Array("opcap", 4, c -> c.opcap, (c, v) -> c.opcap = v)
        .bytes("mdev_type", 32, c -> c.mdevType.getBytes(StandardCharsets.US_ASCII),
            (c, v) -> c.mdevType = new String(v, StandardCharsets.US_ASCII))
        .u8("wqs", c -> c.wqs, (c, v) -> c.wqs = v)
        .u8("engines", c -> c.engines, (c, v) -> c.engines = v)
        .u8("groups", c -> c.groups, (c, v) -> c.groups = v)
        .postLoad((c, version) -> {
            require(DEVICE_IDS.contains(c.deviceId), "device ID 0x" + Integer.toHexString(c.deviceId)
                + " is not a DSA");
            require(c.version == 0x100 || c.version == 0x200, "VERSION 0x" + Integer.toHexString(c.version));
            require(c.opcap.length == 4, "OPCAP has " + c.opcap.length + " words, not 4");
            require(c.mdevType.length() > 0 && c.mdevType.chars().allMatch(ch -> ch > 0x20 && ch < 0x7F),
                "mdev type is not printable ASCII");
            require(c.wqs >= 1 && c.wqs <= MAX_WQS && c.wqs == Wqcap.WQS.getInt(c.wqcap),
                "WQs " + c.wqs + " against WQCAP " + Wqcap.WQS.getInt(c.wqcap));
            require(c.groups >= 1 && c.groups <= MAX_GROUPS && c.groups == Grpcap.GROUPS.getInt(c.grpcap),
                "groups " + c.groups + " against GRPCAP " + Grpcap.GROUPS.getInt(c.grpcap));
            require(c.engines >= 1 && c.engines == Engcap.ENGINES.getInt(c.engcap),
                "engines " + c.engines + " against ENGCAP " + Engcap.ENGINES.getInt(c.engcap));
        })
        .build();

    static final VmStateDescription<Wqcfg> WQCFG = VmStateDescription.builder("wqcfg", 1, 1, Wqcfg::new)
        .u32Array("words", 16, w -> w.words, (w, v) -> w.words = v)
        .postLoad((w, v) -> require(w.words.length == 8 || w.words.length == 16,
            "a WQCFG entry has 8 or 16 words, not " + w.words.length))
        .build();

    static final VmStateDescription<Grpcfg> GRPCFG = VmStateDescription.builder("grpcfg", 1, 1, Grpcfg::new)
        .u64Array("wqs", 4, g -> g.wqs, (g, v) -> g.wqs = v)
        .u64("engines", g -> g.engines, (g, v) -> g.engines = v)
        .u64("flags", g -> g.flags, (g, v) -> g.flags = v)
        .postLoad((g, v) -> require(g.wqs.length == 4, "a GRPCFG WQ bitmap has 4 words"))
        .build();

    static final VmStateDescription<PciExpress> PCIE = VmStateDescription.builder("pcie", 1, 1, PciExpress::new)
        .fixedBytes("extended", PCIE_EXTENDED_BYTES, e -> e.extended, (e, v) -> e.extended = v)
        .build();

    public static final VmStateDescription<Registers> REGISTERS = VmStateDescription
        .builder("registers", 2, 1, Registers::new)
        .fixedBytes("pci_config", PCI_CONFIG_BYTES, r -> r.pciConfig, (r, v) -> r.pciConfig = v)
        .u32("gencfg", r -> r.gencfg, (r, v) -> r.gencfg = v)
        .u32("genctrl", r -> r.genctrl, (r, v) -> r.genctrl = v)
        .u32("gensts", r -> r.gensts, (r, v) -> r.gensts = v)
        .u32("intcause", r -> r.intcause, (r, v) -> r.intcause = v)
        .u64Array("swerr", 4, r -> r.swerr, (r, v) -> r.swerr = v)
        .structArray("wqcfg", MAX_WQS, WQCFG, r -> r.wqcfg, (r, v) -> r.wqcfg = v)
        .structArray("grpcfg", MAX_GROUPS, GRPCFG, r -> r.grpcfg, (r, v) -> r.grpcfg = v)
        .u64("evlcfg", 2, r -> r.evlcfg, (r, v) -> r.evlcfg = v)
        .subsection(PCIE, r -> r.pcie.extended.length == PCIE_EXTENDED_BYTES, r -> r.pcie, (r, v) -> r.pcie = v)
        .postLoad((r, v) -> {
            require(r.swerr.length == 4, "SWERR has 4 words, not " + r.swerr.length);
            require((r.gensts & 3) != 2, "GENSTS draining: a stopped device has no drain in progress");
            require((r.gensts & ~0xF) == 0, "GENSTS reserved bits 0x" + Integer.toHexString(r.gensts));
        })
        .build();

    static final VmStateDescription<MsixEntry> MSIX_ENTRY = VmStateDescription
        .builder("entry", 1, 1, MsixEntry::new)
        .u64("address", e -> e.address, (e, v) -> e.address = v)
        .u32("data", e -> e.data, (e, v) -> e.data = v)
        .u32("control", e -> e.control, (e, v) -> e.control = v)
        .u32("permission", e -> e.permission, (e, v) -> e.permission = v)
        .build();

    public static final VmStateDescription<Msix> MSIX = VmStateDescription.builder("msix", 1, 1, Msix::new)
        .structArray("table", MAX_MSIX, MSIX_ENTRY, m -> m.entries, (m, v) -> m.entries = v)
        .u64Array("pending", MAX_MSIX / 64, m -> m.pending, (m, v) -> m.pending = v)
        .postLoad((m, v) -> {
            require(m.pending.length == (m.entries.size() + 63) / 64, "pending bits: " + m.pending.length
                + " words for " + m.entries.size() + " vectors");
            final int tail = m.entries.size() % 64;
            require(tail == 0 || (m.pending[m.pending.length - 1] >>> tail) == 0, "pending bit beyond the table");
        })
        .build();

    static final VmStateDescription<PasidBinding> PASID = VmStateDescription
        .builder("binding", 1, 1, PasidBinding::new)
        .u32("guest_pasid", p -> p.guestPasid, (p, v) -> p.guestPasid = v)
        .u64("stage1_root", p -> p.stage1Root, (p, v) -> p.stage1Root = v)
        .u8("levels", p -> p.levels, (p, v) -> p.levels = v)
        .u8("flags", p -> p.flags, (p, v) -> p.flags = v)
        .postLoad((p, v) -> {
            require(p.guestPasid > 0 && p.guestPasid < 1 << 20, "guest PASID " + p.guestPasid);
            require(p.levels == 4 || p.levels == 5, "paging levels " + p.levels);
            require((p.stage1Root & 0xFFF) == 0, "stage-1 root not 4 KiB aligned");
            require((p.flags & ~1) == 0, "binding flags 0x" + Integer.toHexString(p.flags));
        })
        .build();

    public static final VmStateDescription<Pasids> PASIDS = VmStateDescription.builder("pasids", 1, 1, Pasids::new)
        .structArray("bindings", MAX_PASIDS, PASID, p -> p.bindings, (p, v) -> p.bindings = v)
        .build();

    static final VmStateDescription<Handle> HANDLE = VmStateDescription.builder("handle", 1, 1, Handle::new)
        .u16("index", h -> h.index, (h, v) -> h.index = v)
        .u16("handle", h -> h.handle, (h, v) -> h.handle = v)
        .u8("ims", h -> h.ims, (h, v) -> h.ims = v)
        .postLoad((h, v) -> require(h.ims == 0 || h.ims == 1, "IMS flag " + h.ims))
        .build();

    public static final VmStateDescription<Handles> HANDLES = VmStateDescription
        .builder("handles", 1, 1, Handles::new)
        .structArray("handles", MAX_HANDLES, HANDLE, h -> h.handles, (h, v) -> h.handles = v)
        .build();

    static final VmStateDescription<Captured> CAPTURED_DESCRIPTOR = VmStateDescription
        .builder("descriptor", 1, 1, Captured::new)
        .u8("wq", c -> c.wq, (c, v) -> c.wq = v)
        .u32("guest_pasid", c -> c.guestPasid, (c, v) -> c.guestPasid = v)
        .u8("priv", c -> c.priv, (c, v) -> c.priv = v)
        .fixedBytes("bytes", 64, c -> c.descriptor, (c, v) -> c.descriptor = v)
        .postLoad((c, v) -> {
            require(c.guestPasid >= 0 && c.guestPasid < 1 << 20, "guest PASID " + c.guestPasid);
            require(c.priv == 0 || c.priv == 1, "Priv " + c.priv);
        })
        .build();

    static final VmStateDescription<List<Captured>> CAPTURED = VmStateDescription
        .<List<Captured>>builder("captured", 1, 1, ArrayList::new)
        .structArray("descriptors", MAX_CAPTURED, CAPTURED_DESCRIPTOR, l -> l, (l, v) -> l.addAll(v))
        .build();

    static final VmStateDescription<PageRequest> PAGE_REQUEST = VmStateDescription
        .builder("request", 1, 1, PageRequest::new)
        .u32("guest_pasid", r -> r.guestPasid, (r, v) -> r.guestPasid = v)
        .u64("address", r -> r.address, (r, v) -> r.address = v)
        .u8("flags", r -> r.flags, (r, v) -> r.flags = v)
        .u16("group", r -> r.group, (r, v) -> r.group = v)
        .postLoad((r, v) -> {
            require((r.address & 0xFFF) == 0, "page request address not page aligned");
            require(r.group < 512, "page request group index " + r.group + " beyond 9 bits");
            require((r.flags & ~0xF) == 0 && (r.flags & 3) != 0, "page request flags 0x"
                + Integer.toHexString(r.flags));
        })
        .build();

    static final VmStateDescription<List<PageRequest>> PAGE_REQUESTS = VmStateDescription
        .<List<PageRequest>>builder("page_requests", 1, 1, ArrayList::new)
        .structArray("requests", MAX_PAGE_REQUESTS, PAGE_REQUEST, l -> l, (l, v) -> l.addAll(v))
        .build();

    public static final VmStateDescription<Queues> QUEUES = VmStateDescription.builder("queues", 1, 1, Queues::new)
        .u64("captured_sequence", q -> q.capturedSequence, (q, v) -> q.capturedSequence = v)
        .subsection(CAPTURED, q -> !q.captured.isEmpty(), q -> q.captured, (q, v) -> q.captured = v)
        .subsection(PAGE_REQUESTS, q -> !q.pageRequests.isEmpty(), q -> q.pageRequests,
            (q, v) -> q.pageRequests = v)
        .build();

    // ---- streams ----

    /** The stream's initial part (PRE_COPY): header and compatibility section. */
    public static byte[] initialPart(StateWriter w, DeviceState s) throws MigrationStreamException {
        w.header().section(COMPAT, s.compat);
        return w.take();
    }

    /** The rest (STOP_COPY): every other section and the end marker. */
    public static byte[] finalPart(StateWriter w, DeviceState s) throws MigrationStreamException {
        w.section(REGISTERS, s.registers).section(MSIX, s.msix).section(PASIDS, s.pasids)
            .section(HANDLES, s.handles).section(QUEUES, s.queues).end();
        return w.take();
    }

    /** The whole stream of {@code s}. */
    public static byte[] encode(DeviceState s) throws MigrationStreamException {
        final StateWriter w = new StateWriter();
        initialPart(w, s);
        finalPart(w, s);
        return w.toByteArray();
    }

    /** The reader of this schema; with {@code local} non-null the source must be compatible with it. */
    public static StateReader reader(Compatibility local) {
        return new StateReader()
            .first(COMPAT, c -> {
                if (local != null) {
                    local.checkSourceCompatible(c);
                }
            })
            .section(REGISTERS, true).section(MSIX, true).section(PASIDS, true).section(HANDLES, true)
            .section(QUEUES, true)
            .validate(d -> check(from(d)));
    }

    /** Decodes and validates a whole stream into a fresh state (nothing else touched). */
    public static DeviceState decode(byte[] stream, int length, Compatibility local) throws MigrationStreamException {
        return from(reader(local).decode(stream, length));
    }

    /** The device state of a stream {@link #reader} decoded. */
    public static DeviceState from(DecodedState d) {
        final DeviceState s = new DeviceState();
        s.compat = d.get(COMPAT);
        s.registers = d.get(REGISTERS);
        s.msix = d.get(MSIX);
        s.pasids = d.get(PASIDS);
        s.handles = d.get(HANDLES);
        s.queues = d.get(QUEUES);
        return s;
    }

    /**
     * Consistency across sections: one WQCFG entry per WQ and one GRPCFG per group of the compatibility section,
     * WQCFG entry size as WQCAP says, guest PASIDs bound once, handle indexes distinct and below the table, captured
     * descriptors on existing WQs and under bound PASIDs (or none), page requests under bound PASIDs.
     */
    public static void check(DeviceState s) throws MigrationStreamException {
        final Compatibility c = s.compat;
        consistent(s.registers.wqcfg.size() == c.wqs, "registers", s.registers.wqcfg.size() + " WQCFG entries for "
            + c.wqs + " WQs");
        consistent(s.registers.grpcfg.size() == c.groups, "registers", s.registers.grpcfg.size()
            + " GRPCFG entries for " + c.groups + " groups");
        final int words = Wqcap.OP_CONFIG.isSet(c.wqcap) ? 16 : 8;
        for (Wqcfg w : s.registers.wqcfg) {
            consistent(w.words.length == words, "registers", "WQCFG entry of " + w.words.length + " words, WQCAP says "
                + words);
        }
        final Set<Integer> pasids = new HashSet<>();
        for (PasidBinding b : s.pasids.bindings) {
            consistent(pasids.add(b.guestPasid), "pasids", "guest PASID " + b.guestPasid + " bound twice");
        }
        final Set<Integer> indexes = new HashSet<>();
        for (Handle h : s.handles.handles) {
            consistent(indexes.add(h.index << 1 | h.ims), "handles", "interrupt handle index " + h.index
                + " held twice");
            consistent(h.ims == 1 || h.index < s.msix.entries.size(), "handles", "handle index " + h.index
                + " beyond the MSI-X table");
        }
        for (Captured d : s.queues.captured) {
            consistent(d.wq < c.wqs, "queues", "captured descriptor on WQ " + d.wq + " of " + c.wqs);
            consistent(d.guestPasid == 0 || pasids.contains(d.guestPasid), "queues",
                "captured descriptor under unbound guest PASID " + d.guestPasid);
        }
        for (PageRequest r : s.queues.pageRequests) {
            consistent(pasids.contains(r.guestPasid), "queues", "page request for unbound guest PASID "
                + r.guestPasid);
        }
    }

    private static void consistent(boolean ok, String section, String what) throws MigrationStreamException {
        if (!ok) {
            throw new MigrationStreamException(section, 0, "inconsistent state: " + what);
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException(what);
        }
    }
}
