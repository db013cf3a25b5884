package io.softdsa.mdev.vdev;

import io.softdsa.mdev.migration.DirtyTracker;
import io.softdsa.mdev.migration.DmaLogging;
import io.softdsa.mdev.migration.MigrationArcException;
import io.softdsa.mdev.migration.MigrationArcs;
import io.softdsa.mdev.migration.MigrationState;
import io.softdsa.mdev.migration.MigrationStateMachine;
import io.softdsa.mdev.migration.MigrationStreamException;
import io.softdsa.mdev.migration.PrecopyInfo;

import java.nio.ByteBuffer;

/** The migration driver of one {@link VirtualDsa} (work in progress: arcs not wired yet). */
final class VdevMigration implements DeviceMigration, MigrationArcs {
    static final int FEATURES = MigrationStateMachine.STOP_COPY | MigrationStateMachine.P2P
        | MigrationStateMachine.PRE_COPY;

    private final VirtualDsa dev;
    private final MigrationStateMachine machine;
    private final DmaLogging logging;

    VdevMigration(VirtualDsa dev) {
        this.dev = dev;
        this.machine = new MigrationStateMachine(FEATURES, this);
        this.logging = new DmaLogging(DirtyTracker.of(dev.guest().memory().stage2()));
    }

    @Override
    public int features() {
        return machine.features();
    }

    @Override
    public MigrationState state() {
        return machine.state();
    }

    @Override
    public void transition(MigrationState to) throws MigrationArcException {
        machine.transition(to);
    }

    @Override
    public void resetDevice() throws MigrationArcException {
        machine.reset();
    }

    @Override
    public int read(ByteBuffer dst) {
        throw new UnsupportedOperationException("not wired yet");
    }

    @Override
    public int write(ByteBuffer src) throws MigrationStreamException {
        throw new UnsupportedOperationException("not wired yet");
    }

    @Override
    public PrecopyInfo precopyInfo() {
        throw new UnsupportedOperationException("not wired yet");
    }

    @Override
    public DmaLogging dmaLogging() {
        return logging;
    }

    private static UnsupportedOperationException notYet() {
        return new UnsupportedOperationException("not wired yet");
    }

    @Override public void runningToP2p() { throw notYet(); }
    @Override public void p2pToRunning() { throw notYet(); }
    @Override public void p2pToStop() { throw notYet(); }
    @Override public void stopToP2p() { throw notYet(); }
    @Override public void runningToStop() { throw notYet(); }
    @Override public void stopToRunning() { throw notYet(); }
    @Override public void startCopy() { throw notYet(); }
    @Override public void endCopy() { throw notYet(); }
    @Override public void startResume() { throw notYet(); }
    @Override public void endResume() { throw notYet(); }
    @Override public void startPreCopy() { throw notYet(); }
    @Override public void endPreCopy() { throw notYet(); }
    @Override public void preCopyToP2p() { throw notYet(); }
    @Override public void preCopyP2pToPreCopy() { throw notYet(); }
    @Override public void startPreCopyP2p() { throw notYet(); }
    @Override public void endPreCopyP2p() { throw notYet(); }
    @Override public void preCopyP2pToStopCopy() { throw notYet(); }
    @Override public void preCopyToStopCopy() { throw notYet(); }
    @Override public void reset() throws Exception { }
}
