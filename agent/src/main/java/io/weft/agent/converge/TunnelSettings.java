package io.weft.agent.converge;

import io.weft.core.model.TunnelMode;
import java.util.Objects;

/**
 * The VXLAN tunnel to peers that are not on-link.
 *
 * @param mode   when peers are tunnelled ({@code --tunnel})
 * @param device the one VXLAN device ({@value #DEVICE})
 * @param vni    VXLAN network identifier ({@code --vxlan-vni})
 * @param port   UDP port ({@code --vxlan-port})
 */
public record TunnelSettings(TunnelMode mode, String device, int vni, int port) {
  /** The device's name: {@code weft.} cannot clash with a pod veth ({@code weft} + 8 hex). */
  public static final String DEVICE = "weft.vxlan";

  public TunnelSettings {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(device, "device");
  }

  public static TunnelSettings of(TunnelMode mode, int vni, int port) {
    return new TunnelSettings(mode, DEVICE, vni, port);
  }
}
