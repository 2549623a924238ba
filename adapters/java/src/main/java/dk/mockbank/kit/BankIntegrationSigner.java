package dk.mockbank.kit;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds the {@code Authorization} header of the BankIntegration API (api.bankintegration.dk).
 *
 * <p>Copy this one file into your ERP: it uses the JDK only and compiles with Java 8 or later
 * ({@code javac BankIntegrationSigner.java}); change the package line to yours.
 *
 * <pre>{@code
 * BankIntegrationSigner signer = new BankIntegrationSigner("MyERP", apiKey, "52470021527478", integrationCode);
 * String header = signer.authorizationHeader("REQ_01", Instant.now());                  // every request but...
 * String header = signer.authorizationHeader("REQ_02", Instant.now(), transactions);    // ...POST /payment
 * }</pre>
 *
 * <p>The header is {@code "Basic " + Base64(UTF-8 JSON)} of the auth object
 * {@code {"serviceProvider","account","time","requestId","hash":[{"id","hash"}...]}}. Each hash is the
 * Base64 HMAC-SHA256 of ten fields joined by {@code #}, empty fields kept:
 * {@code token#custacc#currency#reqid#paydate#amount#credacc#erp#payid#now}.
 * <ul>
 *   <li>token: lower-case hex SHA-256 of the UTF-8 integration code;</li>
 *   <li>custacc: the own account as sent; reqid: the requestId; erp: the serviceProvider;</li>
 *   <li>currency, paydate (yyyyMMdd), amount (two decimals, '.'), credacc: from the transaction for
 *       POST /payment (one hash per transaction, payid = id = paymentId); empty for every other
 *       request (one hash, payid = id = requestId);</li>
 *   <li>now: the auth object's time in UTC as yyyyMMddHHmmss.</li>
 * </ul>
 * The HMAC key is the API key GUID's 16 bytes in .NET {@code Guid.ToByteArray()} order, which is NOT
 * the order of {@code java.util.UUID}: see {@link #keyBytes(String)}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class BankIntegrationSigner {

    /** One transaction of a POST /payment body, the parts that are signed. */
    public static final class Transaction {
        final String paymentId;
        final LocalDate paymentDate;
        final String amount; // the payload's amount component
        final String currency;
        final String creditorAccount;

        /**
         * @param creditorAccount the transaction's {@code account} exactly as it is sent (BBAN, IBAN or FIK string)
         * @throws IllegalArgumentException when the amount has more than 26 digits before the decimal point
         */
        public Transaction(String paymentId, LocalDate paymentDate, BigDecimal amount, String currency,
                           String creditorAccount) {
            this(paymentId, paymentDate, amount, false, currency, creditorAccount);
        }

        /**
         * @param amount the amount as written in the body: a JSON number's text or a numeric string such as
         *               "154.00"; its minus sign is kept when it rounds to zero ("-0.0" gives "-0.00")
         * @throws IllegalArgumentException when the amount is not a decimal number or has more than 26 digits
         *                                  before the decimal point
         */
        public Transaction(String paymentId, LocalDate paymentDate, String amount, String currency,
                           String creditorAccount) {
            this(paymentId, paymentDate, new BigDecimal(amount), amount.startsWith("-"), currency, creditorAccount);
        }

        private Transaction(String paymentId, LocalDate paymentDate, BigDecimal amount, boolean writtenNegative,
                            String currency, String creditorAccount) {
            this.paymentId = Objects.requireNonNull(paymentId, "paymentId");
            this.paymentDate = Objects.requireNonNull(paymentDate, "paymentDate");
            if (amount.setScale(2, RoundingMode.HALF_UP).precision() - 2 > MAX_WHOLE_DIGITS) {
                throw new IllegalArgumentException(
                        "amount " + amount + " is too large (at most 26 digits before the decimal point)");
            }
            this.amount = formatAmount(amount, writtenNegative);
            this.currency = Objects.requireNonNull(currency, "currency");
            this.creditorAccount = Objects.requireNonNull(creditorAccount, "creditorAccount");
        }
    }

    // The bank's decimal arithmetic writes amounts with at most 28 digits, two of them decimals.
    private static final int MAX_WHOLE_DIGITS = 26;

    // Pitfalls: "YYYY" is the week-based year (wrong in the last days of December) and "hh" the 12-hour
    // clock; Locale.ROOT keeps the digits ASCII whatever the machine's locale is.
    private static final DateTimeFormatter AUTH_TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter NOW =
            DateTimeFormatter.ofPattern("uuuuMMddHHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter PAYDATE = DateTimeFormatter.ofPattern("uuuuMMdd", Locale.ROOT);

    // The .NET spellings of a GUID: D (with dashes), N (32 digits), B {in braces} and P (in parentheses).
    private static final String DASHED = "\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}";
    private static final Pattern GUID =
            Pattern.compile(DASHED + "|\\p{XDigit}{32}|\\{" + DASHED + "\\}|\\(" + DASHED + "\\)");

    private final String serviceProvider;
    private final String account;
    private final byte[] key;
    private final String token;

    /**
     * @param serviceProvider the ERP name issued with the API key
     * @param apiKey          the API key GUID (D, N, B or P spelling, any case)
     * @param account         the own account (14-digit BBAN) exactly as it is sent
     * @param integrationCode the account's integration code
     * @throws IllegalArgumentException when the API key is not a GUID
     */
    public BankIntegrationSigner(String serviceProvider, String apiKey, String account, String integrationCode) {
        this.serviceProvider = Objects.requireNonNull(serviceProvider, "serviceProvider");
        this.account = Objects.requireNonNull(account, "account");
        this.key = keyBytes(apiKey);
        this.token = integrationToken(Objects.requireNonNull(integrationCode, "integrationCode"));
    }

    /** The header of every request except POST /payment: one hash, id = requestId. */
    public String authorizationHeader(String requestId, Instant time) {
        return authorizationHeader(requestId, time, Collections.<Transaction>emptyList());
    }

    /**
     * The header of a request signed at {@code time} (taken to the whole second). With transactions
     * (POST /payment) one hash per transaction, id = paymentId; with none (null or empty) one hash,
     * id = requestId.
     */
    public String authorizationHeader(String requestId, Instant time, List<Transaction> transactions) {
        Objects.requireNonNull(requestId, "requestId");
        Instant second = time.truncatedTo(ChronoUnit.SECONDS);
        String now = NOW.format(second);

        List<String[]> hashes = new ArrayList<>(); // {id, hash}
        if (transactions == null || transactions.isEmpty()) {
            String payload = payload(requestId, "", "", "", "", requestId, now);
            hashes.add(new String[] {requestId, hmacBase64(payload)});
        } else {
            for (Transaction t : transactions) {
                String payload = payload(requestId, t.currency, PAYDATE.format(t.paymentDate),
                        t.amount, t.creditorAccount, t.paymentId, now);
                hashes.add(new String[] {t.paymentId, hmacBase64(payload)});
            }
        }

        // The auth object as compact JSON, keys in this order.
        StringBuilder json = new StringBuilder("{\"serviceProvider\":").append(jsonString(serviceProvider))
                .append(",\"account\":").append(jsonString(account))
                .append(",\"time\":").append(jsonString(AUTH_TIME.format(second)))
                .append(",\"requestId\":").append(jsonString(requestId))
                .append(",\"hash\":[");
        for (int i = 0; i < hashes.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"id\":").append(jsonString(hashes.get(i)[0]))
                    .append(",\"hash\":").append(jsonString(hashes.get(i)[1])).append('}');
        }
        json.append("]}");
        return "Basic " + Base64.getEncoder().encodeToString(json.toString().getBytes(StandardCharsets.UTF_8));
    }

    // The ten components joined by '#'; the four payment fields are empty outside POST /payment.
    private String payload(String requestId, String currency, String paydate, String amount, String creditorAccount,
                           String payid, String now) {
        return String.join("#", token, account, currency, requestId, paydate, amount, creditorAccount,
                serviceProvider, payid, now);
    }

    private String hmacBase64(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JRE", e); // every JRE has it
        }
    }

    /**
     * The HMAC key: the GUID's 16 bytes in .NET {@code Guid.ToByteArray()} order. The first three groups
     * (4, 2 and 2 bytes) are byte-reversed, the last 8 bytes keep their textual order:
     * {@code 3f2504e0-4f89-11d3-9a0c-0305e82c3301 -> e0 04 25 3f  89 4f  d3 11  9a 0c 03 05 e8 2c 33 01}.
     * (The bytes of {@code UUID.fromString(...)} or of the key's text are the most common mistake.)
     */
    static byte[] keyBytes(String apiKey) {
        String text = apiKey == null ? "" : apiKey.trim();
        if (!GUID.matcher(text).matches()) {
            throw new IllegalArgumentException(
                    "the API key must be a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301 (D, N, B or P spelling)");
        }
        String hex = text.replaceAll("[-{}()]", "");
        byte[] bytes = new byte[16];
        for (int i = 0; i < 16; i++) {
            bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        reverse(bytes, 0, 4);
        reverse(bytes, 4, 6);
        reverse(bytes, 6, 8);
        return bytes;
    }

    private static void reverse(byte[] bytes, int from, int to) {
        for (int i = from, j = to - 1; i < j; i++, j--) {
            byte b = bytes[i];
            bytes[i] = bytes[j];
            bytes[j] = b;
        }
    }

    /** The token: lower-case hex SHA-256 of the UTF-8 bytes of the integration code. */
    static String integrationToken(String integrationCode) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(integrationCode.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder(64);
            for (byte b : digest) {
                hex.append(String.format(Locale.ROOT, "%02x", b & 0xff));
            }
            return hex.toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JRE", e); // every JRE has it
        }
    }

    /**
     * The amount component: two decimals rounded half-up, '.' as separator, no grouping: 154 -> "154.00",
     * 0.1 -> "0.10". Pitfalls: {@code String.format("%.2f", amount)} uses the default locale and writes
     * "154,00" on a Danish machine; {@code BigDecimal.toString()} may write "1E+3"; a {@code double}
     * cannot hold most amounts exactly. Keep amounts as BigDecimal. A negative amount that rounds to
     * zero keeps its sign, as the bank's decimal arithmetic does: -0.001 -> "-0.00"; so does a zero written
     * with a minus ({@code writtenNegative}: "-0.0", which BigDecimal cannot hold).
     */
    static String formatAmount(BigDecimal amount, boolean writtenNegative) {
        BigDecimal rounded = amount.setScale(2, RoundingMode.HALF_UP);
        boolean negative = amount.signum() < 0 || writtenNegative;
        return (negative && rounded.signum() == 0 ? "-" : "") + rounded.toPlainString();
    }

    // A JSON string literal: quotes, backslashes and control characters escaped, everything else as is.
    private static String jsonString(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        return out.append('"').toString();
    }
}
