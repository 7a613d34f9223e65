package io.weft.lab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Traffic checks shared by the end-to-end tests. */
final class Traffic {
  private Traffic() {}

  /**
   * For every ordered pair of {@code senders} x {@code receivers} (skipping a pod to itself): one
   * ping, and one UDP echo whose receiver reports the source address it saw. Returns one line per
   * pair that failed either way or saw another address than the sender's own (NAT); empty is good.
   * Senders run in parallel; each sender's pairs run in turn.
   */
  static List<String> failures(Lab lab, List<Pod> senders, List<Pod> receivers) {
    lab.inParallel(distinct(senders, receivers), p -> {
      p.ensureEcho();
      return p;
    });
    List<List<String>> perSender = lab.inParallel(senders, from -> {
      List<String> bad = new ArrayList<>();
      for (Pod to : receivers) {
        if (to == from) {
          continue;
        }
        if (!from.ping(to.ip())) {
          bad.add(from + " -> " + to + ": no ping reply");
        }
        String seen = from.sourceSeenBy(to, Duration.ofSeconds(2));
        if (seen == null) {
          bad.add(from + " -> " + to + ": no UDP echo");
        } else if (!seen.equals(from.ip())) {
          bad.add(from + " -> " + to + ": receiver saw source " + seen + " (NAT?)");
        }
      }
      return bad;
    });
    return perSender.stream().flatMap(List::stream).toList();
  }

  /** Only the pings: every sender to every receiver; lines for the pairs that got no reply. */
  static List<String> pingFailures(Lab lab, List<Pod> senders, List<Pod> receivers) {
    List<List<String>> perSender = lab.inParallel(senders, from -> {
      List<String> bad = new ArrayList<>();
      for (Pod to : receivers) {
        if (to != from && !from.ping(to.ip())) {
          bad.add(from + " -> " + to + ": no ping reply");
        }
      }
      return bad;
    });
    return perSender.stream().flatMap(List::stream).toList();
  }

  private static List<Pod> distinct(List<Pod> a, List<Pod> b) {
    List<Pod> all = new ArrayList<>(a);
    b.stream().filter(p -> !all.contains(p)).forEach(all::add);
    return all;
  }
}
