package dk.mockbank.kit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The adapter that {@code mockbank certify --adapter "java -jar target/bankintegration-kit.jar"} talks to.
 *
 * <p>The kit writes one JSON request per line on stdin,
 * {@code {"id", "op", "baseUrl", "credentials", "params", "timeoutMs"}}, and reads exactly one JSON reply per
 * line on stdout: {@code {"id", "ok": true, "result": BODY}} or
 * {@code {"id", "ok": false, "error": {"kind", "httpStatus", "message"}}}. Logs go to stderr only.
 *
 * <p>To certify your own client, keep {@link #main} and {@link #handle} and make the {@code OPERATIONS}
 * call your client, returning the body it received with the API's field names.
 */
public final class CertificationAdapter {
    private static final long DEFAULT_TIMEOUT_MS = 10_000;

    /** One API operation: the request's params and a client for its baseUrl, credentials and timeout. */
    @FunctionalInterface
    private interface Operation {
        JsonNode run(JsonNode params, BankIntegrationClient client) throws ClientError;
    }

    private static final Map<String, Operation> OPERATIONS = new LinkedHashMap<>();

    static {
        OPERATIONS.put("pay", CertificationAdapter::pay);
        OPERATIONS.put("status", (params, client) -> client.post("/status", requestId(params),
                given(params, "requestId", "paymentIds"), List.of()));
        OPERATIONS.put("payment", (params, client) -> client.get(
                "/payment/" + BankIntegrationClient.pathSegment(params.path("transId").asText("")),
                requestId(params), Map.of("requestId", requestId(params))));
        OPERATIONS.put("statement", (params, client) -> client.get("/report/account", requestId(params),
                reportQuery(params)));
        OPERATIONS.put("balance", (params, client) -> client.get("/report/balance", requestId(params),
                reportQuery(params)));
        OPERATIONS.put("cancel", (params, client) -> client.post("/payment/cancel", requestId(params),
                given(params, "requestId", "paymentIds"), List.of()));
    }

    private CertificationAdapter() {
    }

    /** POST /payment with the transactions exactly as given, one hash per transaction. */
    private static JsonNode pay(JsonNode params, BankIntegrationClient client) throws ClientError {
        JsonNode transactions = params.get("transactions");
        if (transactions == null || !transactions.isArray() || transactions.isEmpty()) {
            throw ClientError.badRequest("params.transactions must be a non-empty list");
        }
        List<BankIntegrationSigner.Transaction> signed = new ArrayList<>();
        for (int i = 0; i < transactions.size(); i++) {
            try {
                signed.add(TransactionReader.read(transactions.get(i), "params.transactions[" + i + "]"));
            } catch (IllegalArgumentException e) {
                throw ClientError.badRequest(e.getMessage());
            }
        }
        return client.post("/payment", requestId(params), given(params, "requestId", "transactions", "options"), signed);
    }

    private static String requestId(JsonNode params) throws ClientError {
        JsonNode requestId = params.get("requestId");
        if (requestId == null || !requestId.isTextual() || requestId.textValue().isEmpty()) {
            throw ClientError.badRequest("params.requestId is required");
        }
        return requestId.textValue();
    }

    /** The named params that were given (absent and null ones left out), in this order. */
    private static ObjectNode given(JsonNode params, String... fields) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        for (String field : fields) {
            if (!Json.missing(params, field)) {
                body.set(field, params.get(field));
            }
        }
        return body;
    }

    /** The query of the two reports: requestId plus type, from and to when given. */
    private static Map<String, String> reportQuery(JsonNode params) throws ClientError {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("requestId", requestId(params));
        for (String field : new String[] {"type", "from", "to"}) {
            if (!Json.missing(params, field)) {
                query.put(field, Json.queryText(params.get(field)));
            }
        }
        return query;
    }

    /** Answers one request line; never throws. */
    static ObjectNode handle(String line) {
        JsonNode request;
        try {
            request = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            request = null;
        }
        if (request == null || !request.isObject()) {
            return failure(null, ClientError.badRequest("the request line is not a JSON object"));
        }
        JsonNode id = request.get("id");
        String op = request.path("op").asText("");
        try {
            if ("hello".equals(op)) {
                return success(id, hello());
            }
            Operation operation = OPERATIONS.get(op);
            if (operation == null) {
                throw ClientError.badRequest("unknown op " + request.get("op"));
            }
            JsonNode params = request.path("params").isObject() ? request.get("params") : Json.MAPPER.createObjectNode();
            return success(id, operation.run(params, client(request)));
        } catch (ClientError e) {
            return failure(id, e);
        } catch (RuntimeException e) { // anything else is a request this adapter could not use
            return failure(id, ClientError.badRequest(e.getMessage() != null ? e.getMessage() : e.toString()));
        }
    }

    /** A client for the request's baseUrl, credentials and timeoutMs. */
    private static BankIntegrationClient client(JsonNode request) throws ClientError {
        JsonNode credentials = request.path("credentials");
        BankIntegrationSigner signer;
        try {
            signer = new BankIntegrationSigner(credentials.path("serviceProvider").asText(""),
                    credentials.path("apiKey").asText(""), credentials.path("account").asText(""),
                    credentials.path("integrationCode").asText(""));
        } catch (IllegalArgumentException e) {
            throw ClientError.badRequest("credentials.apiKey: " + e.getMessage());
        }
        long timeoutMs = request.path("timeoutMs").asLong(0);
        return new BankIntegrationClient(request.path("baseUrl").asText(""), signer,
                Duration.ofMillis(timeoutMs > 0 ? timeoutMs : DEFAULT_TIMEOUT_MS));
    }

    private static ObjectNode hello() {
        ObjectNode result = Json.MAPPER.createObjectNode();
        OPERATIONS.keySet().forEach(result.putArray("ops")::add);
        result.put("name", "mockbank Java kit");
        String version = CertificationAdapter.class.getPackage().getImplementationVersion();
        result.put("version", version == null ? "development" : version);
        return result;
    }

    private static ObjectNode success(JsonNode id, JsonNode result) {
        ObjectNode reply = Json.MAPPER.createObjectNode();
        reply.set("id", id);
        reply.put("ok", true);
        reply.set("result", result);
        return reply;
    }

    private static ObjectNode failure(JsonNode id, ClientError error) {
        ObjectNode reply = Json.MAPPER.createObjectNode();
        reply.set("id", id);
        reply.put("ok", false);
        ObjectNode body = reply.putObject("error");
        body.put("kind", error.kind());
        body.put("httpStatus", error.httpStatus());
        body.put("message", error.getMessage());
        return reply;
    }

    /** One request at a time, in order; ends when stdin closes. */
    public static void main(String[] args) throws IOException {
        // UTF-8 both ways whatever the machine's locale (Java 17's default charset follows it).
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue; // blank lines are not requests
            }
            ObjectNode reply = handle(line);
            out.println(Json.MAPPER.writeValueAsString(reply));
            out.flush();
            if (out.checkError()) {
                return; // the kit went away
            }
            System.err.println("[java-adapter] #" + reply.get("id") + " "
                    + (reply.get("ok").asBoolean() ? "ok" : reply.path("error").path("kind").asText()));
        }
    }
}
