package io.weft.core.net;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/** A 48-bit Ethernet address, held in the canonical lower-case colon form {@code 02:42:ac:11:00:02}. */
public record MacAddress(String value) {
  private static final Pattern FORM = Pattern.compile("([0-9a-f]{2}:){5}[0-9a-f]{2}");

  public MacAddress {
    value = value == null ? null : value.trim().toLowerCase(Locale.ROOT).replace('-', ':');
    if (value == null || !FORM.matcher(value).matches()) {
      throw new IllegalArgumentException("'" + value + "' is not a MAC address (want aa:bb:cc:dd:ee:ff)");
    }
  }

  @JsonCreator
  public static MacAddress parse(String text) {
    return new MacAddress(text);
  }

  public static MacAddress of(byte[] bytes) {
    if (bytes.length != 6) {
      throw new IllegalArgumentException("a MAC address has 6 bytes, not " + bytes.length);
    }
    return new MacAddress(HexFormat.ofDelimiter(":").formatHex(bytes));
  }

  public byte[] toBytes() {
    return HexFormat.ofDelimiter(":").parseHex(value);
  }

  @JsonValue
  @Override
  public String toString() {
    return value;
  }
}
