package io.weft.dataplane;

/** A link appeared or changed ({@code deleted == false}) or went away. */
public record LinkEvent(boolean deleted, Link link) {}
