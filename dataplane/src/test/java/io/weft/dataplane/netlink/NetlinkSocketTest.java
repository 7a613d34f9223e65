package io.weft.dataplane.netlink;

import static io.weft.dataplane.netlink.ScriptedKernel.ack;
import static io.weft.dataplane.netlink.ScriptedKernel.done;
import static io.weft.dataplane.netlink.ScriptedKernel.link;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weft.dataplane.AlreadyExistsException;
import io.weft.dataplane.NetlinkException;
import io.weft.dataplane.NotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The socket's bookkeeping against a scripted kernel: no root, no kernel. */
class NetlinkSocketTest {
  final ScriptedKernel kernel = new ScriptedKernel();
  final NetlinkSocket socket = NetlinkSocket.open(kernel.binding(), Duration.ofSeconds(1));

  private static MessageBuilder getLinks() {
    return LinkCodec.dumpRequest();
  }

  @Test
  void anInterruptedDumpIsAskedAgain() {
    kernel.onRequest = m -> kernel.requests.size() == 1
        ? List.of(link(m.seq(), Nl.NLM_F_MULTI | Nl.NLM_F_DUMP_INTR, 1, "lo"), done(m.seq(), 0))
        : List.of(link(m.seq(), Nl.NLM_F_MULTI, 1, "lo"), link(m.seq(), Nl.NLM_F_MULTI, 2, "eth0"), done(m.seq(), 0));
    List<NetlinkMessage> parts = socket.dump(getLinks(), "list links");
    assertEquals(2, kernel.requests.size());
    assertEquals(List.of("lo", "eth0"), parts.stream().map(LinkCodec::decode).map(l -> l.name()).toList());
  }

  @Test
  void aDumpThatKeepsBeingInterruptedFails() {
    kernel.onRequest = m -> List.of(link(m.seq(), Nl.NLM_F_MULTI | Nl.NLM_F_DUMP_INTR, 1, "lo"), done(m.seq(), 0));
    NetlinkException e = assertThrows(NetlinkException.class, () -> socket.dump(getLinks(), "list links"));
    assertEquals(NetlinkException.EINTR, e.errno());
  }

  @Test
  void aFailedDumpSaysSoInItsDone() {
    kernel.onRequest = m -> List.of(done(m.seq(), NetlinkException.ENOENT));
    assertThrows(NotFoundException.class, () -> socket.dump(getLinks(), "list routes"));
  }

  @Test
  void staleSequenceNumbersAndOtherPortsAreSkipped() {
    kernel.onRequest = m -> {
      byte[] otherPort = link(m.seq(), 0, 9, "intruder");
      java.nio.ByteBuffer.wrap(otherPort).order(java.nio.ByteOrder.nativeOrder()).putInt(12, 999);
      return List.of(ack(m.seq() - 1, 17, "old news"), otherPort, link(m.seq(), 0, 2, "eth0"), ack(m.seq(), 0, null));
    };
    List<NetlinkMessage> replies = socket.execute(LinkCodec.getByName("eth0"), "look up link eth0");
    assertEquals(List.of("eth0"), replies.stream().map(LinkCodec::decode).map(l -> l.name()).toList());
  }

  @Test
  void anErrorCarriesTheKernelsText() {
    kernel.onRequest = m -> List.of(ack(m.seq(), 17, "Route exists"));
    AlreadyExistsException e = assertThrows(AlreadyExistsException.class,
        () -> socket.execute(LinkCodec.getByName("x"), "add route 10.0.0.0/24"));
    assertEquals("could not add route 10.0.0.0/24: file exists (Route exists)", e.getMessage());
  }

  @Test
  void aBatchPacksRequestsAndMatchesAcksBySequenceInAnyOrder() {
    List<Object> answers = new ArrayList<>();
    kernel.onRequest = m -> {
      answers.add(0, m.seq() % 3 == 0 ? ack(m.seq(), 101, "Nexthop has invalid gateway") : ack(m.seq(), 0, null));
      // the ninth request of the datagram releases every answer, newest first
      return kernel.requests.size() == 9 ? List.copyOf(answers) : List.of();
    };
    List<MessageBuilder> reqs = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      reqs.add(LinkCodec.getByIndex(i + 1));
    }
    NetlinkSocket.Ack[] acks = socket.batch(reqs, "change routes");
    assertEquals(9, kernel.requests.size());
    for (int i = 0; i < 9; i++) {
      int seq = kernel.requests.get(i).seq();
      assertEquals(seq % 3 == 0 ? 101 : 0, acks[i].errno(), "request " + i);
      assertEquals(seq % 3 == 0 ? "Nexthop has invalid gateway" : null, acks[i].kernelMessage());
    }
  }

  @Test
  void acksLostToAFullBufferAreReportedNotGuessed() {
    kernel.onRequest = m -> switch (kernel.requests.size()) {
      case 1 -> List.of(ack(m.seq(), 0, null));
      case 3 -> List.of(ScriptedKernel.NetlinkNumbers.ENOBUFS);
      default -> List.of();
    };
    NetlinkSocket.Ack[] acks = socket.batch(
        List.of(LinkCodec.getByIndex(1), LinkCodec.getByIndex(2), LinkCodec.getByIndex(3)), "change routes");
    assertEquals(0, acks[0].errno());
    assertEquals(NetlinkException.ENOBUFS, acks[1].errno());
    assertEquals(NetlinkException.ENOBUFS, acks[2].errno());
  }

  @Test
  void noAnswerInTimeIsAnError() {
    kernel.onRequest = m -> List.of();
    NetlinkException e = assertThrows(NetlinkException.class, () -> socket.execute(LinkCodec.getByIndex(1), "look up link #1"));
    assertEquals("could not look up link #1: resource temporarily unavailable (no answer from the kernel in time)", e.getMessage());
  }

  @Test
  void anEventSocketTimeoutIsQuiet() {
    assertEquals(List.of(), socket.receive("read events", false));
  }
}
