package io.softdsa.mdev.command;

import io.softdsa.mdev.regs.WqcfgEntry;

/**
 * One guest WQ's configuration as Enable WQ latched it: the decoded WQCFG entry (allowed opcodes cut to OPCAP) and
 * what it translates to on the host: the host PASID (dedicated WQ with PASID: the guest PASID's translation; with
 * PASID disabled: the guest's stage-2 domain; shared WQ: 0) and the host group.
 */
public record HostWqSettings(WqcfgEntry wqcfg, int hostPasid, int hostGroup) {
    public boolean dedicated() {
        return wqcfg.dedicated();
    }

    public int size() {
        return wqcfg.size();
    }

    /** The shared WQ's threshold; 0 on a dedicated WQ, which has none. */
    public int threshold() {
        return wqcfg.dedicated() ? 0 : wqcfg.threshold();
    }

    public int priority() {
        return wqcfg.priority();
    }

    public boolean blockOnFault() {
        return wqcfg.blockOnFault();
    }

    public boolean priv() {
        return wqcfg.priv();
    }

    public int maxTransferShift() {
        return wqcfg.maxTransferShift();
    }

    public int maxBatchShift() {
        return wqcfg.maxBatchShift();
    }

    public long[] opConfig() {
        return wqcfg.opConfig();
    }

    public boolean atsDisable() {
        return wqcfg.atsDisable();
    }

    public boolean prsDisable() {
        return wqcfg.prsDisable();
    }

    /** WQCFG's PASID field, in guest terms. */
    public int guestPasid() {
        return wqcfg.pasid();
    }

    public boolean guestPasidEnabled() {
        return wqcfg.pasidEnable();
    }

    /** The guest PASID a dedicated WQ's descriptors run for, in guest terms: WQCFG's PASID, or 0 with PASID off. */
    public int dedicatedGuestPasid() {
        return guestPasidEnabled() ? guestPasid() : 0;
    }
}
