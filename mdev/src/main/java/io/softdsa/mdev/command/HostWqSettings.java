package io.softdsa.mdev.command;

/**
 * One guest WQ's configuration as Enable WQ latched it from WQCFG, translated for its host WQ: the PASID is the
 * host PASID (dedicated WQ with PASID: the guest PASID's translation; with PASID disabled: the guest's stage-2
 * domain), the group is a host group.
 */
public record HostWqSettings(boolean dedicated, int size, int threshold, int priority, boolean blockOnFault,
                             int hostPasid, boolean priv, int maxTransferShift, int maxBatchShift, long[] opConfig,
                             int hostGroup, boolean atsDisable, boolean prsDisable, int guestPasid,
                             boolean guestPasidEnabled) {
    public HostWqSettings {
        opConfig = opConfig.clone();
    }

    @Override
    public long[] opConfig() {
        return opConfig.clone();
    }

    /** The guest PASID a dedicated WQ's descriptors run for, in guest terms: WQCFG's PASID, or 0 with PASID off. */
    public int dedicatedGuestPasid() {
        return guestPasidEnabled ? guestPasid : 0;
    }
}
