package io.softdsa.mdev.vdev;

/**
 * The guest's interrupt controller: receives the MSI-X messages the virtual device sends (vector, and the address and
 * data the guest programmed in the MSI-X table). Called on the device's thread (an engine, the command processor):
 * queue the work, do not block.
 */
@FunctionalInterface
public interface MsiSink {
    void deliver(int vector, long address, int data);
}
