package io.weft.core.codec;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.weft.core.model.NodeRecord;
import io.weft.core.model.SubnetSource;
import io.weft.core.net.Cidr;
import io.weft.core.net.IpAddresses;
import io.weft.core.net.MacAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The wire form of a {@link NodeRecord}: a JSON object with {@code "schema": 1}.
 *
 * <pre>{@code
 * {"schema":1,"name":"node-1","hostname":"node-1","nodeIp":"192.168.1.11","mac":"02:42:c0:a8:01:0b",
 *  "podSubnet":"10.244.1.0/24","subnetSource":"configured","incarnation":3,"version":7,
 *  "agentVersion":"0.1.0","announcedAtMillis":1764138000000}
 * }</pre>
 *
 * <p>Decoding tolerates unknown fields (a newer agent may add some) but requires every field above,
 * refuses duplicate keys, other schemas, and values of the wrong JSON type. Addresses are parsed as
 * literals only ({@link IpAddresses}), never resolved. Only the form is checked here; whether a
 * record is acceptable is {@link io.weft.core.plan.RecordValidator}'s job. Thread-safe.
 */
public final class NodeRecordCodec {
  /** The schema this codec writes and reads. */
  public static final int SCHEMA = 1;
  /** Larger input is refused before parsing: a record is a few hundred bytes. */
  public static final int MAX_RECORD_BYTES = 4096;
  /** Larger lists are refused before parsing. */
  public static final int MAX_LIST_BYTES = 4 * 1024 * 1024;

  private final ObjectMapper mapper = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  /** The record as UTF-8 JSON. */
  public byte[] encode(NodeRecord record) {
    return write(toJson(record));
  }

  /** A list of records as a UTF-8 JSON array of record objects. */
  public byte[] encodeAll(List<NodeRecord> records) {
    ArrayNode array = mapper.createArrayNode();
    records.forEach(r -> array.add(toJson(r)));
    return write(array);
  }

  /**
   * Reads one record.
   *
   * @throws RecordFormatException naming the field and the problem
   */
  public NodeRecord decode(byte[] json) {
    return fromJson(parse(json, MAX_RECORD_BYTES, "record"), "record: ");
  }

  /**
   * Reads a JSON array of records.
   *
   * @throws RecordFormatException naming the index, the field and the problem
   */
  public List<NodeRecord> decodeAll(byte[] json) {
    JsonNode root = parse(json, MAX_LIST_BYTES, "record list");
    if (!root.isArray()) {
      throw new RecordFormatException("record list: expected a JSON array, got " + typeOf(root));
    }
    List<NodeRecord> records = new ArrayList<>(root.size());
    for (int i = 0; i < root.size(); i++) {
      records.add(fromJson(root.get(i), "record " + i + ": "));
    }
    return records;
  }

  private ObjectNode toJson(NodeRecord r) {
    ObjectNode o = mapper.createObjectNode();
    o.put("schema", SCHEMA);
    o.put("name", r.name());
    o.put("hostname", r.hostname());
    o.put("nodeIp", r.nodeIp().getHostAddress());
    o.put("mac", r.mac().toString());
    o.put("podSubnet", r.podSubnet().toString());
    o.put("subnetSource", r.subnetSource().name().toLowerCase(Locale.ROOT));
    o.put("incarnation", r.incarnation());
    o.put("version", r.version());
    o.put("agentVersion", r.agentVersion());
    o.put("announcedAtMillis", r.announcedAtMillis());
    return o;
  }

  private byte[] write(JsonNode node) {
    try {
      return mapper.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      // A tree of strings and numbers always serialises; reaching this is a bug in the codec.
      throw new IllegalStateException("could not encode node record JSON", e);
    }
  }

  private JsonNode parse(byte[] json, int maxBytes, String what) {
    if (json == null || json.length == 0) {
      throw new RecordFormatException(what + ": empty input");
    }
    if (json.length > maxBytes) {
      throw new RecordFormatException(what + ": " + json.length + " bytes, more than the " + maxBytes
          + " allowed");
    }
    try {
      JsonNode root = mapper.readTree(json);
      if (root == null || root.isMissingNode()) {
        throw new RecordFormatException(what + ": empty input");
      }
      return root;
    } catch (IOException e) {
      throw new RecordFormatException(what + ": not valid JSON: " + describe(e), e);
    }
  }

  /** Jackson's reason and position, without the excerpt of the input it would otherwise append. */
  private static String describe(IOException e) {
    if (e instanceof JsonProcessingException j && j.getLocation() != null) {
      return j.getOriginalMessage() + " (line " + j.getLocation().getLineNr() + ", column "
          + j.getLocation().getColumnNr() + ")";
    }
    return e.getMessage();
  }

  private static NodeRecord fromJson(JsonNode node, String where) {
    if (!node.isObject()) {
      throw new RecordFormatException(where + "expected a JSON object, got " + typeOf(node));
    }
    long schema = longField(node, "schema", where);
    if (schema != SCHEMA) {
      throw new RecordFormatException(where + "unsupported schema " + schema + " (this agent reads schema "
          + SCHEMA + ")");
    }
    return new NodeRecord(
        textField(node, "name", where),
        textField(node, "hostname", where),
        parsed(node, "nodeIp", where, IpAddresses::parse),
        parsed(node, "mac", where, MacAddress::parse),
        parsed(node, "podSubnet", where, Cidr::parse),
        parsed(node, "subnetSource", where, NodeRecordCodec::subnetSource),
        longField(node, "incarnation", where),
        longField(node, "version", where),
        textField(node, "agentVersion", where),
        longField(node, "announcedAtMillis", where));
  }

  private static SubnetSource subnetSource(String text) {
    for (SubnetSource s : SubnetSource.values()) {
      if (s.name().equalsIgnoreCase(text)) {
        return s;
      }
    }
    throw new IllegalArgumentException("'" + text + "' is not one of configured, allocated");
  }

  private static JsonNode required(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new RecordFormatException(where + "missing required field '" + field + "'");
    }
    return value;
  }

  private static String textField(JsonNode node, String field, String where) {
    JsonNode value = required(node, field, where);
    if (!value.isTextual()) {
      throw new RecordFormatException(where + "field '" + field + "' must be a string, got " + typeOf(value));
    }
    return value.textValue();
  }

  private static long longField(JsonNode node, String field, String where) {
    JsonNode value = required(node, field, where);
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new RecordFormatException(where + "field '" + field + "' must be an integer, got " + typeOf(value));
    }
    return value.longValue();
  }

  private static <T> T parsed(JsonNode node, String field, String where, Function<String, T> parser) {
    String text = textField(node, field, where);
    try {
      return parser.apply(text);
    } catch (IllegalArgumentException e) {
      throw new RecordFormatException(where + "field '" + field + "': " + e.getMessage(), e);
    }
  }

  private static String typeOf(JsonNode node) {
    return node.getNodeType().name().toLowerCase(Locale.ROOT);
  }
}
