/**
 * A guest's DMA view: guest-physical memory as a stage-2 mapping, and the emulated IOMMU that translates guest PASIDs,
 * binds guest page tables for nested translation, forwards invalidations and page requests.
 */
package io.softdsa.mdev.translation;
