package io.weft.dataplane;

import io.weft.core.model.Route;

/** A route appeared or changed ({@code deleted == false}) or went away. */
public record RouteEvent(boolean deleted, Route route) {}
