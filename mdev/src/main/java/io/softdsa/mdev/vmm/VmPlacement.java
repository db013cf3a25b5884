package io.softdsa.mdev.vmm;

import io.softdsa.mdev.translation.GuestDomain;
import io.softdsa.mdev.vdev.VirtualDsa;

/**
 * Where a VM runs on one host: the host side of its guest ({@link GuestDomain}: the guest RAM's backing there and
 * that host's IOMMU emulation) and the virtual DSA assigned to it there. A migration's destination is a placement
 * created on the other host — a movable domain of the guest's RAM size and a virtual device of the same type over
 * it — before the migration starts, as a destination QEMU is started with {@code -incoming}.
 */
public record VmPlacement(GuestDomain domain, VirtualDsa device) {
    public VmPlacement {
        if (domain == null || device == null) {
            throw new IllegalArgumentException("a placement needs a domain and a device");
        }
        if (device.guest() != domain) {
            throw new IllegalArgumentException(device.name() + " is not assigned to " + domain);
        }
    }

    /** "device of domain", e.g. {@code vdsa0 of vm0@dsa1}. */
    public String describe() {
        return device.name() + " of " + domain.name();
    }
}
