package io.weft.meshctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** meshctl's mapper-free JSON must read and print exactly like Jackson's ObjectMapper. */
class JsonTreesTest {
  static final String TEXT = """
      {"node":{"name":"n1","nodeIp":"192.168.1.11","podSubnet":"10.244.1.0/24"},"converged":true,
       "healthy":false,"durationMillis":5.25,"big":123456789012345678901234567890,"at":1795677005155,
       "n":-3,"none":null,"problems":["a \\"quoted\\" \\u00e9 text",""],"peers":[],"empty":{},
       "nested":[[1,2],[{"x":false}]]}
      """;

  @Test
  void readsAndPrintsLikeTheObjectMapper() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    JsonNode ours = JsonTrees.parse(TEXT);
    JsonNode theirs = mapper.readTree(TEXT);
    assertEquals(theirs, ours);
    assertEquals(theirs.toPrettyString(), JsonTrees.pretty(ours));
    assertEquals(mapper.writeValueAsString(theirs), JsonTrees.compact(ours));
  }

  @Test
  void anEmptyAnswerIsAnEmptyObjectAndGarbageIsRefused() throws Exception {
    assertEquals(JsonTrees.object(), JsonTrees.parse(""));
    assertThrows(JsonProcessingException.class, () -> JsonTrees.parse("{\"a\":1} trailing"));
    assertThrows(JsonProcessingException.class, () -> JsonTrees.parse("{\"a\":"));
  }
}
