package dk.mockbank.kit;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/** Reads the signed parts of one transaction of a POST /payment body (JSON) for {@link BankIntegrationSigner}. */
final class TransactionReader {
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    private TransactionReader() {
    }

    /**
     * @param where how an error names the transaction, e.g. "params.transactions[0]"
     * @throws IllegalArgumentException naming the field and what is wrong with it
     */
    static BankIntegrationSigner.Transaction read(JsonNode transaction, String where) {
        if (!transaction.isObject()) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        LocalDate paymentDate;
        try {
            paymentDate = LocalDate.parse(text(transaction, "paymentDate", where));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(where + ".paymentDate must be a date yyyy-MM-dd");
        }
        return new BankIntegrationSigner.Transaction(text(transaction, "paymentId", where), paymentDate,
                amount(transaction.path("amount"), where + ".amount"), text(transaction, "currency", where),
                text(transaction, "account", where));
    }

    /** An amount: a JSON number, or a string holding one ("154.00"), as clients send both. */
    private static BigDecimal amount(JsonNode amount, String where) {
        if (amount.isNumber()) {
            return amount.decimalValue();
        }
        if (amount.isTextual() && JSON_NUMBER.matcher(amount.textValue().strip()).matches()) {
            return new BigDecimal(amount.textValue().strip());
        }
        throw new IllegalArgumentException(
                where + " must be a number such as 154.50, or a string holding one such as \"154.50\"");
    }

    private static String text(JsonNode object, String field, String where) {
        JsonNode value = object.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException(where + "." + field + " must be a string");
        }
        return value.textValue();
    }
}
