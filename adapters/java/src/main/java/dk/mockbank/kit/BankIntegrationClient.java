package dk.mockbank.kit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A small BankIntegration client: signs each call with {@link BankIntegrationSigner}, sends it with
 * {@link HttpClient} and turns the answer into the parsed JSON body or a {@link ClientError}.
 */
public final class BankIntegrationClient {
    /** One HTTP/1.1 client for the whole process (it pools connections and threads). */
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    private final String baseUrl;
    private final BankIntegrationSigner signer;
    private final Duration timeout;

    /**
     * @param baseUrl the API's base URL, e.g. https://api.bankintegration.dk or a mockbank emulator
     * @param timeout how long one call may take, from sending to the last byte of the answer
     */
    public BankIntegrationClient(String baseUrl, BankIntegrationSigner signer, Duration timeout) {
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.signer = signer;
        this.timeout = timeout;
    }

    /** A GET with the query parameters given (in this order); signed with one hash, id = requestId. */
    public JsonNode get(String path, String requestId, Map<String, String> query) throws ClientError {
        StringJoiner params = new StringJoiner("&", "?", "").setEmptyValue("");
        query.forEach((name, value) -> params.add(encode(name) + "=" + encode(value)));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path + params)).GET();
        return call(request, "GET", path, requestId, List.of());
    }

    /**
     * A POST of a JSON body; signed per transaction when {@code transactions} is not empty (POST /payment),
     * else with one hash, id = requestId.
     */
    public JsonNode post(String path, String requestId, JsonNode body, List<BankIntegrationSigner.Transaction> transactions)
            throws ClientError {
        byte[] json;
        try {
            json = Json.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw ClientError.badRequest("the request body cannot be written as JSON: " + e.getOriginalMessage());
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json));
        return call(request, "POST", path, requestId, transactions);
    }

    /** One path segment, percent-encoded (a space as %20, a slash as %2F). */
    public static String pathSegment(String text) {
        return encode(text).replace("+", "%20");
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private URI uri(String pathAndQuery) throws ClientError {
        try {
            return URI.create(baseUrl + pathAndQuery);
        } catch (IllegalArgumentException e) {
            throw ClientError.badRequest("baseUrl " + baseUrl + " does not make a URL: " + e.getMessage());
        }
    }

    private JsonNode call(HttpRequest.Builder builder, String method, String path, String requestId,
                          List<BankIntegrationSigner.Transaction> transactions) throws ClientError {
        HttpRequest request = builder
                .header("Accept", "application/json")
                .header("Authorization", signer.authorizationHeader(requestId, Instant.now(), transactions))
                .timeout(timeout)
                .build();
        HttpResponse<byte[]> response = send(request, method, path);
        String text = new String(response.body(), StandardCharsets.UTF_8).replaceFirst("^\uFEFF", "");
        return interpret(response.statusCode(), text, method + " " + path, requestId);
    }

    // The whole answer must arrive within the timeout; the request's own timeout covers the headers only.
    private HttpResponse<byte[]> send(HttpRequest request, String method, String path) throws ClientError {
        String what = method + " " + path;
        CompletableFuture<HttpResponse<byte[]>> answer = HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        try {
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw new ClientError("timeout", null, what + ": no answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            throw new ClientError("connection", null, what + ": interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException) {
                throw new ClientError("timeout", null, what + ": no answer within " + timeout.toMillis() + " ms");
            }
            if (cause instanceof ConnectException) { // refused or unreachable; the JDK gives no message
                throw new ClientError("connection", null, what + ": cannot connect to " + request.uri().getAuthority()
                        + " (" + describe(cause) + ")");
            }
            if (cause instanceof IOException) {
                throw new ClientError("connection", null, what + ": " + describe(cause));
            }
            throw ClientError.badRequest(what + ": " + describe(cause));
        }
    }

    /** The exception's class and the messages along its causes: "ConnectException: Connection refused". */
    private static String describe(Throwable error) {
        StringJoiner text = new StringJoiner(": ").add(error.getClass().getSimpleName());
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e.getMessage() != null && !text.toString().contains(e.getMessage())) {
                text.add(e.getMessage());
            }
        }
        return text.toString();
    }

    /** 200, 201 and 202 are success; a 204, or a 201/202 without a body, is an empty object. */
    private static JsonNode interpret(int status, String text, String call, String requestId) throws ClientError {
        String what = call + ": HTTP " + status;
        boolean success = status == 200 || status == 201 || status == 202;
        if (status == 204 || (success && status != 200 && text.isBlank())) {
            return Json.MAPPER.createObjectNode();
        }
        if (success) {
            JsonNode body;
            try {
                body = Json.MAPPER.readTree(text);
            } catch (JsonProcessingException e) {
                body = null;
            }
            if (body == null || body.isMissingNode()) {
                throw new ClientError("invalid-response", status, what + ": the body is not JSON");
            }
            if (!body.isObject()) {
                throw new ClientError("invalid-response", status, what + ": the body is not a JSON object");
            }
            JsonNode answered = body.get("requestId");
            if (answered == null || !answered.isTextual() || !answered.textValue().equals(requestId)) {
                throw new ClientError("invalid-response", status, what + ": requestId "
                        + (answered == null ? "(missing)" : answered.toString()) + " differs from \"" + requestId + "\"");
            }
            return body;
        }
        String detail = errorDetail(text);
        String message = detail.isEmpty() ? what : what + ": " + detail;
        if (status == 401) {
            throw new ClientError("unauthorized", status, message);
        }
        if (status >= 400 && status < 500) {
            throw new ClientError("bad-request", status, message);
        }
        if (status >= 500 && status < 600) {
            throw new ClientError("server-error", status, message);
        }
        throw new ClientError("invalid-response", status, what + ": unexpected status");
    }

    /** A short explanation from an error body: the emulator's 401 diagnosis, a message, or an excerpt. */
    private static String errorDetail(String text) {
        try {
            JsonNode body = Json.MAPPER.readTree(text);
            JsonNode diagnosis = body == null ? null : body.get("diagnosis");
            if (diagnosis != null && diagnosis.isObject()) {
                StringJoiner parts = new StringJoiner(": ");
                for (String field : new String[] {"cause", "message"}) {
                    JsonNode part = diagnosis.get(field);
                    if (part != null && part.isTextual() && !part.textValue().isEmpty()) {
                        parts.add(part.textValue());
                    }
                }
                if (parts.length() > 0) {
                    return parts.toString();
                }
            }
            if (body != null && body.path("message").isTextual()) {
                return body.get("message").textValue();
            }
        } catch (JsonProcessingException e) {
            // not JSON: use the text
        }
        String trimmed = text.strip();
        return trimmed.length() > 200 ? trimmed.substring(0, 200) : trimmed;
    }
}
