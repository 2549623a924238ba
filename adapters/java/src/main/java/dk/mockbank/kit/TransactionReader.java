package dk.mockbank.kit;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/** Reads the signed parts of one transaction of a POST /payment body (JSON) for {@link BankIntegrationSigner}. */
final class TransactionReader {
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
        JsonNode amount = transaction.path("amount");
        if (!amount.isNumber()) {
            throw new IllegalArgumentException(where + ".amount must be a JSON number");
        }
        LocalDate paymentDate;
        try {
            paymentDate = LocalDate.parse(text(transaction, "paymentDate", where));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(where + ".paymentDate must be a date yyyy-MM-dd");
        }
        return new BankIntegrationSigner.Transaction(text(transaction, "paymentId", where), paymentDate,
                amount.decimalValue(), text(transaction, "currency", where), text(transaction, "account", where));
    }

    private static String text(JsonNode object, String field, String where) {
        JsonNode value = object.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException(where + "." + field + " must be a string");
        }
        return value.textValue();
    }
}
