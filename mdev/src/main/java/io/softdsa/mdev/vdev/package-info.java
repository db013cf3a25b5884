/**
 * The virtual device (mdev): its types, BAR2 portals and the device model tying configuration space, BAR0, the command
 * processor and the host slice together; {@link io.softdsa.mdev.vdev.MdevManager} creates them.
 */
package io.softdsa.mdev.vdev;
