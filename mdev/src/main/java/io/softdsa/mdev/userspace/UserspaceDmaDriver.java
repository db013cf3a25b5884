package io.softdsa.mdev.userspace;

import io.softdsa.completion.SwerrEntry;
import io.softdsa.device.WorkQueue;
import io.softdsa.device.config.WqConfig;
import io.softdsa.mdev.host.HostDsa;
import io.softdsa.mdev.host.WqOwner;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's userspace-DMA interface (the idxd character-device driver): it owns the host WQs whose accel-config
 * type is {@code user}, configures them for shared virtual addressing (PASID enabled, Priv not allowed), and lets a
 * process open one by name ({@code /dev/dsa/wqD.Q} or the WQ's accel-config name) and map its portal.
 * <ul>
 * <li>Shared WQ: any number of openers; each submits with ENQCMD carrying its own PASID, Priv 0.</li>
 * <li>Dedicated WQ: one opener at a time; the driver programs the WQ's PASID with the opener's at open.</li>
 * <li>A process reaches only the WQs it opened (through their files) and only its own address space (every
 *     address is translated through its PASID's page tables).</li>
 * </ul>
 * SWERR entries of these WQs are kept per WQ ({@link #errors}), as the driver would report them to the opener.
 */
public final class UserspaceDmaDriver implements WqOwner, AutoCloseable {
    private static final Pattern DEV_PATH = Pattern.compile("(?:/dev/dsa/)?wq(\\d+)\\.(\\d+)");

    private final HostDsa host;
    private final List<Integer> wqs = new ArrayList<>();
    private final Map<Integer, WqFile> dedicatedOwner = new HashMap<>();
    private final java.util.Set<WqFile> openFiles = new java.util.LinkedHashSet<>();
    private final Map<Integer, List<SwerrEntry>> errors = new HashMap<>();
    private int processes;

    /** Takes every {@code user} WQ of {@code host} and sets it up for SVA. */
    public UserspaceDmaDriver(HostDsa host) {
        this.host = host;
        for (int index : host.wqsOfType(HostDsa.TYPE_USER)) {
            if (!host.claimWq(index, this)) {
                continue;
            }
            wqs.add(index);
            final WorkQueue wq = host.device().wq(index);
            final WqConfig c = wq.config();
            if (!c.pasidEnabled() || c.priv() || (c.isDedicated() && c.pasid() != 0)) {
                reconfigure(wq, c.toBuilder().pasid(true, 0).priv(false).build());
            }
        }
    }

    private void reconfigure(WorkQueue wq, WqConfig c) {
        final boolean enabled = wq.isEnabled();
        if (enabled) {
            wq.disable();
        }
        host.device().configureWq(c);
        if (enabled) {
            wq.enable();
        }
    }

    /** A new process (its mm gets a PASID and an address space). */
    public synchronized UserProcess spawn(String name) {
        processes++;
        return new UserProcess(name == null ? "process" + processes : name, host);
    }

    /** The WQ device paths this driver exposes. */
    public synchronized List<String> devices() {
        final List<String> out = new ArrayList<>();
        for (int index : wqs) {
            out.add("/dev/dsa/" + host.device().wq(index).devName());
        }
        return out;
    }

    /**
     * open(2) of a WQ by {@code /dev/dsa/wqD.Q}, {@code wqD.Q} or the WQ's accel-config name.
     *
     * @throws DsaOpenException ENOENT (no such WQ), EPERM (not a user WQ), ENODEV (not enabled), EBUSY (a dedicated WQ
     *                          already opened)
     */
    public synchronized WqFile open(UserProcess process, String path) {
        final WorkQueue wq = find(path);
        if (!wqs.contains(wq.index())) {
            throw new DsaOpenException(DsaOpenException.Errno.EPERM, path + " is not a user WQ ("
                + wq.config().type() + ")");
        }
        if (!wq.isEnabled()) {
            throw new DsaOpenException(DsaOpenException.Errno.ENODEV, path + " is not enabled");
        }
        final String canonical = "/dev/dsa/" + wq.devName();
        final WqFile file = new WqFile(this, process, canonical, wq.index(), wq.isDedicated());
        if (wq.isDedicated() && dedicatedOwner.containsKey(wq.index())) {
            throw new DsaOpenException(DsaOpenException.Errno.EBUSY, canonical + " is a dedicated WQ already open by "
                + dedicatedOwner.get(wq.index()).process().name());
        }
        process.opened(file); // first: an exiting process refuses it, and one that exits later closes it
        try {
            if (wq.isDedicated()) {
                if (!host.pinPasid(process.pasid())) {
                    throw new IllegalStateException(process.name() + " has exited (PASID " + process.pasid()
                        + " freed)");
                }
                try {
                    // the WQ's PASID becomes the owner's: disable (drain), program, enable
                    reconfigure(wq, wq.config().toBuilder().pasid(true, process.pasid()).priv(false).build());
                } catch (RuntimeException e) {
                    host.unpinPasid(process.pasid());
                    throw e;
                }
                dedicatedOwner.put(wq.index(), file);
                file.portal(new UserPortal(file, wq.portal(), true));
            } else {
                file.portal(new UserPortal(file, wq.portal().boundTo(process.pasid()), false));
            }
        } catch (RuntimeException e) {
            process.closed(file);
            throw e;
        }
        openFiles.add(file);
        return file;
    }

    private WorkQueue find(String path) {
        final Matcher m = DEV_PATH.matcher(path);
        if (m.matches()) {
            final int dev = Integer.parseInt(m.group(1));
            final int q = Integer.parseInt(m.group(2));
            if (dev != host.device().config().deviceIndex() || q >= host.device().capabilities().maxWqs()) {
                throw new DsaOpenException(DsaOpenException.Errno.ENOENT, path);
            }
            final WorkQueue wq = host.device().wq(q);
            if (wq.config().size() == 0) {
                throw new DsaOpenException(DsaOpenException.Errno.ENOENT, path + " is not configured");
            }
            return wq;
        }
        final String name = path.startsWith("/dev/dsa/") ? path.substring("/dev/dsa/".length()) : path;
        return host.device().wq(name).filter(w -> w.config().size() > 0)
            .orElseThrow(() -> new DsaOpenException(DsaOpenException.Errno.ENOENT, path));
    }

    /** Called by {@link WqFile#close} after its portal is unmapped. */
    synchronized void release(WqFile file) {
        openFiles.remove(file);
        if (file.isDedicated() && dedicatedOwner.get(file.wqIndex()) == file) {
            dedicatedOwner.remove(file.wqIndex());
            final WorkQueue wq = host.device().wq(file.wqIndex());
            // drain what the owner left, and take its PASID off the WQ before anyone else opens it; only then may
            // the PASID go back to the allocator
            try {
                reconfigure(wq, wq.config().toBuilder().pasid(true, 0).build());
            } finally {
                host.unpinPasid(file.process().pasid());
            }
        }
    }

    @Override
    public String ownerName() {
        return "user";
    }

    @Override
    public void softwareError(SwerrEntry entry) {
        // engine thread: never the driver's monitor, which is held across drains
        synchronized (errors) {
            errors.computeIfAbsent(entry.wqIndex(), k -> new ArrayList<>()).add(entry);
        }
    }

    /** SWERR entries reported for user WQ {@code wqIndex}. */
    public List<SwerrEntry> errors(int wqIndex) {
        synchronized (errors) {
            return List.copyOf(errors.getOrDefault(wqIndex, List.of()));
        }
    }

    /** Unloads the driver: every open file is closed first (portals unmapped, dedicated WQs drained), then the WQs go. */
    @Override
    public synchronized void close() {
        for (WqFile f : List.copyOf(openFiles)) {
            f.close();
        }
        for (int index : wqs) {
            host.releaseWq(index, this);
        }
    }
}
