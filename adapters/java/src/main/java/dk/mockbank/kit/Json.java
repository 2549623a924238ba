package dk.mockbank.kit;

import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The kit's one Jackson configuration: numbers are read and written exactly as they were sent. */
final class Json {
    /** Decimals as BigDecimal with their trailing zeros, written back without exponent. */
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    private Json() {
    }

    /** The text of a scalar JSON value as it goes into a query string: "Simple", "3", "true". */
    static String queryText(JsonNode value) {
        return value.isValueNode() ? value.asText() : value.toString();
    }

    /** True when the field is absent or JSON null. */
    static boolean missing(JsonNode object, String field) {
        JsonNode value = object.get(field);
        return value == null || value.isNull();
    }
}
