package io.weft.agent.converge;

import io.weft.core.net.Cidr;
import java.util.List;

/**
 * Pod traffic leaving the cluster.
 *
 * @param masquerade   {@code --masquerade}
 * @param noMasquerade {@code --no-masquerade-cidr}: destinations that route the pod CIDR themselves
 */
public record EgressSettings(boolean masquerade, List<Cidr> noMasquerade) {
  public EgressSettings {
    noMasquerade = List.copyOf(noMasquerade);
  }
}
