package dk.mockbank.kit;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/** Reads the signed parts of one transaction of a POST /payment body (JSON) for {@link BankIntegrationSigner}. */
final class TransactionReader {
    /** An amount some clients send as a string (spec: Odoo): "154.00", no exponent, no grouping. */
    private static final Pattern ISO_DATE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");
    private static final Pattern NUMERIC_STRING = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");

    private TransactionReader() {
    }

    /**
     * @param where how an error names the transaction, e.g. "params.transactions[0]"
     * @throws IllegalArgumentException naming the field and what is wrong with it
     */
    static BankIntegrationSigner.Transaction read(JsonNode transaction, String where) {
        return read(transaction, where, null);
    }

    /**
     * @param writtenAmount the amount's JSON number as written (the tree's BigDecimal drops the sign of -0.0),
     *                      or null to take it from the tree
     * @throws IllegalArgumentException naming the field and what is wrong with it
     */
    static BankIntegrationSigner.Transaction read(JsonNode transaction, String where, String writtenAmount) {
        if (!transaction.isObject()) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        JsonNode amount = transaction.path("amount");
        if (!amount.isNumber() && !(amount.isTextual() && NUMERIC_STRING.matcher(amount.textValue()).matches())) {
            throw new IllegalArgumentException(
                    where + ".amount must be a JSON number or a numeric string such as \"154.50\"");
        }
        String date = text(transaction, "paymentDate", where);
        LocalDate paymentDate;
        try {
            paymentDate = LocalDate.parse(date);
        } catch (DateTimeParseException e) {
            paymentDate = null;
        }
        if (paymentDate == null || !ISO_DATE.matcher(date).matches() || paymentDate.getYear() < 1) {
            throw new IllegalArgumentException(where + ".paymentDate " + date + " is not a real date written yyyy-MM-dd");
        }
        String paymentId = text(transaction, "paymentId", where);
        String currency = text(transaction, "currency", where);
        String account = text(transaction, "account", where);
        String written = amount.isTextual() ? amount.textValue() : writtenAmount;
        try {
            return written != null
                    ? new BankIntegrationSigner.Transaction(paymentId, paymentDate, written, currency, account)
                    : new BankIntegrationSigner.Transaction(paymentId, paymentDate, amount.decimalValue(), currency, account);
        } catch (IllegalArgumentException e) { // the amount is too large
            throw new IllegalArgumentException(where + "." + e.getMessage(), e);
        }
    }

    private static String text(JsonNode object, String field, String where) {
        JsonNode value = object.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException(where + "." + field + " must be a string");
        }
        return value.textValue();
    }
}
