/**
 * The userspace-DMA interface: the idxd character-device driver model (open {@code /dev/dsa/wqD.Q}, a process bound to
 * a PASID, its portal with PASID and Priv enforced).
 */
package io.softdsa.mdev.userspace;
