package io.softdsa.mdev.migration;

/**
 * What a migratable device does on each direct arc of the VFIO migration state machine, one method per arc (the
 * shape of mlx5's and hisi_acc's {@code step} function). {@link MigrationStateMachine} calls exactly one of them per
 * step, never concurrently, and moves to ERROR if one throws. Which arcs exist depends on the feature flags: with P2P
 * the RUNNING ↔ STOP arcs go through RUNNING_P2P; without it they are direct ({@link #runningToStop},
 * {@link #stopToRunning}) and PRE_COPY reaches STOP_COPY directly ({@link #preCopyToStopCopy}).
 */
public interface MigrationArcs {
    /** RUNNING → RUNNING_P2P: stop initiating peer-to-peer DMA; keep running otherwise. */
    void runningToP2p() throws Exception;

    /** RUNNING_P2P → RUNNING. */
    void p2pToRunning() throws Exception;

    /** RUNNING_P2P → STOP: quiesce: no DMA, no interrupts, no internal state change from here on. */
    void p2pToStop() throws Exception;

    /** STOP → RUNNING_P2P. */
    void stopToP2p() throws Exception;

    /** RUNNING → STOP (devices without P2P only). */
    void runningToStop() throws Exception;

    /** STOP → RUNNING (devices without P2P only). */
    void stopToRunning() throws Exception;

    /** STOP → STOP_COPY: open the saving stream with the complete device state. */
    void startCopy() throws Exception;

    /** STOP_COPY → STOP: close the saving stream. */
    void endCopy() throws Exception;

    /** STOP → RESUMING: open the resuming stream; the device takes no state from it yet. */
    void startResume() throws Exception;

    /** RESUMING → STOP: validate the whole received stream and load it, or fail (the machine goes to ERROR). */
    void endResume() throws Exception;

    /** RUNNING → PRE_COPY: open the saving stream with its initial part (compatibility data first). */
    void startPreCopy() throws Exception;

    /** PRE_COPY → RUNNING: close the saving stream. */
    void endPreCopy() throws Exception;

    /** PRE_COPY → PRE_COPY_P2P: stop peer-to-peer DMA; the saving stream stays open. */
    void preCopyToP2p() throws Exception;

    /** PRE_COPY_P2P → PRE_COPY. */
    void preCopyP2pToPreCopy() throws Exception;

    /** RUNNING_P2P → PRE_COPY_P2P: open the saving stream. */
    void startPreCopyP2p() throws Exception;

    /** PRE_COPY_P2P → RUNNING_P2P: close the saving stream. */
    void endPreCopyP2p() throws Exception;

    /** PRE_COPY_P2P → STOP_COPY: quiesce; the same saving stream continues with the rest of the state. */
    void preCopyP2pToStopCopy() throws Exception;

    /** PRE_COPY → STOP_COPY (devices without P2P only): quiesce; the saving stream continues. */
    void preCopyToStopCopy() throws Exception;

    /** Device reset: whatever the state (ERROR included), back to RUNNING with any migration stream closed. */
    void reset() throws Exception;
}
