/**
 * The host kernel's side shared by both ways of handing out a DSA: the device over a scalable-mode IOMMU, WQ ownership by
 * accel-config type, host PASIDs, the interrupt-handle pool, and routing of SWERR entries and page requests.
 */
package io.softdsa.mdev.host;
