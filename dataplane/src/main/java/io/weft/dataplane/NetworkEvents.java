package io.weft.dataplane;

/** A subscription to the route and link changes of one namespace; closing it stops its thread. */
public interface NetworkEvents extends AutoCloseable {

  /** Adds a listener; the first one starts the events thread. */
  void subscribe(NetworkEventListener listener);

  @Override
  void close();
}
