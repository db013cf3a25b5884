package io.softdsa.mdev.vdev;

/**
 * The guest's interrupt controller: receives the MSI-X messages the virtual device sends (vector, and the address and
 * data the guest programmed in the MSI-X table). Called on the virtual device's interrupt-delivery thread (its posted
 * interrupts), or on the thread of the guest's own register write that unmasks a pending vector — never on a host
 * engine thread. Blocking or throwing delays or loses only this guest's interrupts.
 */
@FunctionalInterface
public interface MsiSink {
    void deliver(int vector, long address, int data);
}
