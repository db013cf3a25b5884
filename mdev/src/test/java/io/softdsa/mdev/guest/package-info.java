/**
 * A model of the Linux idxd driver inside a guest, reaching its device through registers, portals and MSI-X only.
 * It is a test fixture, not part of the device (mdev's test-jar): the tests, the examples, the hostile stress run
 * and the benchmarks drive virtual devices with it, as QEMU's qtests drive theirs with libqos.
 */
package io.softdsa.mdev.guest;
