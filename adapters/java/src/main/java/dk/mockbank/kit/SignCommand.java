package dk.mockbank.kit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

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
            String header = header(new String(System.in.readAllBytes(), StandardCharsets.UTF_8));
            PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
            out.println(header);
            out.flush();
        } catch (InputError e) {
            System.err.println("sign.sh: " + e.getMessage());
            System.exit(2);
        }
    }

    static String header(String input) throws InputError {
        JsonNode request;
        try {
            request = Json.MAPPER.readTree(input);
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
        return signer.authorizationHeader(text(request, "requestId"), time(text(request, "time")),
                transactions(request.get("transactions")));
    }

    private static String text(JsonNode object, String field) throws InputError {
        JsonNode value = object.get(field);
        if (value == null || !value.isTextual()) {
            throw new InputError(field + " must be a string" + (value == null ? " (it is missing)" : ""));
        }
        return value.textValue();
    }

    private static Instant time(String text) throws InputError {
        try {
            return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new InputError("time " + text + " is not yyyy-MM-ddTHH:mm:ss (UTC)");
        }
    }

    private static List<BankIntegrationSigner.Transaction> transactions(JsonNode list) throws InputError {
        List<BankIntegrationSigner.Transaction> transactions = new ArrayList<>();
        if (list == null || list.isNull()) {
            return transactions;
        }
        if (!list.isArray()) {
            throw new InputError("transactions must be a list");
        }
        for (int i = 0; i < list.size(); i++) {
            try {
                transactions.add(TransactionReader.read(list.get(i), "transactions[" + i + "]"));
            } catch (IllegalArgumentException e) {
                throw new InputError(e.getMessage());
            }
        }
        return transactions;
    }
}
