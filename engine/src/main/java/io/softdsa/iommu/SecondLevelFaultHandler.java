package io.softdsa.iommu;

/**
 * The host's answer to a stage-2 miss (a guest-physical page the host has not backed, or a write to a page it maps
 * read-only): back or fix the page and return true, or return false to fail the access with a translation error.
 * Never shown to the guest as its own page fault. Called on the engine thread, which holds no translation meanwhile.
 */
@FunctionalInterface
public interface SecondLevelFaultHandler {
    boolean resolve(long guestPhysical, boolean write);
}
