package dk.mockbank.kit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code sign.sh}: reads one JSON object
 * {@code {"serviceProvider","apiKey","account","integrationCode","requestId","time","transactions"?}} on stdin
 * ({@code time} as yyyy-MM-ddTHH:mm:ss UTC, transactions as in a POST /payment body) and prints the
 * Authorization header value that {@link BankIntegrationSigner} produces. Errors: one line on stderr, exit 2.
 */
public final class SignCommand {
    private SignCommand() {
    }

    /** A mistake in the input, told in one line. */
    private static final class InputError extends Exception {
        private static final long serialVersionUID = 1L;

        InputError(String message) {
            super(message);
        }
    }

    public static void main(String[] args) throws IOException {
        try {
            String header = header(utf8(System.in.readAllBytes()));
            PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
            out.println(header);
            out.flush();
        } catch (InputError e) {
            System.err.println("sign.sh: " + e.getMessage());
            System.exit(2);
        }
    }

    /** The bytes as UTF-8 text; new String(bytes, UTF_8) would quietly make a bad byte U+FFFD. */
    private static String utf8(byte[] bytes) throws InputError {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new InputError("stdin is not UTF-8 text");
        }
    }

    static String header(String input) throws InputError {
        JsonNode request;
        try {
            request = Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(input);
        } catch (JsonProcessingException e) {
            throw new InputError("stdin is not JSON: " + e.getOriginalMessage());
        }
        if (request == null || !request.isObject()) {
            throw new InputError("stdin must hold one JSON object");
        }
        BankIntegrationSigner signer;
        try {
            signer = new BankIntegrationSigner(text(request, "serviceProvider"), text(request, "apiKey"),
                    text(request, "account"), text(request, "integrationCode"));
        } catch (IllegalArgumentException e) {
            throw new InputError("apiKey: " + e.getMessage());
        }
        String requestId = text(request, "requestId");
        if (requestId.isEmpty()) {
            throw new InputError("requestId must not be empty");
        }
        return signer.authorizationHeader(requestId, time(text(request, "time")),
                transactions(request.get("transactions"), decimalsAsWritten(input)));
    }

    private static String text(JsonNode object, String field) throws InputError {
        JsonNode value = object.get(field);
        if (value == null || !value.isTextual()) {
            throw new InputError(field + " must be a string" + (value == null ? " (it is missing)" : ""));
        }
        return unicode(value.textValue(), field);
    }

    /** The text, unless it holds a lone surrogate (a stray \ud800 escape), which UTF-8 cannot carry. */
    private static String unicode(String text, String field) throws InputError {
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(text)) {
            throw new InputError(field + " holds a lone surrogate escape (\\ud800-\\udfff), which is not Unicode text");
        }
        return text;
    }

    private static Instant time(String text) throws InputError {
        LocalDateTime time;
        try {
            time = LocalDateTime.parse(text);
        } catch (DateTimeParseException e) {
            time = null;
        }
        if (time == null || !UTC_TIME.matcher(text).matches() || time.getYear() < 1) {
            throw new InputError("time " + text + " is not a real UTC time written yyyy-MM-ddTHH:mm:ss");
        }
        return time.toInstant(ZoneOffset.UTC);
    }

    private static final Pattern UTC_TIME = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}");

    /** The text of each decimal number in the JSON, by JSON pointer: the tree's BigDecimal drops the sign of -0.0. */
    private static Map<String, String> decimalsAsWritten(String input) throws InputError {
        Map<String, String> texts = new HashMap<>();
        try (JsonParser parser = Json.MAPPER.createParser(input)) {
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token == JsonToken.VALUE_NUMBER_FLOAT) {
                    texts.put(parser.getParsingContext().pathAsPointer().toString(), parser.getText());
                }
            }
        } catch (IOException e) { // read once already, as a tree
            throw new InputError("stdin is not JSON: " + e.getMessage());
        }
        return texts;
    }

    private static List<BankIntegrationSigner.Transaction> transactions(JsonNode list, Map<String, String> decimals)
            throws InputError {
        List<BankIntegrationSigner.Transaction> transactions = new ArrayList<>();
        if (list == null || list.isNull()) {
            return transactions;
        }
        if (!list.isArray()) {
            throw new InputError("transactions must be a list of objects");
        }
        for (int i = 0; i < list.size(); i++) {
            String where = "transactions[" + i + "]";
            BankIntegrationSigner.Transaction transaction;
            try {
                transaction = TransactionReader.read(list.get(i), where, decimals.get("/transactions/" + i + "/amount"));
            } catch (IllegalArgumentException e) {
                throw new InputError(e.getMessage());
            }
            if (transaction.paymentId.isEmpty()) {
                throw new InputError(where + ".paymentId must not be empty");
            }
            unicode(transaction.paymentId, where + ".paymentId");
            unicode(transaction.currency, where + ".currency");
            unicode(transaction.creditorAccount, where + ".account");
            transactions.add(transaction);
        }
        return transactions;
    }
}
