/** A model of the Linux idxd driver inside a guest, reaching its device through registers, portals and MSI-X only. */
package io.softdsa.mdev.guest;
