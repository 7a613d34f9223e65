package io.weft.core.model;

import java.util.Objects;

/**
 * One write of a static entry a reconcile decides, a {@link Neighbour} or an {@link FdbEntry} of the tunnel
 * device: the dataplane's verbs for those entries are create-or-replace and delete.
 */
public record EntryOp<T>(Kind kind, T entry) {

  public enum Kind {
    /** Create the entry, or replace the one holding its address (neighbour) or MAC (FDB). */
    REPLACE,
    DELETE
  }

  public EntryOp {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(entry, "entry");
  }

  public static <T> EntryOp<T> replace(T entry) {
    return new EntryOp<>(Kind.REPLACE, entry);
  }

  public static <T> EntryOp<T> delete(T entry) {
    return new EntryOp<>(Kind.DELETE, entry);
  }
}
