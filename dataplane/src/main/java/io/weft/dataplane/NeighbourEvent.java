package io.weft.dataplane;

/**
 * A neighbour or FDB entry changed.
 *
 * @param deleted true for RTM_DELNEIGH
 * @param device  the entry's device (null when the device is already gone)
 * @param fdb     true for an FDB entry (AF_BRIDGE), false for an IPv4 neighbour
 */
public record NeighbourEvent(boolean deleted, String device, boolean fdb) {}
