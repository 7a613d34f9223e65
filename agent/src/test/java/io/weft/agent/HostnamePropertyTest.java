package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.plan.NodeRules;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;

/** The agent's default node name is one its peers accept: the hostname, normalised to core's rule. */
class HostnamePropertyTest {
  @Property(tries = 1000)
  void aNormalisedHostnameIsEmptyOrADnsNamePeersAccept(@ForAll @StringLength(max = 300) String raw) {
    String name = AgentCommand.normalizeHostname(raw);
    assertTrue(name.isEmpty() || name.length() > NodeRules.MAX_NAME_LENGTH || NodeRules.isDnsName(name), name);
  }
}
