// KitJson.cs: JSON reading for the adapter and sign.sh, on Json.NET (Newtonsoft.Json).
//
// Json.NET's defaults are tuned for convenience, not for money:
//   * floats are read as double (0.1 + 0.2 != 0.3, 154.10 comes back as 154.1): read them as decimal;
//   * strings that look like dates become DateTime (and are written back in another format, in
//     local time): keep them as the text the bank sent.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace BankIntegration.Kit
{
    public static class KitJson
    {
        private static readonly Regex JsonNumber = new Regex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$");

        /// <summary>One JSON value, numbers with a fraction as decimal, date-like strings as strings.</summary>
        /// <exception cref="JsonException">The text is not one JSON value.</exception>
        public static JToken Parse(string text)
        {
            using (var reader = new JsonTextReader(new StringReader(text)))
            {
                reader.DateParseHandling = DateParseHandling.None;
                reader.FloatParseHandling = FloatParseHandling.Decimal;
                JToken value = JToken.ReadFrom(reader);
                if (reader.Read())
                    throw new JsonReaderException("more text after the JSON value");
                return value;
            }
        }

        /// <summary>True when the text is one JSON value, numbers of any size included (1e400 too).</summary>
        public static bool IsJson(string text)
        {
            if (JsonNumber.IsMatch(text)) return true;
            try
            {
                Parse(text);
                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        /// <summary>Compact JSON; decimals keep their digits (1234.50 stays 1234.50), letters stay UTF-8.</summary>
        public static string Write(JToken value)
        {
            return value.ToString(Formatting.None);
        }

        /// <summary>A JSON scalar as text for a payload, URL or message ("" for null or missing).</summary>
        public static string Text(JToken value)
        {
            var scalar = value as JValue;
            if (scalar == null || scalar.Value == null) return "";
            return Convert.ToString(scalar.Value, CultureInfo.InvariantCulture);
        }

        /// <summary>The bank's decimal arithmetic writes amounts with at most 28 digits, two of them decimals.</summary>
        private const decimal FirstAmountTooLarge = 100000000000000000000000000m;

        /// <summary>A numeric string as some clients send amounts (spec: Odoo): "154.00", no exponent, no grouping.</summary>
        private static readonly Regex NumericString = new Regex(@"^-?[0-9]+(\.[0-9]+)?$");

        /// <summary>
        /// An amount given as a JSON number or a numeric string such as "154.00".
        /// </summary>
        /// <exception cref="FormatException">It is something else, or 10^26 or more.</exception>
        public static decimal Amount(JToken amount, string where)
        {
            bool number = amount != null && (amount.Type == JTokenType.Integer || amount.Type == JTokenType.Float);
            if (!number && !(amount != null && amount.Type == JTokenType.String && NumericString.IsMatch((string)amount)))
                throw new FormatException(where + " must be a JSON number or a numeric string such as \"154.50\"");
            object written = ((JValue)amount).Value; // a decimal keeps the sign of -0.0, its text does not
            decimal value;
            if (written is decimal)
                value = (decimal)written;
            else if (!decimal.TryParse(Text(amount), NumberStyles.Float, CultureInfo.InvariantCulture, out value))
                value = decimal.MaxValue; // an integer beyond decimal's range
            if (Math.Abs(Math.Round(value, 2, MidpointRounding.AwayFromZero)) >= FirstAmountTooLarge)
                throw new FormatException(where + " " + Text(amount) + " is too large (at most 26 digits before the decimal point)");
            return value;
        }

        /// <summary>The string field <paramref name="name"/> of a transaction.</summary>
        /// <exception cref="FormatException">It is missing or not a JSON string.</exception>
        private static string String(JObject transaction, string name, string where)
        {
            JToken value = transaction[name];
            if (value == null || value.Type != JTokenType.String)
                throw new FormatException(where + "." + name + " must be a string");
            return (string)value;
        }

        /// <summary>
        /// The signed fields of POST /payment transactions given as JSON (paymentId, paymentDate
        /// yyyy-MM-dd, amount a JSON number or a string holding one, currency, account);
        /// <paramref name="field"/> names the list in error messages.
        /// </summary>
        /// <exception cref="FormatException">A transaction is not an object or a field has the wrong type.</exception>
        public static List<PaymentToSign> Payments(JToken transactions, string field)
        {
            var list = transactions as JArray;
            if (list == null) throw new FormatException(field + " must be a list of transactions");
            var payments = new List<PaymentToSign>();
            for (int i = 0; i < list.Count; i++)
            {
                string where = field + "[" + i + "]";
                var transaction = list[i] as JObject;
                if (transaction == null) throw new FormatException(where + " must be an object");

                DateTime paymentDate;
                if (!DateTime.TryParseExact(Text(transaction["paymentDate"]), "yyyy-MM-dd", CultureInfo.InvariantCulture,
                        DateTimeStyles.None, out paymentDate))
                    throw new FormatException(where + ".paymentDate " + Text(transaction["paymentDate"]) + " is not a real date written yyyy-MM-dd");

                payments.Add(new PaymentToSign
                {
                    PaymentId = String(transaction, "paymentId", where),
                    PaymentDate = paymentDate,
                    Amount = Amount(transaction["amount"], where + ".amount"),
                    Currency = String(transaction, "currency", where),
                    Account = String(transaction, "account", where),
                });
            }
            return payments;
        }
    }
}
