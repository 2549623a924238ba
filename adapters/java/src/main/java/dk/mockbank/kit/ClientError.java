package dk.mockbank.kit;

/**
 * A failure the client reports, in the terms of the certification protocol.
 *
 * <p>{@code kind} is one of {@code unauthorized}, {@code bad-request}, {@code server-error}, {@code timeout},
 * {@code connection}, {@code invalid-response}; {@code httpStatus} is the HTTP status, or null when there was none.
 */
public final class ClientError extends Exception {
    private static final long serialVersionUID = 1L;

    private final String kind;
    private final Integer httpStatus;

    public ClientError(String kind, Integer httpStatus, String message) {
        super(message);
        this.kind = kind;
        this.httpStatus = httpStatus;
    }

    /** A request the client cannot use: no HTTP status. */
    public static ClientError badRequest(String message) {
        return new ClientError("bad-request", null, message);
    }

    public String kind() {
        return kind;
    }

    public Integer httpStatus() {
        return httpStatus;
    }
}
