package io.softdsa.mdev.vdev;

import io.softdsa.device.WorkQueue;
import io.softdsa.device.config.DeviceCapabilities;
import io.softdsa.device.config.GroupConfig;
import io.softdsa.device.config.WqConfig;
import io.softdsa.device.registers.Engcap;
import io.softdsa.device.registers.Gencap;
import io.softdsa.device.registers.Grpcap;
import io.softdsa.device.registers.Wqcap;
import io.softdsa.mdev.command.Commands;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.regs.Bar0Layout;
import io.softdsa.mdev.regs.DeviceProfile;
import io.softdsa.mdev.regs.WqcfgLayout;
import io.softdsa.mdev.translation.GuestDomain;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The host's mdev parent: creates virtual devices of the {@link VdevType}s over the host WQs whose accel-config type
 * is {@code mdev}. A host WQ's configured size is its reservation — the most its guest WQ may use; its transfer and
 * batch limits cap what the virtual GENCAP advertises. A slice takes whole host groups (their engines serve only the
 * slice's WQs).
 */
public final class MdevManager implements AutoCloseable {
    private final HostDsa host;
    private final List<VirtualDsa> devices = new ArrayList<>();
    private int nextId;

    public MdevManager(HostDsa host) {
        this.host = host;
    }

    public HostDsa host() {
        return host;
    }

    /** A one-WQ virtual device ({@link VdevType#DEDICATED_WQ} or {@link VdevType#SHARED_WQ}) for {@code guest}. */
    public synchronized VirtualDsa create(VdevType type, GuestDomain guest) {
        if (type == VdevType.DEVICE_SLICE) {
            throw new IllegalArgumentException("a slice names its host WQs: use createSlice");
        }
        final boolean dedicated = type == VdevType.DEDICATED_WQ;
        for (int index : host.wqsOfType(HostDsa.TYPE_MDEV)) {
            final WqConfig c = host.device().wq(index).config();
            if (c.isDedicated() == dedicated && host.wqOwner(index) == null) {
                final int group = c.groupId();
                final int[] engines = {group};
                return build(type, guest, new int[] {index}, new int[] {group}, engines, 1, 1);
            }
        }
        throw new IllegalStateException("no free host WQ of type mdev in " + (dedicated ? "dedicated" : "shared")
            + " mode for " + type.mdevTypeName());
    }

    /**
     * A whole-device slice over host WQs {@code hostWqs} (type {@code mdev}, free): its groups are the host groups
     * those WQs are in, its engines theirs. Those groups must hold no other host WQ.
     */
    public synchronized VirtualDsa createSlice(GuestDomain guest, int... hostWqs) {
        if (hostWqs.length == 0) {
            throw new IllegalArgumentException("a slice needs at least one host WQ");
        }
        final Set<Integer> groups = new LinkedHashSet<>();
        for (int index : hostWqs) {
            final WqConfig c = host.device().wq(index).config();
            if (!HostDsa.TYPE_MDEV.equals(c.type()) || c.groupId() < 0 || c.size() == 0) {
                throw new IllegalArgumentException("host WQ " + index + " is not a configured mdev WQ");
            }
            if (host.wqOwner(index) != null) {
                throw new IllegalStateException("host WQ " + index + " is assigned to " + host.wqOwner(index).ownerName());
            }
            groups.add(c.groupId());
        }
        final Set<Integer> mine = new java.util.HashSet<>();
        for (int index : hostWqs) {
            mine.add(index);
        }
        for (WorkQueue wq : host.device().workQueues()) {
            if (groups.contains(wq.config().groupId()) && !mine.contains(wq.index())) {
                throw new IllegalArgumentException("host group " + wq.config().groupId() + " also serves host WQ "
                    + wq.index() + ": a slice takes whole groups");
            }
        }
        final List<Integer> engineGroups = new ArrayList<>();
        for (int g : groups) {
            final GroupConfig gc = host.device().config().group(g).orElseThrow();
            for (int ignored : gc.engines()) {
                engineGroups.add(g);
            }
        }
        if (groups.size() > Bar0Layout.MAX_GROUPS) {
            throw new IllegalArgumentException("a slice has at most " + Bar0Layout.MAX_GROUPS + " groups");
        }
        final int[] fixed = new int[hostWqs.length];
        java.util.Arrays.fill(fixed, -1);
        return build(VdevType.DEVICE_SLICE, guest, hostWqs, fixed,
            engineGroups.stream().mapToInt(Integer::intValue).toArray(), groups.size(), engineGroups.size());
    }

    private VirtualDsa build(VdevType type, GuestDomain guest, int[] hostWqs, int[] fixedGroups, int[] engineGroups,
                             int groups, int engines) {
        final String name = "vdsa" + nextId++;
        final DeviceProfile profile = profile(type, hostWqs, groups, engines);
        final VirtualDsa[] self = new VirtualDsa[1];
        final VirtualDsa dev = new VirtualDsa(name, type, host, guest, hostWqs, fixedGroups, engineGroups, profile,
            () -> {
                synchronized (MdevManager.this) {
                    devices.remove(self[0]);
                }
            });
        self[0] = dev;
        for (int i = 0; i < hostWqs.length; i++) {
            if (!host.claimWq(hostWqs[i], dev)) {
                for (int j = 0; j < i; j++) {
                    host.releaseWq(hostWqs[j], dev);
                }
                throw new IllegalStateException("host WQ " + hostWqs[i] + " was taken meanwhile");
            }
        }
        devices.add(dev);
        return dev;
    }

    /** The capability registers a virtual device of {@code type} over these host WQs reports. */
    private DeviceProfile profile(VdevType type, int[] hostWqs, int groups, int engines) {
        final DeviceCapabilities caps = host.device().capabilities();
        int xferShift = caps.maxTransferShift();
        int batchShift = caps.maxBatchShift();
        int total = 0;
        for (int index : hostWqs) {
            final WqConfig c = host.device().wq(index).config();
            xferShift = Math.min(xferShift, 63 - Long.numberOfLeadingZeros(c.maxTransferSize()));
            batchShift = Math.min(batchShift, 31 - Integer.numberOfLeadingZeros(c.maxBatchSize()));
            total += c.size();
        }
        final long hostGencap = caps.gencap();
        final long gencap = (hostGencap & Gencap.OPERATION_FLAGS) | Gencap.CMDCAP.encode(true)
            | Gencap.MAX_TRANSFER_SHIFT.encode(xferShift) | Gencap.MAX_BATCH_SHIFT.encode(batchShift)
            | Gencap.CONFIGURABLE.encode(true);
        long wqcap = Wqcap.TOTAL_WQ_SIZE.encode(total) | Wqcap.WQS.encode(hostWqs.length)
            | Wqcap.WQCFG_SIZE.encode(WqcfgLayout.WQCAP_SIZE_CODE) | Wqcap.ATS.encode(true)
            | Wqcap.PRIORITY.encode(true) | Wqcap.OCCUPANCY.encode(true) | Wqcap.OP_CONFIG.encode(true)
            | Wqcap.PRS.encode(caps.blockOnFault());
        wqcap |= switch (type) {
            case DEDICATED_WQ -> Wqcap.DEDICATED.mask();
            case SHARED_WQ -> Wqcap.SHARED.mask();
            case DEVICE_SLICE -> Wqcap.DEDICATED.mask() | Wqcap.SHARED.mask();
        };
        final long grpcap = Grpcap.GROUPS.encode(groups) | Grpcap.TOTAL_READ_BUFFERS.encode(32L * groups)
            | Grpcap.READ_BUFFER_CONTROL.encode(true) | Grpcap.READ_BUFFER_LIMIT.encode(true);
        return new DeviceProfile(caps.version(), gencap, wqcap, grpcap, Engcap.ENGINES.encode(engines), host.device().rules().opcap(),
            Commands.CMDCAP, hostWqs.length, groups, engines, VirtualDsa.VECTORS, type == VdevType.DEVICE_SLICE);
    }

    public synchronized List<VirtualDsa> devices() {
        return List.copyOf(devices);
    }

    @Override
    public void close() {
        for (VirtualDsa d : devices()) {
            d.close();
        }
    }
}
