package io.weft.core.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class NodeRecordCodecTest {
  private static final String NODE_1 = """
      {"schema":1,"name":"node-1","hostname":"node-1","nodeIp":"192.168.1.11","mac":"02:42:c0:a8:01:0b",\
      "podSubnet":"10.244.1.0/24","subnetSource":"configured","incarnation":3,"version":7,\
      "agentVersion":"0.1.0","announcedAtMillis":1764138000000}""";
  private static final NodeRecord RECORD = new NodeRecord("node-1", "node-1", IpAddresses.parse("192.168.1.11"),
      MacAddress.parse("02:42:c0:a8:01:0b"), Cidr.parse("10.244.1.0/24"), SubnetSource.CONFIGURED, 3, 7, "0.1.0",
      1764138000000L);

  private final NodeRecordCodec codec = new NodeRecordCodec();

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private String failure(String json) {
    return assertThrows(RecordFormatException.class, () -> codec.decode(utf8(json))).getMessage();
  }

  @Test
  void writesTheDocumentedForm() {
    assertEquals(NODE_1, new String(codec.encode(RECORD), StandardCharsets.UTF_8));
    assertEquals(RECORD, codec.decode(utf8(NODE_1)));
  }

  @Test
  void toleratesUnknownFields() {
    String newer = NODE_1.replace("{\"schema\":1,", "{\"schema\":1,\"zone\":\"eu-1\",\"extra\":{\"a\":[1,2]},");
    assertEquals(RECORD, codec.decode(utf8(newer)));
  }

  @Test
  void namesTheMissingField() {
    assertEquals("record: missing required field 'podSubnet'",
        failure(NODE_1.replace("\"podSubnet\":\"10.244.1.0/24\",", "")));
    assertEquals("record: missing required field 'schema'", failure(NODE_1.replace("\"schema\":1,", "")));
    assertEquals("record: missing required field 'nodeIp'", failure(NODE_1.replace("\"192.168.1.11\"", "null")));
  }

  @Test
  void namesTheWronglyTypedField() {
    assertEquals("record: field 'incarnation' must be an integer, got string",
        failure(NODE_1.replace("\"incarnation\":3", "\"incarnation\":\"3\"")));
    assertEquals("record: field 'version' must be an integer, got number",
        failure(NODE_1.replace("\"version\":7", "\"version\":7.5")));
    assertEquals("record: field 'name' must be a string, got array",
        failure(NODE_1.replace("\"name\":\"node-1\"", "\"name\":[\"node-1\"]")));
    assertTrue(failure(NODE_1.replace("\"version\":7", "\"version\":123456789012345678901234567890"))
        .contains("'version' must be an integer"));
    assertTrue(failure(NODE_1.replace("configured", "borrowed")).startsWith("record: field 'subnetSource'"));
    assertTrue(failure(NODE_1.replace("10.244.1.0/24", "10.244.1.7/24")).startsWith("record: field 'podSubnet'"));
    assertTrue(failure(NODE_1.replace("02:42:c0:a8:01:0b", "02:42")).startsWith("record: field 'mac'"));
  }

  @Test
  void neverResolvesHostNames() {
    assertEquals("record: field 'nodeIp': 'localhost' is not an IP address",
        failure(NODE_1.replace("192.168.1.11", "localhost")));
  }

  @Test
  void refusesGarbageOtherSchemasAndAmbiguity() {
    assertTrue(failure("not json at all").startsWith("record: not valid JSON: "));
    assertTrue(failure("{\"schema\":1,").startsWith("record: not valid JSON: "));
    assertEquals("record: expected a JSON object, got array", failure("[1,2,3]"));
    assertEquals("record: empty input", failure(""));
    assertEquals("record: empty input", failure("   "));
    assertEquals("record: unsupported schema 2 (this agent reads schema 1)",
        failure(NODE_1.replace("\"schema\":1", "\"schema\":2")));
    assertTrue(failure(NODE_1.replace("{\"schema\":1,", "{\"schema\":1,\"name\":\"evil\",")).contains("Duplicate field"));
    assertTrue(failure(" ".repeat(5000)).contains("more than the 4096 allowed"));
    assertThrows(RecordFormatException.class, () -> codec.decode(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1}));
  }

  @Test
  void listsRoundTripAndNameTheBadIndex() {
    NodeRecord other = RECORD.withPodSubnet(Cidr.parse("10.244.9.0/24"), SubnetSource.ALLOCATED, 5);
    assertEquals(List.of(RECORD, other), codec.decodeAll(codec.encodeAll(List.of(RECORD, other))));
    assertEquals(List.of(), codec.decodeAll(utf8("[]")));
    String broken = "[" + NODE_1 + "," + NODE_1.replace("\"hostname\":\"node-1\",", "") + "]";
    RecordFormatException e = assertThrows(RecordFormatException.class, () -> codec.decodeAll(utf8(broken)));
    assertEquals("record 1: missing required field 'hostname'", e.getMessage());
    assertThrows(RecordFormatException.class, () -> codec.decodeAll(utf8(NODE_1)));
  }

  @Provide
  Arbitrary<NodeRecord> records() {
    Arbitrary<InetAddress> ips = Arbitraries.bytes().array(byte[].class).ofSize(4).map(b -> {
      try {
        return InetAddress.getByAddress(b);
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    });
    Arbitrary<String> text = Arbitraries.strings().all().ofMaxLength(30);
    Arbitrary<MacAddress> macs = Arbitraries.bytes().array(byte[].class).ofSize(6).map(MacAddress::of);
    Arbitrary<Cidr> subnets = Combinators.combine(ips, Arbitraries.integers().between(0, 32)).as(Cidr::of);
    Arbitrary<Long> longs = Arbitraries.longs();
    return Combinators.combine(text, text, ips, macs, subnets, Arbitraries.of(SubnetSource.values()), longs,
        Arbitraries.longs().between(0, Long.MAX_VALUE)).flatAs((name, host, ip, mac, subnet, source, inc, ver) ->
        Combinators.combine(text, longs).as((agent, at) ->
            new NodeRecord(name, host, ip, mac, subnet, source, inc, ver, agent, at)));
  }

  @Property(tries = 1000)
  void everyRecordRoundTrips(@ForAll("records") NodeRecord record) {
    assertEquals(record, codec.decode(codec.encode(record)));
  }
}
