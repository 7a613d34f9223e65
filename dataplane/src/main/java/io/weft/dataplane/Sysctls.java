package io.weft.dataplane;

/**
 * The {@code net.*} sysctls of one namespace, by their dotted name ({@code net.ipv4.ip_forward}). Values
 * are the text of the /proc/sys file, trimmed.
 */
public interface Sysctls {

  /** @throws NotFoundException when the key does not exist in this namespace */
  String get(String key);

  void set(String key, String value);
}
