package io.weft.agent;

import picocli.CommandLine.IVersionProvider;

/** The Weft version from the jar manifest ({@code dev} when run from classes). */
public final class WeftVersion implements IVersionProvider {

  public static String current() {
    String v = WeftVersion.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  @Override
  public String[] getVersion() {
    return new String[] {"weft-agent " + current()};
  }
}
