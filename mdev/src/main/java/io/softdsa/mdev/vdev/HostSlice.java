package io.softdsa.mdev.vdev;

import io.softdsa.completion.InterruptTable;
import io.softdsa.device.WorkQueue;
import io.softdsa.device.config.WqConfig;
import io.softdsa.device.config.WqMode;
import io.softdsa.mdev.command.CmdStatus;
import io.softdsa.mdev.command.HostWqSettings;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.host.WqOwner;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host side of one virtual device: the host WQs behind its guest WQs (guest WQ {@code i} is host WQ
 * {@code hostWq(i)}, exclusively this device's), their reservations and groups, and their provisioning — a guest
 * Enable WQ reprograms the host WQ within its reservation, with the PASID of a dedicated WQ pinned at the host while
 * the WQ runs with it; the unplug gives every WQ back as it was.
 * <p>
 * The portal path must be stopped for a WQ before it is changed here (see {@link GuestPortals#stop}).
 */
final class HostSlice {
    private final String name;
    private final HostDsa host;
    private final WqOwner owner;
    private final int[] hostWq;
    private final int[] sizeLimit;
    private final int[] fixedHostGroup;
    private final int[] engineHostGroup;
    private final WqConfig[] originalHostConfig;
    private final ConcurrentHashMap<Integer, Integer> guestWqOfHost = new ConcurrentHashMap<>();
    /** Host PASID each guest WQ's dedicated host WQ is programmed with (pinned at the host), or -1. */
    private final int[] pinnedPasid;
    private volatile RuntimeException lastHostError;

    HostSlice(String name, HostDsa host, WqOwner owner, int[] hostWqs, int[] fixedHostGroup, int[] engineHostGroup) {
        this.name = name;
        this.host = host;
        this.owner = owner;
        this.hostWq = hostWqs.clone();
        this.fixedHostGroup = fixedHostGroup.clone();
        this.engineHostGroup = engineHostGroup.clone();
        this.sizeLimit = new int[hostWqs.length];
        this.pinnedPasid = new int[hostWqs.length];
        Arrays.fill(pinnedPasid, -1);
        this.originalHostConfig = new WqConfig[hostWqs.length];
        for (int q = 0; q < hostWqs.length; q++) {
            originalHostConfig[q] = host.device().wq(hostWqs[q]).config();
            sizeLimit[q] = originalHostConfig[q].size();
            guestWqOfHost.put(hostWqs[q], q);
        }
    }

    HostDsa host() {
        return host;
    }

    int wqs() {
        return hostWq.length;
    }

    int hostWq(int q) {
        return hostWq[q];
    }

    /** The host WQ behind guest WQ {@code q}. */
    WorkQueue wq(int q) {
        return host.device().wq(hostWq[q]);
    }

    /** The guest WQ behind host WQ {@code hostIndex}, or -1 if it is not this device's. Lock-free. */
    int guestWq(int hostIndex) {
        final Integer q = guestWqOfHost.get(hostIndex);
        return q == null ? -1 : q;
    }

    int sizeLimit(int q) {
        return sizeLimit[q];
    }

    int hostGroupOfEngine(int engine) {
        return engineHostGroup[engine];
    }

    int fixedHostGroup(int q) {
        return fixedHostGroup[q];
    }

    /** Configures and enables the host WQ behind {@code q} with the guest's latched settings; a CMDSTS code. */
    int enable(int q, HostWqSettings s) {
        final WorkQueue hw = wq(q);
        final WqConfig cfg = WqConfig.builder(hostWq[q])
            .name(name + ".wq" + q)
            .type(HostDsa.TYPE_MDEV)
            .driverName("vfio-mdev")
            .mode(s.dedicated() ? WqMode.DEDICATED : WqMode.SHARED)
            .size(s.size())
            .threshold(s.threshold())
            .priority(s.priority())
            .blockOnFault(s.blockOnFault())
            .pasid(true, s.dedicated() ? s.hostPasid() : 0)
            .priv(s.priv())
            .maxTransferSize(1L << s.maxTransferShift())
            .maxBatchSize(1 << s.maxBatchShift())
            .group(s.hostGroup())
            .atsDisable(s.atsDisable())
            .prsDisable(s.prsDisable())
            .opConfig(s.opConfig())
            .build();
        try {
            if (hw.isEnabled()) {
                hw.disable();
            }
            unpin(q);
            if (s.dedicated()) {
                // pinned before the WQ runs with it: a PASID the guest freed meanwhile is refused, and one freed
                // later stays in quarantine until this WQ is disabled
                if (!host.pinPasid(s.hostPasid())) {
                    return CmdStatus.INVALID_PASID;
                }
                synchronized (pinnedPasid) {
                    pinnedPasid[q] = s.hostPasid();
                }
            }
            host.device().configureWq(cfg);
            hw.interruptOwner(host.interruptHandles().tag(owner));
            hw.enable();
            return CmdStatus.SUCCESS;
        } catch (RuntimeException e) {
            unpin(q);
            lastHostError = e;
            return CmdStatus.HARDWARE_ERROR;
        }
    }

    void disable(int q) {
        wq(q).disable();
        unpin(q);
    }

    void disableAborting(int q) {
        wq(q).disableAborting();
        unpin(q);
    }

    void drain(int q) {
        final WorkQueue hw = wq(q);
        if (hw.isEnabled()) {
            hw.drain();
        }
    }

    void abort(int q) {
        final WorkQueue hw = wq(q);
        if (hw.isEnabled()) {
            hw.abort();
        }
    }

    void abortPasid(int q, int hostPasid) {
        final WorkQueue hw = wq(q);
        if (hw.isEnabled()) {
            hw.abortPasid(hostPasid);
        }
    }

    /** Unplug: WQ {@code q} aborted, disabled and given back to the host as it was. */
    void giveBack(int q) {
        final WorkQueue hw = wq(q);
        try {
            if (hw.isEnabled()) {
                hw.disableAborting();
            }
            unpin(q);
            host.device().configureWq(originalHostConfig[q]);
            hw.interruptOwner(InterruptTable.ANY_OWNER);
        } catch (RuntimeException e) {
            lastHostError = e;
        }
        host.releaseWq(hostWq[q], owner);
    }

    /** The last host-side failure behind a hardware-error CMDSTS (diagnostics). */
    RuntimeException lastHostError() {
        return lastHostError;
    }

    /** The dedicated host WQ behind {@code q} no longer runs with its PASID: the host may release it. */
    private void unpin(int q) {
        final int p;
        synchronized (pinnedPasid) {
            p = pinnedPasid[q];
            pinnedPasid[q] = -1;
        }
        if (p >= 0) {
            host.unpinPasid(p);
        }
    }

    @Override
    public String toString() {
        return "host WQs " + Arrays.toString(hostWq);
    }
}
