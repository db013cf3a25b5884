package io.softdsa.mdev.migration;

/**
 * {@code struct vfio_precopy_info}: in PRE_COPY, the bytes of the initial part not read yet and the bytes known to
 * have been added since (both estimates that only say how much a read would return now).
 */
public record PrecopyInfo(long initialBytes, long dirtyBytes) {
}
