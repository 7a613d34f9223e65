package io.weft.agent.cni.protocol;

import java.util.List;

/** The CNI spec versions this plugin speaks, and comparisons between semantic versions. */
public final class CniVersion {
  public static final String V0_4_0 = "0.4.0";
  public static final String V1_0_0 = "1.0.0";
  public static final String V1_1_0 = "1.1.0";
  /** Newest first is not what the spec asks; VERSION lists them in ascending order like the reference plugins. */
  public static final List<String> SUPPORTED = List.of(V0_4_0, V1_0_0, V1_1_0);
  public static final String LATEST = V1_1_0;

  private CniVersion() {}

  public static boolean isSupported(String version) {
    return SUPPORTED.contains(version);
  }

  /** True when {@code version} is at least {@code minimum}; both {@code MAJOR.MINOR.PATCH}. */
  public static boolean atLeast(String version, String minimum) {
    return compare(version, minimum) >= 0;
  }

  static int compare(String a, String b) {
    int[] x = parse(a);
    int[] y = parse(b);
    for (int i = 0; i < 3; i++) {
      if (x[i] != y[i]) {
        return Integer.compare(x[i], y[i]);
      }
    }
    return 0;
  }

  private static int[] parse(String v) {
    String[] parts = v.split("\\.", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("'" + v + "' is not a MAJOR.MINOR.PATCH version");
    }
    int[] n = new int[3];
    for (int i = 0; i < 3; i++) {
      try {
        n[i] = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + v + "' is not a MAJOR.MINOR.PATCH version");
      }
      if (n[i] < 0) {
        throw new IllegalArgumentException("'" + v + "' is not a MAJOR.MINOR.PATCH version");
      }
    }
    return n;
  }
}
