package io.weft.cni;

/** Entry point of the {@code weft} CNI plugin. Placeholder until the plugin lands. */
public final class CniMain {
  private CniMain() {}

  public static void main(String[] args) {
    System.out.println("{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\",\"1.1.0\"]}");
  }
}
